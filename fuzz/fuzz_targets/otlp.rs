//! Fuzz target: the OTLP/JSON parser (camelCase and snake_case, Jaeger v3 and Tempo wrappers), then, for whatever parses, the summary, JSON output and waterfall.
//! Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msv::traces::waterfall::{Options, render};

fuzz_target!(|data: &[u8]| {
    if let Ok(traces) = msv::traces::otlp::parse(data) {
        for t in &traces {
            let _ = msv::traces::TraceSummary::of(t);
            let _ = serde_json::to_vec(t);
            let _ = render(
                t,
                &Options {
                    width: 80,
                    color: true,
                },
            );
        }
    }
});

//! Fuzz target: format detection and every parser behind it (`msv traces show --file`: gzip, BOM, JSON Lines, Jaeger, OTLP, Zipkin v1 and v2), then, for whatever parses, the summary, JSON output and waterfall.
//! Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msv::traces::waterfall::{Options, render};

fuzz_target!(|data: &[u8]| {
    if let Ok(traces) = msv::traces::detect::parse_traces(data) {
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

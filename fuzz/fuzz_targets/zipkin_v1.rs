//! Fuzz target: the Zipkin v1 parser and its v1-to-v2 conversion, then, for whatever parses, the summary, JSON output and waterfall.
//! Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msv::traces::waterfall::{Options, render};

fuzz_target!(|data: &[u8]| {
    if let Ok(traces) = msv::traces::zipkin_v1::parse(data) {
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

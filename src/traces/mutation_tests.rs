//! Throws mutated fixture bytes at every parser and at the renderer: whatever comes in,
//! the result is an error or a trace, never a panic. Runs on stable Rust in `cargo test`
//! (seeded, so a failure reproduces); the cargo-fuzz targets in fuzz/ go further.

use super::{detect, jaeger, otlp, summary::TraceSummary, tempo, waterfall, zipkin};

const TOKENS: &[&[u8]] = &[
    b"null",
    b"-1",
    b"1e999",
    b"\"\"",
    b"[]",
    b"{}",
    b"18446744073709551616",
    b"\"\\u0000\"",
    b"0",
    b"\"==\"",
    b"true",
    b"\"\\u001b[31m\"",
    b"[[[[[[[[",
    b"\"ffffffffffffffffffffffffffffffffff\"",
];

pub(crate) fn mutate(rng: &mut fastrand::Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.usize(1..4) {
        let len = out.len().max(1);
        match rng.u8(0..5) {
            0 => out.truncate(rng.usize(0..len)),
            1 => {
                if !out.is_empty() {
                    let i = rng.usize(0..out.len());
                    out[i] = rng.u8(..);
                }
            }
            2 => {
                let a = rng.usize(0..len);
                let b = (a + rng.usize(0..64)).min(out.len());
                if a < b {
                    out.drain(a..b);
                }
            }
            3 => {
                let at = rng.usize(0..=out.len());
                let token = TOKENS[rng.usize(0..TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
            _ => {
                let a = rng.usize(0..len);
                let b = (a + rng.usize(0..256)).min(out.len());
                let copy = out.get(a..b).unwrap_or_default().to_vec();
                let at = rng.usize(0..=out.len());
                out.splice(at..at, copy);
            }
        }
    }
    out
}

/// A parser of a backend's payload.
type Parser = fn(&[u8]) -> anyhow::Result<Vec<super::Trace>>;

/// Everything a user-facing command does with untrusted bytes.
pub(crate) fn exercise(bytes: &[u8]) {
    let parsers: [Parser; 5] = [
        detect::parse_traces,
        jaeger::parse_v1,
        otlp::parse,
        zipkin::parse,
        tempo::parse_trace,
    ];
    for parse in parsers {
        if let Ok(traces) = parse(bytes) {
            for t in &traces {
                let _ = TraceSummary::of(t);
                let _ = serde_json::to_string(t).expect("a parsed trace always serializes");
                let out = waterfall::render(
                    t,
                    &waterfall::Options {
                        width: 80,
                        color: true,
                    },
                );
                assert!(out.lines().count() >= t.spans.len());
            }
        }
    }
    let _ = tempo::parse_search(bytes);
}

#[test]
fn mutated_fixtures_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/traces");
    let mut rng = fastrand::Rng::with_seed(0x6d73_7600);
    let mut files = 0;
    for sub in ["jaeger", "otlp", "tempo", "zipkin"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            // Big files cost much per parse and teach little more than their mutations.
            let rounds = if bytes.len() > 150_000 {
                0
            } else if bytes.len() > 50_000 {
                10
            } else {
                100
            };
            for _ in 0..rounds {
                let input = mutate(&mut rng, &bytes);
                let result = std::panic::catch_unwind(|| exercise(&input));
                if result.is_err() {
                    let dump = std::env::temp_dir().join("msv-traces-crash.json");
                    std::fs::write(&dump, &input).unwrap();
                    panic!(
                        "{} mutated as in {} panicked",
                        path.display(),
                        dump.display()
                    );
                }
            }
            files += 1;
        }
    }
    assert_eq!(files, 19);
}

#[test]
fn hostile_shapes_never_panic() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for input in [
        deep.as_str(),
        r#"{"data":[{"traceID":"1","spans":[{"spanID":"1","startTime":18446744073709551615,"duration":18446744073709551615}]}]}"#,
        r#"[{"traceId":"1","id":"a","parentId":"b"},{"traceId":"1","id":"b","parentId":"a"}]"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"1","startTimeUnixNano":"9","endTimeUnixNano":"1"}]}]}]}"#,
        r#"{"batches":[{"scopeSpans":[{"spans":[{"spanId":"!!!=","name":"\u001b]0;pwned\u0007"}]}]}]}"#,
    ] {
        exercise(input.as_bytes());
    }
}

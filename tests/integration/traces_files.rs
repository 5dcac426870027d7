//! `msv traces show --file` on the small hand-made files in tests/fixtures/traces/handmade
//! (see the README there): every shape is placed by its content or refused with exit 2,
//! the input forms users have (JSON Lines, BOM, gzip, stdin, `{"data": trace}`,
//! snake_case OTLP) read, Zipkin v1 is converted as Zipkin converts it, and Jaeger's
//! `errors` are reported beside the data.

use std::collections::BTreeSet;
use std::io::Write as _;

use super::{Fake, ShowJson, SpanJson, TraceJson, fixture, fixture_path, msv};
use crate::support::Test;

fn show_json(rel: &str) -> (ShowJson, String) {
    let run = Test::new()
        .args(&["traces", "show", "-o", "json", "--file"])
        .arg(fixture_path(rel))
        .run()
        .status(0);
    (run.stdout_json(), run.stderr())
}

fn services(t: &TraceJson) -> BTreeSet<&str> {
    t.spans.iter().map(|s| s.service.as_str()).collect()
}

fn span<'a>(t: &'a TraceJson, id: &str, shared: bool) -> &'a SpanJson {
    t.spans
        .iter()
        .find(|s| s.span_id == id && s.shared == shared)
        .unwrap_or_else(|| panic!("no span {id} (shared {shared}) in {t:?}"))
}

/// (start offset from the trace start, duration), in µs.
fn timing(t: &TraceJson, s: &SpanJson) -> (u64, u64) {
    let start = t.spans.iter().map(|s| s.start_ns).min().unwrap();
    ((s.start_ns - start) / 1000, s.duration_ns / 1000)
}

#[test]
fn lists_are_placed_by_the_keys_of_their_elements() {
    let (p, _) = show_json("handmade/jaeger-trace-list.json");
    assert_eq!(p.traces.len(), 2);
    assert_eq!(p.traces[0].trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(
        services(&p.traces[0]),
        BTreeSet::from(["checkout", "orders-db"])
    );
    assert_eq!(
        p.traces[0].spans[1].parent_id.as_deref(),
        Some("00f067aa0ba902b7")
    );
    assert!(p.traces[1].spans[0].error);

    let (p, stderr) = show_json("handmade/jaeger-span-list.json");
    let t = p.one();
    assert_eq!(t.spans.len(), 2);
    assert_eq!(t.spans[1].operation, "HTTP GET /customer");
    assert_eq!(t.spans[1].parent_id.as_deref(), Some("5c2a3b1d9e8f7a60"));
    assert!(!t.spans[1].orphan);
    assert!(stderr.contains("services are unknown"), "{stderr}");

    let (p, _) = show_json("handmade/otlp-resource-spans-list.json");
    let t = p.one();
    assert_eq!(services(&t), BTreeSet::from(["cart", "valkey"]));
    let hget = span(&t, "eee19b7ec3c1b175", false);
    assert!(hget.error && !hget.orphan);
    assert_eq!(hget.kind.as_deref(), Some("client"));
}

#[test]
fn files_that_fit_no_format_are_refused_saying_what_was_seen() {
    for (file, says) in [
        (
            "handmade/not-traces.json",
            r#"a list whose first element is an object with keys "timestamp", "level", "msg", "service""#,
        ),
        (
            "handmade/zipkin-no-ids.json",
            r#"Zipkin spans need both "traceId" and "id""#,
        ),
        (
            "handmade/jaeger-model-spans.json",
            "Jaeger's internal model",
        ),
    ] {
        Test::new()
            .args(&["traces", "show", "--file"])
            .arg(fixture_path(file))
            .run()
            .status(2)
            .stdout_empty()
            .stderr_has("not a trace format msv knows")
            .stderr_has(says)
            .stderr_has("msv reads Jaeger JSON");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.json");
    std::fs::write(
        &path,
        r#"[{"traceId":"1","id":"2","kind":"SERVER"},{"traceId":"1","name":"x","kind":"CLIENT"}]"#,
    )
    .unwrap();
    Test::new()
        .args(&["traces", "show", "--file"])
        .arg(&path)
        .run()
        .status(2)
        .stdout_empty()
        .stderr_has(r#"t.json: reading Zipkin v2 spans: span 2 has no "id" at line 1"#);
}

#[test]
fn json_lines_documents_merge_by_trace_id() {
    let (p, _) = show_json("handmade/otlp-collector-file-exporter.jsonl");
    assert_eq!(p.traces.len(), 2);
    let t = &p.traces[0];
    assert_eq!(t.trace_id, "0102030405060708090a0b0c0d0e0f10");
    assert_eq!(services(t), BTreeSet::from(["catalog", "frontend"]));
    let child = span(t, "2222222222222222", false);
    assert_eq!(child.parent_id.as_deref(), Some("1111111111111111"));
    assert!(!child.orphan, "its parent is on another line");
    assert_eq!(p.traces[1].spans.len(), 1);

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("t.jsonl");
    let mut text = fixture("handmade/otlp-collector-file-exporter.jsonl");
    text.push_str("{\"resourceSpans\": [\n");
    std::fs::write(&bad, text).unwrap();
    Test::new()
        .args(&["traces", "show", "--file"])
        .arg(&bad)
        .run()
        .status(2)
        .stderr_has("line 4: not valid JSON");
}

#[test]
fn bom_gzip_stdin_and_data_wrapper_read() {
    let (p, _) = show_json("handmade/jaeger-bom.json");
    assert_eq!(p.one().spans[0].service, "web");

    let (p, _) = show_json("handmade/jaeger-data-trace.json");
    let t = p.one();
    assert_eq!(
        (t.spans.len(), t.spans[0].service.as_str()),
        (1, "order-worker")
    );

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(fixture("handmade/zipkin-v1.json").as_bytes())
        .unwrap();
    let gz = gz.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.json");
    std::fs::write(&path, &gz).unwrap();
    let from_file: ShowJson = Test::new()
        .args(&["traces", "show", "-o", "json", "--file"])
        .arg(&path)
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(from_file.one().spans.len(), 5);

    let from_stdin: ShowJson = Test::new()
        .args(&["traces", "show", "-o", "json", "--file", "-"])
        .stdin(gz)
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(from_stdin.one().spans.len(), 5);
    Test::new()
        .args(&["traces", "show", "--file", "-"])
        .stdin("[]")
        .run()
        .status(2)
        .stderr_has("stdin holds no spans");
}

#[test]
fn snake_case_otlp_reads_like_camel_case() {
    let (whole, _) = show_json("handmade/otlp-snake-case.json");
    let (spans_only, _) = show_json("handmade/otlp-snake-case-spans.json");
    for t in [whole.one(), spans_only.one()] {
        assert_eq!(t.trace_id, "7d3efb1f2c7b4e8c9a0b1c2d3e4f5061");
        let root = span(&t, "8a9b0c1d2e3f4051", false);
        let child = span(&t, "8a9b0c1d2e3f4052", false);
        assert_eq!(root.start_ns, 1_700_000_800_000_000_000);
        assert_eq!(
            (root.duration_ns, child.duration_ns),
            (20_000_000, 10_000_000)
        );
        assert_eq!(
            (root.kind.as_deref(), child.kind.as_deref()),
            (Some("server"), Some("client"))
        );
        assert!(root.error && !child.error);
        assert_eq!(child.parent_id.as_deref(), Some("8a9b0c1d2e3f4051"));
        assert_eq!(services(&t), BTreeSet::from(["inventory"]));
    }
}

#[test]
fn zipkin_v1_is_converted_as_zipkin_converts_it() {
    let (p, _) = show_json("handmade/zipkin-v1.json");
    let t = p.one();
    assert_eq!(
        t.spans.len(),
        5,
        "the shared RPC is split into its two halves"
    );
    let got = |id: &str, shared: bool| {
        let s = span(&t, id, shared);
        (
            s.service.as_str(),
            s.kind.as_deref(),
            timing(&t, s),
            s.error,
        )
    };
    assert_eq!(
        got("bd7a977555f6b982", false),
        ("frontend", Some("server"), (0, 386_000), false)
    );
    assert_eq!(
        got("be2d01e33cc78d97", false),
        ("frontend", Some("client"), (12_000, 365_000), false)
    );
    assert_eq!(
        got("be2d01e33cc78d97", true),
        ("backend", Some("server"), (18_000, 352_000), false)
    );
    assert_eq!(
        got("ebf33e1a81dc6f71", false),
        ("backend", Some("client"), (30_000, 250_000), true)
    );
    assert_eq!(
        got("9a1c3e5f7b9d0f21", false),
        ("backend", None, (300_000, 50_000), false)
    );

    let tree = Test::new()
        .args(&["traces", "show", "--file"])
        .arg(fixture_path("handmade/zipkin-v1.json"))
        .env("COLUMNS", "100")
        .run()
        .status(0)
        .stdout();
    assert!(!tree.contains("unknown"), "{tree}");

    let (p, _) = show_json("handmade/zipkin-v1-split-halves.json");
    let t = p.one();
    assert_eq!(
        t.spans.len(),
        3,
        "the halves sent apart are merged, then split again"
    );
    assert_eq!(
        got_of(&t, "352bff9a74ca9ad2", false),
        ("gateway", (10_000, 80_000))
    );
    assert_eq!(
        got_of(&t, "352bff9a74ca9ad2", true),
        ("orders", (20_000, 60_000))
    );
    assert_eq!(
        got_of(&t, "6b221d5bc9e6496c", false),
        ("gateway", (0, 100_000))
    );
}

fn got_of<'a>(t: &'a TraceJson, id: &str, shared: bool) -> (&'a str, (u64, u64)) {
    let s = span(t, id, shared);
    (s.service.as_str(), timing(t, s))
}

#[test]
fn jaeger_errors_are_reported_and_partial_data_drawn() {
    let (p, stderr) = show_json("handmade/jaeger-partial-errors.json");
    assert_eq!(
        p.errors,
        [super::ErrorJson {
            code: Some(500),
            message: "cassandra: query timed out reading span_index".into(),
            trace_id: Some("9f8e7d6c5b4a3921".into()),
        }]
    );
    assert_eq!(p.traces.len(), 1);
    assert_eq!(p.traces[0].spans.len(), 2);
    assert!(stderr.contains(
        "the backend reported an error: trace 9f8e7d6c5b4a3921: cassandra: query timed out reading span_index (code 500)"
    ), "{stderr}");
    Test::new()
        .args(&["traces", "show", "--file"])
        .arg(fixture_path("handmade/jaeger-partial-errors.json"))
        .env("COLUMNS", "100")
        .run()
        .status(0)
        .stdout_has("search-api")
        .stdout_has("indexer")
        .stderr_has("cassandra: query timed out");

    Test::new()
        .args(&["traces", "show", "--file"])
        .arg(fixture_path("handmade/jaeger-errors-only.json"))
        .run()
        .status(1)
        .stdout_empty()
        .stderr_has("holds no spans; the backend reported: trace 9f8e7d6c5b4a3921: storage backend unavailable")
        .stderr_lacks("(0)");
}

#[test]
fn jaeger_backend_errors_with_and_without_the_trace() {
    let missing = r#"{"data":[],"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found","traceID":"abcdef"}]}"#;
    let fake = Fake::new(&[("/api/traces/", 200, missing.to_string())]);
    msv(&fake, "jaeger")
        .args(&["traces", "show", "abcdef"])
        .run()
        .status(1)
        .stdout_empty()
        .stderr_has("trace abcdef not found in jaeger at ")
        .stderr_has("jaeger said: trace 0000000000abcdef: trace not found (code 404)");

    let partial = fixture("handmade/jaeger-partial-errors.json");
    let fake = Fake::new(&[("/api/traces/", 200, partial)]);
    let run = msv(&fake, "jaeger")
        .args(&["traces", "show", "2c4e6a8b0d1f3e5a", "-o", "json"])
        .run()
        .status(0)
        .stderr_has("the backend reported an error: trace 9f8e7d6c5b4a3921");
    let p: ShowJson = run.stdout_json();
    assert_eq!((p.traces.len(), p.errors.len()), (1, 1));
    assert_eq!(p.errors[0].code, Some(500));
}

/// A lone UTF-16 surrogate escape (a string cut in the middle of a character), which
/// JavaScript and Jaeger UI read, is read as the replacement character — in a plain file
/// and through gzip — while a valid pair stays the character it encodes.
#[test]
fn lone_surrogate_escapes_read_as_the_replacement_character() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart\ud800"}}]},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"GET \ud83d\ude00","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000001000000"}]}]}]}"#;
    let plain = dir.path().join("cut.json");
    std::fs::write(&plain, text).unwrap();
    let gz = dir.path().join("cut.json.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
    for file in [&plain, &gz] {
        let run = Test::new()
            .args(&["traces", "show", "-o", "json", "--file"])
            .arg(file)
            .run()
            .status(0);
        let shown: ShowJson = run.stdout_json();
        let t = &shown.traces[0];
        assert_eq!(t.spans[0].service, "cart\u{fffd}", "{file:?}");
        assert_eq!(t.spans[0].operation, "GET \u{1f600}", "{file:?}");
    }
}

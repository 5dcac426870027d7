//! The parsers and the waterfall against real backend payloads in
//! tests/fixtures/traces (see SOURCES.md there): counts, parents, durations and services
//! as the files hold them, and snapshots of the rendered waterfalls.

use super::detect::parse_traces as parse_any;
use super::model::Trace;
use super::waterfall::{Options, render};

fn load(rel: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/traces")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn one(rel: &str) -> Trace {
    let mut traces = parse_any(&load(rel)).unwrap_or_else(|e| panic!("{rel}: {e:#}"));
    assert_eq!(traces.len(), 1, "{rel}");
    traces.remove(0)
}

/// (file, spans, services, error spans, orphans, top-level rows, duration in ns)
const EXPECTED: &[(&str, usize, usize, usize, usize, usize, u64)] = &[
    (
        "jaeger/jaeger-query-self-trace_ui-trace.json",
        2,
        1,
        0,
        0,
        1,
        4_199_000,
    ),
    ("jaeger/otlp2jaeger-out.json", 2, 1, 0, 2, 2, 123_000),
    (
        "jaeger/petclinic_spanAmongEachOtherGroupedAndSpans.json",
        17,
        2,
        0,
        0,
        1,
        3_720_000,
    ),
    ("jaeger/ui_01.json", 5, 2, 1, 0, 2, 5_000),
    (
        "otlp/hotrod-dispatch-40spans_n_plus_one_full_concurrent.json",
        40,
        6,
        3,
        0,
        1,
        693_999_329,
    ),
    (
        "otlp/jaeger-apiv3-getTrace-response_hotrod.json",
        40,
        6,
        3,
        0,
        1,
        702_608_277,
    ),
    (
        "otlp/otel-proto-example-trace.json",
        1,
        1,
        0,
        1,
        1,
        1_000_000_000,
    ),
    (
        "otlp/oteldemo-checkout-error_timeout_masked.json",
        26,
        5,
        1,
        0,
        1,
        15_080_701_963,
    ),
    ("otlp/otlp2jaeger-in.json", 2, 1, 0, 2, 2, 123_000),
    (
        "tempo/trace-by-id_bookinfo_responseTrace.json",
        8,
        5,
        0,
        0,
        1,
        11_932_000,
    ),
    ("zipkin/envoy.json", 1, 1, 0, 0, 1, 127_115_000),
    ("zipkin/messaging-kafka.json", 28, 2, 3, 0, 1, 649_065_000),
    ("zipkin/messaging2.json", 11, 4, 0, 6, 7, 3_501_696_000),
    ("zipkin/skew.json", 4, 2, 0, 0, 1, 161_718_000),
    (
        "zipkin/smartthings-oauth-authorization.json",
        175,
        8,
        2,
        0,
        1,
        100_348_445_000,
    ),
    ("zipkin/yelp.json", 16, 6, 0, 0, 1, 131_848_000),
];

#[test]
fn parsed_models_hold_what_the_files_hold() {
    for &(file, spans, services, errors, orphans, roots, duration) in EXPECTED {
        let t = one(file);
        let got = (
            t.spans.len(),
            t.services().len(),
            t.error_count(),
            t.spans.iter().filter(|s| s.orphan).count(),
        );
        assert_eq!(
            got,
            (spans, services, errors, orphans),
            "{file}: spans, services, errors, orphans"
        );
        assert_eq!(t.roots().len(), roots, "{file}: top-level rows");
        assert_eq!(t.duration_ns(), duration, "{file}: duration");
    }
}

#[test]
fn jaeger_v1_ids_units_and_parents() {
    let t = one("jaeger/jaeger-query-self-trace_ui-trace.json");
    assert_eq!(t.trace_id, "2db17286b3e6b148");
    let child = &t.spans[1];
    assert_eq!(child.span_id, "0ec2b4e0bcea566d", "leading zero restored");
    assert_eq!(child.parent_id.as_deref(), Some("2db17286b3e6b148"));
    assert_eq!(child.parent_index, Some(0));
    assert_eq!(
        (child.start_ns, child.duration_ns),
        (1_571_326_774_777_428_000, 3_873_000)
    );
    assert_eq!(child.service, "jaeger-query");
}

#[test]
fn jaeger_v1_and_its_otlp_source_agree() {
    let (a, b) = (
        one("jaeger/otlp2jaeger-out.json"),
        one("otlp/otlp2jaeger-in.json"),
    );
    assert_eq!(a.trace_id, b.trace_id);
    for (x, y) in a.spans.iter().zip(&b.spans) {
        assert_eq!(
            (&x.span_id, &x.parent_id, x.start_ns, x.duration_ns),
            (&y.span_id, &y.parent_id, y.start_ns, y.duration_ns)
        );
        assert_eq!(
            (&x.service, &x.operation, x.orphan),
            (&y.service, &y.operation, y.orphan)
        );
    }
}

#[test]
fn tempo_base64_ids_become_hex_and_link_up() {
    let t = one("tempo/trace-by-id_bookinfo_responseTrace.json");
    assert_eq!(t.trace_id, "3ba55609c3cde49649cd77d1f9dcd936");
    let root = t.root_span().unwrap();
    assert_eq!(root.service, "istio-ingressgateway.istio-system");
    assert_eq!(root.kind.as_deref(), Some("client"));
    assert!(
        t.spans.iter().skip(1).all(|s| s.parent_index.is_some()),
        "every other span finds its parent"
    );
}

#[test]
fn zipkin_shared_span_and_clock_skew() {
    let t = one("zipkin/skew.json");
    let server = t.spans.iter().find(|s| s.shared).unwrap();
    let client = &t.spans[server.parent_index.unwrap()];
    assert_eq!(
        (client.span_id.as_str(), client.kind.as_deref()),
        ("74280ae0c10d8062", Some("client"))
    );
    assert!(
        server.skew,
        "the server half starts ~65ms before the client half"
    );
    assert_eq!(client.start_ns - server.start_ns, 65_441_000);
}

#[test]
fn zipkin_without_timestamps_keeps_every_span_in_the_trace_window() {
    let t = one("zipkin/smartthings-mobile-web-install.json");
    assert_eq!(
        (t.spans.len(), t.services().len(), t.error_count()),
        (1041, 16, 2)
    );
    assert!(
        t.warnings
            .iter()
            .any(|w| w.starts_with("84 spans had no start time")),
        "{:?}",
        t.warnings
    );
    assert!(
        t.duration_ns() < 3_600_000_000_000,
        "not stretched back to 1970: {}",
        t.duration_ns()
    );
    let out = render(
        &t,
        &Options {
            width: 120,
            color: false,
        },
    );
    assert_eq!(out.lines().count(), 1041 + 4);
}

#[test]
fn otlp_events_and_status() {
    let t = one("otlp/hotrod-dispatch-40spans_n_plus_one_full_concurrent.json");
    let customer = t
        .spans
        .iter()
        .find(|s| s.span_id == "1a6b421c38807f84")
        .unwrap();
    assert_eq!(
        (customer.service.as_str(), customer.operation.as_str()),
        ("customer", "GET /customer")
    );
    assert_eq!(customer.events[0].name, "HTTP request received");
    assert_eq!(customer.events[0].time_ns, 1_787_132_404_505_270_920);
    assert!(
        t.spans
            .iter()
            .filter(|s| s.error)
            .all(|s| !s.service.is_empty())
    );
    let upper = one("otlp/otel-proto-example-trace.json");
    assert_eq!(upper.spans[0].span_id, "eee19b7ec3c1b174");
    assert_eq!(upper.spans[0].start_ns, 1_544_712_660_000_000_000);
}

#[test]
fn waterfalls() {
    for &(file, ..) in EXPECTED {
        let out = render(
            &one(file),
            &Options {
                width: 100,
                color: false,
            },
        );
        for line in out.lines() {
            assert!(
                unicode_width::UnicodeWidthStr::width(line) <= 100,
                "{file}: {line}"
            );
        }
        let name = file.trim_end_matches(".json").replace('/', "__");
        insta::assert_snapshot!(name, out);
    }
}

//! Placing formats from outlines, and the one-pass and two-pass readers agreeing.

use super::*;

fn f(s: &str) -> Result<Format, String> {
    place(&serde_json::from_str(s).unwrap())
}

#[test]
fn objects_are_placed_by_their_keys() {
    assert_eq!(f(r#"{"data":[]}"#), Ok(Format::JaegerEnvelope));
    assert_eq!(
        f(r#"{"data":null,"errors":[{"code":404}]}"#),
        Ok(Format::JaegerEnvelope)
    );
    assert_eq!(f(r#"{"errors":[{"msg":"x"}]}"#), Ok(Format::JaegerEnvelope));
    assert_eq!(f(r#"{"traceID":"1","spans":[]}"#), Ok(Format::JaegerTrace));
    assert_eq!(
        f(r#"{"data":{"traceID":"1","spans":[]}}"#),
        Ok(Format::JaegerDataTrace)
    );
    assert_eq!(f(r#"{"result":{}}"#), Ok(Format::Otlp));
    assert_eq!(f(r#"{"result":{"resourceSpans":[]}}"#), Ok(Format::Otlp));
    assert_eq!(f(r#"{"trace":{"batches":[]}}"#), Ok(Format::Otlp));
    assert_eq!(f(r#"{"batches":[]}"#), Ok(Format::Otlp));
    assert_eq!(f(r#"{"resource_spans":[]}"#), Ok(Format::Otlp));
    assert_eq!(f(r#"{"traces":[]}"#), Ok(Format::TempoSearch));
    assert!(f(r#"{"x":1}"#).unwrap_err().contains(r#"keys "x""#));
    assert!(
        f(r#"{"data":[{"a":1}]}"#)
            .unwrap_err()
            .contains("not Jaeger traces")
    );
    assert!(
        f(r#"{"result":[1]}"#)
            .unwrap_err()
            .contains("not OTLP trace data")
    );
    assert!(f("3").is_err());
}

#[test]
fn lists_are_placed_by_their_first_element() {
    assert_eq!(f("[]"), Ok(Format::Empty));
    assert_eq!(f("[[],[]]"), Ok(Format::Empty));
    assert_eq!(
        f(r#"[{"traceId":"1","id":"2","localEndpoint":{}}]"#),
        Ok(Format::ZipkinV2 { nested: false })
    );
    assert_eq!(
        f(r#"[[],[{"traceId":"1","id":"2","kind":"CLIENT"}]]"#),
        Ok(Format::ZipkinV2 { nested: true })
    );
    assert_eq!(
        f(r#"[{"traceId":"1","id":"2","annotations":[{"value":"cs","endpoint":{}}]}]"#),
        Ok(Format::ZipkinV1 { nested: false })
    );
    assert_eq!(
        f(r#"[[{"traceId":"1","id":"2","binaryAnnotations":[]}]]"#),
        Ok(Format::ZipkinV1 { nested: true })
    );
    assert_eq!(
        f(r#"[{"traceID":"1","spans":[],"processes":{}}]"#),
        Ok(Format::JaegerTraceList)
    );
    assert_eq!(
        f(r#"[{"traceID":"1","spanID":"2","operationName":"x"}]"#),
        Ok(Format::JaegerSpanList)
    );
    assert_eq!(f(r#"[{"resourceSpans":[]}]"#), Ok(Format::OtlpDocList));
    assert_eq!(
        f(r#"[{"resource":{},"scopeSpans":[]}]"#),
        Ok(Format::OtlpResourceList)
    );
}

#[test]
fn lists_that_fit_nothing_say_what_they_hold() {
    let e = f(r#"[{"traceId":"1","name":"x","localEndpoint":{}}]"#).unwrap_err();
    assert!(e.contains("need both \"traceId\" and \"id\""), "{e}");
    let e = f(r#"[{"traceId":"AQ==","spanId":"Ag==","operationName":"x"}]"#).unwrap_err();
    assert!(e.contains("internal model"), "{e}");
    let e = f(r#"[{"traceId":"1","spanId":"2","startTimeUnixNano":"1"}]"#).unwrap_err();
    assert!(e.contains("bare OTLP spans"), "{e}");
    let e = f(r#"[[{"spanID":"1"}]]"#).unwrap_err();
    assert!(e.contains("list of lists"), "{e}");
    assert!(
        f("[1,2]")
            .unwrap_err()
            .contains("a string, number or boolean")
    );
}

#[test]
fn one_pass_reads_what_two_passes_read() {
    let otlp = |id: &str| {
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{id}","spanId":"1"}}]}}]}}]}}"#
        )
    };
    let zipkin = r#"[{"traceId":"a","id":"2","localEndpoint":{"serviceName":"s"}}]"#;
    let lines = format!("{}\n{}\n\n{}\n", otlp("a"), otlp("b"), otlp("a"));
    let mixed = format!("{zipkin}\n{}", otlp("a"));
    let wrapped = format!(r#"{{"result":{}}}"#, otlp("c"));
    for input in [otlp("a"), lines, mixed, wrapped, zipkin.to_string()] {
        let src = Source::Bytes(input.as_bytes());
        let one = one_pass(&src).unwrap_or_else(|| panic!("not in one pass: {input}"));
        let two = two_passes(&src).unwrap();
        assert_eq!(
            serde_json::to_value(&one).unwrap(),
            serde_json::to_value(&two).unwrap(),
            "{input}"
        );
    }
    // A later document not placed by its first key, and errors, take two passes.
    let jaeger = r#"{"data":[{"traceID":"a","spans":[],"processes":{}}]}"#;
    for input in [
        format!("{}\n{jaeger}", otlp("a")),
        format!("{}\n{{", otlp("a")),
    ] {
        assert!(
            one_pass(&Source::Bytes(input.as_bytes())).is_none(),
            "{input}"
        );
    }
    let err = parse_any(format!("{}\n{{", otlp("a")).as_bytes()).unwrap_err();
    assert!(
        format!("{err:#}").starts_with("line 2: not valid JSON"),
        "{err:#}"
    );
}

#[test]
fn truncated_json_says_where() {
    let err = parse_any(br#"{"data":[{"traceID":"1","spans":[{"#).unwrap_err();
    assert!(format!("{err:#}").contains("EOF while parsing"), "{err:#}");
}

//! Which format a saved trace is in, from its content alone (`msv traces show --file`):
//! the top-level JSON shape differs between every format we read.

use anyhow::{Context, Result};

use super::model::Trace;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Jaeger query API v1 JSON (envelope or one trace object).
    JaegerV1,
    /// OTLP/JSON, bare or wrapped (Jaeger v3 `result`, Tempo `batches` / `trace`).
    Otlp,
    /// Zipkin v2 list of spans (or list of lists).
    Zipkin,
    /// Tempo search results: summaries, not a trace.
    TempoSearch,
}

/// Looks at the top-level keys only; the parser then reports anything wrong inside.
pub fn detect(value: &serde_json::Value) -> Option<Format> {
    use serde_json::Value;
    match value {
        Value::Array(_) => Some(Format::Zipkin),
        Value::Object(map) => {
            let has = |k: &str| map.contains_key(k);
            if has("resourceSpans") || has("batches") || has("result") || has("trace") {
                Some(Format::Otlp)
            } else if has("data") || (has("spans") && (has("traceID") || has("processes"))) {
                Some(Format::JaegerV1)
            } else if has("traces") {
                Some(Format::TempoSearch)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Detects the format and parses. A search result or an unknown shape is an error that
/// says what was expected.
pub fn parse_any(bytes: &[u8]) -> Result<Vec<Trace>> {
    let value: serde_json::Value = serde_json::from_slice(bytes).context("not valid JSON")?;
    match detect(&value) {
        Some(Format::JaegerV1) => super::jaeger::parse_v1(bytes),
        Some(Format::Otlp) => super::otlp::parse(bytes),
        Some(Format::Zipkin) => super::zipkin::parse(bytes),
        Some(Format::TempoSearch) => anyhow::bail!(
            "this is a Tempo search result (trace summaries, no spans); fetch one trace with `msv traces show TRACE_ID`"
        ),
        None => anyhow::bail!(
            "not a trace format msv knows: expected Jaeger JSON (\"data\" or \"spans\"), OTLP/JSON (\"resourceSpans\", \"batches\", \"result\") or a Zipkin v2 span list"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_told_apart() {
        let f = |s: &str| detect(&serde_json::from_str(s).unwrap());
        assert_eq!(f(r#"[]"#), Some(Format::Zipkin));
        assert_eq!(f(r#"{"data":[]}"#), Some(Format::JaegerV1));
        assert_eq!(f(r#"{"traceID":"1","spans":[]}"#), Some(Format::JaegerV1));
        assert_eq!(f(r#"{"result":{}}"#), Some(Format::Otlp));
        assert_eq!(f(r#"{"batches":[]}"#), Some(Format::Otlp));
        assert_eq!(f(r#"{"traces":[]}"#), Some(Format::TempoSearch));
        assert_eq!(f(r#"{"x":1}"#), None);
        assert_eq!(f(r#"3"#), None);
    }

    #[test]
    fn truncated_json_says_where() {
        let err = parse_any(br#"{"data":[{"traceID":"1","spans":[{"#).unwrap_err();
        assert!(format!("{err:#}").contains("EOF while parsing"), "{err:#}");
    }
}

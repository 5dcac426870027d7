//! Grafana Tempo's HTTP API: trace by id (`/api/traces/{id}`, OTLP/JSON under `batches`
//! with base64 ids; `/api/v2/traces/{id}` under `trace`) and search (`/api/search`,
//! summaries with `rootServiceName`, `durationMs`, `spanSet(s)`, `serviceStats`).

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use serde::Deserialize;

use super::de;
use super::model::{Trace, normalize_id};
use super::summary::TraceSummary;

/// A trace by id, in either API version: OTLP/JSON underneath.
pub fn parse_trace(bytes: &[u8]) -> Result<Vec<Trace>> {
    super::otlp::parse(bytes)
}

#[derive(Deserialize)]
struct Search {
    #[serde(default)]
    traces: Option<Vec<Found>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Found {
    #[serde(rename = "traceID", default, deserialize_with = "de::string")]
    trace_id: String,
    #[serde(default, deserialize_with = "de::string")]
    root_service_name: String,
    #[serde(default, deserialize_with = "de::string")]
    root_trace_name: String,
    #[serde(default, deserialize_with = "de::opt_u64")]
    start_time_unix_nano: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    duration_ms: Option<u64>,
    #[serde(default)]
    span_set: Option<SpanSet>,
    #[serde(default)]
    span_sets: Option<Vec<SpanSet>>,
    #[serde(default)]
    service_stats: Option<std::collections::BTreeMap<String, ServiceStats>>,
}

#[derive(Deserialize)]
struct SpanSet {
    #[serde(default)]
    spans: Option<Vec<FoundSpan>>,
}

#[derive(Deserialize)]
struct FoundSpan {
    #[serde(default)]
    attributes: Option<Vec<super::otlp::OtlpKv>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceStats {
    #[serde(default, deserialize_with = "de::opt_u64")]
    span_count: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    error_count: Option<u64>,
}

/// Parses a search response into summaries (Tempo does not return whole traces here).
pub fn parse_search(bytes: &[u8]) -> Result<Vec<TraceSummary>> {
    let search: Search = serde_json::from_slice(bytes).context("not a Tempo search response")?;
    Ok(search
        .traces
        .unwrap_or_default()
        .into_iter()
        .map(summarize)
        .collect())
}

fn summarize(f: Found) -> TraceSummary {
    let stats = f.service_stats.unwrap_or_default();
    let matched = f
        .span_set
        .into_iter()
        .chain(f.span_sets.unwrap_or_default());
    let mut services: BTreeSet<String> = stats.keys().cloned().collect();
    let mut error = stats.values().any(|s| s.error_count.unwrap_or(0) > 0);
    for set in matched {
        for span in set.spans.unwrap_or_default() {
            for kv in super::otlp::kvs(span.attributes.unwrap_or_default()) {
                match (&*kv.key, kv.value.as_str()) {
                    ("service.name", Some(s)) => {
                        services.insert(s.to_string());
                    }
                    ("status", Some("error")) => error = true,
                    _ => {}
                }
            }
        }
    }
    if !f.root_service_name.is_empty() {
        services.insert(f.root_service_name.clone());
    }
    let span_count = (!stats.is_empty()).then(|| {
        stats
            .values()
            .map(|s| s.span_count.unwrap_or(0) as usize)
            .sum()
    });
    TraceSummary {
        trace_id: normalize_id(&f.trace_id),
        start_ns: f.start_time_unix_nano.unwrap_or(0),
        duration_ns: f.duration_ms.unwrap_or(0).saturating_mul(1_000_000),
        root_service: f.root_service_name,
        root_operation: f.root_trace_name,
        span_count,
        services: services.into_iter().collect(),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_status_in_a_matched_span_marks_the_trace() {
        let body = br#"{"traces":[{"traceID":"abc","durationMs":3,"spanSet":{"spans":[
            {"attributes":[{"key":"status","value":{"stringValue":"error"}}]}]}}]}"#;
        let s = &parse_search(body).unwrap()[0];
        assert!(s.error);
        assert_eq!(s.duration_ns, 3_000_000);
        assert_eq!(s.span_count, None);
        assert_eq!(s.trace_id, "0000000000000abc");
    }
}

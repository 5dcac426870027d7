//! One line per trace for `msv traces list`: what every backend's search can tell —
//! start, root service and operation, duration, span count, services, errors.
//! Jaeger and Zipkin searches return whole traces, summarized here; Tempo's search
//! returns summaries of its own (see [`super::tempo`]).

use serde::Serialize;

use super::model::Trace;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceSummary {
    pub trace_id: String,
    pub start_ns: u64,
    pub duration_ns: u64,
    pub root_service: String,
    pub root_operation: String,
    /// None when the backend does not say (Tempo without `serviceStats`).
    pub span_count: Option<usize>,
    pub services: Vec<String>,
    pub error: bool,
}

impl TraceSummary {
    pub fn of(t: &Trace) -> TraceSummary {
        let root = t.root_span();
        TraceSummary {
            trace_id: t.trace_id.clone(),
            start_ns: t.start_ns(),
            duration_ns: t.duration_ns(),
            root_service: root.map(|s| s.service.clone()).unwrap_or_default(),
            root_operation: root.map(|s| s.operation.clone()).unwrap_or_default(),
            span_count: Some(t.spans.len()),
            services: t.services(),
            error: t.error_count() > 0,
        }
    }
}

/// Newest first, as every backend's UI lists them.
pub(crate) fn sort_newest_first(list: &mut [TraceSummary]) {
    list.sort_by(|a, b| {
        b.start_ns
            .cmp(&a.start_ns)
            .then_with(|| a.trace_id.cmp(&b.trace_id))
    });
}

/// A duration with three significant digits in the largest unit that keeps it >= 1.
pub fn format_duration(ns: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "µs")];
    if ns >= 60_000_000_000 {
        let secs = ns / 1_000_000_000;
        return if secs >= 3600 {
            format!("{}h{:02}m", secs / 3600, secs % 3600 / 60)
        } else {
            format!("{}m{:02}s", secs / 60, secs % 60)
        };
    }
    for (scale, unit) in UNITS {
        if ns >= scale {
            let v = ns as f64 / scale as f64;
            let decimals = if v >= 100.0 {
                0
            } else if v >= 10.0 {
                1
            } else {
                2
            };
            return format!("{v:.decimals$}{unit}");
        }
    }
    format!("{ns}ns")
}

/// Start time as RFC 3339 in UTC with milliseconds.
pub fn format_start(ns: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns);
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(0), "0ns");
        assert_eq!(format_duration(999), "999ns");
        assert_eq!(format_duration(4_199_000), "4.20ms");
        assert_eq!(format_duration(93_577_000), "93.6ms");
        assert_eq!(format_duration(123_456_789), "123ms");
        assert_eq!(format_duration(15_000_000_000), "15.0s");
        assert_eq!(format_duration(125_000_000_000), "2m05s");
        assert_eq!(format_duration(u64::MAX), "5124095h34m");
    }

    #[test]
    fn start_is_utc() {
        assert_eq!(
            format_start(1_571_326_774_777_373_000),
            "2019-10-17T15:39:34.777Z"
        );
    }
}

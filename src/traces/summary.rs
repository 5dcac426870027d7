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

/// A duration in one style, as Go's `time.Duration` prints it but to three significant
/// digits: `850ns`, `4.2ms`, `10ms`, `93.6ms`, `15s`, `2m5s`, `1h0m`. Rounding carries into
/// the next unit (`999.9µs` is `1ms`, `59.99s` is `1m0s`), so no value prints as `1000µs`.
pub fn format_duration(ns: u64) -> String {
    const UNITS: [(u128, &str); 3] = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "µs")];
    let ns = u128::from(ns);
    if ns < 1_000 {
        return format!("{ns}ns");
    }
    let digits = ns.ilog10() + 1;
    let step = 10u128.pow(digits.saturating_sub(3));
    let rounded = (ns + step / 2) / step * step;
    if rounded >= 60_000_000_000 {
        let secs = (ns + 500_000_000) / 1_000_000_000;
        return match secs >= 3600 {
            true => {
                let mins = (secs + 30) / 60;
                format!("{}h{}m", mins / 60, mins % 60)
            }
            false => format!("{}m{}s", secs / 60, secs % 60),
        };
    }
    let (scale, unit) = UNITS
        .into_iter()
        .find(|(scale, _)| rounded >= *scale)
        .unwrap_or((1, "ns"));
    // Three significant digits of the rounded value, trailing zeros dropped.
    let whole = rounded / scale;
    let decimals = 3usize.saturating_sub(whole.to_string().len());
    let text = format!("{:.decimals$}", rounded as f64 / scale as f64);
    let text = match text.contains('.') {
        true => text.trim_end_matches('0').trim_end_matches('.').to_string(),
        false => text,
    };
    format!("{text}{unit}")
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
    fn durations_read_naturally_in_one_style() {
        for (ns, text) in [
            (0, "0ns"),
            (999, "999ns"),
            (1_000, "1µs"),
            (1_234, "1.23µs"),
            (4_199_000, "4.2ms"),
            (10_000_000, "10ms"),
            (93_577_000, "93.6ms"),
            (123_456_789, "123ms"),
            (15_000_000_000, "15s"),
            (125_000_000_000, "2m5s"),
            (3_600_000_000_000, "1h0m"),
            (u64::MAX, "5124095h35m"),
        ] {
            assert_eq!(format_duration(ns), text, "{ns}");
        }
    }

    #[test]
    fn rounding_carries_into_the_next_unit() {
        assert_eq!(format_duration(999_999), "1ms");
        assert_eq!(format_duration(999_499), "999µs");
        assert_eq!(format_duration(59_999_000_000), "1m0s");
        assert_eq!(format_duration(3_599_600_000_000), "1h0m");
        assert_eq!(format_duration(9_995_000), "10ms");
        assert_eq!(format_duration(99_950_000), "100ms");
    }

    #[test]
    fn start_is_utc() {
        assert_eq!(
            format_start(1_571_326_774_777_373_000),
            "2019-10-17T15:39:34.777Z"
        );
    }
}

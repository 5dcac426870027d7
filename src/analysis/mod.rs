//! Judging a release by what its users get: the services' own `/metrics` (request counts
//! by status and a latency histogram), scraped from each pod through the API server's
//! pod proxy, compared between the color that was live (the baseline, before the switch)
//! and the candidate (in the verify window), against limits the user sets. Nothing runs
//! in the cluster: no Prometheus, no controller.
//!
//! `prom` reads the text format, `window` turns scrapes into what a color did in a span
//! of time, `judge` decides, `scrape` reads a color's pods.

mod judge;
pub mod prom;
pub mod promql;
mod scrape;
pub mod traces;
mod window;

use std::time::Duration;

use serde::Serialize;

pub use judge::{Inconclusive, Judgement, Limits, Measure, Tally, Traced, Verdict, judge};
pub use scrape::scrape;
pub use window::{Counts, Names, Scrape, Window, quantile};

/// The analysis a deploy runs (`[deploy.analysis]` with at least one limit set).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gates {
    pub limits: Limits,
    pub names: Names,
    /// How often the candidate is scraped and judged in the verify window.
    pub interval: Duration,
    /// Where the pods serve their metrics, on the service's port.
    pub metrics_path: String,
    /// The trace backend searched for the trace-error gate (None: no backend configured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traces: Option<crate::traces::connect::Source>,
    /// A Prometheus to ask instead of scraping the pods (`prometheus_url`/`_service`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<crate::traces::connect::Reach>,
}

impl Gates {
    /// The gates in force, as `--dry-run` shows them.
    pub fn describe(&self) -> String {
        let l = &self.limits;
        let mut gates = vec![];
        if let Some(r) = l.max_error_ratio {
            gates.push(format!("error ratio <= {}%", r * 100.0));
        }
        if let Some(p) = l.max_p99 {
            gates.push(format!("p99 <= {p:?}"));
        }
        if let Some(r) = l.max_p99_ratio {
            gates.push(format!("p99 <= {r}x the live color's"));
        }
        if let Some(r) = l.max_error_traces_ratio {
            let at = self
                .traces
                .as_ref()
                .map_or("no trace backend".to_string(), |t| t.describe());
            gates.push(format!(
                "error traces <= {}% (from {at}, at least {} traces)",
                r * 100.0,
                l.min_traces
            ));
        }
        let inconclusive = match l.inconclusive {
            Inconclusive::Pass => "pass",
            Inconclusive::Fail => "fail",
        };
        let from = match &self.prometheus {
            Some(crate::traces::connect::Reach::Url(url)) => format!("Prometheus at {url}"),
            Some(crate::traces::connect::Reach::Service(s)) => format!("Prometheus at service {s}"),
            None => format!("the pods' {}", self.metrics_path),
        };
        format!(
            "{}, from {from} every {:?} in the verify window, at least {} requests (else {inconclusive})",
            gates.join(", "),
            self.interval,
            l.min_requests
        )
    }
}

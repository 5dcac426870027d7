//! The gates: from what the baseline (the live color before the switch) and the candidate
//! (after it) did, each measure against its limit, and one verdict. A pure function, so
//! every rule is a unit test.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::window::Counts;

/// The limits in force (`[deploy.analysis]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limits {
    /// Largest share of 5xx answers.
    pub max_error_ratio: Option<f64>,
    /// Largest 99th-percentile latency.
    pub max_p99: Option<Duration>,
    /// Largest candidate p99 over baseline p99.
    pub max_p99_ratio: Option<f64>,
    /// Fewer requests than this decide nothing.
    pub min_requests: u64,
    /// What a window that stayed inconclusive counts as.
    pub inconclusive: Inconclusive,
    /// Largest share of the candidate's traces with an error span (needs a trace backend).
    pub max_error_traces_ratio: Option<f64>,
    /// Fewer traces than this decide nothing.
    pub min_traces: u64,
}

impl Limits {
    /// Whether any gate is set (analysis runs only then).
    pub fn any(&self) -> bool {
        self.metrics() || self.max_error_traces_ratio.is_some()
    }

    /// Whether a gate reads the pods' metrics (else only traces are searched).
    pub fn metrics(&self) -> bool {
        self.max_error_ratio.is_some() || self.max_p99.is_some() || self.max_p99_ratio.is_some()
    }
}

/// A color's traces in a window, as the trace backend found them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub traces: u64,
    /// Traces with at least one error span.
    pub errors: u64,
}

impl Tally {
    pub fn ratio(&self) -> Option<f64> {
        (self.traces > 0).then(|| self.errors as f64 / self.traces as f64)
    }
}

/// The traces of both colors, when the trace gate is on. `candidate` is None when the
/// backend could not be asked (the caller says why).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Traced {
    pub baseline: Option<Tally>,
    pub candidate: Option<Tally>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Inconclusive {
    Pass,
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    /// Not enough requests (or no baseline) to decide yet.
    Inconclusive,
}

/// One row of the result: a measure of both colors against its limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    pub measure: String,
    pub baseline: Option<f64>,
    pub candidate: Option<f64>,
    pub limit: f64,
    /// None: it could not be measured (too few requests, no histogram, no baseline).
    pub passed: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    pub verdict: Verdict,
    pub requests: u64,
    pub baseline_requests: Option<u64>,
    pub measures: Vec<Measure>,
    /// Why the verdict is inconclusive, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// The traces counted, when the trace gate is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traces: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_traces: Option<u64>,
}

/// Judges the candidate's window against the limits. Nothing fails below `min_requests`
/// (one error among three requests says little); a ratio to the baseline needs a baseline
/// with `min_requests` too. The trace gate counts traces, not requests: below
/// `min_traces` it decides nothing.
pub fn judge(
    limits: &Limits,
    baseline: Option<&Counts>,
    candidate: &Counts,
    traced: &Traced,
) -> Judgement {
    let enough = |c: &Counts| c.requests >= limits.min_requests as f64;
    let measurable = enough(candidate);
    let base_ok = baseline.filter(|b| enough(b));
    let mut measures = vec![];
    let mut why = vec![];
    if !measurable && limits.metrics() {
        why.push(format!(
            "the candidate served {} requests, fewer than min_requests = {}",
            candidate.requests as u64, limits.min_requests
        ));
    }
    let p99 = |c: &Counts| c.quantile(0.99);
    if let Some(limit) = limits.max_error_ratio {
        let value = candidate.error_ratio();
        measures.push(Measure {
            measure: "error ratio".into(),
            baseline: baseline.and_then(Counts::error_ratio),
            candidate: value,
            limit,
            passed: value.filter(|_| measurable).map(|v| v <= limit),
        });
    }
    if let Some(limit) = limits.max_p99 {
        let value = p99(candidate);
        if measurable && value.is_none() {
            why.push("the candidate serves no latency histogram".to_string());
        }
        measures.push(Measure {
            measure: "p99 latency".into(),
            baseline: baseline.and_then(p99),
            candidate: value,
            limit: limit.as_secs_f64(),
            passed: value
                .filter(|_| measurable)
                .map(|v| v <= limit.as_secs_f64()),
        });
    }
    if let Some(limit) = limits.max_p99_ratio {
        let base = base_ok.and_then(p99);
        if base_ok.is_none() {
            why.push(match baseline {
                None => "there is no baseline (nothing was live before)".to_string(),
                Some(b) => format!(
                    "the baseline served {} requests, fewer than min_requests = {}",
                    b.requests as u64, limits.min_requests
                ),
            });
        }
        let value = match (p99(candidate), base) {
            (Some(c), Some(b)) if b > 0.0 => Some(c / b),
            _ => None,
        };
        measures.push(Measure {
            measure: "p99 ratio".into(),
            baseline: base.map(|_| 1.0),
            candidate: value,
            limit,
            passed: value.filter(|_| measurable).map(|v| v <= limit),
        });
    }
    if let Some(limit) = limits.max_error_traces_ratio {
        let enough = traced
            .candidate
            .filter(|t| t.traces >= limits.min_traces.max(1));
        match traced.candidate {
            None => why.push("the trace backend could not be searched".to_string()),
            Some(t) if enough.is_none() => why.push(format!(
                "the trace backend holds {} traces of the candidate, fewer than min_traces = {}",
                t.traces, limits.min_traces
            )),
            Some(_) => {}
        }
        let value = enough.and_then(|t| t.ratio());
        measures.push(Measure {
            measure: "error traces".into(),
            baseline: traced.baseline.and_then(|t| t.ratio()),
            candidate: value,
            limit,
            passed: value.map(|v| v <= limit),
        });
    }
    let verdict = if measures.iter().any(|m| m.passed == Some(false)) {
        Verdict::Fail
    } else if measures.iter().all(|m| m.passed == Some(true)) {
        Verdict::Pass
    } else {
        Verdict::Inconclusive
    };
    Judgement {
        verdict,
        requests: candidate.requests as u64,
        baseline_requests: baseline.map(|b| b.requests as u64),
        measures,
        why: (verdict == Verdict::Inconclusive && !why.is_empty()).then(|| why.join("; ")),
        traces: limits
            .max_error_traces_ratio
            .and(traced.candidate)
            .map(|t| t.traces),
        baseline_traces: limits
            .max_error_traces_ratio
            .and(traced.baseline)
            .map(|t| t.traces),
    }
}

impl Judgement {
    /// One line for a rollout that passed: the verdict and each measure of the candidate.
    pub fn line(&self) -> String {
        let measures: Vec<String> = self
            .measures
            .iter()
            .map(|m| match m.candidate {
                Some(v) => format!("{} {}", m.measure, value(&m.measure, v)),
                None => format!("{} -", m.measure),
            })
            .collect();
        let verdict = match self.verdict {
            Verdict::Pass => "passed",
            Verdict::Fail => "failed",
            Verdict::Inconclusive => "inconclusive",
        };
        let mut over = vec![];
        if self.reads_metrics() {
            over.push(format!("{} requests", self.requests));
        }
        if let Some(t) = self.traces {
            over.push(format!("{t} traces"));
        }
        format!(
            "analysis {verdict}: {} over {}",
            measures.join(", "),
            over.join(" and ")
        )
    }

    /// Whether a measure came from the metrics (not only from traces).
    fn reads_metrics(&self) -> bool {
        self.measures.iter().any(|m| m.measure != "error traces")
    }

    /// The table printed when a gate decides: each measure, baseline, candidate, limit.
    pub fn table(&self) -> String {
        let mut rows = vec![[
            "measure".to_string(),
            "baseline".to_string(),
            "candidate".to_string(),
            "limit".to_string(),
            String::new(),
        ]];
        for m in &self.measures {
            let show = |v: Option<f64>| v.map_or("-".to_string(), |v| value(&m.measure, v));
            rows.push([
                m.measure.clone(),
                show(m.baseline),
                show(m.candidate),
                format!("<= {}", value(&m.measure, m.limit)),
                match m.passed {
                    Some(true) => "ok",
                    Some(false) => "FAILED",
                    None => "not measured",
                }
                .to_string(),
            ]);
        }
        if self.reads_metrics() {
            rows.push([
                "requests".to_string(),
                self.baseline_requests
                    .map_or("-".to_string(), |n| n.to_string()),
                self.requests.to_string(),
                String::new(),
                String::new(),
            ]);
        }
        if self.traces.is_some() || self.baseline_traces.is_some() {
            let n = |v: Option<u64>| v.map_or("-".to_string(), |n| n.to_string());
            rows.push([
                "traces".to_string(),
                n(self.baseline_traces),
                n(self.traces),
                String::new(),
                String::new(),
            ]);
        }
        let widths: Vec<usize> = (0..5)
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        rows.iter()
            .map(|r| {
                let line: Vec<String> = r
                    .iter()
                    .zip(&widths)
                    .map(|(cell, w)| format!("{cell:<w$}"))
                    .collect();
                format!("  {}\n", line.join("  ").trim_end())
            })
            .collect()
    }
}

fn value(measure: &str, v: f64) -> String {
    match measure {
        "error ratio" | "error traces" => format!("{:.2}%", v * 100.0),
        "p99 latency" if v < 1.0 => format!("{:.1}ms", v * 1000.0),
        "p99 latency" => format!("{v:.2}s"),
        _ => format!("{v:.2}x"),
    }
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;

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
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_error_ratio: Some(0.05),
            max_p99: Some(Duration::from_millis(500)),
            max_p99_ratio: Some(1.5),
            min_requests: 20,
            inconclusive: Inconclusive::Fail,
            max_error_traces_ratio: None,
            min_traces: 10,
        }
    }

    fn judge(limits: &Limits, baseline: Option<&Counts>, candidate: &Counts) -> Judgement {
        super::judge(limits, baseline, candidate, &Traced::default())
    }

    /// `requests` requests, `errors` of them 5xx, `slow` of them over 1 s, the rest under 0.1 s.
    fn counts(requests: f64, errors: f64, slow: f64) -> Counts {
        Counts {
            requests,
            errors,
            buckets: vec![
                (0.1, requests - slow),
                (1.0, requests - slow),
                (5.0, requests),
                (f64::INFINITY, requests),
            ],
        }
    }

    #[test]
    fn a_healthy_candidate_passes_every_gate() {
        let j = judge(
            &limits(),
            Some(&counts(100.0, 1.0, 0.0)),
            &counts(100.0, 2.0, 0.0),
        );
        assert_eq!(j.verdict, Verdict::Pass, "{}", j.table());
        assert!(j.measures.iter().all(|m| m.passed == Some(true)));
        assert_eq!(j.measures[0].candidate, Some(0.02));
    }

    #[test]
    fn one_request_in_five_failing_fails_the_error_gate() {
        let j = judge(
            &limits(),
            Some(&counts(100.0, 0.0, 0.0)),
            &counts(100.0, 20.0, 0.0),
        );
        assert_eq!(j.verdict, Verdict::Fail);
        assert_eq!(j.measures[0].passed, Some(false));
        assert!(
            j.table()
                .contains("error ratio  0.00%     20.00%     <= 5.00%    FAILED"),
            "{}",
            j.table()
        );
    }

    #[test]
    fn tripled_latency_fails_both_latency_gates() {
        let j = judge(
            &limits(),
            Some(&counts(100.0, 0.0, 0.0)),
            &counts(100.0, 0.0, 30.0),
        );
        assert_eq!(j.verdict, Verdict::Fail);
        let failed: Vec<&str> = j
            .measures
            .iter()
            .filter(|m| m.passed == Some(false))
            .map(|m| m.measure.as_str())
            .collect();
        assert_eq!(failed, ["p99 latency", "p99 ratio"]);
    }

    #[test]
    fn too_few_requests_decide_nothing_even_when_all_failed() {
        let j = judge(
            &limits(),
            Some(&counts(100.0, 0.0, 0.0)),
            &counts(3.0, 3.0, 0.0),
        );
        assert_eq!(j.verdict, Verdict::Inconclusive);
        assert!(
            j.why
                .as_deref()
                .unwrap()
                .contains("served 3 requests, fewer than min_requests = 20")
        );
    }

    #[test]
    fn without_a_baseline_only_the_ratio_is_unmeasured() {
        let j = judge(&limits(), None, &counts(100.0, 0.0, 0.0));
        assert_eq!(j.verdict, Verdict::Inconclusive);
        assert_eq!(j.measures[2].passed, None);
        assert!(j.why.as_deref().unwrap().contains("no baseline"));
        // An absolute gate still fails without a baseline.
        let j = judge(&limits(), None, &counts(100.0, 50.0, 0.0));
        assert_eq!(j.verdict, Verdict::Fail);
        // Without the ratio gate, no baseline is needed at all.
        let only_absolute = Limits {
            max_p99_ratio: None,
            ..limits()
        };
        assert_eq!(
            judge(&only_absolute, None, &counts(100.0, 0.0, 0.0)).verdict,
            Verdict::Pass
        );
    }

    #[test]
    fn a_missing_histogram_is_named() {
        let no_histogram = Counts {
            requests: 100.0,
            errors: 0.0,
            buckets: vec![],
        };
        let j = judge(&limits(), Some(&counts(100.0, 0.0, 0.0)), &no_histogram);
        assert_eq!(j.verdict, Verdict::Inconclusive);
        assert!(j.why.as_deref().unwrap().contains("no latency histogram"));
    }

    fn tally(traces: u64, errors: u64) -> Option<Tally> {
        Some(Tally { traces, errors })
    }

    #[test]
    fn the_trace_gate_fails_on_the_share_of_error_traces() {
        let only_traces = Limits {
            max_error_ratio: None,
            max_p99: None,
            max_p99_ratio: None,
            max_error_traces_ratio: Some(0.1),
            ..limits()
        };
        let healthy = counts(100.0, 0.0, 0.0);
        let traced = Traced {
            baseline: tally(40, 1),
            candidate: tally(40, 10),
        };
        let j = super::judge(&only_traces, None, &healthy, &traced);
        assert_eq!(j.verdict, Verdict::Fail, "{}", j.table());
        assert_eq!(j.measures[0].candidate, Some(0.25));
        assert_eq!(j.measures[0].baseline, Some(0.025));
        assert_eq!((j.traces, j.baseline_traces), (Some(40), Some(40)));
        assert!(
            j.table()
                .contains("error traces  2.50%     25.00%     <= 10.00%  FAILED"),
            "{}",
            j.table()
        );
        assert!(
            j.table().contains("traces        40        40"),
            "{}",
            j.table()
        );
        let fine = Traced {
            baseline: None,
            candidate: tally(40, 2),
        };
        assert_eq!(
            super::judge(&only_traces, None, &healthy, &fine).verdict,
            Verdict::Pass
        );
    }

    #[test]
    fn too_few_traces_or_no_backend_decide_nothing() {
        let l = Limits {
            max_error_traces_ratio: Some(0.1),
            ..limits()
        };
        let base = counts(100.0, 0.0, 0.0);
        let few = Traced {
            baseline: None,
            candidate: tally(3, 3),
        };
        let j = super::judge(&l, Some(&base), &counts(100.0, 0.0, 0.0), &few);
        assert_eq!(j.verdict, Verdict::Inconclusive);
        assert!(
            j.why
                .as_deref()
                .unwrap()
                .contains("holds 3 traces of the candidate, fewer than min_traces = 10")
        );
        let unreachable = super::judge(
            &l,
            Some(&base),
            &counts(100.0, 0.0, 0.0),
            &Traced::default(),
        );
        assert_eq!(unreachable.verdict, Verdict::Inconclusive);
        assert!(
            unreachable
                .why
                .as_deref()
                .unwrap()
                .contains("could not be searched")
        );
        // A failing metric gate still fails whatever the traces say.
        let j = super::judge(&l, Some(&base), &counts(100.0, 50.0, 0.0), &few);
        assert_eq!(j.verdict, Verdict::Fail);
    }
}

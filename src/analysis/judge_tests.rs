//! Unit tests of the analysis verdict (`judge.rs`).

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

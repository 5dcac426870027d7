//! Fuzz target: the Prometheus text parser and what analysis makes of its samples. Besides
//! never panicking:
//!
//! 1. what parses renders back to text that parses to the same samples (names, labels with
//!    every escape, values to the bit — NaN and the infinities included);
//! 2. the counts, the increase between two readings and the p99 of any samples are
//!    computed without a panic, and a quantile, when there is one, is a bucket bound or
//!    between two.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msv::analysis::prom::{Sample, parse};
use msv::analysis::{Counts, Names};

fn value(v: f64) -> String {
    match v {
        f64::INFINITY => "+Inf".into(),
        f64::NEG_INFINITY => "-Inf".into(),
        v if v.is_nan() => "NaN".into(),
        v => format!("{v:?}"),
    }
}

fn render(samples: &[Sample]) -> String {
    let mut out = String::new();
    for s in samples {
        out.push_str(&s.name);
        if !s.labels.is_empty() {
            let labels: Vec<String> = s
                .labels
                .iter()
                .map(|(k, v)| {
                    let v = v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
                    format!("{k}=\"{v}\"")
                })
                .collect();
            out.push_str(&format!("{{{}}}", labels.join(",")));
        }
        out.push_str(&format!(" {}\n", value(s.value)));
    }
    out
}

fn same(a: &[Sample], b: &[Sample]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.name == y.name && x.labels == y.labels && x.value.to_bits() == y.value.to_bits()
        })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(samples) = parse(&text) else {
        return;
    };
    let again = parse(&render(&samples)).expect("rendered samples parse");
    assert!(same(&samples, &again), "{samples:?} != {again:?}");
    let names = Names {
        duration_metric: "http_request_duration_seconds".into(),
        requests_metric: "http_requests_total".into(),
        status_label: "status".into(),
        exclude_routes: vec!["/healthz".into()],
    };
    let counts = Counts::of(&samples, &names);
    let half: Vec<Sample> = samples.iter().take(samples.len() / 2).cloned().collect();
    let increase = counts.since(&Counts::of(&half, &names));
    for c in [&counts, &increase] {
        if let Some(q) = c.quantile(0.99) {
            let lowest = c.buckets.first().map_or(0.0, |b| b.0.min(0.0));
            let highest = c.buckets.iter().map(|b| b.0).fold(f64::NEG_INFINITY, f64::max);
            assert!(q.is_nan() || (q >= lowest && q <= highest.max(0.0)), "{q} outside the bounds of {:?}", c.buckets);
        }
        let _ = c.error_ratio();
    }
});

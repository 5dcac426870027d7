//! From scrapes to what a color did in a window of time: each pod's request, error and
//! latency-bucket counters, the increase between two scrapes of the same pod (a counter
//! that went down means the process restarted, so everything it now counts is new, as
//! Prometheus' `increase` reads it), summed over the pods that came and went, and the
//! quantile of a histogram as `histogram_quantile` computes it.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::prom::Sample;

/// Which series hold the requests and their latency, and which requests not to count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Names {
    /// The latency histogram (`<name>_bucket`, `<name>_count`).
    pub duration_metric: String,
    /// A request counter; when a pod serves none, the histogram's `_count` counts requests.
    pub requests_metric: String,
    /// The label holding the HTTP status.
    pub status_label: String,
    /// Routes left out (the health, readiness and metrics paths msv and the kubelet call).
    pub exclude_routes: Vec<String>,
}

/// The OpenTelemetry semantic-convention names, read when the configured ones are absent.
pub(super) const OTEL_DURATION: &str = "http_server_request_duration_seconds";
const OTHER_STATUS_LABELS: &[&str] = &["http_response_status_code", "code", "status_code"];
const ROUTE_LABELS: &[&str] = &["route", "http_route", "path", "handler"];

/// One pod's counters (cumulative, as served), or an increase of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub requests: f64,
    /// Requests answered with a 5xx status.
    pub errors: f64,
    /// Cumulative latency buckets `(upper bound in seconds, requests at or under it)`,
    /// by bound, ending with `+Inf` when the pod serves a histogram.
    pub buckets: Vec<(f64, f64)>,
}

impl Counts {
    /// The counters in one scrape.
    pub fn of(samples: &[Sample], names: &Names) -> Counts {
        let counted = |s: &&Sample| {
            !ROUTE_LABELS.iter().any(|l| {
                s.label(l)
                    .is_some_and(|route| names.exclude_routes.iter().any(|x| x == route))
            })
        };
        let status = |s: &Sample| -> Option<String> {
            std::iter::once(names.status_label.as_str())
                .chain(OTHER_STATUS_LABELS.iter().copied())
                .find_map(|l| s.label(l))
                .map(str::to_string)
        };
        let histogram = [names.duration_metric.as_str(), OTEL_DURATION]
            .into_iter()
            .find(|h| {
                let bucket = format!("{h}_bucket");
                samples.iter().any(|s| s.name == bucket)
            })
            .unwrap_or(&names.duration_metric);
        let total_of = |metric: &str| -> Option<(f64, f64)> {
            let series: Vec<&Sample> = samples
                .iter()
                .filter(|s| s.name == metric)
                .filter(counted)
                .collect();
            if !samples.iter().any(|s| s.name == metric) {
                return None;
            }
            let requests = series.iter().map(|s| s.value).sum();
            let errors = series
                .iter()
                .filter(|s| status(s).is_some_and(|c| c.starts_with('5')))
                .map(|s| s.value)
                .sum();
            Some((requests, errors))
        };
        let (requests, errors) = total_of(&names.requests_metric)
            .or_else(|| total_of(&format!("{histogram}_count")))
            .unwrap_or_default();
        let bucket = format!("{histogram}_bucket");
        let mut by_bound: Vec<(f64, f64)> = vec![];
        for s in samples.iter().filter(|s| s.name == bucket).filter(counted) {
            let Some(le) = s.label("le").and_then(bound) else {
                continue;
            };
            match by_bound.iter_mut().find(|(b, _)| *b == le) {
                Some((_, n)) => *n += s.value,
                None => by_bound.push((le, s.value)),
            }
        }
        by_bound.sort_by(|a, b| a.0.total_cmp(&b.0));
        Counts {
            requests,
            errors,
            buckets: by_bound,
        }
    }

    /// What happened between `before` and `self` (two scrapes of one pod). A counter lower
    /// than before means the process restarted: all it counts now is new.
    pub fn since(&self, before: &Counts) -> Counts {
        let reset = self.requests < before.requests
            || self.errors < before.errors
            || self.buckets.iter().any(|(le, n)| {
                before
                    .buckets
                    .iter()
                    .find(|(b, _)| b == le)
                    .is_some_and(|(_, m)| n < m)
            });
        if reset {
            return self.clone();
        }
        Counts {
            requests: self.requests - before.requests,
            errors: self.errors - before.errors,
            buckets: self
                .buckets
                .iter()
                .map(|(le, n)| {
                    let m = before
                        .buckets
                        .iter()
                        .find(|(b, _)| b == le)
                        .map_or(0.0, |(_, m)| *m);
                    (*le, n - m)
                })
                .collect(),
        }
    }

    fn add(&mut self, other: &Counts) {
        self.requests += other.requests;
        self.errors += other.errors;
        for (le, n) in &other.buckets {
            match self.buckets.iter_mut().find(|(b, _)| b == le) {
                Some((_, m)) => *m += n,
                None => self.buckets.push((*le, *n)),
            }
        }
        self.buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    }

    /// The share of requests that failed (None without requests).
    pub fn error_ratio(&self) -> Option<f64> {
        (self.requests > 0.0).then(|| self.errors / self.requests)
    }

    /// The latency under which `q` of the requests fall, in seconds.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        quantile(q, &self.buckets)
    }
}

fn bound(le: &str) -> Option<f64> {
    match le {
        "+Inf" | "Inf" | "inf" | "+inf" => Some(f64::INFINITY),
        _ => le.parse::<f64>().ok().filter(|v| v.is_finite()),
    }
}

/// One scrape of a color's pods.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    /// Pod name -> its counters.
    pub pods: HashMap<String, Counts>,
    /// Pods that were running but could not be read, each with why.
    pub failed: Vec<(String, String)>,
}

/// What one color did since a start: each pod's increase between its scrapes, summed,
/// so that a pod that restarted or went away still counts what it served before.
#[derive(Debug, Clone, Default)]
pub struct Window {
    last: HashMap<String, Counts>,
    /// Pods that ran at the start but could not be read then: their first reading is
    /// their start, not requests served in the window.
    unread: HashSet<String>,
    pub total: Counts,
}

impl Window {
    /// A window that starts at this scrape; nothing counted yet.
    pub fn starting_at(scrape: &Scrape) -> Window {
        Window {
            last: scrape.pods.clone(),
            unread: scrape.failed.iter().map(|(pod, _)| pod.clone()).collect(),
            total: Counts::default(),
        }
    }

    /// Add what each pod did since its previous scrape. A pod not seen before started
    /// inside the window, so everything it counts is added; a pod missing from this scrape
    /// (gone, or its scrape failed) keeps what it added and its last counters.
    pub fn add(&mut self, scrape: &Scrape) {
        for (pod, now) in &scrape.pods {
            let increase = match self.last.get(pod) {
                Some(before) => now.since(before),
                None if self.unread.remove(pod) => Counts::default(),
                None => now.clone(),
            };
            self.total.add(&increase);
            self.last.insert(pod.clone(), now.clone());
        }
    }
}

/// `histogram_quantile(q, buckets)` as Prometheus computes it: the bucket holding the
/// q-th request, interpolated linearly within it (from 0 for the first bucket); a rank in
/// the `+Inf` bucket gives the highest finite bound. None without requests or buckets.
pub fn quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    let (last_le, total) = *buckets.last()?;
    if last_le != f64::INFINITY || buckets.len() < 2 || total <= 0.0 || !(0.0..=1.0).contains(&q) {
        return None;
    }
    // Buckets scraped from several pods at slightly different times can dip; Prometheus
    // makes them monotonic the same way.
    let mut counts: Vec<f64> = Vec::with_capacity(buckets.len());
    for (_, n) in buckets {
        let prev = counts.last().copied().unwrap_or(0.0);
        counts.push(n.max(prev));
    }
    let rank = q * total;
    let i = counts.iter().position(|n| *n >= rank)?;
    if i == buckets.len() - 1 {
        return Some(buckets[buckets.len() - 2].0);
    }
    let (start, below) = match i {
        0 if buckets[0].0 > 0.0 => (0.0, 0.0),
        0 => return Some(buckets[0].0),
        _ => (buckets[i - 1].0, counts[i - 1]),
    };
    let end = buckets[i].0;
    let in_bucket = counts[i] - below;
    if in_bucket <= 0.0 {
        return Some(end);
    }
    Some(start + (end - start) * (rank - below) / in_bucket)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::prom::parse;

    fn names() -> Names {
        Names {
            duration_metric: "http_request_duration_seconds".into(),
            requests_metric: "http_requests_total".into(),
            status_label: "status".into(),
            exclude_routes: vec!["/healthz".into(), "/metrics".into()],
        }
    }

    #[test]
    fn counts_requests_errors_and_buckets_leaving_out_probe_routes() {
        let text = r#"
http_requests_total{route="/items",status="200"} 90
http_requests_total{route="/items",status="503"} 6
http_requests_total{route="/orders",status="500"} 4
http_requests_total{route="/items",status="404"} 10
http_requests_total{route="/healthz",status="500"} 1000
http_request_duration_seconds_bucket{route="/items",status="200",le="0.1"} 80
http_request_duration_seconds_bucket{route="/items",status="200",le="+Inf"} 90
http_request_duration_seconds_bucket{route="/orders",status="500",le="0.1"} 0
http_request_duration_seconds_bucket{route="/orders",status="500",le="+Inf"} 4
http_request_duration_seconds_bucket{route="/healthz",status="200",le="0.1"} 1000
http_request_duration_seconds_bucket{route="/healthz",status="200",le="+Inf"} 1000
"#;
        let c = Counts::of(&parse(text).unwrap(), &names());
        assert_eq!((c.requests, c.errors), (110.0, 10.0));
        assert_eq!(c.buckets, vec![(0.1, 80.0), (f64::INFINITY, 94.0)]);
    }

    #[test]
    fn opentelemetry_names_are_read_when_the_configured_ones_are_absent() {
        let text = r#"
http_server_request_duration_seconds_bucket{http_route="/a",http_response_status_code="200",le="0.5"} 8
http_server_request_duration_seconds_bucket{http_route="/a",http_response_status_code="200",le="+Inf"} 8
http_server_request_duration_seconds_bucket{http_route="/a",http_response_status_code="502",le="0.5"} 1
http_server_request_duration_seconds_bucket{http_route="/a",http_response_status_code="502",le="+Inf"} 2
http_server_request_duration_seconds_count{http_route="/a",http_response_status_code="200"} 8
http_server_request_duration_seconds_count{http_route="/a",http_response_status_code="502"} 2
http_server_request_duration_seconds_count{http_route="/metrics",http_response_status_code="200"} 50
"#;
        let c = Counts::of(&parse(text).unwrap(), &names());
        assert_eq!((c.requests, c.errors), (10.0, 2.0));
        assert_eq!(c.buckets, vec![(0.5, 9.0), (f64::INFINITY, 10.0)]);
    }

    #[test]
    fn a_restart_counts_everything_the_new_process_counted() {
        let a = |r: f64, e: f64| Counts {
            requests: r,
            errors: e,
            buckets: vec![(0.1, r), (f64::INFINITY, r)],
        };
        assert_eq!(a(150.0, 5.0).since(&a(100.0, 2.0)), a(50.0, 3.0));
        // Counters went down: the pod restarted and served 7 since.
        assert_eq!(a(7.0, 1.0).since(&a(100.0, 2.0)), a(7.0, 1.0));
    }

    #[test]
    fn a_window_sums_pods_that_come_restart_and_go() {
        let c = |r: f64| Counts {
            requests: r,
            errors: 0.0,
            buckets: vec![],
        };
        let scrape = |pods: &[(&str, f64)], failed: &[&str]| Scrape {
            pods: pods.iter().map(|(p, r)| (p.to_string(), c(*r))).collect(),
            failed: failed
                .iter()
                .map(|p| (p.to_string(), "timeout".to_string()))
                .collect(),
        };
        let mut w = Window::starting_at(&scrape(&[("a", 100.0), ("b", 50.0)], &["d"]));
        w.add(&scrape(&[("a", 120.0), ("b", 60.0)], &[]));
        assert_eq!(w.total.requests, 30.0);
        // b is gone (its 10 stay counted), a restarted and served 5, c is new with 8; d
        // could not be read at the start, so its first reading only starts it.
        w.add(&scrape(&[("a", 5.0), ("c", 8.0), ("d", 400.0)], &[]));
        assert_eq!(w.total.requests, 43.0);
        w.add(&scrape(&[("d", 410.0)], &[]));
        assert_eq!(w.total.requests, 53.0);
    }

    #[test]
    fn quantiles_match_histogram_quantile() {
        // 100 requests: 50 under 0.1 s, 40 more under 0.5 s, 10 over 1 s.
        let b = vec![
            (0.1, 50.0),
            (0.5, 90.0),
            (1.0, 90.0),
            (f64::INFINITY, 100.0),
        ];
        assert_eq!(quantile(0.5, &b), Some(0.1));
        assert!((quantile(0.7, &b).unwrap() - 0.3).abs() < 1e-9);
        assert!((quantile(0.25, &b).unwrap() - 0.05).abs() < 1e-9);
        // Rank in +Inf: the highest finite bound, as Prometheus answers.
        assert_eq!(quantile(0.99, &b), Some(1.0));
        assert_eq!(quantile(0.99, &[(0.1, 0.0), (f64::INFINITY, 0.0)]), None);
        assert_eq!(quantile(0.99, &[(0.1, 3.0)]), None);
        // Buckets that dip (pods scraped at slightly different times) are evened out.
        let dipping = vec![(0.1, 60.0), (0.5, 55.0), (f64::INFINITY, 100.0)];
        assert_eq!(quantile(0.5, &dipping), Some(0.1 * 50.0 / 60.0));
    }
}

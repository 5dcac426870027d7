//! The same measures from a Prometheus the user already runs (`deploy.analysis.prometheus_url`
//! or `prometheus_service`), instead of scraping the pods: for each metric the gates read,
//! `increase(METRIC{namespace="NS", pod=~"PODS"}[RANGE])` at the end of the window, one
//! series per pod and label set, read into the same [`Counts`] a scrape gives — so the
//! route exclusions, the status labels and the OpenTelemetry fallbacks are the same.
//!
//! It relies on the labels the Kubernetes service discovery of every common Prometheus
//! setup attaches (`namespace` and `pod`, as kube-prometheus and the Helm chart's
//! `kubernetes-pods` job name them). A window shorter than twice Prometheus' scrape
//! interval holds too few samples for `increase` and reads as no traffic (inconclusive).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail};
use reqwest::Url;
use serde::Deserialize;

use super::prom::Sample;
use super::window::{Counts, Names, OTEL_DURATION};
use crate::cluster::Cluster;
use crate::traces::connect::Reach;

/// The pods of a Deployment named `deployment`: `DEPLOYMENT-<template hash>-<suffix>`.
pub fn pods_of(deployment: &str) -> String {
    format!("{deployment}-[a-z0-9]+-[a-z0-9]+")
}

/// The metrics whose increase is read, and the query for each.
pub fn queries(
    names: &Names,
    namespace: &str,
    pods: &str,
    range: Duration,
) -> Vec<(String, String)> {
    // PromQL ranges are whole units; a partial second is rounded up.
    let secs = range.as_millis().div_ceil(1000).max(1);
    let mut metrics = vec![names.requests_metric.clone()];
    for histogram in [names.duration_metric.as_str(), OTEL_DURATION] {
        metrics.push(format!("{histogram}_bucket"));
        metrics.push(format!("{histogram}_count"));
    }
    metrics.dedup();
    metrics
        .into_iter()
        .map(|m| {
            let q = format!("increase({m}{{namespace=\"{namespace}\",pod=~\"{pods}\"}}[{secs}s])");
            (m, q)
        })
        .collect()
}

#[derive(Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    metric: std::collections::BTreeMap<String, String>,
    /// `[unix time, "value"]`.
    value: (f64, String),
}

/// The samples of an instant query's answer (`/api/v1/query`), named `metric` (increase
/// drops the name).
pub fn samples(metric: &str, body: &[u8]) -> Result<Vec<Sample>> {
    let answer: Answer =
        serde_json::from_slice(body).context("the answer is not Prometheus' query API JSON")?;
    if answer.status != "success" {
        bail!(
            "Prometheus answered {}: {}",
            answer.status,
            answer.error.unwrap_or_default()
        );
    }
    let data = answer.data.context("the answer has no data")?;
    if data.result_type != "vector" {
        bail!(
            "expected a vector, Prometheus answered a {}",
            data.result_type
        );
    }
    data.result
        .into_iter()
        .map(|s| {
            let value = match s.value.1.as_str() {
                "NaN" => 0.0,
                v => v
                    .parse::<f64>()
                    .with_context(|| format!("the value {v:?} is not a number"))?,
            };
            Ok(Sample {
                name: metric.to_string(),
                labels: s.metric.into_iter().collect(),
                value,
            })
        })
        .collect()
}

/// How much a Deployment's pods (`pods`, see [`pods_of`]) served in `range` up to `at`.
pub async fn read(
    reach: &Reach,
    cluster: &Cluster,
    names: &Names,
    pods: &str,
    at: SystemTime,
    range: Duration,
    timeout: Duration,
) -> Result<Counts> {
    let namespace = cluster.namespace.clone();
    let time = at
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let mut all = vec![];
    for (metric, query) in queries(names, &namespace, pods, range) {
        let mut u = Url::parse("http://query/").expect("a valid URL");
        u.query_pairs_mut()
            .append_pair("query", &query)
            .append_pair("time", &format!("{time:.3}"));
        let params = u.query().unwrap_or_default().to_string();
        let body = get(reach, cluster, &params, timeout)
            .await
            .with_context(|| format!("asking Prometheus for {metric}"))?;
        all.extend(samples(&metric, &body).with_context(|| format!("reading {metric}"))?);
    }
    Ok(Counts::of(&all, names))
}

async fn get(reach: &Reach, cluster: &Cluster, params: &str, timeout: Duration) -> Result<Vec<u8>> {
    match reach {
        Reach::Url(base) => {
            let mut url = Url::parse(base).with_context(|| format!("{base:?} is not a URL"))?;
            if let Ok(mut path) = url.path_segments_mut() {
                path.pop_if_empty().extend(["api", "v1", "query"]);
            }
            url.set_query(Some(params));
            let http = crate::traces::connect::http(&url)?;
            let resp = http
                .get(url.clone())
                .timeout(timeout)
                .send()
                .await
                .map_err(reqwest::Error::without_url)
                .with_context(|| format!("cannot reach Prometheus at {base}"))?;
            let status = resp.status();
            let body = resp.bytes().await.map_err(reqwest::Error::without_url)?;
            // Prometheus answers its errors (bad query: 400, timeout: 503) in the same JSON.
            if !status.is_success() && serde_json::from_slice::<Answer>(&body).is_err() {
                bail!("Prometheus at {base} answered {status}");
            }
            Ok(body.to_vec())
        }
        Reach::Service(spec) => {
            let base = crate::traces::client::service_proxy_path(spec)?;
            let path = format!("{}/api/v1/query?{params}", base.trim_end_matches('/'));
            let resp = cluster
                .proxy_get_path(&path, timeout)
                .await
                .with_context(|| {
                    format!("cannot reach Prometheus at service {spec} through the API server")
                })?;
            Ok(resp.body.into_bytes())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            duration_metric: "http_request_duration_seconds".into(),
            requests_metric: "http_requests_total".into(),
            status_label: "status".into(),
            exclude_routes: vec!["/healthz".into()],
        }
    }

    #[test]
    fn one_query_per_metric_over_the_deployments_pods() {
        let q = queries(
            &names(),
            "shop",
            &pods_of("web-green"),
            Duration::from_millis(30_200),
        );
        let metrics: Vec<&str> = q.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(
            metrics,
            [
                "http_requests_total",
                "http_request_duration_seconds_bucket",
                "http_request_duration_seconds_count",
                "http_server_request_duration_seconds_bucket",
                "http_server_request_duration_seconds_count"
            ]
        );
        assert_eq!(
            q[0].1,
            r#"increase(http_requests_total{namespace="shop",pod=~"web-green-[a-z0-9]+-[a-z0-9]+"}[31s])"#
        );
    }

    #[test]
    fn an_answer_reads_into_the_same_counts_a_scrape_gives() {
        let requests = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"pod":"web-green-1-a","route":"/api","status":"200"},"value":[1700000000.1,"90"]},
            {"metric":{"pod":"web-green-1-b","route":"/api","status":"503"},"value":[1700000000.1,"10"]},
            {"metric":{"pod":"web-green-1-b","route":"/healthz","status":"200"},"value":[1700000000.1,"400"]}]}}"#;
        let buckets = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"pod":"web-green-1-a","route":"/api","le":"0.1"},"value":[1,"100"]},
            {"metric":{"pod":"web-green-1-a","route":"/api","le":"+Inf"},"value":[1,"100"]}]}}"#;
        let mut all = samples("http_requests_total", requests).unwrap();
        all.extend(samples("http_request_duration_seconds_bucket", buckets).unwrap());
        let c = Counts::of(&all, &names());
        assert_eq!((c.requests, c.errors), (100.0, 10.0));
        assert_eq!(c.error_ratio(), Some(0.1));
        assert!(c.quantile(0.99).unwrap() <= 0.1);
    }

    #[test]
    fn errors_and_other_shapes_are_refused_with_what_prometheus_said() {
        let e = samples(
            "m",
            br#"{"status":"error","errorType":"bad_data","error":"parse error at char 9"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("parse error at char 9"), "{e}");
        let e = samples(
            "m",
            br#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("expected a vector"), "{e}");
        assert!(samples("m", b"<html>").is_err());
        let nan = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}"#;
        assert_eq!(samples("m", nan).unwrap()[0].value, 0.0);
    }
}

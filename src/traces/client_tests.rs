//! Unit tests of the trace backends' client (`client.rs`).

use super::*;

fn query() -> Query {
    Query {
        service: "orders".parse().unwrap(),
        since: Duration::from_secs(3600),
        limit: 20,
        operation: Some("GET /x".into()),
        min_duration: Some(Duration::from_millis(100)),
        errors: true,
        tags: vec![("http.status_code".into(), "500".into())],
        now: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    }
}

#[test]
fn jaeger_search() {
    let url = search_url(
        Backend::Jaeger,
        &Url::parse("http://h:16686").unwrap(),
        &query(),
    );
    assert_eq!(
        url.as_str(),
        "http://h:16686/api/traces?service=orders&operation=GET+%2Fx&start=1699996400000000&end=1700000000000000&limit=20&minDuration=100000us&tags=%7B%22error%22%3A%22true%22%2C%22http.status_code%22%3A%22500%22%7D"
    );
}

#[test]
fn zipkin_search() {
    let url = search_url(
        Backend::Zipkin,
        &Url::parse("http://h:9411/zipkin/").unwrap(),
        &query(),
    );
    assert_eq!(
        url.as_str(),
        "http://h:9411/zipkin/api/v2/traces?serviceName=orders&spanName=GET+%2Fx&annotationQuery=http.status_code%3D500+and+error&minDuration=100000&endTs=1700000000000&lookback=3600000&limit=20"
    );
}

#[test]
fn tempo_search_is_traceql() {
    let mut q = query();
    q.operation = Some("GET /\"x\\".into());
    assert_eq!(
        traceql(&q),
        r#"{ resource.service.name = "orders" && name = "GET /\"x\\" && status = error && duration >= 100000us && .http.status_code = "500" }"#
    );
    let url = search_url(Backend::Tempo, &Url::parse("http://h:3200").unwrap(), &q);
    assert!(
        url.as_str()
            .starts_with("http://h:3200/api/search?q=%7B+resource.service.name"),
        "{url}"
    );
    assert!(
        url.as_str()
            .ends_with("&start=1699996400&end=1700000000&limit=20"),
        "{url}"
    );
}

#[test]
fn jaeger_v3_search() {
    let url = search_url(
        Backend::JaegerV3,
        &Url::parse("http://h:16686").unwrap(),
        &query(),
    );
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(url.path(), "/api/v3/traces");
    assert!(
        pairs.contains(&(
            "query.start_time_min".into(),
            "2023-11-14T21:13:20.000000000Z".into()
        )),
        "{pairs:?}"
    );
    assert!(pairs.contains(&("query.num_traces".into(), "20".into())));
}

#[test]
fn trace_urls_keep_a_base_path() {
    let base =
        Url::parse("https://api:6443/api/v1/namespaces/o/services/jaeger-query:16686/proxy/")
            .unwrap();
    assert_eq!(
        trace_url(Backend::Jaeger, &base, "abc").as_str(),
        "https://api:6443/api/v1/namespaces/o/services/jaeger-query:16686/proxy/api/traces/abc"
    );
    let base = Url::parse("http://h:3200").unwrap();
    assert_eq!(
        trace_url(Backend::Tempo, &base, "abc").as_str(),
        "http://h:3200/api/traces/abc"
    );
    assert_eq!(
        trace_url(Backend::Zipkin, &base, "abc").as_str(),
        "http://h:3200/api/v2/trace/abc"
    );
}

#[test]
fn jaeger_v3_is_chosen_by_the_url() {
    let (b, u) = select_api(
        Backend::Jaeger,
        Url::parse("http://h:16686/jaeger/api/v3/").unwrap(),
    );
    assert_eq!(
        (b, u.as_str()),
        (Backend::JaegerV3, "http://h:16686/jaeger/")
    );
    let (b, _) = select_api(Backend::Jaeger, Url::parse("http://h:16686").unwrap());
    assert_eq!(b, Backend::Jaeger);
    let (b, _) = select_api(Backend::Tempo, Url::parse("http://h/api/v3").unwrap());
    assert_eq!(b, Backend::Tempo);
}

#[test]
fn service_proxy_paths() {
    assert_eq!(
        service_proxy_path("observability/jaeger-query:16686").unwrap(),
        "/api/v1/namespaces/observability/services/jaeger-query:16686/proxy/"
    );
    assert_eq!(
        service_proxy_path("o/tempo:http").unwrap(),
        "/api/v1/namespaces/o/services/tempo:http/proxy/"
    );
    for (bad, why) in [
        ("jaeger:16686", "expected NAMESPACE/NAME:PORT"),
        ("o/jaeger", "expected NAMESPACE/NAME:PORT"),
        ("o/../x:1", "invalid Kubernetes Service name \"../x\""),
        ("O/j:1", "invalid namespace \"O\""),
        ("o/-j:1", "invalid Kubernetes Service name \"-j\""),
        ("o/j-:1", "it ends with '-'"),
        ("o/j:", "invalid port name \"\""),
        ("o/j:http-", "invalid port name \"http-\""),
        ("o/j:0", "invalid port 0"),
        ("o/j:65536", "invalid port 65536"),
    ] {
        let err = service_proxy_path(bad).unwrap_err().to_string();
        assert!(err.contains(why), "{bad}: {err}");
    }
}

#[test]
fn trace_ids_are_hex_only() {
    assert!(check_trace_id("2e299711ce47710289dc6640727404f").is_ok());
    assert!(check_trace_id("../../etc").is_err());
    assert!(check_trace_id("").is_err());
}

#[test]
fn backend_names() {
    for b in [
        Backend::Jaeger,
        Backend::JaegerV3,
        Backend::Zipkin,
        Backend::Tempo,
    ] {
        assert_eq!(b.name().parse::<Backend>(), Ok(b));
        // msv.toml and MSV_TRACES_BACKEND read the same names through serde.
        assert_eq!(serde_json::to_value(b).unwrap(), b.name());
    }
    assert!(
        "honeycomb"
            .parse::<Backend>()
            .unwrap_err()
            .contains("use jaeger, jaeger-v3, zipkin or tempo")
    );
}

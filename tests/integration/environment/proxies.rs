//! Proxies as kubectl reads them: `HTTPS_PROXY`/`https_proxy` for the API server (unless
//! `NO_PROXY` or a loopback address says otherwise), a kubeconfig cluster's `proxy-url`
//! (http and socks5) for every request to that cluster, and `HTTP_PROXY` for a trace
//! backend at an http URL. The API server is named `kube.test` where the proxy must carry
//! the requests: only the proxy can reach that name, so a request that went around it fails.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use super::proxy::{CountingProxy, Passed};
use super::{kubeconfig, msv, service_dir};
use crate::fake_api::FakeCluster;

fn tunnels_to(passed: &[Passed], kind: &str, target: &str) -> usize {
    passed
        .iter()
        .filter(|p| p.kind == kind && p.target == target)
        .count()
}

#[test]
fn https_proxy_carries_every_cluster_command() {
    let fake = FakeCluster::start();
    let proxy = CountingProxy::start();
    let dir = service_dir(&fake);
    let port = fake.addr().port();
    let target = format!("kube.test:{port}");
    let kc = dir.path().join("kubeconfig");
    let server = format!("https://{target}");
    std::fs::write(
        &kc,
        kubeconfig(&fake, &server, &["tls-server-name: localhost".into()]),
    )
    .unwrap();
    // NO_PROXY with entries that do not match, and the empty ones `$NO_PROXY,x` leaves.
    let no_proxy = ",10.0.0.0/8,.example.com,kube.test:1,";
    let commands: [(&str, &[&str]); 6] = [
        ("HTTPS_PROXY", &["deploy", "--image", "r/shop:1"]),
        ("https_proxy", &["deploy", "--image", "r/shop:2"]),
        ("HTTPS_PROXY", &["status"]),
        ("https_proxy", &["history"]),
        ("HTTPS_PROXY", &["rollback"]),
        ("https_proxy", &["logs", "shop", "--tail", "1"]),
    ];
    let mut before = 0;
    for (var, args) in commands {
        msv(&kc, &[(var, &proxy.http_url()), ("NO_PROXY", no_proxy)])
            .args(args)
            .current_dir(dir.path())
            .run()
            .status(0);
        let passed = proxy.passed();
        let now = tunnels_to(&passed, "connect", &target);
        assert!(
            now > before && now == passed.len(),
            "msv {args:?} with {var}: {passed:?}"
        );
        before = now;
    }
    let live = fake.get("services", "default", "shop").unwrap();
    assert_eq!(live["spec"]["selector"]["msv/color"], "blue", "rolled back");
}

#[test]
fn no_proxy_sends_the_cluster_around_the_proxy() {
    let fake = FakeCluster::start();
    let proxy = CountingProxy::start();
    let dir = tempfile::tempdir().unwrap();
    let port = fake.addr().port();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        kubeconfig(
            &fake,
            &format!("https://kube.test:{port}"),
            &["tls-server-name: localhost".into()],
        ),
    )
    .unwrap();
    let matching = [
        ("NO_PROXY", "kube.test".to_string()),
        ("no_proxy", "example.com, .test".to_string()),
        ("NO_PROXY", "*.TEST".to_string()),
        ("NO_PROXY", format!("kube.test:{port}")),
        ("no_proxy", "*".to_string()),
    ];
    for (var, value) in &matching {
        // Around the proxy, `kube.test` does not resolve: msv tried to go there directly.
        msv(
            &kc,
            &[("HTTPS_PROXY", &proxy.http_url()), (var, value.as_str())],
        )
        .args(&["status"])
        .run()
        .status(2)
        .stderr_has(&format!(
            "cannot reach the Kubernetes API server at https://kube.test:{port}"
        ))
        .stderr_lacks("through the proxy");
        assert_eq!(proxy.passed(), [], "{var}={value}");
    }
    // The same with an entry that does not match goes through, and says so when it fails.
    let other = fake.addr().port().wrapping_add(1);
    msv(
        &kc,
        &[
            ("HTTPS_PROXY", &proxy.http_url()),
            ("NO_PROXY", &format!("kube.test:{other}")),
        ],
    )
    .args(&["status"])
    .run()
    .status(0);
    let passed = proxy.passed();
    assert!(
        !passed.is_empty()
            && tunnels_to(&passed, "connect", &format!("kube.test:{port}")) == passed.len(),
        "{passed:?}"
    );
    drop(proxy);
    msv(&kc, &[("HTTPS_PROXY", "http://127.0.0.1:1")])
        .args(&["status"])
        .run()
        .status(2)
        .stderr_has("through the proxy http://127.0.0.1:1 (from HTTPS_PROXY)");
}

#[test]
fn loopback_servers_skip_the_environment_proxy() {
    let fake = FakeCluster::start();
    let proxy = CountingProxy::start();
    // The fake's own kubeconfig names https://127.0.0.1:PORT, as kind and k3d do.
    msv(
        &fake.kubeconfig_path(),
        &[
            ("HTTPS_PROXY", &proxy.http_url()),
            ("HTTP_PROXY", &proxy.http_url()),
        ],
    )
    .args(&["status"])
    .run()
    .status(0);
    assert_eq!(proxy.passed(), []);
}

#[test]
fn a_kubeconfig_proxy_url_carries_every_request_http_and_socks5() {
    let fake = FakeCluster::start();
    let proxy = CountingProxy::start();
    let dir = tempfile::tempdir().unwrap();
    let port = fake.addr().port();
    let cases = [
        // client-go uses proxy-url even for loopback, and whatever NO_PROXY says.
        (
            fake.url(),
            proxy.http_url(),
            "connect",
            format!("127.0.0.1:{port}"),
        ),
        (
            fake.url(),
            proxy.socks5_url(),
            "socks5",
            format!("127.0.0.1:{port}"),
        ),
        // The proxy resolves the name, as kubectl's SOCKS5 client lets it.
        (
            format!("https://kube.test:{port}"),
            proxy.socks5_url(),
            "socks5",
            format!("kube.test:{port}"),
        ),
    ];
    for (server, proxy_url, kind, target) in cases {
        let kc = dir.path().join("kubeconfig");
        std::fs::write(
            &kc,
            kubeconfig(
                &fake,
                &server,
                &[
                    "tls-server-name: localhost".into(),
                    format!("proxy-url: {proxy_url}"),
                ],
            ),
        )
        .unwrap();
        let before = proxy.passed().len();
        msv(&kc, &[("NO_PROXY", "*")])
            .args(&["status"])
            .run()
            .status(0);
        let passed = proxy.passed();
        let new = &passed[before..];
        assert!(
            !new.is_empty() && tunnels_to(new, kind, &target) == new.len(),
            "{server} via {proxy_url}: {new:?}"
        );
    }
}

/// A Jaeger query API on 127.0.0.1 that answers every request with no traces.
fn empty_jaeger() -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = std::thread::spawn(move || {
        // One request is all the test sends.
        if let Ok((conn, _)) = listener.accept() {
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let body = r#"{"data":[],"total":0,"limit":0,"offset":0,"errors":null}"#;
            let mut conn = conn;
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, thread)
}

#[test]
fn traces_follow_http_proxy_and_no_proxy() {
    let proxy = CountingProxy::start();
    let (port, backend) = empty_jaeger();
    let url = format!("http://traces.test:{port}");
    let traces = |vars: &[(&str, &str)]| {
        let kc = std::path::Path::new("/nonexistent");
        msv(kc, vars)
            .env("MSV_TRACES_BACKEND", "jaeger")
            .env("MSV_TRACES_URL", &url)
            .args(&["traces", "shop", "-o", "json"])
            .run()
    };
    // HTTPS_PROXY is for https URLs; NO_PROXY bypasses: both go direct, and fail on the name.
    for vars in [
        vec![("HTTPS_PROXY", proxy.http_url())],
        vec![
            ("http_proxy", proxy.http_url()),
            ("no_proxy", ".test".into()),
        ],
    ] {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        traces(&vars).status(2).stderr_has("traces.test");
        assert_eq!(proxy.passed(), [], "{vars:?}");
    }
    traces(&[("http_proxy", &proxy.http_url())])
        .status(0)
        .stdout_has("[]");
    assert_eq!(
        proxy.passed(),
        [Passed {
            kind: "http",
            target: format!("traces.test:{port}")
        }]
    );
    backend.join().unwrap();
}

#[test]
fn proxy_credentials_are_sent_and_never_shown() {
    let fake = FakeCluster::start();
    let proxy = CountingProxy::start();
    let dir = tempfile::tempdir().unwrap();
    let port = fake.addr().port();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        kubeconfig(
            &fake,
            &format!("https://kube.test:{port}"),
            &["tls-server-name: localhost".into()],
        ),
    )
    .unwrap();
    // `p@ss:word` percent-encoded in the URL, as it must be.
    let with_auth = proxy
        .http_url()
        .replace("http://", "http://build-bot:p%40ss%3Aword@");
    msv(&kc, &[("HTTPS_PROXY", &with_auth)])
        .args(&["status"])
        .run()
        .status(0);
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("build-bot:p@ss:word")
    );
    let auths = proxy.auths();
    assert!(
        !auths.is_empty() && auths.iter().all(|a| *a == expected),
        "{auths:?}"
    );
    // A proxy that is down: the error names it, without the password.
    msv(
        &kc,
        &[("HTTPS_PROXY", "http://build-bot:s3cret@127.0.0.1:1")],
    )
    .args(&["status"])
    .run()
    .status(2)
    .stderr_has("through the proxy http://build-bot:***@127.0.0.1:1")
    .stderr_lacks("s3cret");
}

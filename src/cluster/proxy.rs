//! Which proxy a connection goes through, decided as kubectl decides it (Go's `net/http`
//! environment rules, and client-go for a kubeconfig's `proxy-url`):
//!
//! - a kubeconfig cluster's `proxy-url` carries every request to that cluster;
//! - otherwise `HTTPS_PROXY` for `https` URLs and `HTTP_PROXY` for `http` URLs (upper case
//!   first, then lower case; an empty value counts as unset), unless the host is `localhost`,
//!   a loopback address, or matched by `NO_PROXY`/`no_proxy`: `*`, IP addresses, CIDRs,
//!   domain names (matching the name and its subdomains), `.domain` or `*.domain` (only
//!   subdomains), each optionally with `:port`. Entries that are empty or malformed are
//!   skipped, as Go skips them.
//!
//! kube-client reads these variables itself with other rules (it matches `NO_PROXY` against
//! the proxy's own address, ignores `HTTP_PROXY`, proxies loopback, and refuses a `NO_PROXY`
//! with an empty entry), so msv decides here and hands kube and the trace client the result.
//! Only the decision lives here; the connections are made by kube and reqwest.

use std::net::IpAddr;

use anyhow::{Result, bail};
use ipnet::IpNet;
use reqwest::Url;

/// The proxy variables of the environment, read once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    /// `HTTP_PROXY` or `http_proxy`, with the name it came from.
    pub http: Option<(String, &'static str)>,
    /// `HTTPS_PROXY` or `https_proxy`.
    pub https: Option<(String, &'static str)>,
    /// `NO_PROXY` or `no_proxy`.
    pub no_proxy: String,
}

impl ProxyEnv {
    /// Reads the process environment.
    pub fn from_process() -> ProxyEnv {
        ProxyEnv::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup`, upper case first as Go does.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> ProxyEnv {
        let first = |names: [&'static str; 2]| {
            names
                .into_iter()
                .find_map(|name| lookup(name).filter(|v| !v.is_empty()).map(|v| (v, name)))
        };
        ProxyEnv {
            http: first(["HTTP_PROXY", "http_proxy"]),
            https: first(["HTTPS_PROXY", "https_proxy"]),
            no_proxy: first(["NO_PROXY", "no_proxy"])
                .map(|(v, _)| v)
                .unwrap_or_default(),
        }
    }
}

/// A proxy chosen for a connection, and where its setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub url: Url,
    /// `HTTPS_PROXY`, `http_proxy`, `proxy-url of cluster "prod"`...
    pub source: String,
}

impl Proxy {
    /// The proxy for messages: its address without any password, and its source.
    pub fn describe(&self) -> String {
        let mut shown = self.url.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        format!(
            "{} (from {})",
            shown.as_str().trim_end_matches('/'),
            self.source
        )
    }
}

/// The proxy for requests to `target` from the environment alone (the trace backends).
pub fn from_env(target: &Url, env: &ProxyEnv) -> Result<Option<Proxy>> {
    let setting = match target.scheme() {
        "https" => &env.https,
        "http" => &env.http,
        _ => return Ok(None),
    };
    let Some((value, name)) = setting else {
        return Ok(None);
    };
    let Some(host) = target.host() else {
        return Ok(None);
    };
    let port = target.port_or_known_default().unwrap_or(0);
    if bypasses(&env.no_proxy, &host, port) {
        return Ok(None);
    }
    Ok(Some(Proxy {
        url: parse_proxy(value, name)?,
        source: name.to_string(),
    }))
}

/// The proxy for the API server at `server`: the cluster's `proxy-url` when the kubeconfig
/// sets one (used for every request, as client-go does, whatever `NO_PROXY` says), else
/// the environment's.
pub fn for_cluster(
    proxy_url: Option<&str>,
    cluster: &str,
    server: &Url,
    env: &ProxyEnv,
) -> Result<Option<Proxy>> {
    match proxy_url.filter(|p| !p.is_empty()) {
        Some(value) => {
            let source = format!("proxy-url of cluster {cluster:?} in the kubeconfig");
            Ok(Some(Proxy {
                url: parse_proxy(value, &source)?,
                source,
            }))
        }
        None => from_env(server, env),
    }
}

/// A proxy setting as a URL: `host:port` alone means `http://host:port` (as Go reads it);
/// the schemes kube and reqwest can speak are accepted, anything else is a clear error.
fn parse_proxy(value: &str, source: &str) -> Result<Url> {
    let parsed = Url::parse(value).ok().filter(|u| u.has_host()).or_else(|| {
        (!value.contains("://"))
            .then(|| Url::parse(&format!("http://{value}")).ok())
            .flatten()
            .filter(|u| u.has_host())
    });
    let Some(url) = parsed else {
        bail!(
            "the proxy {value:?} (from {source}) is not a URL; write it as http://HOST:PORT, https://HOST:PORT or socks5://HOST:PORT, or unset it"
        );
    };
    match url.scheme() {
        "http" | "https" | "socks5" => Ok(url),
        other => bail!(
            "the proxy {} (from {source}) uses {other}://, which msv cannot speak; use an http://, https:// or socks5:// proxy",
            url.host_str().unwrap_or_default()
        ),
    }
}

/// Whether a request to `host:port` skips the proxy: Go's `useProxy`, negated.
pub fn bypasses(no_proxy: &str, host: &url::Host<&str>, port: u16) -> bool {
    let (ip, name) = match host {
        url::Host::Ipv4(ip) => (Some(IpAddr::V4(*ip)), String::new()),
        url::Host::Ipv6(ip) => (Some(IpAddr::V6(*ip)), String::new()),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            (name.parse::<IpAddr>().ok(), name)
        }
    };
    if name == "localhost" || ip.is_some_and(|ip| ip.is_loopback()) {
        return true;
    }
    no_proxy
        .split(',')
        .map(|entry| entry.trim().to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .any(|entry| entry_matches(&entry, ip, &name, port))
}

/// One `NO_PROXY` entry against a target, by Go's rules.
fn entry_matches(entry: &str, ip: Option<IpAddr>, name: &str, port: u16) -> bool {
    if entry == "*" {
        return true;
    }
    if let Ok(net) = entry.parse::<IpNet>() {
        return ip.is_some_and(|ip| net.contains(&ip));
    }
    let (host, entry_port) = split_host_port(entry);
    let port_ok = match entry_port {
        None => true,
        Some(p) => p.parse::<u16>().is_ok_and(|p| p == port),
    };
    if let Ok(entry_ip) = host.parse::<IpAddr>() {
        return ip == Some(entry_ip) && port_ok;
    }
    if host.is_empty() || ip.is_some() {
        return false;
    }
    let host = host
        .strip_prefix('*')
        .filter(|h| h.starts_with('.'))
        .unwrap_or(host);
    let matches = match host.strip_prefix('.') {
        // `.example.com`: subdomains only.
        Some(_) => name.ends_with(host),
        // `example.com`: the name itself and its subdomains.
        None => name == host || name.ends_with(&format!(".{host}")),
    };
    matches && port_ok
}

/// `host:port`, `[v6]:port` or a bare host (Go's `SplitHostPort`, falling back to the
/// whole entry as the host).
fn split_host_port(entry: &str) -> (&str, Option<&str>) {
    if let Some(rest) = entry.strip_prefix('[')
        && let Some((host, after)) = rest.split_once(']')
    {
        return (host, after.strip_prefix(':'));
    }
    match entry.split_once(':') {
        Some((host, port)) if !port.contains(':') => (host, Some(port)),
        _ => (entry, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> ProxyEnv {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProxyEnv::from_lookup(move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn proxied(no_proxy: &str, target: &str) -> bool {
        let e = env(&[("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", no_proxy)]);
        from_env(&url(target), &e).unwrap().is_some()
    }

    #[test]
    fn upper_case_wins_and_empty_counts_as_unset() {
        let e = env(&[
            ("HTTPS_PROXY", ""),
            ("https_proxy", "http://low:1"),
            ("http_proxy", "h:2"),
        ]);
        assert_eq!(e.https, Some(("http://low:1".into(), "https_proxy")));
        assert_eq!(e.http, Some(("h:2".into(), "http_proxy")));
        let e = env(&[
            ("HTTPS_PROXY", "http://up:1"),
            ("https_proxy", "http://low:1"),
        ]);
        assert_eq!(e.https.unwrap().1, "HTTPS_PROXY");
        let e = env(&[("no_proxy", "a"), ("NO_PROXY", "b")]);
        assert_eq!(e.no_proxy, "b");
    }

    #[test]
    fn the_scheme_of_the_target_picks_the_variable() {
        let e = env(&[
            ("HTTP_PROXY", "http://plain:1"),
            ("HTTPS_PROXY", "secure:2"),
        ]);
        let p = from_env(&url("http://api.example.com/x"), &e)
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.url.as_str(), p.source.as_str()),
            ("http://plain:1/", "HTTP_PROXY")
        );
        // A bare host:port is an http proxy, as Go reads it.
        let p = from_env(&url("https://api.example.com"), &e)
            .unwrap()
            .unwrap();
        assert_eq!(p.url.as_str(), "http://secure:2/");
        let only_http = env(&[("HTTP_PROXY", "http://plain:1")]);
        assert_eq!(
            from_env(&url("https://api.example.com"), &only_http).unwrap(),
            None
        );
    }

    #[test]
    fn loopback_and_localhost_never_go_through_the_environment_proxy() {
        for target in [
            "https://127.0.0.1:6443",
            "https://127.1.2.3",
            "https://[::1]:6443",
            "https://localhost:6443",
            "https://LOCALHOST.:6443",
        ] {
            assert!(!proxied("", target), "{target}");
        }
        assert!(proxied("", "https://10.0.0.1:6443"));
        assert!(proxied("", "https://localhost.example.com"));
    }

    #[test]
    fn no_proxy_cidrs_ips_and_ports() {
        assert!(!proxied("10.0.0.0/8", "https://10.1.2.3:6443"));
        assert!(proxied("10.0.0.0/8", "https://11.1.2.3:6443"));
        assert!(!proxied("192.168.1.5", "https://192.168.1.5"));
        assert!(!proxied("192.168.1.5:6443", "https://192.168.1.5:6443"));
        assert!(proxied("192.168.1.5:6443", "https://192.168.1.5:443"));
        assert!(!proxied("fd00::/8", "https://[fd00::1]:6443"));
        assert!(!proxied("[fd00::1]:6443", "https://[fd00::1]:6443"));
        // A CIDR never matches a name, a name never matches an address.
        assert!(proxied("10.0.0.0/8", "https://kube.example.com"));
        assert!(proxied("example.com", "https://10.0.0.1"));
    }

    #[test]
    fn no_proxy_domains_as_go_reads_them() {
        // A name matches itself and its subdomains.
        assert!(!proxied("example.com", "https://example.com"));
        assert!(!proxied("example.com", "https://api.example.com:6443"));
        assert!(proxied("example.com", "https://notexample.com"));
        // A leading dot or `*.` matches subdomains only.
        assert!(proxied(".example.com", "https://example.com"));
        assert!(!proxied(".example.com", "https://api.example.com"));
        assert!(!proxied("*.example.com", "https://a.b.example.com"));
        assert!(proxied("*.example.com", "https://example.com"));
        // Ports must agree when given; case and spaces do not matter.
        assert!(!proxied(
            " API.Example.com:6443 ",
            "https://api.example.com:6443"
        ));
        assert!(proxied("api.example.com:6443", "https://api.example.com"));
        assert!(!proxied("api.example.com:443", "https://api.example.com"));
        assert!(!proxied("*", "https://anything.example"));
    }

    #[test]
    fn malformed_entries_are_skipped_not_fatal() {
        // `$NO_PROXY,foo` with NO_PROXY empty, trailing commas, Windows' `<local>`.
        assert!(!proxied(",,.svc,", "https://kubernetes.default.svc"));
        assert!(!proxied("<local>,10.0.0.0/8", "https://10.0.0.9"));
        assert!(proxied(":6443,[]", "https://kube.example.com:6443"));
    }

    #[test]
    fn a_clusters_proxy_url_wins_over_the_environment_and_no_proxy() {
        let e = env(&[("HTTPS_PROXY", "http://envproxy:1"), ("NO_PROXY", "*")]);
        let server = url("https://127.0.0.1:6443");
        let p = for_cluster(Some("socks5://jump:1080"), "prod", &server, &e)
            .unwrap()
            .unwrap();
        assert_eq!(p.url.as_str(), "socks5://jump:1080");
        assert!(p.source.contains("\"prod\""), "{}", p.source);
        // Without one, the environment decides (here: NO_PROXY=*).
        assert_eq!(for_cluster(None, "prod", &server, &e).unwrap(), None);
        assert_eq!(
            for_cluster(Some(""), "prod", &url("https://k.example"), &e).unwrap(),
            None
        );
        let e = env(&[("HTTPS_PROXY", "http://envproxy:1")]);
        let p = for_cluster(None, "prod", &url("https://k.example"), &e)
            .unwrap()
            .unwrap();
        assert_eq!(p.source, "HTTPS_PROXY");
    }

    #[test]
    fn unusable_proxies_are_errors_that_name_their_source() {
        let e = env(&[("HTTPS_PROXY", "ftp://proxy:21")]);
        let err = from_env(&url("https://k.example"), &e)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("HTTPS_PROXY") && err.contains("ftp://"),
            "{err}"
        );
        let err = for_cluster(
            Some("http://"),
            "c",
            &url("https://k.example"),
            &ProxyEnv::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("proxy-url of cluster \"c\""), "{err}");
    }

    #[test]
    fn descriptions_hide_passwords() {
        let p = Proxy {
            url: url("http://user:s3cret@proxy:3128"),
            source: "HTTPS_PROXY".into(),
        };
        let shown = p.describe();
        assert!(
            !shown.contains("s3cret") && shown.contains("proxy:3128"),
            "{shown}"
        );
    }
}

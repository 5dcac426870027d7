//! The user's own checks of a release (`[[deploy.checks]]` in msv.toml): named HTTP
//! requests with what their answers must be, sent through the preview Service before the
//! switch and through Service `S` when the verify window opens. Reading a check validates
//! it (so a bad one is refused at load, at its line in msv.toml); judging an answer is a
//! pure function.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cluster::{Cluster, ProxiedRequest};
use crate::output::sanitize;

pub mod smoke;

/// One check as msv.toml writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Written", into = "Written")]
pub struct Check {
    pub name: String,
    pub method: String,
    /// Path and query, starting with `/`.
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    pub expect: Expect,
}

/// What the answer must be; every field that is set must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The exact status; when unset, any 2xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Text the body must contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    /// JSON pointers (RFC 6901) into the body and the value each must equal.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub json: BTreeMap<String, serde_json::Value>,
}

/// The table as written, before it is checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    path: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default)]
    expect: Expect,
}

impl TryFrom<Written> for Check {
    type Error = String;
    fn try_from(w: Written) -> Result<Check, String> {
        let name = w.name.trim().to_string();
        if name.is_empty() {
            return Err("a check needs a name, shown when it fails".into());
        }
        let method = w
            .method
            .unwrap_or_else(|| "GET".into())
            .to_ascii_uppercase();
        if http::Method::from_bytes(method.as_bytes()).is_err() || method.is_empty() {
            return Err(format!("check {name:?}: {method:?} is not an HTTP method"));
        }
        if !w.path.starts_with('/') || w.path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "check {name:?}: path {:?} must start with / and hold no spaces (encode them as %20)",
                w.path
            ));
        }
        for (header, value) in &w.headers {
            http::HeaderName::from_bytes(header.as_bytes())
                .map_err(|_| format!("check {name:?}: {header:?} is not a header name"))?;
            http::HeaderValue::from_str(value).map_err(|_| {
                format!("check {name:?}: the value of header {header} is not valid in HTTP")
            })?;
        }
        if let Some(status) = w.expect.status
            && !(100..=599).contains(&status)
        {
            return Err(format!(
                "check {name:?}: status {status} is not an HTTP status (100 to 599)"
            ));
        }
        if let Some(bad) = w
            .expect
            .json
            .keys()
            .find(|p| !p.is_empty() && !p.starts_with('/'))
        {
            return Err(format!(
                "check {name:?}: {bad:?} is not a JSON pointer; write /items/0/id (RFC 6901)"
            ));
        }
        Ok(Check {
            name,
            method,
            path: w.path,
            headers: w.headers,
            body: w.body,
            expect: w.expect,
        })
    }
}

impl From<Check> for Written {
    fn from(c: Check) -> Written {
        Written {
            name: c.name,
            method: Some(c.method),
            path: c.path,
            headers: c.headers,
            body: c.body,
            expect: c.expect,
        }
    }
}

impl Check {
    /// `"list items" (GET /api/items)`.
    pub fn title(&self) -> String {
        format!("{:?} ({} {})", self.name, self.method, self.path)
    }

    fn request(&self) -> ProxiedRequest {
        ProxiedRequest {
            method: self.method.clone(),
            path: self.path.clone(),
            headers: self
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body: self.body.clone().unwrap_or_default().into_bytes(),
        }
    }
}

/// Why an answer does not meet `expect`, or `Ok` when it does.
pub fn judge(expect: &Expect, status: u16, body: &str) -> Result<(), String> {
    match expect.status {
        Some(want) if status != want => {
            return Err(format!(
                "answered {status}, expected {want}{}",
                excerpt(body)
            ));
        }
        None if !(200..300).contains(&status) => {
            return Err(format!(
                "answered {status}, expected a 2xx status{}",
                excerpt(body)
            ));
        }
        _ => {}
    }
    if let Some(text) = &expect.body_contains
        && !body.contains(text.as_str())
    {
        return Err(format!(
            "the body does not contain {text:?}{}",
            excerpt(body)
        ));
    }
    if !expect.json.is_empty() {
        let doc: serde_json::Value = serde_json::from_str(body)
            .map_err(|e| format!("the body is not JSON ({e}){}", excerpt(body)))?;
        for (pointer, want) in &expect.json {
            match doc.pointer(pointer) {
                Some(got) if got == want => {}
                Some(got) => return Err(format!("{pointer} is {got}, expected {want}")),
                None => return Err(format!("{pointer} is not in the body{}", excerpt(body))),
            }
        }
    }
    Ok(())
}

/// The first bytes of a body, escaped, for an error message.
fn excerpt(body: &str) -> String {
    if body.is_empty() {
        return String::new();
    }
    let head: String = body.chars().take(200).collect();
    let more = if head.len() < body.len() { "…" } else { "" };
    format!(": \"{}\"{more}", sanitize(&head))
}

/// Sends every check through Service `service` (one after another, in the order written)
/// and returns the first that fails, described.
pub async fn run(
    cluster: &Cluster,
    service: &str,
    port: u16,
    checks: &[Check],
    timeout: Duration,
) -> Result<(), String> {
    for check in checks {
        let answer = cluster
            .service_proxy_request(service, port, &check.request(), timeout)
            .await
            .map_err(|e| format!("check {} through {service}: {e:#}", check.title()))?;
        judge(&check.expect, answer.status, &answer.body)
            .map_err(|why| format!("check {} through {service} failed: {why}", check.title()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(toml_text: &str) -> Result<Check, String> {
        #[derive(Deserialize)]
        struct One {
            check: Check,
        }
        toml::from_str::<One>(toml_text)
            .map(|o| o.check)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_check_reads_with_its_defaults() {
        let c = check("[check]\nname = \"items\"\npath = \"/api/items?limit=1\"\n").unwrap();
        assert_eq!(
            (c.method.as_str(), c.path.as_str()),
            ("GET", "/api/items?limit=1")
        );
        assert_eq!(c.expect, Expect::default());
        let c = check(
            "[check]\nname = \"create\"\nmethod = \"post\"\npath = \"/api/items\"\nbody = '{\"n\":1}'\nheaders = { content-type = \"application/json\" }\nexpect = { status = 201, json = { \"/id\" = 7 } }\n",
        )
        .unwrap();
        assert_eq!(c.method, "POST");
        assert_eq!(c.expect.status, Some(201));
        assert_eq!(c.expect.json["/id"], json!(7));
    }

    #[test]
    fn a_bad_check_is_refused_naming_what() {
        for (text, problem) in [
            ("name = \"\"\npath = \"/\"", "a check needs a name"),
            ("name = \"a\"\npath = \"api\"", "must start with /"),
            (
                "name = \"a\"\npath = \"/a b\"",
                "must start with / and hold no spaces",
            ),
            (
                "name = \"a\"\nmethod = \"G T\"\npath = \"/\"",
                "is not an HTTP method",
            ),
            (
                "name = \"a\"\npath = \"/\"\nexpect = { status = 999 }",
                "not an HTTP status",
            ),
            (
                "name = \"a\"\npath = \"/\"\nexpect = { json = { \"id\" = 1 } }",
                "not a JSON pointer",
            ),
            (
                "name = \"a\"\npath = \"/\"\nheaders = { \"a b\" = \"1\" }",
                "is not a header name",
            ),
            (
                "name = \"a\"\npath = \"/\"\nexpect = { code = 200 }",
                "unknown field `code`",
            ),
            (
                "name = \"a\"\npath = \"/\"\ntimeout = 3",
                "unknown field `timeout`",
            ),
        ] {
            let err = check(&format!("[check]\n{text}\n")).unwrap_err();
            assert!(err.contains(problem), "{text}: {err}");
        }
    }

    #[test]
    fn answers_are_judged_by_every_expectation_set() {
        let any = Expect::default();
        assert_eq!(judge(&any, 204, ""), Ok(()));
        assert_eq!(
            judge(&any, 503, "upstream <down>\n"),
            Err("answered 503, expected a 2xx status: \"upstream <down>\\n\"".into())
        );
        let exact = Expect {
            status: Some(404),
            ..Default::default()
        };
        assert_eq!(judge(&exact, 404, ""), Ok(()));
        assert!(
            judge(&exact, 200, "")
                .unwrap_err()
                .starts_with("answered 200, expected 404")
        );
        let body = Expect {
            body_contains: Some("items".into()),
            ..Default::default()
        };
        assert!(
            judge(&body, 200, "[]")
                .unwrap_err()
                .contains("does not contain \"items\"")
        );
        let pointers = Expect {
            json: [
                ("/items/0/id".to_string(), json!(1)),
                ("/ok".to_string(), json!(true)),
            ]
            .into_iter()
            .collect(),
            ..Default::default()
        };
        assert_eq!(
            judge(&pointers, 200, r#"{"ok":true,"items":[{"id":1}]}"#),
            Ok(())
        );
        assert_eq!(
            judge(&pointers, 200, r#"{"ok":true,"items":[{"id":2}]}"#),
            Err("/items/0/id is 2, expected 1".into())
        );
        assert!(
            judge(&pointers, 200, r#"{"ok":true}"#)
                .unwrap_err()
                .starts_with("/items/0/id is not in the body")
        );
        assert!(
            judge(&pointers, 200, "<html>")
                .unwrap_err()
                .starts_with("the body is not JSON")
        );
    }

    #[test]
    fn long_bodies_are_cut_and_escaped() {
        let long = format!("\u{1b}[31m{}", "x".repeat(500));
        let err = judge(&Expect::default(), 500, &long).unwrap_err();
        assert!(err.ends_with("…"), "{err}");
        assert!(!err.contains('\u{1b}'), "{err}");
        assert!(err.len() < 300, "{err}");
    }
}

//! `Warning` headers from the API server (deprecated APIs, doubtful field values), shown the
//! way kubectl shows them: `Warning: TEXT` on stderr, each text once per run, escaped, never
//! on stdout. A tower layer on every client reads the headers of every response; parsing
//! (RFC 7234's `299 - "text"`, several per header) is a pure function.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use http::HeaderMap;

use crate::output::sanitize;

/// The warnings seen so far in this run, shared by every client.
#[derive(Clone, Default)]
pub struct Warnings {
    seen: Arc<Mutex<HashSet<String>>>,
}

impl Warnings {
    /// The one set of this process, so a warning is shown once however many clients see it.
    pub fn of_this_run() -> Warnings {
        static RUN: std::sync::OnceLock<Warnings> = std::sync::OnceLock::new();
        RUN.get_or_init(Warnings::default).clone()
    }

    /// Prints the warnings in `headers` that were not printed before.
    pub fn note(&self, headers: &HeaderMap) {
        let fresh = self.fresh(headers);
        for text in fresh {
            eprintln!("Warning: {}", sanitize(&text));
        }
    }

    /// The warnings in `headers` not seen before, remembered from now on.
    fn fresh(&self, headers: &HeaderMap) -> Vec<String> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        headers
            .get_all(http::header::WARNING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(parse)
            .filter(|text| seen.insert(text.clone()))
            .collect()
    }
}

/// The texts of a `Warning` header value: `CODE AGENT "TEXT" ["DATE"]`, comma-separated.
/// Only code 299 (a persistent warning, the one Kubernetes sends) is kept, as client-go
/// keeps it; a malformed value yields what could be read before it.
pub fn parse(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value.trim_start();
    while !rest.is_empty() {
        let Some((code, after)) = rest.split_once(' ') else {
            break;
        };
        let Some((_agent, after)) = after.trim_start().split_once(' ') else {
            break;
        };
        let Some((text, after)) = quoted(after.trim_start()) else {
            break;
        };
        if code.trim() == "299" && !text.is_empty() {
            out.push(text);
        }
        rest = after.trim_start();
        // An optional quoted date.
        if rest.starts_with('"')
            && let Some((_, after)) = quoted(rest)
        {
            rest = after.trim_start();
        }
        match rest.strip_prefix(',') {
            Some(next) => rest = next.trim_start(),
            None => break,
        }
    }
    out
}

/// A quoted string at the start of `s` (with `\` escapes), and what follows it.
fn quoted(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut text = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => text.push(chars.next()?.1),
            '"' => return Some((text, &body[i + 1..])),
            c => text.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_warnings_are_read_as_client_go_reads_them() {
        assert_eq!(
            parse(
                r#"299 - "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice""#
            ),
            ["v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"]
        );
        assert_eq!(
            parse(
                r#"299 - "a \"quoted\" word", 299 kube-apiserver "second" "Wed, 21 Oct 2015 07:28:00 GMT""#
            ),
            [r#"a "quoted" word"#, "second"]
        );
        // Other codes (110 "response is stale"...) are not Kubernetes warnings.
        assert_eq!(parse(r#"110 - "stale", 299 - "kept""#), ["kept"]);
        assert_eq!(parse(r#"299 - "unterminated"#), Vec::<String>::new());
        assert_eq!(parse("garbage"), Vec::<String>::new());
    }

    #[test]
    fn each_warning_is_shown_once() {
        let w = Warnings::default();
        let mut headers = HeaderMap::new();
        headers.append("warning", r#"299 - "one""#.parse().unwrap());
        headers.append("warning", r#"299 - "two""#.parse().unwrap());
        assert_eq!(w.fresh(&headers), ["one", "two"]);
        assert_eq!(w.fresh(&headers), Vec::<String>::new());
        // Clones share what was seen: one run, many clients.
        let mut more = HeaderMap::new();
        more.append("warning", r#"299 - "one", 299 - "three""#.parse().unwrap());
        assert_eq!(w.clone().fresh(&more), ["three"]);
    }
}

//! Image references as Docker parses them (`[host[:port]/]path[:tag][@digest]`), to
//! refuse a bad name before the engine or a registry is asked.

use anyhow::{Result, bail};
use regex::Regex;
use std::sync::LazyLock;

// The grammar of the distribution reference library, written out as one regex.
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    let component = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    let domain_part = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    let domain = format!(r"(?:{domain_part}(?:\.{domain_part})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?");
    let tag = r"[\w][\w.-]{0,127}";
    let digest = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
    Regex::new(&format!(
        r"^(?:{domain}/)?{component}(?:/{component})*(?::{tag})?(?:@{digest})?$"
    ))
    .expect("a valid reference regex")
});

/// A reference that passed Docker's grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference(pub String);

impl Reference {
    pub fn parse(text: &str) -> Result<Self> {
        let name_len = text.split(['@']).next().map_or(0, |n| split_tag(n).0.len());
        if !REFERENCE.is_match(text) || name_len > 255 {
            bail!(
                "{text:?} is not a valid image reference: use lowercase [registry/]name[:tag], \
                 e.g. 127.0.0.1:5000/orders:v1"
            );
        }
        Ok(Self(text.to_string()))
    }
}

/// Splits `repo:tag` into its repository and tag (`latest` when there is none); a
/// registry port is not a tag.
pub fn split_tag(reference: &str) -> (&str, &str) {
    match reference.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (reference, "latest"),
    }
}

/// The repository part of a reference, without tag or digest.
pub fn repository(reference: &str) -> &str {
    let name = reference.split('@').next().unwrap_or(reference);
    split_tag(name).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_grammar() {
        for good in [
            "busybox",
            "msv-test/busybox:1",
            "127.0.0.1:5000/a/b:abc1234-dirty",
            "localhost/x",
            "reg.io/a__b/c.d:v1.2_3",
            "reg.io/a@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(Reference::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "UPPER",
            "a/Upper",
            "a b",
            "a/",
            "/a",
            "a:",
            "a:-x",
            "reg.io/a:t@",
            "a//b",
            "-a",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_and_ports() {
        assert_eq!(split_tag("127.0.0.1:5000/a:v1"), ("127.0.0.1:5000/a", "v1"));
        assert_eq!(
            split_tag("127.0.0.1:5000/a"),
            ("127.0.0.1:5000/a", "latest")
        );
        assert_eq!(repository("r:1/a:v1@sha256:00"), "r:1/a");
    }
}

//! The names msv puts into a cluster, and the one rule a service name follows.
//!
//! A service's name becomes its Deployments, its Services `NAME` and `NAME-preview`, its
//! Lease, its image repository and the `service.name` its traces carry, so `msv new`,
//! msv.toml and `MSV_SERVICE_NAME`, and every command that takes a service on the command
//! line accept it only as a [`ServiceName`]. A name that breaks a rule is refused with what
//! is wrong, the rule, and a valid name to use instead. The namespace rule and the rule
//! for a Kubernetes Service that msv did not name (`--backend-service`) live here too.
//! Nothing here talks to a cluster; where a name ends up is decided by the deploy concern.

use std::fmt;
use std::str::FromStr;

use heck::ToKebabCase as _;
use serde::{Deserialize, Deserializer, Serialize};

/// The longest label Kubernetes accepts as a Service or Namespace name.
const LABEL_MAX: usize = 63;

/// The suffix of the preview Service, the longest name msv derives from a service name.
const PREVIEW_SUFFIX: &str = "-preview";

/// The longest service name: `NAME-preview` must still be a valid Service name.
pub const SERVICE_MAX: usize = LABEL_MAX - PREVIEW_SUFFIX.len();

/// A naming rule: which labels it accepts, and how an error describes it.
pub struct Rule {
    /// What the name is, as an error calls it: "service name", "namespace".
    what: &'static str,
    max: usize,
    /// RFC 1035 labels start with a letter; RFC 1123 labels may start with a digit.
    letter_first: bool,
    /// The rule in words, ending the error message.
    explained: &'static str,
}

/// The rule for a service's name: an RFC 1035 label of at most [`SERVICE_MAX`] characters.
pub const SERVICE: Rule = Rule {
    what: "service name",
    max: SERVICE_MAX,
    letter_first: true,
    explained: "a service name must be an RFC 1035 label of at most 55 characters: lowercase \
                letters a-z, digits 0-9 and '-', starting with a letter and not ending with '-' \
                (55, not 63, so that the preview Service NAME-preview is a valid Service name too)",
};

/// A Kubernetes namespace: an RFC 1123 label.
pub const NAMESPACE: Rule = Rule {
    what: "namespace",
    max: LABEL_MAX,
    letter_first: false,
    explained: "a namespace must be an RFC 1123 label: lowercase letters a-z, digits 0-9 and \
                '-', starting and ending with a letter or digit, at most 63 characters",
};

/// Any Kubernetes Service, such as a trace backend's: an RFC 1035 label.
pub const KUBE_SERVICE: Rule = Rule {
    what: "Kubernetes Service name",
    max: LABEL_MAX,
    letter_first: true,
    explained: "a Kubernetes Service name must be an RFC 1035 label: lowercase letters a-z, \
                digits 0-9 and '-', starting with a letter and not ending with '-', at most 63 \
                characters",
};

/// A Service port's name: an IANA service name, at most 15 characters.
pub const PORT_NAME: Rule = Rule {
    what: "port name",
    max: 15,
    letter_first: false,
    explained: "a port is a number from 1 to 65535 or a port name: lowercase letters a-z, \
                digits 0-9 and '-', starting and ending with a letter or digit, at most 15 \
                characters",
};

/// Checks `name` against `rule`; the error says what is wrong, states the rule and, when
/// one can be made, suggests a name that passes.
pub fn check(rule: &Rule, name: &str) -> Result<(), String> {
    let Some(why) = problem(rule, name) else {
        return Ok(());
    };
    let hint = match suggest(rule, name) {
        Some(s) => format!("try `{s}`"),
        None => "e.g. `orders`".to_string(),
    };
    Err(format!(
        "invalid {} {name:?}: {why}; {}; {hint}",
        rule.what, rule.explained
    ))
}

/// The first part of `rule` that `name` breaks, or `None`.
fn problem(rule: &Rule, name: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let Some(first) = name.chars().next() else {
        return Some("it is empty".to_string());
    };
    if let Some(c) = name.chars().find(|&c| !allowed(c)) {
        Some(format!("it contains {c:?}"))
    } else if name.len() > rule.max {
        // Only ASCII is left, so bytes are characters.
        Some(format!(
            "it is {} characters long, {} more than the {} allowed",
            name.len(),
            name.len() - rule.max,
            rule.max
        ))
    } else if rule.letter_first && !first.is_ascii_lowercase() {
        Some(format!("it starts with {first:?}, not a letter"))
    } else if first == '-' {
        Some("it starts with '-'".to_string())
    } else if name.ends_with('-') {
        Some("it ends with '-'".to_string())
    } else {
        None
    }
}

/// A name close to `name` that passes `rule`, or `None` when nothing usable is left.
///
/// Words are kept apart by '-' (`OrderService` -> `order-service`); a name that starts
/// with a digit gets a `svc-` prefix rather than losing the digits (`2fast` -> `svc-2fast`).
pub fn suggest(rule: &Rule, name: &str) -> Option<String> {
    let mut s = String::new();
    for c in name.to_kebab_case().chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    if rule.letter_first && s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert_str(0, "svc-");
    }
    s.truncate(rule.max);
    while s.ends_with('-') {
        s.pop();
    }
    (!s.is_empty() && s != name).then_some(s)
}

/// A service name that follows [`SERVICE`]. Parsing (from a flag, an argument, msv.toml or
/// an environment variable) is the only way to make one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ServiceName(String);

impl ServiceName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ServiceName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        check(&SERVICE, s).map(|()| ServiceName(s.to_string()))
    }
}

impl<'de> Deserialize<'de> for ServiceName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str) -> Result<(), String> {
        check(&SERVICE, name)
    }

    #[test]
    fn the_longest_service_name_leaves_room_for_its_preview_service() {
        assert_eq!(SERVICE_MAX, 55);
        let longest = "a".repeat(SERVICE_MAX);
        assert_eq!(service(&longest), Ok(()));
        let preview = crate::deploy::plan::preview_name(&longest);
        assert_eq!(check(&KUBE_SERVICE, &preview), Ok(()), "{preview}");
        let err = service(&"a".repeat(56)).unwrap_err();
        assert!(
            err.contains("56 characters long, 1 more than the 55"),
            "{err}"
        );
        assert!(err.contains("NAME-preview"), "{err}");
        assert!(err.contains(&format!("try `{longest}`")), "{err}");
    }

    #[test]
    fn accepts_rfc_1035_labels() {
        for ok in ["a", "orders", "order-service-2", "a1-b2"] {
            assert_eq!(service(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn says_what_is_wrong_and_suggests() {
        let cases = [
            ("2fast", "starts with '2', not a letter", Some("svc-2fast")),
            ("orders-", "ends with '-'", Some("orders")),
            ("-orders", "starts with '-', not a letter", Some("orders")),
            ("Orders", "contains 'O'", Some("orders")),
            ("Order_Service", "contains 'O'", Some("order-service")),
            ("orders.v2", "contains '.'", Some("orders-v2")),
            ("", "it is empty", None),
            ("---", "starts with '-'", None),
        ];
        for (name, why, suggestion) in cases {
            let err = service(name).unwrap_err();
            assert!(
                err.starts_with(&format!("invalid service name {name:?}: ")),
                "{err}"
            );
            assert!(err.contains(why), "{name}: {err}");
            assert!(
                err.contains("RFC 1035 label of at most 55 characters"),
                "{err}"
            );
            assert_eq!(suggest(&SERVICE, name).as_deref(), suggestion, "{name}");
            match suggestion {
                Some(s) => assert!(err.ends_with(&format!("try `{s}`")), "{err}"),
                None => assert!(err.ends_with("e.g. `orders`"), "{err}"),
            }
        }
    }

    #[test]
    fn suggestions_pass_the_rule() {
        let long_words = "Ab".repeat(40);
        let digits_then_long = format!("9{}", "x".repeat(60));
        let dash_at_cut = format!("{}-b", "a".repeat(54));
        for bad in [
            "My Service",
            "a..b",
            "UPPER",
            "x_y_",
            "-lead",
            "123",
            "café-au-lait",
            &long_words,
            &digits_then_long,
            &dash_at_cut,
            &"a".repeat(64),
        ] {
            let suggestion = suggest(&SERVICE, bad).expect(bad);
            assert_eq!(service(&suggestion), Ok(()), "{bad} -> {suggestion}");
        }
    }

    #[test]
    fn a_namespace_may_start_with_a_digit_and_have_63_characters() {
        for ok in ["default", "2024-q1", &"n".repeat(63)] {
            assert_eq!(check(&NAMESPACE, ok), Ok(()), "{ok}");
        }
        let err = check(&NAMESPACE, "Team_A").unwrap_err();
        assert!(err.starts_with("invalid namespace \"Team_A\""), "{err}");
        assert!(err.contains("RFC 1123"), "{err}");
        assert!(err.ends_with("try `team-a`"), "{err}");
        assert!(
            check(&NAMESPACE, "-a")
                .unwrap_err()
                .contains("starts with '-'")
        );
        assert!(check(&NAMESPACE, &"n".repeat(64)).is_err());
        assert_eq!(suggest(&NAMESPACE, "2-Fast"), Some("2-fast".to_string()));
    }

    #[test]
    fn a_service_name_parses_only_when_valid() {
        assert_eq!("orders".parse::<ServiceName>().unwrap().as_str(), "orders");
        assert!("2fast".parse::<ServiceName>().is_err());
        let from_toml: Result<ServiceName, _> = serde_json::from_str("\"Orders\"");
        assert!(from_toml.unwrap_err().to_string().contains("try `orders`"));
    }
}

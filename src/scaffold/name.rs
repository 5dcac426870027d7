//! Service names: the RFC 1123 label rule every name must follow (it becomes a Kubernetes
//! label, an image repository and a DNS name), a suggestion when it does not, and the case
//! variants templates receive.

use heck::{ToKebabCase, ToPascalCase, ToSnakeCase};

/// The longest DNS label (RFC 1123).
const MAX_LEN: usize = 63;

/// Checks `name` against the RFC 1123 label rule; the error says which part is wrong and
/// suggests a name that would be accepted.
pub fn validate(name: &str) -> Result<(), String> {
    let problem = if name.is_empty() {
        Some("it is empty".to_string())
    } else if name.len() > MAX_LEN {
        Some(format!("it is {} characters long; the limit is {MAX_LEN}", name.len()))
    } else if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        Some(format!(
            "it contains {c:?}; only lowercase letters a-z, digits 0-9 and '-' are allowed"
        ))
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("it must start with a lowercase letter".to_string())
    } else if name.ends_with('-') {
        Some("it must not end with '-'".to_string())
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(why) => {
            let hint = match suggest(name) {
                Some(s) => format!("; try `{s}`"),
                None => String::new(),
            };
            Err(format!(
                "invalid service name {name:?}: {why} (a service name must be an RFC 1123 \
                 label: lowercase letters, digits and '-', starting with a letter, at most \
                 {MAX_LEN} characters){hint}"
            ))
        }
    }
}

/// A valid label close to `name`, or `None` when nothing usable is left.
pub fn suggest(name: &str) -> Option<String> {
    let mut s = name.to_kebab_case();
    s.retain(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let s = s.trim_start_matches(|c: char| !c.is_ascii_lowercase());
    let mut s: String = s.chars().take(MAX_LEN).collect();
    while s.ends_with('-') {
        s.pop();
    }
    (!s.is_empty() && s != name).then_some(s)
}

/// The case variants of a valid service name, as templates see them.
pub fn variants(name: &str) -> [(&'static str, String); 4] {
    [
        ("name", name.to_string()),
        ("name_snake", name.to_snake_case()),
        ("name_kebab", name.to_kebab_case()),
        ("name_pascal", name.to_pascal_case()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_labels() {
        for ok in ["a", "orders", "order-service-2", &"a".repeat(63)] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_with_reason_and_suggestion() {
        let err = validate("Order_Service").unwrap_err();
        assert!(err.contains("contains 'O'"), "{err}");
        assert!(err.contains("try `order-service`"), "{err}");
        let err = validate("2fast").unwrap_err();
        assert!(err.contains("start with a lowercase letter"), "{err}");
        assert!(err.contains("try `fast`"), "{err}");
        assert!(validate("orders-").unwrap_err().contains("try `orders`"));
        assert!(validate(&"a".repeat(64)).unwrap_err().contains("64 characters"));
        assert!(validate("").unwrap_err().contains("empty"));
        assert!(!validate("---").unwrap_err().contains("try"));
    }

    #[test]
    fn case_variants() {
        let v = variants("order-service");
        assert_eq!(v[1].1, "order_service");
        assert_eq!(v[2].1, "order-service");
        assert_eq!(v[3].1, "OrderService");
    }
}

//! Label selectors (the query-string syntax and the `LabelSelector` object) and the field
//! selectors the API server supports for the served kinds.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Req {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// Parses `a=b,c!=d,e in (f,g),!h`; an error names the bad requirement.
pub(crate) fn parse_labels(s: &str) -> Result<Vec<Req>, String> {
    let mut reqs = Vec::new();
    for part in split_top(s) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let req = if let Some(k) = part.strip_prefix('!') {
            Req::NotExists(k.trim().to_string())
        } else if let Some((k, v)) = part.split_once("!=") {
            Req::NotEq(k.trim().into(), v.trim().into())
        } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            Req::Eq(k.trim().into(), v.trim().into())
        } else if let Some((k, rest)) = part.split_once(" notin ") {
            Req::NotIn(k.trim().into(), set(rest)?)
        } else if let Some((k, rest)) = part.split_once(" in ") {
            Req::In(k.trim().into(), set(rest)?)
        } else if part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        {
            Req::Exists(part.to_string())
        } else {
            return Err(format!("unable to parse requirement: {part}"));
        };
        reqs.push(req);
    }
    Ok(reqs)
}

fn set(s: &str) -> Result<Vec<String>, String> {
    let s = s.trim();
    let inner = s
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format!("found '{s}', expected: '('"))?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

/// Splits on commas outside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

pub(crate) fn matches(reqs: &[Req], labels: &Value) -> bool {
    let get = |k: &str| labels.get(k).and_then(Value::as_str);
    reqs.iter().all(|r| match r {
        Req::Eq(k, v) => get(k) == Some(v.as_str()),
        Req::NotEq(k, v) => get(k) != Some(v.as_str()),
        Req::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        Req::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
        Req::Exists(k) => get(k).is_some(),
        Req::NotExists(k) => get(k).is_none(),
    })
}

/// A `LabelSelector` object as requirements. An empty selector matches everything.
pub(crate) fn from_label_selector(sel: &Value) -> Vec<Req> {
    let mut reqs = Vec::new();
    if let Some(m) = sel["matchLabels"].as_object() {
        for (k, v) in m {
            reqs.push(Req::Eq(k.clone(), v.as_str().unwrap_or("").to_string()));
        }
    }
    if let Some(exprs) = sel["matchExpressions"].as_array() {
        for e in exprs {
            let key = e["key"].as_str().unwrap_or("").to_string();
            let values: Vec<String> = e["values"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            reqs.push(match e["operator"].as_str().unwrap_or("") {
                "In" => Req::In(key, values),
                "NotIn" => Req::NotIn(key, values),
                "Exists" => Req::Exists(key),
                _ => Req::NotExists(key),
            });
        }
    }
    reqs
}

/// A map selector (Service `spec.selector`): `None` for an absent or empty one, which
/// selects no pods for a Service.
pub(crate) fn from_map(sel: &Value) -> Option<Vec<Req>> {
    let m = sel.as_object().filter(|m| !m.is_empty())?;
    Some(
        m.iter()
            .map(|(k, v)| Req::Eq(k.clone(), v.as_str().unwrap_or("").to_string()))
            .collect(),
    )
}

/// `a=b,c=d` as `kubectl` and the Scale subresource print a selector.
pub(crate) fn to_string(sel: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(m) = sel["matchLabels"].as_object() {
        parts.extend(
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))),
        );
    }
    parts.join(",")
}

#[derive(Debug, Clone)]
pub(crate) struct FieldReq {
    pub path: String,
    pub value: String,
    pub negate: bool,
}

pub(crate) fn parse_fields(s: &str, kind: &str) -> Result<Vec<FieldReq>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (path, value, negate) = if let Some((k, v)) = part.split_once("!=") {
            (k, v, true)
        } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            (k, v, false)
        } else {
            return Err(format!(
                "invalid selector: '{part}'; can't understand '{part}'"
            ));
        };
        let allowed = match kind {
            "Pod" => &[
                "metadata.name",
                "metadata.namespace",
                "status.phase",
                "spec.nodeName",
                "spec.restartPolicy",
                "spec.schedulerName",
                "spec.serviceAccountName",
                "status.podIP",
                "status.nominatedNodeName",
            ][..],
            "Event" => &[
                "metadata.name",
                "metadata.namespace",
                "involvedObject.kind",
                "involvedObject.namespace",
                "involvedObject.name",
                "involvedObject.uid",
                "involvedObject.apiVersion",
                "involvedObject.resourceVersion",
                "involvedObject.fieldPath",
                "reason",
                "reportingComponent",
                "source",
                "type",
            ][..],
            "ReplicaSet" => &["metadata.name", "metadata.namespace", "status.replicas"][..],
            _ => &["metadata.name", "metadata.namespace"][..],
        };
        if !allowed.contains(&path) {
            return Err(format!("field label not supported: {path}"));
        }
        out.push(FieldReq {
            path: path.to_string(),
            value: value.to_string(),
            negate,
        });
    }
    Ok(out)
}

pub(crate) fn field_matches(reqs: &[FieldReq], obj: &Value) -> bool {
    reqs.iter().all(|r| {
        let mut cur = obj;
        for seg in r.path.split('.') {
            cur = &cur[seg];
        }
        let actual = match cur {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        (actual == r.value) != r.negate
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_selectors_parse_and_match() {
        let labels = json!({"app": "orders", "color": "blue"});
        let ok = |s: &str| matches(&parse_labels(s).unwrap(), &labels);
        assert!(ok("app=orders,color in (blue,green)"));
        assert!(ok("app==orders,!tier"));
        assert!(!ok("color notin (blue)"));
        assert!(!ok("app!=orders"));
        assert!(ok("color"));
        assert!(ok(""));
    }

    #[test]
    fn field_selectors_reject_unsupported_fields() {
        assert!(parse_fields("status.phase=Running", "Pod").is_ok());
        assert!(parse_fields("status.phase=Running", "Service").is_err());
        let reqs = parse_fields("metadata.name=a", "Pod").unwrap();
        assert!(field_matches(&reqs, &json!({"metadata": {"name": "a"}})));
        assert!(!field_matches(&reqs, &json!({"metadata": {"name": "b"}})));
    }

    #[test]
    fn empty_service_selector_selects_nothing() {
        assert!(from_map(&json!({})).is_none());
        assert!(from_label_selector(&json!({})).is_empty());
    }
}

//! `Status` error bodies with the codes, reasons, messages and details kube-apiserver
//! puts in them, so clients that branch on reason or code see what they would see live.

use serde_json::{Value, json};

use super::resources::ResourceType;

#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub code: u16,
    pub body: Value,
}

/// One cause of a 422 Invalid: the field and what is wrong with it.
#[derive(Debug, Clone)]
pub(crate) struct Cause {
    pub reason: &'static str,
    pub field: String,
    pub message: String,
}

impl Cause {
    pub fn required(field: &str) -> Cause {
        Cause {
            reason: "FieldValueRequired",
            field: field.into(),
            message: "Required value".into(),
        }
    }
    pub fn invalid(field: &str, value: impl std::fmt::Display, why: &str) -> Cause {
        Cause {
            reason: "FieldValueInvalid",
            field: field.into(),
            message: format!("Invalid value: {value}: {why}"),
        }
    }
}

fn status(code: u16, reason: &str, message: String, details: Option<Value>) -> ApiError {
    let mut body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code});
    if let Some(d) = details {
        body["details"] = d;
    }
    ApiError { code, body }
}

fn details(rt: &ResourceType, name: &str) -> Value {
    let mut d = json!({"name": name, "kind": rt.plural});
    if !rt.group.is_empty() {
        d["group"] = json!(rt.group);
    }
    d
}

impl ApiError {
    pub fn not_found(rt: &ResourceType, name: &str) -> ApiError {
        status(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", rt.qualified()),
            Some(details(rt, name)),
        )
    }
    pub fn namespace_not_found(ns: &str) -> ApiError {
        status(
            404,
            "NotFound",
            format!("namespaces \"{ns}\" not found"),
            Some(json!({"name": ns, "kind": "namespaces"})),
        )
    }
    pub fn path_not_found() -> ApiError {
        status(
            404,
            "NotFound",
            "the server could not find the requested resource".into(),
            Some(json!({})),
        )
    }
    pub fn already_exists(rt: &ResourceType, name: &str) -> ApiError {
        status(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", rt.qualified()),
            Some(details(rt, name)),
        )
    }
    pub fn conflict(rt: &ResourceType, name: &str) -> ApiError {
        status(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                rt.qualified()
            ),
            Some(details(rt, name)),
        )
    }
    pub fn apply_conflicts(
        rt: &ResourceType,
        name: &str,
        conflicts: &[super::apply::Conflict],
    ) -> ApiError {
        let message = if conflicts.len() == 1 {
            let c = &conflicts[0];
            format!(
                "Apply failed with 1 conflict: conflict with \"{}\" using {}: {}",
                c.manager, c.api_version, c.field
            )
        } else {
            let lines: Vec<String> = conflicts
                .iter()
                .map(|c| {
                    format!(
                        "conflict with \"{}\" using {}: {}",
                        c.manager, c.api_version, c.field
                    )
                })
                .collect();
            format!(
                "Apply failed with {} conflicts: {}",
                conflicts.len(),
                lines.join("\n")
            )
        };
        let causes: Vec<Value> = conflicts.iter().map(|c| json!({"reason": "FieldManagerConflict",
            "message": format!("conflict with \"{}\" using {}", c.manager, c.api_version), "field": c.field})).collect();
        let mut d = details(rt, name);
        d["causes"] = json!(causes);
        status(409, "Conflict", message, Some(d))
    }
    pub fn invalid(rt: &ResourceType, name: &str, causes: &[Cause]) -> ApiError {
        let parts: Vec<String> = causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        let joined = if parts.len() == 1 {
            parts[0].clone()
        } else {
            format!("[{}]", parts.join(", "))
        };
        let message = format!("{} \"{name}\" is invalid: {joined}", rt.qualified_kind());
        let mut d = json!({"name": name, "kind": rt.kind,
            "causes": causes.iter().map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field})).collect::<Vec<_>>()});
        if !rt.group.is_empty() {
            d["group"] = json!(rt.group);
        }
        status(422, "Invalid", message, Some(d))
    }
    /// 403 from an admission plugin: `pods "NAME" is forbidden: WHY`.
    pub fn forbidden(rt: &ResourceType, name: &str, why: &str) -> ApiError {
        status(
            403,
            "Forbidden",
            format!("{} \"{name}\" is forbidden: {why}", rt.qualified()),
            Some(details(rt, name)),
        )
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        status(400, "BadRequest", message.into(), None)
    }
    pub fn unauthorized() -> ApiError {
        status(401, "Unauthorized", "Unauthorized".into(), None)
    }
    pub fn method_not_allowed() -> ApiError {
        status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource".into(),
            Some(json!({})),
        )
    }
    pub fn unsupported_media(ct: &str) -> ApiError {
        status(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {ct:?})"
            ),
            None,
        )
    }
    pub fn service_unavailable(message: String) -> ApiError {
        status(503, "ServiceUnavailable", message, None)
    }
    /// A failure chosen by a test (fault injection), shaped like the server's own.
    pub fn injected(code: u16, message: &str) -> ApiError {
        let reason = match code {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            409 => "Conflict",
            410 => "Expired",
            422 => "Invalid",
            429 => "TooManyRequests",
            500 => "InternalError",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "Unknown",
        };
        status(code, reason, message.into(), None)
    }
}

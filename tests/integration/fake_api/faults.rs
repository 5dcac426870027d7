//! Fault injection chosen by a test: a latency for every request, and rules that answer
//! chosen requests (by Kubernetes verb, resource and optionally name) with an error
//! Status, a delay, or a reset connection — a number of times or for ever.

use std::time::Duration;

/// What a matching request gets.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    Status(u16, String),
    Reset,
    Delay(Duration),
}

/// A fault rule: `Fault::on("patch", "services").status(500).times(1)`.
#[derive(Debug, Clone)]
pub struct Fault {
    verb: Option<String>,
    resource: Option<String>,
    name: Option<String>,
    pub(crate) action: Action,
    remaining: Option<u32>,
}

#[allow(dead_code)]
impl Fault {
    /// Matches a verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `deletecollection`, or `*`) on a resource (`deployments`, `pods/log`,
    /// `services/proxy`, `deployments/status`, or `*`). Default action: 500.
    pub fn on(verb: &str, resource: &str) -> Fault {
        let opt = |s: &str| (s != "*").then(|| s.to_string());
        Fault {
            verb: opt(verb),
            resource: opt(resource),
            name: None,
            action: Action::Status(500, "injected failure".into()),
            remaining: None,
        }
    }
    pub fn named(mut self, name: &str) -> Fault {
        self.name = Some(name.to_string());
        self
    }
    /// Answer with this status code and a Status body of the matching reason.
    pub fn status(mut self, code: u16) -> Fault {
        self.action = Action::Status(code, format!("injected failure ({code})"));
        self
    }
    pub fn message(mut self, message: &str) -> Fault {
        if let Action::Status(code, _) = self.action {
            self.action = Action::Status(code, message.to_string());
        }
        self
    }
    /// Close the connection without an answer.
    pub fn reset(mut self) -> Fault {
        self.action = Action::Reset;
        self
    }
    /// Answer normally, but only after this delay.
    pub fn delay(mut self, d: Duration) -> Fault {
        self.action = Action::Delay(d);
        self
    }
    /// Only the next `n` matching requests; then the rule is spent.
    pub fn times(mut self, n: u32) -> Fault {
        self.remaining = Some(n);
        self
    }

    fn matches(&self, verb: &str, resource: &str, name: Option<&str>) -> bool {
        self.verb.as_deref().is_none_or(|v| v == verb)
            && self.resource.as_deref().is_none_or(|r| r == resource)
            && self.name.as_deref().is_none_or(|n| Some(n) == name)
            && self.remaining != Some(0)
    }
}

#[derive(Default)]
pub(crate) struct Faults {
    pub latency: Duration,
    pub rules: Vec<Fault>,
}

impl Faults {
    /// The action for a request, consuming one use of the first matching rule.
    pub fn take(&mut self, verb: &str, resource: &str, name: Option<&str>) -> Option<Action> {
        let rule = self
            .rules
            .iter_mut()
            .find(|r| r.matches(verb, resource, name))?;
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
        }
        Some(rule.action.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counted_rule_is_spent() {
        let mut f = Faults::default();
        f.rules
            .push(Fault::on("patch", "services").status(503).times(1));
        assert!(f.take("get", "services", None).is_none());
        assert!(matches!(
            f.take("patch", "services", Some("x")),
            Some(Action::Status(503, _))
        ));
        assert!(f.take("patch", "services", Some("x")).is_none());
    }

    #[test]
    fn wildcards_and_names() {
        let mut f = Faults::default();
        f.rules
            .push(Fault::on("*", "deployments").named("a").reset());
        assert!(f.take("get", "deployments", Some("b")).is_none());
        assert!(matches!(
            f.take("watch", "deployments", Some("a")),
            Some(Action::Reset)
        ));
    }
}

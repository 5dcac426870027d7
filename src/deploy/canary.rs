//! The pure half of a canary soak: how many candidate pods give a step its share of the
//! traffic, and how Service `S` looks while it serves both colors. During a soak `S`
//! selects every pod of the service (the color key dropped from its selector) and carries
//! the annotation [`CANARY_ANNOTATION`] naming the candidate, so a deploy that was killed
//! mid-soak is recognised by the next one — and `S`'s live color is still known.

use super::plan::{COLOR_LABEL, Color, NAME_LABEL};
use crate::analysis::Judgement;
use k8s_openapi::api::core::v1::Service;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// On Service `S` while it serves both colors: the color that is the canary.
pub const CANARY_ANNOTATION: &str = "msv/canary";

/// One step of a soak as planned: the share asked for and the pod counts that give it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The share asked for, in percent.
    pub percent: u8,
    pub candidate_replicas: i32,
    pub live_replicas: i32,
}

impl Step {
    /// The candidate's share of `S`'s ready endpoints once all pods are ready, in percent.
    /// kube-proxy spreads connections evenly over ready endpoints, so this is its share of
    /// new connections.
    pub fn share(&self) -> f64 {
        share(self.candidate_replicas, self.live_replicas)
    }
}

/// What one step of a soak did, for the summary and the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Soaked {
    #[serde(flatten)]
    pub step: Step,
    /// How long `S` served both colors in this step.
    pub ms: u64,
    /// `passed`, `failed` or `interrupted`.
    pub outcome: String,
    /// The side-by-side judgement, when `[deploy.analysis]` is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Judgement>,
}

/// `candidate / (candidate + live)` in percent; 0 when there are no pods at all.
pub fn share(candidate: i32, live: i32) -> f64 {
    let total = candidate + live;
    match total {
        t if t > 0 => 100.0 * candidate as f64 / t as f64,
        _ => 0.0,
    }
}

/// The candidate pods that, beside `live` pods, come nearest to `percent` of the ready
/// endpoints — at least one, or the step would measure nothing.
pub fn replicas_for(percent: u8, live: i32) -> i32 {
    let p = f64::from(percent.min(99));
    let exact = p * f64::from(live.max(0)) / (100.0 - p);
    (exact.round() as i32).max(1)
}

/// The steps of a soak against a live color of `live` pods.
pub fn plan_steps(percents: &[u8], live: i32) -> Vec<Step> {
    percents
        .iter()
        .map(|&percent| Step {
            percent,
            candidate_replicas: replicas_for(percent, live),
            live_replicas: live,
        })
        .collect()
}

/// `S`'s selector while it serves both colors of `service`.
pub fn both_selector(service: &str) -> BTreeMap<String, String> {
    [(NAME_LABEL.to_string(), service.to_string())].into()
}

/// The canary color when Service `S` serves both colors for a soak: its selector is
/// msv's without the color key and it names the canary. `None` for any other selector.
pub fn soaking(svc: &Service) -> Option<Color> {
    let selector = svc.spec.as_ref()?.selector.as_ref()?;
    let name = selector.get(NAME_LABEL)?;
    if selector.len() != 1 || selector.contains_key(COLOR_LABEL) {
        return None;
    }
    if svc.metadata.name.as_deref() != Some(name.as_str()) {
        return None;
    }
    let canary = svc.metadata.annotations.as_ref()?.get(CANARY_ANNOTATION)?;
    Color::parse(canary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_step_gets_the_nearest_share_and_at_least_one_pod() {
        assert_eq!(replicas_for(50, 4), 4);
        assert_eq!(replicas_for(10, 4), 1); // 20%: one pod is the least
        assert_eq!(replicas_for(10, 18), 2); // exactly 10%
        assert_eq!(replicas_for(25, 3), 1);
        assert_eq!(replicas_for(75, 2), 6);
        assert_eq!(replicas_for(33, 2), 1);
        assert_eq!(replicas_for(90, 1), 9);
        assert_eq!(replicas_for(1, 0), 1);
        let steps = plan_steps(&[10, 50], 9);
        assert_eq!(
            steps
                .iter()
                .map(|s| (s.candidate_replicas, s.share().round() as i32))
                .collect::<Vec<_>>(),
            [(1, 10), (9, 50)]
        );
        assert_eq!(share(0, 0), 0.0);
    }

    fn svc(selector: serde_json::Value, annotations: serde_json::Value) -> Service {
        serde_json::from_value(json!({
            "metadata": {"name": "shop", "annotations": annotations},
            "spec": {"selector": selector}
        }))
        .unwrap()
    }

    #[test]
    fn only_msv_s_own_two_color_selector_with_its_annotation_is_a_soak() {
        let both = json!({NAME_LABEL: "shop"});
        let marked = json!({CANARY_ANNOTATION: "green"});
        assert_eq!(
            soaking(&svc(both.clone(), marked.clone())),
            Some(Color::Green)
        );
        // Someone dropped the color key by hand: not msv's soak.
        assert_eq!(soaking(&svc(both.clone(), json!({}))), None);
        // The soak ended: the color key is back (a stale annotation means nothing).
        assert_eq!(
            soaking(&svc(
                json!({NAME_LABEL: "shop", COLOR_LABEL: "blue"}),
                marked.clone()
            )),
            None
        );
        // Another selector, or one naming another service.
        assert_eq!(soaking(&svc(json!({"app": "shop"}), marked.clone())), None);
        assert_eq!(soaking(&svc(json!({NAME_LABEL: "cart"}), marked)), None);
        assert_eq!(
            soaking(&svc(both, json!({CANARY_ANNOTATION: "purple"}))),
            None
        );
    }
}

//! The pure half of a blue-green rollout: which color is live, which one is the candidate,
//! how many replicas it starts with, and whether a deploy is a no-op. Nothing here talks to
//! a cluster; the executor feeds it objects it has read and acts on the answers.

use k8s_openapi::api::core::v1::Service;
use serde::Serialize;
use std::fmt;

/// Label on pods, Deployments and selectors that names the color.
pub const COLOR_LABEL: &str = "msv/color";
/// Standard labels every object msv owns carries.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const VERSION_LABEL: &str = "app.kubernetes.io/version";
pub const MANAGER: &str = "msv";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Color {
    Blue,
    Green,
}

impl Color {
    pub fn other(self) -> Color {
        match self {
            Color::Blue => Color::Green,
            Color::Green => Color::Blue,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Color::Blue => "blue",
            Color::Green => "green",
        }
    }
    pub fn parse(s: &str) -> Option<Color> {
        match s {
            "blue" => Some(Color::Blue),
            "green" => Some(Color::Green),
            _ => None,
        }
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Name of the Deployment for one color of a service.
pub fn deployment_name(service: &str, color: Color) -> String {
    format!("{service}-{color}")
}
pub fn preview_name(service: &str) -> String {
    format!("{service}-preview")
}
pub fn lock_name(service: &str) -> String {
    format!("{service}-msv-lock")
}
pub fn history_name(service: &str) -> String {
    format!("{service}-msv-history")
}

/// The color Service `S` sends traffic to, read from its selector — during a canary soak,
/// the color beside the canary (see [`super::canary::soaking`]). `None` when the Service
/// does not exist yet (first deploy) or selects no color msv knows.
pub fn live_color(service: Option<&Service>) -> Option<Color> {
    let service = service?;
    if let Some(canary) = super::canary::soaking(service) {
        return Some(canary.other());
    }
    service
        .spec
        .as_ref()?
        .selector
        .as_ref()?
        .get(COLOR_LABEL)
        .and_then(|c| Color::parse(c))
}

/// What the live side looks like, as read from the cluster.
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    pub color: Option<Color>,
    /// Desired replicas of the live Deployment (it may have been scaled since the last deploy).
    pub replicas: Option<i32>,
    /// Image of the live Deployment's container.
    pub image: Option<String>,
    /// The history records the live color with that image as gone live. A deploy stopped
    /// after its switch (killed, or the machine lost) leaves it unrecorded.
    pub recorded: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub candidate: Color,
    pub live: Option<Color>,
    pub replicas: i32,
    pub from_image: Option<String>,
    pub to_image: String,
    /// The requested image is already live and nothing needs to change.
    pub noop: bool,
    /// The requested image is already live, but the deploy that switched to it stopped
    /// before it finished: verify it, scale the other color down and record it.
    pub resume: bool,
    /// Take over a service that runs as a plain Deployment and Service (`--adopt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adopt: Option<super::ownership::Adoption>,
    /// The canary soak's steps before the switch (none: switch at once).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub canary: Vec<super::canary::Step>,
    /// A deploy killed during a soak left `S` serving both colors with this canary: `S`
    /// goes back to the live color alone before anything else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unfinished_soak: Option<Color>,
}

/// Decide the next rollout. The candidate is the color that is not live (blue on a first
/// deploy) and starts at the live color's current replica count, never fewer than
/// configured, so the switch never sends all traffic to fewer pods.
pub fn plan(live: &LiveState, configured_replicas: i32, image: &str, force: bool) -> Plan {
    let candidate = live.color.map(Color::other).unwrap_or(Color::Blue);
    let replicas = match live.replicas {
        Some(r) if r > configured_replicas => r,
        _ => configured_replicas,
    };
    let same = !force && live.color.is_some() && live.image.as_deref() == Some(image);
    if same && !live.recorded {
        // Finish what is live: candidate and live are the same color.
        return Plan {
            candidate: live.color.unwrap_or(Color::Blue),
            live: live.color,
            replicas: live.replicas.unwrap_or(configured_replicas),
            from_image: live.image.clone(),
            to_image: image.to_string(),
            noop: false,
            resume: true,
            adopt: None,
            canary: vec![],
            unfinished_soak: None,
        };
    }
    Plan {
        candidate,
        live: live.color,
        replicas,
        from_image: live.image.clone(),
        to_image: image.to_string(),
        noop: same,
        resume: false,
        adopt: None,
        canary: vec![],
        unfinished_soak: None,
    }
}

/// The version an image reference carries: its digest or tag, `latest` when it has neither.
pub fn image_version(image: &str) -> String {
    if let Some((_, digest)) = image.split_once('@') {
        return digest.to_string();
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) => tag.to_string(),
        None => "latest".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn svc(color: &str) -> Service {
        serde_json::from_value(json!({
            "metadata": {"name": "orders"},
            "spec": {"selector": {NAME_LABEL: "orders", COLOR_LABEL: color}}
        }))
        .unwrap()
    }

    #[test]
    fn live_color_comes_from_the_selector() {
        assert_eq!(live_color(Some(&svc("green"))), Some(Color::Green));
        assert_eq!(live_color(Some(&svc("purple"))), None);
        assert_eq!(live_color(None), None);
    }

    #[test]
    fn first_deploy_is_blue_at_configured_replicas() {
        let p = plan(&LiveState::default(), 2, "r/orders:1", false);
        assert_eq!((p.candidate, p.replicas, p.noop), (Color::Blue, 2, false));
    }

    #[test]
    fn candidate_matches_a_scaled_up_live_color() {
        let live = LiveState {
            color: Some(Color::Blue),
            replicas: Some(5),
            image: Some("r/o:1".into()),
            recorded: true,
        };
        let p = plan(&live, 2, "r/o:2", false);
        assert_eq!((p.candidate, p.replicas, p.noop), (Color::Green, 5, false));
        let live = LiveState {
            replicas: Some(1),
            ..live
        };
        assert_eq!(plan(&live, 3, "r/o:2", false).replicas, 3);
    }

    #[test]
    fn same_image_is_a_noop_unless_forced() {
        let live = LiveState {
            color: Some(Color::Green),
            replicas: Some(2),
            image: Some("r/o:1".into()),
            recorded: true,
        };
        assert!(plan(&live, 2, "r/o:1", false).noop);
        let forced = plan(&live, 2, "r/o:1", true);
        assert!(!forced.noop && !forced.resume);
        assert_eq!(forced.candidate, Color::Blue);
    }

    #[test]
    fn a_live_image_without_history_is_finished_not_redeployed() {
        let live = LiveState {
            color: Some(Color::Green),
            replicas: Some(4),
            image: Some("r/o:2".into()),
            recorded: false,
        };
        let p = plan(&live, 2, "r/o:2", false);
        assert_eq!(
            (p.resume, p.noop, p.candidate, p.live, p.replicas),
            (true, false, Color::Green, Some(Color::Green), 4)
        );
        // Another image is an ordinary rollout to the other color.
        let p = plan(&live, 2, "r/o:3", false);
        assert_eq!((p.resume, p.candidate), (false, Color::Blue));
    }

    #[test]
    fn versions_from_image_references() {
        assert_eq!(image_version("localhost:5000/orders:1.2"), "1.2");
        assert_eq!(image_version("localhost:5000/orders"), "latest");
        assert_eq!(image_version("r/o@sha256:abc"), "sha256:abc");
    }
}

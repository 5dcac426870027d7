//! What a deploy would do to each object, for `msv deploy --dry-run`: create, update,
//! adopt, scale or leave alone. A pure function of the plan and the objects read.

use super::executor::{Objects, Options};
use super::plan::{Plan, deployment_name, history_name, lock_name, preview_name};
use serde::Serialize;

/// One object and what the deploy would do to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    pub kind: &'static str,
    pub name: String,
    /// `create`, `update`, `adopt`, `scale`, `keep`.
    pub action: &'static str,
    pub detail: String,
}

fn make_or_update<T>(existing: Option<&T>) -> &'static str {
    match existing {
        Some(_) => "update",
        None => "create",
    }
}

/// The actions of `plan` on `objects`, in the order the deploy takes them.
pub fn actions(plan: &Plan, objects: &Objects, opts: &Options) -> Vec<Action> {
    let s = &opts.settings;
    let mut out = vec![];
    let mut push = |kind, name: String, action, detail: String| {
        out.push(Action {
            kind,
            name,
            action,
            detail,
        })
    };
    if plan.noop {
        push(
            "Service",
            s.name.clone(),
            "keep",
            format!("already serves {} with {}", plan.candidate, plan.to_image),
        );
        return out;
    }
    push(
        "Lease",
        lock_name(&s.name),
        make_or_update(objects.lease.as_ref()),
        "held while the deploy runs".into(),
    );
    let cand = deployment_name(&s.name, plan.candidate);
    let existing = match plan.candidate {
        super::plan::Color::Blue => objects.blue.as_ref(),
        super::plan::Color::Green => objects.green.as_ref(),
    };
    if plan.resume {
        push(
            "Deployment",
            cand,
            "keep",
            format!(
                "already live with {}; verified, then recorded",
                plan.to_image
            ),
        );
    } else {
        let from = match &plan.adopt {
            Some(a) => format!(" from the pod template of Deployment {}", a.deployment),
            None => String::new(),
        };
        push(
            "Deployment",
            cand,
            make_or_update(existing),
            format!("{} x{}{from}", plan.to_image, plan.replicas),
        );
        push(
            "Service",
            preview_name(&s.name),
            make_or_update(objects.preview.as_ref()),
            format!("selects {}", plan.candidate),
        );
    }
    match (&plan.adopt, plan.live) {
        (Some(a), _) => push(
            "Service",
            s.name.clone(),
            "adopt",
            format!(
                "selector {} -> {}, labelled managed-by=msv",
                super::ownership::show_selector(&a.selector),
                plan.candidate
            ),
        ),
        (None, _) if objects.service.is_none() => push(
            "Service",
            s.name.clone(),
            "create",
            format!("selects {}", plan.candidate),
        ),
        (None, _) if plan.resume => push(
            "Service",
            s.name.clone(),
            "keep",
            format!("already selects {}", plan.candidate),
        ),
        (None, _) => push(
            "Service",
            s.name.clone(),
            "update",
            format!("selector -> {}", plan.candidate),
        ),
    }
    let old = match (&plan.adopt, plan.live) {
        (Some(a), _) => Some(a.deployment.clone()),
        (None, Some(c)) if c != plan.candidate => Some(deployment_name(&s.name, c)),
        _ => None,
    };
    if let Some(old) = old {
        let never_deleted = match plan.adopt {
            Some(_) => " (never deleted)",
            None => "",
        };
        match opts.deploy.keep_old {
            true => push("Deployment", old, "keep", "kept running (keep_old)".into()),
            false => push(
                "Deployment",
                old,
                "scale",
                format!(
                    "to 0 after {:?}{never_deleted}",
                    opts.deploy.scale_down_delay
                ),
            ),
        }
    }
    if s.autoscaling.is_some() {
        push(
            "HorizontalPodAutoscaler",
            s.name.clone(),
            make_or_update(objects.hpa.as_ref()),
            format!("targets {}", plan.candidate),
        );
    }
    if s.wants_pdb() {
        push(
            "PodDisruptionBudget",
            s.name.clone(),
            make_or_update(objects.pdb.as_ref()),
            format!("covers {}", plan.candidate),
        );
    }
    push(
        "ConfigMap",
        history_name(&s.name),
        make_or_update(objects.history.as_ref()),
        "the revision is recorded".into(),
    );
    out
}

//! A rollout that is one member of a workspace release meets the others (see
//! [`crate::deploy::group`]): before its switch, after its verification, and before
//! switching back. A rollout on its own passes straight through.

use super::{Halt, Phase, Run, Step};
use crate::deploy::group::Together;
use crate::deploy::watch::cancelled;

impl Run<'_> {
    pub(super) fn together(&self) -> Option<Together> {
        self.opts.request.together.clone()
    }

    /// Before the switch: every member ready and the ones this member depends on switched.
    /// Another member's failure withdraws this one; nothing of it was switched.
    pub(super) async fn meet_before_switch(&mut self) -> Step {
        let Some(t) = self.together() else {
            return Ok(());
        };
        self.show(Phase::Switch, "waiting for the release's other members");
        let mut cancel = self.cancel.clone();
        tokio::select! {
            met = t.group.before_switch(&t.me) => met.map_err(|e| Halt::Failed(e.to_string())),
            _ = cancelled(&mut cancel) => Err(Halt::Interrupted(
                "interrupted while waiting for the release's other members".into(),
            )),
        }
    }

    /// This member's `S` selects its candidate: members that depend on it may switch.
    pub(super) fn met_switched(&self) {
        if let Some(t) = self.together() {
            t.group.settled(&t.me);
        }
    }

    /// After verification: every member verified. Another member's failure switches this
    /// one back.
    pub(super) async fn meet_after_verify(&mut self) -> Step {
        let Some(t) = self.together() else {
            return Ok(());
        };
        self.show(
            Phase::Verify,
            "verified; waiting for the release's other members",
        );
        let mut cancel = self.cancel.clone();
        tokio::select! {
            met = t.group.after_verify(&t.me) => met.map_err(|e| Halt::Failed(e.to_string())),
            _ = cancelled(&mut cancel) => Err(Halt::Interrupted(
                "interrupted while waiting for the release's other members".into(),
            )),
        }
    }

    /// This member stopped: the others learn it first, and before switching back it waits
    /// for the members that depend on it to be back.
    pub(super) async fn leaving(&self, halt: &Halt, switching_back: bool) {
        let Some(t) = self.together() else {
            return;
        };
        let why = match halt {
            Halt::Failed(m) | Halt::Interrupted(m) | Halt::Refused(m) | Halt::Overridden(m) => {
                m.clone()
            }
            Halt::Error(e) => format!("{e:#}"),
        };
        t.group.fail(&t.me, &why);
        if switching_back {
            self.rep.phase(
                "switch-back",
                "waiting for the members that depend on this one to switch back first",
            );
            t.group.before_switch_back(&t.me).await;
        }
    }

    /// This member is back where it was before the release.
    pub(super) fn left(&self) {
        if let Some(t) = self.together() {
            t.group.back(&t.me);
        }
    }
}

/// Run a phase that only waits or probes (dropping it changes nothing in the cluster),
/// stopping it as soon as another member of the release fails.
pub(super) async fn unless_other_fails(
    with: Option<Together>,
    phase: impl Future<Output = Step>,
) -> Step {
    let Some(t) = with else {
        return phase.await;
    };
    tokio::select! {
        step = phase => step,
        other = t.group.other_failed(&t.me) => Err(Halt::Failed(other.to_string())),
    }
}

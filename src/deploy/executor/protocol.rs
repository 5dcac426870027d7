//! The protocol's order and its undo rule, as pure decisions: the phases a rollout runs
//! ([`sequence`]), and what a failure in one of them means ([`undo_for`]).

use crate::deploy::plan::Plan;

/// The steps of a rollout, in protocol order. Taking the lock (step 1) happens before the
/// first phase; releasing it after the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Step 2: Read Service `S`, both colors and the history; decide the candidate.
    Plan,
    /// Step 2, after a deploy killed during a canary soak: `S` back to the live color
    /// alone, the canary scaled down.
    Unsoak,
    /// Step 3, with `[deploy.analysis]`: read the live color's metrics (the baseline's start).
    Baseline,
    /// Step 3: Apply the candidate Deployment and the preview Service.
    Apply,
    /// Step 4: Wait for the candidate's rollout; fail fast on what waiting cannot fix.
    Rollout,
    /// Step 5: Probe the health path through `S-preview`.
    Preview,
    /// Step 5, with `[[deploy.checks]]`: the user's own requests through `S-preview`.
    Checks,
    /// Step 5, with `deploy.smoke`: the user's command against `S-preview`.
    Smoke,
    /// Step 5, with `[deploy.canary]`: each step's share of live traffic on the candidate,
    /// measured side by side with the live color; then `S` on the live color alone again
    /// and the candidate at its full count.
    Soak,
    /// Step 6: Patch `S`'s selector to the candidate, guarded by resourceVersion.
    Switch,
    /// Step 6: and wait until `S`'s endpoints are exactly the candidate's ready pods.
    Settle,
    /// Step 7: Probe `S` through the verify window, watching that nobody else moves `S`.
    Verify,
    /// Step 8: Keep the old color up for the scale-down delay (instant switch-back meanwhile).
    Hold,
    /// Step 8: Re-read `S` and its endpoints: go on only if `S` selects exactly the candidate.
    Guard,
    /// Step 8: Point the autoscaler and disruption budget at the candidate; scale the old color
    /// down.
    Finish,
    /// Step 8: Record the revision in the history.
    Record,
}

impl Phase {
    /// The name shown while it runs and in the JSON summary's timings.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Plan => "plan",
            Phase::Unsoak => "recover",
            Phase::Baseline => "baseline",
            Phase::Apply => "apply",
            Phase::Rollout => "rollout",
            Phase::Preview => "health",
            Phase::Checks => "checks",
            Phase::Smoke => "smoke",
            Phase::Soak => "canary",
            Phase::Switch | Phase::Settle => "switch",
            Phase::Verify => "verify",
            Phase::Hold => "scale-down",
            Phase::Guard => "guard",
            Phase::Finish => "finish",
            Phase::Record => "record",
        }
    }
}

/// What a rollout does beyond the protocol's fixed steps.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras {
    /// Keep the old color running (no hold, no scale-down wait).
    pub keep_old: bool,
    /// Metric gates: read the baseline first.
    pub analysis: bool,
    /// The user's own checks through the preview.
    pub checks: bool,
    /// The user's smoke command against the preview.
    pub smoke: bool,
}

/// The phases a plan runs after [`Phase::Plan`]. A soak a killed deploy left unfinished
/// is ended first, whatever else runs; a no-op runs nothing more; a deploy that was
/// stopped after its switch resumes at [`Phase::Settle`]; the baseline is read only with
/// analysis, the checks run only when there are some, the soak only with canary steps;
/// the hold runs only when there is an old color to scale down.
pub fn sequence(plan: &Plan, extras: Extras) -> Vec<Phase> {
    use Phase::*;
    let mut phases = vec![];
    if plan.unfinished_soak.is_some() {
        phases.push(Unsoak);
    }
    if plan.noop {
        return phases;
    }
    phases.extend(match plan.resume {
        true => vec![Settle],
        false => {
            let mut before = vec![];
            if extras.analysis {
                before.push(Baseline);
            }
            before.extend([Apply, Rollout, Preview]);
            if extras.checks {
                before.push(Checks);
            }
            if extras.smoke {
                before.push(Smoke);
            }
            if !plan.canary.is_empty() {
                before.push(Soak);
            }
            before.extend([Switch, Settle]);
            before
        }
    });
    phases.push(Verify);
    let old_color = plan.live.is_some() || plan.adopt.is_some();
    if old_color && !extras.keep_old {
        phases.push(Hold);
    }
    phases.extend([Guard, Finish, Record]);
    phases
}

/// What the undo rule does for a failure in `phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undo {
    /// Before the switch: scale the candidate down; live traffic was never touched.
    Withdraw,
    /// After the switch and before the old color is touched: point `S` back at it.
    SwitchBack,
    /// The candidate is live and verified (or someone else now decides what `S`
    /// selects): nothing to undo, only to report.
    Nothing,
}

/// The one undo rule: before the switch, withdraw; after it, switch back; once the old
/// color is being scaled down, or when someone else changed `S`, touch nothing.
pub fn undo_for(phase: Phase, halt: &Halt) -> Undo {
    match halt {
        Halt::Refused(_) | Halt::Overridden(_) => Undo::Nothing,
        _ if phase <= Phase::Switch => Undo::Withdraw,
        _ if phase <= Phase::Guard => Undo::SwitchBack,
        _ => Undo::Nothing,
    }
}

/// Why a phase stopped the rollout.
#[derive(Debug)]
pub enum Halt {
    /// The candidate failed (exit 1).
    Failed(String),
    /// Ctrl-C or SIGTERM (exit 130).
    Interrupted(String),
    /// Nothing may be changed (exit 2).
    Refused(String),
    /// Someone else changed Service `S` after the switch (exit 1): msv stops without
    /// touching anything more.
    Overridden(String),
    /// The cluster could not be used (exit 2 unless it carries a failure).
    Error(anyhow::Error),
}

impl From<anyhow::Error> for Halt {
    fn from(e: anyhow::Error) -> Halt {
        Halt::Error(e)
    }
}

/// One phase's result.
pub type Step = Result<(), Halt>;

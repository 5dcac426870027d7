//! Unit tests of the executor's decisions: the phase sequence, the undo rule, the summary.

use super::*;

fn plan(live: Option<Color>, noop: bool, resume: bool) -> Plan {
    Plan {
        candidate: live.map(Color::other).unwrap_or(Color::Blue),
        live,
        replicas: 2,
        from_image: None,
        to_image: "r/o:2".into(),
        noop,
        resume,
        adopt: None,
        canary: vec![],
        unfinished_soak: None,
    }
}

fn ex(keep_old: bool, analysis: bool) -> Extras {
    Extras {
        keep_old,
        analysis,
        ..Extras::default()
    }
}

#[test]
fn the_sequence_follows_the_protocol() {
    use Phase::*;
    assert_eq!(
        sequence(&plan(Some(Color::Blue), false, false), ex(false, false)),
        [
            Apply, Rollout, Preview, Switch, Settle, Verify, Hold, Guard, Finish, Record
        ]
    );
    // First deploy, or the old color kept: nothing to hold for.
    assert_eq!(
        sequence(&plan(None, false, false), ex(false, false)),
        [
            Apply, Rollout, Preview, Switch, Settle, Verify, Guard, Finish, Record
        ]
    );
    assert!(!sequence(&plan(Some(Color::Blue), false, false), ex(true, false)).contains(&Hold));
    // Resuming a deploy that switched: from the endpoints on.
    assert_eq!(
        sequence(&plan(Some(Color::Blue), false, true), ex(false, false)),
        [Settle, Verify, Hold, Guard, Finish, Record]
    );
    assert!(sequence(&plan(Some(Color::Blue), true, false), ex(false, false)).is_empty());
}

#[test]
fn a_soak_comes_after_every_preview_gate_and_an_unfinished_one_ends_first() {
    use Phase::*;
    let mut p = plan(Some(Color::Blue), false, false);
    p.canary = crate::deploy::canary::plan_steps(&[10, 50], 4);
    let extras = Extras {
        checks: true,
        smoke: true,
        ..ex(false, true)
    };
    assert_eq!(
        sequence(&p, extras),
        [
            Baseline, Apply, Rollout, Preview, Checks, Smoke, Soak, Switch, Settle, Verify, Hold,
            Guard, Finish, Record
        ]
    );
    // A deploy killed mid-soak left S on both colors: that ends first, even for a no-op.
    p.unfinished_soak = Some(Color::Green);
    assert_eq!(sequence(&p, ex(false, false))[..2], [Unsoak, Apply]);
    p.noop = true;
    assert_eq!(sequence(&p, ex(false, false)), [Unsoak]);
    // Both are before the switch: a failure withdraws (S back on the live color alone).
    for phase in [Unsoak, Soak] {
        assert_eq!(undo_for(phase, &Halt::Failed("x".into())), Undo::Withdraw);
    }
    assert_eq!(undo_for(Soak, &Halt::Overridden("x".into())), Undo::Nothing);
}

#[test]
fn undo_is_decided_by_the_phase_reached() {
    let failed = || Halt::Failed("x".into());
    for p in [
        Phase::Baseline,
        Phase::Apply,
        Phase::Rollout,
        Phase::Preview,
        Phase::Checks,
        Phase::Smoke,
        Phase::Switch,
    ] {
        assert_eq!(undo_for(p, &failed()), Undo::Withdraw, "{p:?}");
    }
    for p in [Phase::Settle, Phase::Verify, Phase::Hold, Phase::Guard] {
        assert_eq!(undo_for(p, &failed()), Undo::SwitchBack, "{p:?}");
        assert_eq!(
            undo_for(p, &Halt::Interrupted("x".into())),
            Undo::SwitchBack
        );
    }
    for p in [Phase::Finish, Phase::Record] {
        assert_eq!(undo_for(p, &failed()), Undo::Nothing, "{p:?}");
    }
    // Someone else moved S: msv leaves everything as it is, in any phase.
    assert_eq!(
        undo_for(Phase::Verify, &Halt::Overridden("x".into())),
        Undo::Nothing
    );
    assert_eq!(
        undo_for(Phase::Apply, &Halt::Refused("x".into())),
        Undo::Nothing
    );
}

#[test]
fn summary_outcomes_serialize_as_before() {
    assert_eq!(
        serde_json::to_value(Finished::Unchanged).unwrap(),
        "unchanged"
    );
    assert_eq!(
        serde_json::to_value(Finished::Succeeded).unwrap(),
        "succeeded"
    );
    assert_eq!(
        serde_json::to_value(Finished::Rollback).unwrap(),
        "rollback"
    );
}

//! A workspace release: several members rolled out together and switched all-or-nothing.
//! Every member's lock is taken first, in name order (a held one stops the release before
//! anything changes); then all members roll out at once and meet before their switches,
//! which follow `depends_on`, and after their verifications (see [`super::group`]).

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use super::executor::{self, Finished, Options, Reporter, Summary};
use super::group::{Group, OtherFailed, Together, switch_order};
use super::history::{Entry, Outcome};
use super::release::with_exit_code;
use crate::cluster::Cluster;
use crate::exit::{ExitCode, Failure};

/// One member as the release runs it.
pub struct Member<'a> {
    pub name: String,
    pub cluster: Cluster,
    pub opts: Options,
    /// The members that must be live before this one switches.
    pub depends_on: Vec<String>,
    pub rep: Box<dyn Reporter + 'a>,
}

/// How each member of a release ended.
#[derive(Debug, Serialize)]
pub struct Released {
    pub release: String,
    /// The order the members switched in.
    pub order: Vec<String>,
    pub members: Vec<MemberOutcome>,
    /// The member that failed first, when one did: the others stopped because of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<OtherFailed>,
}

#[derive(Debug, Serialize)]
pub struct MemberOutcome {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// What happened to it, when it did not go live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    pub code: Option<ExitCode>,
}

impl Released {
    /// Every member is live (or already was).
    pub fn succeeded(&self) -> bool {
        self.members.iter().all(|m| m.error.is_none())
    }

    /// The release's exit code: interrupted if any member was, else the first failed
    /// member's code, else 0.
    pub fn exit(&self) -> ExitCode {
        let codes: Vec<ExitCode> = self.members.iter().filter_map(|m| m.code).collect();
        if codes.contains(&ExitCode::Interrupted) {
            return ExitCode::Interrupted;
        }
        codes
            .iter()
            .copied()
            .find(|c| *c != ExitCode::Failure)
            .or(codes.first().copied())
            .unwrap_or(ExitCode::Success)
    }
}

/// A release id: the time it started, readable and ordered, with the process id so two
/// releases started in the same second differ.
pub fn new_id() -> String {
    let now = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S");
    format!("{now}-{:04x}", std::process::id() & 0xffff)
}

/// Run the release. Refused (exit 2, nothing changed) when `depends_on` forms a cycle;
/// stops before anything changes when a member's lock is held or a member's objects are
/// not msv's.
pub async fn run(mut members: Vec<Member<'_>>, id: String) -> Result<Released> {
    crate::interrupt::take_over();
    members.sort_by(|a, b| a.name.cmp(&b.name));
    let deps: BTreeMap<String, Vec<String>> = members
        .iter()
        .map(|m| (m.name.clone(), m.depends_on.clone()))
        .collect();
    let order = switch_order(&deps).map_err(Failure::refused)?;
    let group = Group::new(deps);
    for m in &mut members {
        m.opts.request.together = Some(Together {
            id: id.clone(),
            group: group.clone(),
            me: m.name.clone(),
        });
    }
    // Locks in name order, one after another: two releases of overlapping members then
    // never hold one lock each while waiting for the other's.
    let mut locked = vec![];
    for m in &members {
        match executor::lock(&m.cluster, &m.opts, m.rep.as_ref()).await {
            Ok(l) => locked.push(l),
            Err(e) => {
                for l in locked {
                    let _ = l.release().await;
                }
                let e = with_exit_code(e);
                return Err(e.context(format!(
                    "release stopped before changing anything: member {}",
                    m.name
                )));
            }
        }
    }
    let runs = locked.into_iter().zip(&members).map(|(l, m)| {
        let group = group.clone();
        async move {
            let res = l.run(crate::interrupt::receiver()).await;
            match &res {
                Ok(s) if s.outcome == Finished::Unchanged => group.left_live(&m.name),
                Ok(_) => {}
                Err(e) => group.fail(&m.name, &format!("{e:#}")),
            }
            (m.name.clone(), res)
        }
    });
    let results = futures::future::join_all(runs).await;
    let members = results
        .into_iter()
        .map(|(name, res)| match res {
            Ok(summary) => MemberOutcome {
                name,
                summary: Some(summary),
                error: None,
                code: None,
            },
            Err(e) => {
                let e = with_exit_code(e);
                let code = e
                    .downcast_ref::<Failure>()
                    .map(|f| f.code)
                    .unwrap_or(ExitCode::Usage);
                MemberOutcome {
                    name,
                    summary: None,
                    error: Some(format!("{e:#}")),
                    code: Some(code),
                }
            }
        })
        .collect();
    Ok(Released {
        release: id,
        order,
        members,
        cause: group.first_failure(),
    })
}

/// One release as the members' histories record it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReleaseRecord {
    pub release: String,
    /// When its first member recorded it (RFC 3339).
    pub time: String,
    /// `live`: every member went live; `failed`: none did (each withdrawn or switched
    /// back); `partial`: some did and some did not.
    pub outcome: &'static str,
    pub members: Vec<MemberRevision>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberRevision {
    pub name: String,
    pub revision: u64,
    pub image: String,
    pub outcome: Outcome,
}

/// The releases in the members' histories, newest first; each member's entry of a
/// release is its last one with that id. Members whose image was live already have no
/// entry in it.
pub fn releases(histories: &[(String, Vec<Entry>)]) -> Vec<ReleaseRecord> {
    let mut by_id: BTreeMap<String, ReleaseRecord> = BTreeMap::new();
    for (name, entries) in histories {
        for e in entries {
            let Some(id) = &e.release else { continue };
            let r = by_id.entry(id.clone()).or_insert_with(|| ReleaseRecord {
                release: id.clone(),
                time: e.time.clone(),
                outcome: "",
                members: vec![],
            });
            if e.time < r.time {
                r.time = e.time.clone();
            }
            let revision = MemberRevision {
                name: name.clone(),
                revision: e.revision,
                image: e.image.clone(),
                outcome: e.outcome,
            };
            match r.members.iter_mut().find(|m| &m.name == name) {
                Some(m) if m.revision < e.revision => *m = revision,
                Some(_) => {}
                None => r.members.push(revision),
            }
        }
    }
    let mut list: Vec<ReleaseRecord> = by_id
        .into_values()
        .map(|mut r| {
            let live = r.members.iter().filter(|m| m.outcome.went_live()).count();
            r.outcome = match live {
                0 => "failed",
                n if n == r.members.len() => "live",
                _ => "partial",
            };
            r.members.sort_by(|a, b| a.name.cmp(&b.name));
            r
        })
        .collect();
    list.sort_by(|a, b| (&b.time, &b.release).cmp(&(&a.time, &a.release)));
    list
}

/// What rolling back release `id` returns `service` to: the revision live before the
/// release's one (`None`: the service has no revision of the release that went live). A
/// service that has gone on to another revision since is refused: rolling the release
/// back would undo that one too.
pub fn rollback_target(
    service: &str,
    entries: &[Entry],
    live_revision: Option<u64>,
    id: &str,
) -> Result<Option<Entry>> {
    let Some(mine) = entries
        .iter()
        .rev()
        .find(|e| e.release.as_deref() == Some(id))
    else {
        return Ok(None);
    };
    if !mine.outcome.went_live() {
        return Ok(None);
    }
    if live_revision != Some(mine.revision) {
        anyhow::bail!(
            "{service} has moved on from revision {} of release {id} (live: {}); roll it back on its own with `msv rollback {service}`, or leave it out with -p",
            mine.revision,
            live_revision.map_or("none".to_string(), |r| format!("revision {r}"))
        );
    }
    let before = super::history::rollback_target(entries, Some(mine.revision), None)
        .map_err(|e| anyhow::anyhow!("{service}: {e:#}"))?;
    Ok(Some(before.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(code: Option<ExitCode>) -> MemberOutcome {
        MemberOutcome {
            name: "a".into(),
            summary: None,
            error: code.map(|_| "x".into()),
            code,
        }
    }

    #[test]
    fn the_exit_code_is_the_worst_members() {
        let r = |codes: Vec<Option<ExitCode>>| Released {
            release: "r".into(),
            order: vec![],
            members: codes.into_iter().map(outcome).collect(),
            cause: None,
        };
        assert_eq!(r(vec![None, None]).exit(), ExitCode::Success);
        assert_eq!(
            r(vec![None, Some(ExitCode::Failure)]).exit(),
            ExitCode::Failure
        );
        assert_eq!(
            r(vec![Some(ExitCode::Failure), Some(ExitCode::Usage)]).exit(),
            ExitCode::Usage
        );
        assert_eq!(
            r(vec![Some(ExitCode::Usage), Some(ExitCode::Interrupted)]).exit(),
            ExitCode::Interrupted
        );
        assert!(!r(vec![None, Some(ExitCode::Failure)]).succeeded());
    }

    fn entry(revision: u64, outcome: Outcome, release: Option<&str>, time: &str) -> Entry {
        Entry {
            revision,
            image: format!("r/x:{revision}"),
            color: crate::deploy::plan::Color::Blue,
            time: time.into(),
            who: "me".into(),
            outcome,
            message: String::new(),
            analysis: None,
            canary: vec![],
            release: release.map(String::from),
        }
    }

    #[test]
    fn releases_are_read_back_from_the_members_histories() {
        let histories = vec![
            (
                "api".to_string(),
                vec![
                    entry(1, Outcome::Succeeded, Some("r1"), "2026-12-02T10:00:01Z"),
                    entry(2, Outcome::Succeeded, None, "2026-12-02T10:05:00Z"),
                    entry(3, Outcome::RolledBack, Some("r2"), "2026-12-02T11:00:02Z"),
                ],
            ),
            (
                "users".to_string(),
                vec![
                    entry(1, Outcome::Succeeded, Some("r1"), "2026-12-02T10:00:00Z"),
                    entry(2, Outcome::Failed, Some("r2"), "2026-12-02T11:00:01Z"),
                    entry(3, Outcome::Succeeded, Some("r3"), "2026-12-02T12:00:00Z"),
                ],
            ),
        ];
        let list = releases(&histories);
        let ids: Vec<(&str, &str, &str)> = list
            .iter()
            .map(|r| (r.release.as_str(), r.time.as_str(), r.outcome))
            .collect();
        assert_eq!(
            ids,
            [
                ("r3", "2026-12-02T12:00:00Z", "live"),
                ("r2", "2026-12-02T11:00:01Z", "failed"),
                ("r1", "2026-12-02T10:00:00Z", "live"),
            ]
        );
        let r2: Vec<(&str, u64)> = list[1]
            .members
            .iter()
            .map(|m| (m.name.as_str(), m.revision))
            .collect();
        assert_eq!(r2, [("api", 3), ("users", 2)]);
        let mut partial = histories.clone();
        partial[0].1[2].outcome = Outcome::Succeeded;
        assert_eq!(releases(&partial)[1].outcome, "partial");
    }

    #[test]
    fn rolling_a_release_back_returns_each_member_to_its_revision_before() {
        let t = "2026-12-02T10:00:00Z";
        let mut entries = vec![
            entry(1, Outcome::Succeeded, None, t),
            entry(2, Outcome::Succeeded, Some("r1"), t),
        ];
        let back = rollback_target("api", &entries, Some(2), "r1").unwrap();
        assert_eq!(back.map(|e| e.revision), Some(1));
        assert_eq!(
            rollback_target("api", &entries, Some(2), "r9").unwrap(),
            None
        );
        let err = rollback_target("api", &entries, Some(3), "r1").unwrap_err();
        assert!(
            err.to_string()
                .contains("api has moved on from revision 2 of release r1 (live: revision 3)"),
            "{err}"
        );
        entries[1].outcome = Outcome::RolledBack;
        assert_eq!(
            rollback_target("api", &entries, Some(1), "r1").unwrap(),
            None
        );
        let first = vec![entry(1, Outcome::Succeeded, Some("r1"), t)];
        let err = rollback_target("api", &first, Some(1), "r1").unwrap_err();
        assert!(
            err.to_string()
                .contains("api: there is no earlier successful revision"),
            "{err}"
        );
    }

    #[test]
    fn release_ids_sort_by_time() {
        let id = new_id();
        assert_eq!(id.len(), "20261202-103500-0000".len(), "{id}");
        assert!(id.starts_with("20"));
    }
}

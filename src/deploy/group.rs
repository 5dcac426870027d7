//! A release of several services switched all-or-nothing: each member's rollout runs on
//! its own and meets the others at three points — before its switch (every member ready,
//! and the members it depends on switched first), after its verification (every member
//! verified), and before switching back (the members that depend on it back first). The
//! first member to fail fails the group; every other member then withdraws or switches
//! back. [`switch_order`] is the pure order the switches follow.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use tokio::sync::watch;

/// The members' order of switching: each after the members it depends on, ties by name.
/// Dependencies outside `members` are already live (not part of this release) and are
/// left out; a cycle is refused, naming it.
pub fn switch_order(members: &BTreeMap<String, Vec<String>>) -> Result<Vec<String>, String> {
    let mut order: Vec<String> = vec![];
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    while order.len() < members.len() {
        let next = members.iter().find(|(name, deps)| {
            !placed.contains(name.as_str())
                && deps
                    .iter()
                    .all(|d| placed.contains(d.as_str()) || !members.contains_key(d))
        });
        match next {
            Some((name, _)) => {
                placed.insert(name);
                order.push(name.clone());
            }
            None => {
                let left: Vec<&str> = members
                    .keys()
                    .map(String::as_str)
                    .filter(|n| !placed.contains(n))
                    .collect();
                return Err(format!(
                    "depends_on forms a cycle among {}: each waits for another to switch first; remove one of the dependencies",
                    left.join(", ")
                ));
            }
        }
    }
    Ok(order)
}

/// Where the members are; one value shared through a watch channel.
#[derive(Debug, Clone, Default)]
struct Meet {
    /// Passed every check before the switch (or left the group with nothing to switch).
    ready: BTreeSet<String>,
    /// Started to switch (its `S` may select the candidate).
    switching: BTreeSet<String>,
    /// Switched: `S`'s endpoints are the candidate's pods.
    settled: BTreeSet<String>,
    verified: BTreeSet<String>,
    /// Switched back or withdrawn after the group failed.
    back: BTreeSet<String>,
    /// The first member that failed, and why.
    failed: Option<(String, String)>,
}

/// The members of one release and where each one is.
pub struct Group {
    /// Each member's dependencies within the release.
    deps: BTreeMap<String, Vec<String>>,
    meet: watch::Sender<Meet>,
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group").field("deps", &self.deps).finish()
    }
}

/// One member's place in a release: what a rollout carries to meet the others.
#[derive(Debug, Clone)]
pub struct Together {
    /// The release's id, recorded in each member's history.
    pub id: String,
    pub group: Arc<Group>,
    pub me: String,
}

/// Why a member stops at a meeting point: another member failed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OtherFailed {
    pub member: String,
    pub why: String,
}

impl fmt::Display for OtherFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed in the same release ({}); the release goes live all or nothing",
            self.member,
            self.why.lines().next().unwrap_or_default()
        )
    }
}

impl Group {
    /// `deps`: every member of the release with its dependencies (those outside the
    /// release are dropped: they are live already).
    pub fn new(deps: BTreeMap<String, Vec<String>>) -> Arc<Group> {
        let names: BTreeSet<String> = deps.keys().cloned().collect();
        let deps = deps
            .into_iter()
            .map(|(m, d)| (m, d.into_iter().filter(|d| names.contains(d)).collect()))
            .collect();
        Arc::new(Group {
            deps,
            meet: watch::Sender::new(Meet::default()),
        })
    }

    fn failed_now(meet: &Meet) -> Option<OtherFailed> {
        meet.failed.as_ref().map(|(m, w)| OtherFailed {
            member: m.clone(),
            why: w.clone(),
        })
    }

    /// The first failure, once there is one and it is another member's (a member's own
    /// failure ends its phase itself: then this never resolves).
    pub async fn other_failed(&self, me: &str) -> OtherFailed {
        let mut rx = self.meet.subscribe();
        let failed = rx
            .wait_for(|m| m.failed.as_ref().is_some_and(|(who, _)| who != me))
            .await
            .ok()
            .and_then(|m| Group::failed_now(&m));
        match failed {
            Some(f) => f,
            None => std::future::pending().await,
        }
    }

    /// The first member that failed, if one did.
    pub fn first_failure(&self) -> Option<OtherFailed> {
        Group::failed_now(&self.meet.borrow())
    }

    /// `me` failed (the first failure wins; later ones are its consequences).
    pub fn fail(&self, me: &str, why: &str) {
        self.meet.send_if_modified(|m| {
            if m.failed.is_some() {
                return false;
            }
            m.failed = Some((me.to_string(), why.to_string()));
            true
        });
    }

    fn mark(&self, f: impl FnOnce(&mut Meet)) {
        self.meet.send_modify(f);
    }

    /// Wait until `done` holds, or another member failed.
    async fn until(&self, me: &str, done: impl Fn(&Meet) -> bool) -> Result<(), OtherFailed> {
        let mut rx = self.meet.subscribe();
        let mut res = Ok(());
        let _ = rx
            .wait_for(|m| match Group::failed_now(m) {
                Some(f) if f.member != me => {
                    res = Err(f);
                    true
                }
                _ => done(m),
            })
            .await;
        res
    }

    /// Before `me` switches: every member ready, the members `me` depends on switched.
    pub async fn before_switch(&self, me: &str) -> Result<(), OtherFailed> {
        self.mark(|m| {
            m.ready.insert(me.to_string());
        });
        let deps = self.deps.get(me).cloned().unwrap_or_default();
        let all = self.deps.len();
        self.until(me, |m| {
            m.ready.len() >= all && deps.iter().all(|d| m.settled.contains(d))
        })
        .await?;
        self.mark(|m| {
            m.switching.insert(me.to_string());
        });
        Ok(())
    }

    /// `me` is switched (or was already, when a rerun resumes it).
    pub fn settled(&self, me: &str) {
        self.mark(|m| {
            m.ready.insert(me.to_string());
            m.switching.insert(me.to_string());
            m.settled.insert(me.to_string());
        });
    }

    /// After `me` passed its verification: wait until every member has.
    pub async fn after_verify(&self, me: &str) -> Result<(), OtherFailed> {
        self.mark(|m| {
            m.verified.insert(me.to_string());
        });
        let all = self.deps.len();
        self.until(me, |m| m.verified.len() >= all).await
    }

    /// `me` left the release with nothing to switch (its image was live already): it
    /// counts as switched and verified for the others.
    pub fn left_live(&self, me: &str) {
        self.mark(|m| {
            for set in [&mut m.ready, &mut m.settled, &mut m.verified] {
                set.insert(me.to_string());
            }
        });
    }

    /// Before `me` switches back: the members that depend on `me` go back first (reverse
    /// order), or never switched.
    pub async fn before_switch_back(&self, me: &str) {
        let dependents: Vec<String> = self
            .deps
            .iter()
            .filter(|(_, d)| d.iter().any(|d| d == me))
            .map(|(m, _)| m.clone())
            .collect();
        let mut rx = self.meet.subscribe();
        let _ = rx
            .wait_for(|m| {
                dependents
                    .iter()
                    .all(|d| !m.switching.contains(d) || m.back.contains(d))
            })
            .await;
    }

    /// `me` is back where it was before the release (or never left it).
    pub fn back(&self, me: &str) {
        self.mark(|m| {
            m.back.insert(me.to_string());
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn deps(list: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        list.iter()
            .map(|(m, d)| (m.to_string(), d.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn dependencies_switch_first_and_ties_go_by_name() {
        let order = switch_order(&deps(&[
            ("web", &["api"]),
            ("api", &["users", "billing"]),
            ("users", &[]),
            ("billing", &[]),
            ("audit", &[]),
        ]))
        .unwrap();
        assert_eq!(order, ["audit", "billing", "users", "api", "web"]);
        // A dependency outside the release is live already.
        let order = switch_order(&deps(&[("web", &["api"])])).unwrap();
        assert_eq!(order, ["web"]);
    }

    #[test]
    fn a_cycle_is_refused_naming_its_members() {
        let err = switch_order(&deps(&[("a", &["b"]), ("b", &["a"]), ("c", &[])])).unwrap_err();
        assert!(err.contains("cycle among a, b"), "{err}");
    }

    #[tokio::test]
    async fn switches_wait_for_everyone_ready_and_dependencies_switched() {
        let g = Group::new(deps(&[("api", &[]), ("web", &["api"])]));
        let (g1, g2) = (g.clone(), g.clone());
        let web = tokio::spawn(async move { g1.before_switch("web").await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!web.is_finished(), "web must wait for api to be ready");
        g2.before_switch("api").await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!web.is_finished(), "web must wait for api to be switched");
        g.settled("api");
        assert_eq!(web.await.unwrap(), Ok(()));
    }

    #[tokio::test]
    async fn a_failure_stops_the_others_at_every_meeting_point() {
        let g = Group::new(deps(&[("api", &[]), ("web", &["api"])]));
        let g1 = g.clone();
        let api = tokio::spawn(async move { g1.before_switch("api").await });
        g.fail("web", "never ready\nmore");
        let err = api.await.unwrap().unwrap_err();
        assert_eq!(err.member, "web");
        assert!(
            err.to_string()
                .contains("web failed in the same release (never ready)")
        );
        // The failed member itself is not stopped by its own failure.
        let g = Group::new(deps(&[("api", &[])]));
        g.fail("api", "x");
        g.settled("api");
        assert_eq!(g.after_verify("api").await, Ok(()));
    }

    #[tokio::test]
    async fn switching_back_waits_for_the_dependents_to_go_back_first() {
        let g = Group::new(deps(&[("api", &[]), ("web", &["api"])]));
        g.settled("api");
        g.settled("web");
        let g1 = g.clone();
        let api = tokio::spawn(async move { g1.before_switch_back("api").await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!api.is_finished(), "api goes back after web");
        g.back("web");
        api.await.unwrap();
        // A dependent that never switched is not waited for.
        let g = Group::new(deps(&[("api", &[]), ("web", &["api"])]));
        g.settled("api");
        g.before_switch_back("api").await;
    }

    #[tokio::test]
    async fn a_member_with_nothing_to_switch_does_not_hold_the_others() {
        let g = Group::new(deps(&[("api", &[]), ("web", &["api"])]));
        g.left_live("api");
        assert_eq!(g.before_switch("web").await, Ok(()));
        g.settled("web");
        assert_eq!(g.after_verify("web").await, Ok(()));
    }
}

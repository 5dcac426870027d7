//! Deploy history kept in the cluster, so `msv history` and `msv rollback` work from any
//! machine: a ConfigMap `S-msv-history` whose `history.json` holds the latest entries
//! (revision, image, color, time, who, outcome). Writes are read-modify-write guarded by
//! resourceVersion and retried on conflict.

use super::plan::{Color, MANAGED_BY_LABEL, NAME_LABEL, history_name};
use crate::cluster::{Cluster, status_code};
use anyhow::{Context, Result, anyhow};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::PostParams;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How many entries are kept; older ones drop off (a ConfigMap is limited to 1 MiB).
pub const MAX_ENTRIES: usize = 50;
const KEY: &str = "history.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Switched and verified: this revision is live.
    Succeeded,
    /// The candidate never became healthy; live traffic was not touched.
    Failed,
    /// Switched, failed verification, switched back.
    RolledBack,
    /// Interrupted before the switch; live traffic was not touched.
    Interrupted,
    /// `msv rollback` made this revision live again.
    Rollback,
    /// Someone else changed Service `S` after the switch (or refused the switch back):
    /// msv stopped without scaling anything down; the message says what `S` selects.
    Stopped,
}

impl Outcome {
    /// Whether this outcome left its revision serving: a deploy that succeeded, or a rollback.
    pub fn went_live(self) -> bool {
        matches!(self, Outcome::Succeeded | Outcome::Rollback)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::RolledBack => "rolled-back",
            Outcome::Interrupted => "interrupted",
            Outcome::Rollback => "rollback",
            Outcome::Stopped => "stopped",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub revision: u64,
    pub image: String,
    pub color: Color,
    /// RFC 3339, UTC.
    pub time: String,
    pub who: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The metric gates' judgement, when `[deploy.analysis]` was on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<crate::analysis::Judgement>,
    /// The canary soak's steps, when the deploy soaked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canary: Vec<super::canary::Soaked>,
    /// The workspace release this revision went live (or failed) in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
}

/// The revision number the next entry gets.
pub fn next_revision(entries: &[Entry]) -> u64 {
    entries.iter().map(|e| e.revision).max().unwrap_or(0) + 1
}

/// Append and keep the newest `max` entries, oldest first.
pub fn append(mut entries: Vec<Entry>, entry: Entry, max: usize) -> Vec<Entry> {
    entries.push(entry);
    let excess = entries.len().saturating_sub(max);
    entries.drain(..excess);
    entries
}

/// The revision a rollback returns to: `to` if given (it must have been live), otherwise
/// the latest successful revision before the live one.
pub fn rollback_target(
    entries: &[Entry],
    live_revision: Option<u64>,
    to: Option<u64>,
) -> Result<&Entry> {
    let live_ok = |e: &&Entry| e.outcome.went_live();
    if let Some(n) = to {
        return entries
            .iter()
            .find(|e| e.revision == n)
            .filter(live_ok)
            .ok_or_else(|| anyhow!("revision {n} is not in the history as a revision that went live; see `msv history`"));
    }
    let live = live_revision.or_else(|| entries.iter().rev().find(live_ok).map(|e| e.revision));
    let live_image = live
        .and_then(|l| entries.iter().find(|e| e.revision == l))
        .map(|e| e.image.clone());
    entries
        .iter()
        .rev()
        .filter(live_ok)
        .find(|e| Some(e.revision) < live && Some(&e.image) != live_image.as_ref())
        .ok_or_else(|| {
            anyhow!("there is no earlier successful revision to roll back to; see `msv history`")
        })
}

/// Whether the history says `color` went live with `image` last — false when a deploy
/// switched to it and stopped before recording.
pub fn records_live(entries: &[Entry], color: Color, image: &str) -> bool {
    entries
        .iter()
        .rev()
        .find(|e| e.outcome.went_live())
        .is_some_and(|e| e.color == color && e.image == image)
}

/// The entry that made `color` live, the newest that did. With `image` (what `color`'s
/// Deployment runs now), only an entry for that image counts: when a deploy switched and
/// was stopped before recording, the color runs an image no entry names, and the answer is
/// None rather than an older revision of the same color.
pub fn live_entry<'a>(
    entries: &'a [Entry],
    color: Color,
    image: Option<&str>,
) -> Option<&'a Entry> {
    entries
        .iter()
        .filter(|e| e.outcome.went_live() && e.color == color)
        .filter(|e| image.is_none_or(|i| e.image == i))
        .max_by_key(|e| e.revision)
}

/// The entries of one history ConfigMap (none when it holds no history yet); the one reader
/// of the format, for deploy, rollback, history and status.
pub fn parse(cm: &ConfigMap) -> Result<Vec<Entry>> {
    match cm.data.as_ref().and_then(|d| d.get(KEY)) {
        Some(text) => serde_json::from_str(text).with_context(|| {
            format!(
                "reading {KEY} of ConfigMap {}",
                cm.metadata.name.as_deref().unwrap_or("")
            )
        }),
        None => Ok(vec![]),
    }
}

/// Read the history (empty when there is none yet).
pub async fn read(cluster: &Cluster, service: &str) -> Result<Vec<Entry>> {
    let name = history_name(service);
    let cm = cluster
        .api::<ConfigMap>()
        .get_opt(&name)
        .await
        .map_err(|e| cluster.explain(e, &format!("reading ConfigMap {name}")))?;
    cm.as_ref()
        .map(parse)
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Read the history ConfigMap itself (`None` when there is none yet), for a later
/// [`record`] that starts from it.
pub async fn read_map(cluster: &Cluster, service: &str) -> Result<Option<ConfigMap>> {
    let name = history_name(service);
    cluster
        .api::<ConfigMap>()
        .get_opt(&name)
        .await
        .map_err(|e| cluster.explain(e, &format!("reading ConfigMap {name}")))
}

/// The entries of a history ConfigMap read with [`read_map`].
pub fn entries(cm: Option<&ConfigMap>) -> Result<Vec<Entry>> {
    cm.map(parse).transpose().map(Option::unwrap_or_default)
}

/// Record an entry; `make` gets the revision number it will have. Returns that entry.
/// `known` is the ConfigMap as read earlier (`Some(None)`: it did not exist); the write is
/// guarded by its resourceVersion, so a stale copy costs a conflict and a re-read.
pub async fn record(
    cluster: &Cluster,
    service: &str,
    mut known: Option<Option<ConfigMap>>,
    make: impl Fn(u64) -> Entry,
) -> Result<Entry> {
    let api = cluster.api::<ConfigMap>();
    let name = history_name(service);
    for _ in 0..10 {
        let current = match known.take() {
            Some(k) => k,
            None => api
                .get_opt(&name)
                .await
                .map_err(|e| cluster.explain(e, &format!("reading ConfigMap {name}")))?,
        };
        let entries = current.as_ref().map(parse).transpose()?.unwrap_or_default();
        let entry = make(next_revision(&entries));
        let text = serde_json::to_string_pretty(&append(entries, entry.clone(), MAX_ENTRIES))?;
        let res = match current {
            Some(mut cm) => {
                cm.data
                    .get_or_insert_with(Default::default)
                    .insert(KEY.into(), text);
                api.replace(&name, &PostParams::default(), &cm).await
            }
            None => {
                let cm: ConfigMap = serde_json::from_value(json!({
                    "metadata": {"name": name, "labels": {NAME_LABEL: service, MANAGED_BY_LABEL: "msv"}},
                    "data": {KEY: text}
                }))?;
                api.create(&PostParams::default(), &cm).await
            }
        };
        match res {
            Ok(_) => return Ok(entry),
            Err(e) if status_code(&e) == Some(409) => continue,
            Err(e) => return Err(cluster.explain(e, &format!("writing ConfigMap {name}"))),
        }
    }
    Err(anyhow!(
        "could not record history in ConfigMap {name}: it kept changing"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(rev: u64, image: &str, outcome: Outcome) -> Entry {
        Entry {
            revision: rev,
            image: image.into(),
            color: Color::Blue,
            time: "t".into(),
            who: "w".into(),
            outcome,
            message: String::new(),
            analysis: None,
            canary: vec![],
            release: None,
        }
    }

    #[test]
    fn the_live_entry_names_the_image_the_color_runs() {
        let green = |rev, image: &str, outcome| Entry {
            color: Color::Green,
            ..e(rev, image, outcome)
        };
        let entries = vec![
            green(1, "app:1", Outcome::Succeeded),
            e(2, "app:2", Outcome::Succeeded),
            green(3, "app:3", Outcome::Failed),
            e(4, "app:1", Outcome::Rollback),
        ];
        assert_eq!(
            live_entry(&entries, Color::Green, None).unwrap().revision,
            1
        );
        assert_eq!(live_entry(&entries, Color::Blue, None).unwrap().revision, 4);
        assert_eq!(
            live_entry(&entries, Color::Blue, Some("app:2"))
                .unwrap()
                .revision,
            2
        );
        // Switched to app:3 and stopped before recording: no entry says so.
        assert_eq!(live_entry(&entries, Color::Green, Some("app:3")), None);
    }

    #[test]
    fn bounded_append_and_revisions() {
        let mut v = vec![];
        for i in 1..=60 {
            let rev = next_revision(&v);
            v = append(
                v,
                e(rev, &format!("i:{i}"), Outcome::Succeeded),
                MAX_ENTRIES,
            );
        }
        assert_eq!(v.len(), MAX_ENTRIES);
        assert_eq!(v.first().unwrap().revision, 11);
        assert_eq!(next_revision(&v), 61);
    }

    #[test]
    fn rollback_goes_to_the_previous_live_image() {
        let v = vec![
            e(1, "a:1", Outcome::Succeeded),
            e(2, "a:2", Outcome::Succeeded),
            e(3, "a:3", Outcome::Failed),
            e(4, "a:2", Outcome::Succeeded),
        ];
        assert_eq!(rollback_target(&v, None, None).unwrap().revision, 1);
        assert_eq!(rollback_target(&v, None, Some(2)).unwrap().image, "a:2");
        assert!(rollback_target(&v, None, Some(3)).is_err());
        assert!(rollback_target(&v[..1], None, None).is_err());
    }

    #[test]
    fn only_the_last_revision_that_went_live_counts() {
        let mut v = vec![
            e(1, "a:1", Outcome::Succeeded),
            e(2, "a:2", Outcome::Failed),
        ];
        assert!(records_live(&v, Color::Blue, "a:1"));
        assert!(!records_live(&v, Color::Blue, "a:2"));
        assert!(!records_live(&v, Color::Green, "a:1"));
        v.push(e(3, "a:3", Outcome::Rollback));
        assert!(!records_live(&v, Color::Blue, "a:1"));
        assert!(!records_live(&[], Color::Blue, "a:1"));
    }

    #[test]
    fn json_field_names_are_stable() {
        let s = serde_json::to_value(e(1, "a:1", Outcome::RolledBack)).unwrap();
        assert_eq!(s["outcome"], "rolled-back");
        assert_eq!(s["color"], "blue");
        assert!(s.get("message").is_none());
    }
}

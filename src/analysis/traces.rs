//! The trace-error gate's counts: a color's traces in a span of time, found in the trace
//! backend by the resource attributes every pod msv deploys exports (`service.version` and
//! `deployment.color`, see `deploy::manifests`), and how many hold an error span.

use std::time::SystemTime;

use anyhow::{Context as _, Result};

use super::judge::Tally;
use crate::cluster::Cluster;
use crate::traces::client::{self, Backend, Query};
use crate::traces::connect::Source;

/// The most traces read per search. A busier window is judged on the newest this many;
/// the share of errors among them is still the share the gate limits.
pub const SEARCH_LIMIT: usize = 1000;

/// Whose traces: the service, the version and color its pods were deployed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whose {
    pub service: String,
    pub version: String,
    pub color: String,
}

/// The search for `whose` traces between `from` and `to` (pure, so the tags are tested).
pub fn query(whose: &Whose, from: SystemTime, to: SystemTime, errors: bool) -> Result<Query> {
    Ok(Query {
        service: whose
            .service
            .parse()
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("service name {:?}", whose.service))?,
        since: to.duration_since(from).unwrap_or_default(),
        limit: SEARCH_LIMIT,
        operation: None,
        min_duration: None,
        errors,
        tags: vec![
            ("service.version".to_string(), whose.version.clone()),
            ("deployment.color".to_string(), whose.color.clone()),
        ],
        now: to,
    })
}

/// Counts `whose` traces between `from` and `to`, and those with an error span. Jaeger and
/// Zipkin answer whole traces, whose spans say it; Tempo's search answers summaries that
/// may not, so it is asked a second time for the failed ones only.
pub async fn tally(
    source: &Source,
    cluster: &Cluster,
    whose: &Whose,
    from: SystemTime,
    to: SystemTime,
) -> Result<Tally> {
    let (backend, base, transport) = source.connect(Some(cluster.clone()))?;
    let all = complete(
        client::search(&transport, backend, &base, &query(whose, from, to, false)?).await?,
    )?;
    let errors = match backend {
        Backend::Tempo => complete(
            client::search(&transport, backend, &base, &query(whose, from, to, true)?).await?,
        )?
        .len(),
        _ => all.iter().filter(|s| s.error).count(),
    };
    Ok(Tally {
        traces: all.len() as u64,
        errors: errors.min(all.len()) as u64,
    })
}

/// The traces of a search the backend answered in full. A search that came back with
/// errors (Jaeger's partial results) may have missed traces, so it decides nothing.
fn complete(found: client::Found) -> Result<Vec<crate::traces::TraceSummary>> {
    if let Some(e) = found.errors.first() {
        anyhow::bail!(
            "the backend answered with {} error{} beside its results, so traces may be missing: {e}",
            found.errors.len(),
            if found.errors.len() == 1 { "" } else { "s" }
        );
    }
    Ok(found.traces)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_search_names_the_version_and_the_color_over_the_window() {
        let whose = Whose {
            service: "orders".into(),
            version: "1.4.2".into(),
            color: "green".into(),
        };
        let to = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let from = to - Duration::from_secs(30);
        let q = query(&whose, from, to, false).unwrap();
        assert_eq!(q.since, Duration::from_secs(30));
        assert_eq!(q.now, to);
        assert_eq!(
            q.tags,
            [
                ("service.version".to_string(), "1.4.2".to_string()),
                ("deployment.color".to_string(), "green".to_string())
            ]
        );
        let bad = Whose {
            service: "Not A Name".into(),
            ..whose
        };
        assert!(query(&bad, from, to, false).is_err());
    }
}

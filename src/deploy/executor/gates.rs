//! The promotion gates inside a rollout, besides the health probes. The user's own checks
//! (`[[deploy.checks]]`) are sent through `S-preview` before the switch ([`Phase::Checks`])
//! and through `S` when the verify window opens.
//!
//! The metric gates (`[deploy.analysis]`): the live color is scraped when
//! the rollout starts ([`Phase::Baseline`]) and again just before the switch, which gives
//! the baseline; the candidate is scraped when the verify window opens and every interval
//! after, and judged each time — a failed gate ends the window at once (the executor's
//! undo rule then switches back); at the end of the window an inconclusive result counts
//! as the settings say. A first deploy is not analysed: nothing serves users yet, and
//! there is nothing to switch back to.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::{Halt, Phase, Run, Step};
use crate::analysis::traces::Whose;
use crate::analysis::{
    self, Counts, Gates, Inconclusive, Judgement, Scrape, Tally, Traced, Verdict, Window, promql,
};
use crate::checks::smoke::Smoke;
use crate::deploy::plan::{COLOR_LABEL, NAME_LABEL};
use crate::deploy::plan::{image_version, preview_name};
use crate::traces::connect::Reach;

/// The analysis state of one rollout.
#[derive(Debug, Default)]
pub(super) struct Analysis {
    /// The live color's counters since the rollout started (None: nothing was live, or
    /// the deploy resumes after its switch).
    baseline: Option<Window>,
    candidate: Option<Window>,
    /// When the baseline's window opened and closed, and the candidate's opened: the
    /// trace gate searches these spans of time.
    baseline_from: Option<SystemTime>,
    baseline_to: Option<SystemTime>,
    candidate_from: Option<SystemTime>,
    /// The baseline's traces, searched once (None inside: the search failed).
    baseline_traces: Option<Option<Tally>>,
    /// The latest judgement, recorded in the summary and the history.
    pub(super) judgement: Option<Judgement>,
}

fn selector(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

impl Run<'_> {
    /// Step 5: the user's checks through `S-preview`, one after another.
    pub(super) async fn checks(&mut self) -> Step {
        let s = &self.opts.settings;
        let preview = preview_name(&s.name);
        let checks = &self.opts.deploy.checks;
        self.show(
            Phase::Checks,
            &format!("{} check(s) through {preview}", checks.len()),
        );
        let port = match self.plan.adopt {
            Some(_) => self.service_port(),
            None => s.port,
        };
        crate::checks::run(
            self.cluster,
            &preview,
            port,
            checks,
            self.opts.deploy.probe_timeout,
        )
        .await
        .map_err(|why| Halt::Failed(format!("{why}; the switch did not happen")))
    }

    /// Step 5: the user's smoke command against `S-preview`, through a local forwarder.
    pub(super) async fn smoke(&mut self) -> Step {
        let Some(command) = self.opts.deploy.smoke.clone() else {
            return Ok(());
        };
        let s = &self.opts.settings;
        let preview = preview_name(&s.name);
        self.show(
            Phase::Smoke,
            &format!("running `{command}` against {preview} (MSV_PREVIEW_URL)"),
        );
        let port = match self.plan.adopt {
            Some(_) => self.service_port(),
            None => s.port,
        };
        let timeout = self.opts.deploy.smoke_timeout;
        match crate::checks::smoke::run(
            self.cluster,
            &preview,
            port,
            &command,
            timeout,
            self.cancel.clone(),
        )
        .await?
        {
            Smoke::Passed => Ok(()),
            Smoke::Failed(why) => Err(Halt::Failed(format!("{why}; the switch did not happen"))),
            Smoke::Interrupted => Err(Halt::Interrupted(
                "interrupted while the smoke command ran".into(),
            )),
        }
    }

    /// The user's checks through `S`, when the verify window opens.
    pub(super) async fn checks_after_switch(&mut self) -> Step {
        let checks = &self.opts.deploy.checks;
        if checks.is_empty() {
            return Ok(());
        }
        let name = self.opts.settings.name.clone();
        crate::checks::run(
            self.cluster,
            &name,
            self.service_port(),
            checks,
            self.opts.deploy.probe_timeout,
        )
        .await
        .map_err(|why| Halt::Failed(format!("after the switch, {why}")))
    }

    /// The gates in force for this rollout: none on a first deploy, where no users are
    /// being served yet and there is nothing to switch back to.
    pub(super) fn gates(&self) -> Option<&Gates> {
        let before = self.plan.live.is_some() || self.plan.adopt.is_some();
        self.opts.deploy.analysis.as_ref().filter(|_| before)
    }

    /// The pods that served before the switch: the live color, or the Deployment being adopted.
    pub(super) fn baseline_selector(&self) -> Option<String> {
        let name = &self.opts.settings.name;
        match (&self.plan.adopt, self.plan.live) {
            (Some(a), _) => Some(selector(&a.selector)),
            (None, Some(live)) if live != self.plan.candidate => {
                Some(format!("{NAME_LABEL}={name},{COLOR_LABEL}={live}"))
            }
            _ => None,
        }
    }

    pub(super) async fn scrape(&mut self, selector: &str, what: &str) -> Scrape {
        let Some(g) = self.gates().filter(|g| g.limits.metrics()) else {
            return Scrape::default();
        };
        let (path, names) = (g.metrics_path.clone(), g.names.clone());
        let port = self.opts.settings.port;
        let timeout = self.opts.deploy.probe_timeout;
        match analysis::scrape(self.cluster, selector, port, &path, timeout, &names).await {
            Ok(s) => {
                if !s.failed.is_empty() {
                    let why: Vec<String> =
                        s.failed.iter().map(|(p, w)| format!("{p}: {w}")).collect();
                    self.note_once(format!(
                        "metrics of {what} not read from every pod: {}",
                        why.join("; ")
                    ));
                }
                s
            }
            Err(e) => {
                self.note_once(format!("metrics of {what} not read: {e:#}"));
                Scrape::default()
            }
        }
    }

    /// Says what could not be read, once: the same trouble at every interval is one note.
    pub(super) fn note_once(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.rep.phase("analysis", &note);
            self.notes.push(note);
        }
    }

    /// The baseline's first scrape, when the rollout starts.
    pub(super) async fn baseline(&mut self) -> Step {
        let Some(sel) = self.baseline_selector() else {
            return Ok(());
        };
        self.show(Phase::Baseline, "reading the live color's metrics");
        self.analysis.baseline_from = Some(SystemTime::now());
        let s = match self.prometheus() {
            // Prometheus keeps the history: the baseline is read when it closes.
            Some(_) => Scrape::default(),
            None => self.scrape(&sel, "the live color").await,
        };
        self.analysis.baseline = Some(Window::starting_at(&s));
        Ok(())
    }

    /// The Prometheus the gates ask instead of scraping the pods, if one is configured.
    pub(super) fn prometheus(&self) -> Option<Reach> {
        self.gates()?.prometheus.clone()
    }

    /// The Deployment whose pods served before the switch.
    fn baseline_deployment(&self) -> Option<String> {
        let name = &self.opts.settings.name;
        match (&self.plan.adopt, self.plan.live) {
            (Some(_), _) => Some(name.clone()),
            (None, Some(live)) if live != self.plan.candidate => Some(format!("{name}-{live}")),
            _ => None,
        }
    }

    /// What `deployment`'s pods served between `from` and `to`, from Prometheus; a query
    /// that fails is noted once and reads as nothing served.
    pub(super) async fn read_prometheus(
        &mut self,
        reach: &Reach,
        deployment: &str,
        from: SystemTime,
        to: SystemTime,
        what: &str,
    ) -> Counts {
        let Some(names) = self.gates().map(|g| g.names.clone()) else {
            return Counts::default();
        };
        let range = to.duration_since(from).unwrap_or_default();
        let timeout = self.opts.deploy.probe_timeout;
        let pods = promql::pods_of(deployment);
        match promql::read(reach, self.cluster, &names, &pods, to, range, timeout).await {
            Ok(c) => c,
            Err(e) => {
                self.note_once(format!("metrics of {what} not read from Prometheus: {e:#}"));
                Counts::default()
            }
        }
    }

    /// The baseline's second scrape, just before the switch.
    pub(super) async fn close_baseline(&mut self) {
        if self.analysis.baseline.is_none() {
            return;
        }
        let Some(sel) = self.baseline_selector() else {
            return;
        };
        if let Some(reach) = self.prometheus() {
            let to = SystemTime::now();
            self.analysis.baseline_to = Some(to);
            let (Some(from), Some(deployment)) =
                (self.analysis.baseline_from, self.baseline_deployment())
            else {
                return;
            };
            let counts = self
                .read_prometheus(&reach, &deployment, from, to, "the live color")
                .await;
            if let Some(w) = self.analysis.baseline.as_mut() {
                w.total = counts;
            }
            return;
        }
        let s = self.scrape(&sel, "the live color").await;
        self.analysis.baseline_to = Some(SystemTime::now());
        if let Some(w) = self.analysis.baseline.as_mut() {
            w.add(&s);
        }
    }

    pub(super) fn candidate_selector(&self) -> String {
        let name = &self.opts.settings.name;
        let cand = self.plan.candidate;
        format!("{NAME_LABEL}={name},{COLOR_LABEL}={cand}")
    }

    /// The candidate's window opens (the first scrape after the switch).
    pub(super) async fn open_candidate_window(&mut self) {
        if self.gates().is_none() {
            return;
        }
        self.analysis.candidate_from = Some(SystemTime::now());
        let s = match self.prometheus() {
            Some(_) => Scrape::default(),
            None => {
                self.scrape(&self.candidate_selector(), "the candidate")
                    .await
            }
        };
        self.analysis.candidate = Some(Window::starting_at(&s));
    }

    /// The traces of `whose` between `from` and now or `to`; a search that fails is
    /// noted once and decides nothing.
    pub(super) async fn traces_of(
        &mut self,
        whose: Whose,
        from: SystemTime,
        to: SystemTime,
        what: &str,
    ) -> Option<Tally> {
        let source = self.gates()?.traces.clone()?;
        match analysis::traces::tally(&source, self.cluster, &whose, from, to).await {
            Ok(t) => Some(t),
            Err(e) => {
                self.note_once(format!(
                    "traces of {what} not read from {}: {e:#}",
                    source.describe()
                ));
                None
            }
        }
    }

    /// Both colors' traces, when the trace gate is on: the baseline's once (the live
    /// color's version over its window), the candidate's since its window opened.
    async fn traced(&mut self) -> Traced {
        let on = self
            .gates()
            .is_some_and(|g| g.limits.max_error_traces_ratio.is_some());
        let Some(from) = self.analysis.candidate_from.filter(|_| on) else {
            return Traced::default();
        };
        let service = self.opts.settings.name.clone();
        if self.analysis.baseline_traces.is_none() {
            let live = match (&self.plan.adopt, self.plan.live, &self.plan.from_image) {
                (None, Some(live), Some(image)) if live != self.plan.candidate => Some(Whose {
                    service: service.clone(),
                    version: image_version(image),
                    color: live.as_str().to_string(),
                }),
                _ => None,
            };
            let span = self.analysis.baseline_from.zip(self.analysis.baseline_to);
            let tally = match (live, span) {
                (Some(whose), Some((b_from, b_to))) => {
                    self.traces_of(whose, b_from, b_to, "the live color").await
                }
                _ => None,
            };
            self.analysis.baseline_traces = Some(tally);
        }
        let candidate = Whose {
            service,
            version: image_version(&self.plan.to_image),
            color: self.plan.candidate.as_str().to_string(),
        };
        Traced {
            baseline: self.analysis.baseline_traces.flatten(),
            candidate: self
                .traces_of(candidate, from, SystemTime::now(), "the candidate")
                .await,
        }
    }

    /// Scrape the candidate and judge. Inside the window only a failed gate stops the
    /// rollout; at its end (`last`) an inconclusive verdict counts as configured.
    pub(super) async fn judge_candidate(&mut self, last: bool) -> Step {
        let Some(limits) = self.gates().map(|g| g.limits.clone()) else {
            return Ok(());
        };
        if let (Some(reach), Some(from)) = (self.prometheus(), self.analysis.candidate_from) {
            let deployment = format!("{}-{}", self.opts.settings.name, self.plan.candidate);
            let counts = self
                .read_prometheus(
                    &reach,
                    &deployment,
                    from,
                    SystemTime::now(),
                    "the candidate",
                )
                .await;
            if let Some(window) = self.analysis.candidate.as_mut() {
                window.total = counts;
            }
        } else {
            let s = self
                .scrape(&self.candidate_selector(), "the candidate")
                .await;
            if let Some(window) = self.analysis.candidate.as_mut() {
                window.add(&s);
            }
        }
        let Some(window) = self.analysis.candidate.as_ref() else {
            return Ok(());
        };
        let candidate = window.total.clone();
        let baseline = self.analysis.baseline.as_ref().map(|w| w.total.clone());
        let traced = self.traced().await;
        let j = analysis::judge(&limits, baseline.as_ref(), &candidate, &traced);
        let verdict = j.verdict;
        let table = j.table();
        let why = j.why.clone();
        self.analysis.judgement = Some(j);
        match verdict {
            Verdict::Fail => Err(Halt::Failed(format!(
                "the candidate failed the analysis in the verify window:\n{}",
                table.trim_end()
            ))),
            Verdict::Inconclusive if last && limits.inconclusive == Inconclusive::Fail => {
                Err(Halt::Failed(format!(
                    "the analysis stayed inconclusive ({}), and deploy.analysis.inconclusive = \"fail\":\n{}",
                    why.unwrap_or_default(),
                    table.trim_end()
                )))
            }
            Verdict::Inconclusive if last => {
                self.note_once(format!(
                    "analysis inconclusive ({}); passed as deploy.analysis.inconclusive = \"pass\"",
                    why.unwrap_or_default()
                ));
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

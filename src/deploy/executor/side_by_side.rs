//! The canary soak's judgement (see `soak`): both colors read at the same moments — each
//! pod's `/metrics` through the pod proxy, or PromQL over each Deployment's pods, and the
//! trace backend over the same span — and the canary judged against the live color by
//! the same `analysis::judge` the verify window uses.

use super::{Halt, Run, Step};
use crate::analysis::traces::Whose;
use crate::analysis::{self, Inconclusive, Traced, Verdict, Window};
use crate::deploy::plan::{Color, deployment_name, image_version};
use std::time::SystemTime;

/// Both colors' metrics over the same minutes of one step.
pub(super) struct SideBySide {
    from: SystemTime,
    live: Window,
    canary: Window,
}

impl Run<'_> {
    /// The step's side-by-side window opens: both colors read at once (None without gates).
    pub(super) async fn open_side_by_side(&mut self, live: Color) -> Option<SideBySide> {
        self.gates()?;
        let from = SystemTime::now();
        let (live_sel, cand_sel) = (self.baseline_selector()?, self.candidate_selector());
        let (l, c) = match self.prometheus() {
            // Prometheus keeps the history: both are read over the window when judged.
            Some(_) => Default::default(),
            None => (
                self.scrape(&live_sel, &format!("the live color {live}"))
                    .await,
                self.scrape(&cand_sel, "the canary").await,
            ),
        };
        Some(SideBySide {
            from,
            live: Window::starting_at(&l),
            canary: Window::starting_at(&c),
        })
    }

    /// Read both colors since the step began and judge the canary against the live color.
    /// Inside the step only a failed gate stops it; at its end (`last`) an inconclusive
    /// verdict counts as configured.
    pub(super) async fn judge_side_by_side(
        &mut self,
        side: &mut SideBySide,
        number: usize,
        live: Color,
        last: bool,
    ) -> Step {
        let Some(limits) = self.gates().map(|g| g.limits.clone()) else {
            return Ok(());
        };
        let (name, cand) = (self.opts.settings.name.clone(), self.plan.candidate);
        let now = SystemTime::now();
        if let Some(reach) = self.prometheus() {
            let (l, c) = (deployment_name(&name, live), deployment_name(&name, cand));
            side.live.total = self
                .read_prometheus(&reach, &l, side.from, now, "the live color")
                .await;
            side.canary.total = self
                .read_prometheus(&reach, &c, side.from, now, "the canary")
                .await;
        } else if let Some(live_sel) = self.baseline_selector() {
            let l = self
                .scrape(&live_sel, &format!("the live color {live}"))
                .await;
            let c = self.scrape(&self.candidate_selector(), "the canary").await;
            side.live.add(&l);
            side.canary.add(&c);
        }
        let traced = self.traced_side_by_side(side.from, now, live).await;
        let j = analysis::judge(&limits, Some(&side.live.total), &side.canary.total, &traced);
        let (verdict, table, why) = (j.verdict, j.table(), j.why.clone());
        if let Some(step) = self.soaked.last_mut() {
            step.analysis = Some(j);
        }
        let percent = self.soaked.last().map_or(0, |s| s.step.percent);
        match verdict {
            Verdict::Fail => Err(Halt::Failed(format!(
                "canary step {number} ({percent}%): the candidate failed the analysis beside the live color {live} (baseline: {live} over the same minutes); the switch did not happen:\n{}",
                table.trim_end()
            ))),
            Verdict::Inconclusive if last && limits.inconclusive == Inconclusive::Fail => {
                Err(Halt::Failed(format!(
                    "canary step {number} ({percent}%): the analysis stayed inconclusive ({}), and deploy.analysis.inconclusive = \"fail\"; the switch did not happen:\n{}",
                    why.unwrap_or_default(),
                    table.trim_end()
                )))
            }
            Verdict::Inconclusive if last => {
                self.note_once(format!(
                    "canary step {number} ({percent}%): analysis inconclusive ({}); passed as deploy.analysis.inconclusive = \"pass\"",
                    why.unwrap_or_default()
                ));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Both colors' traces over the step, when the trace gate is on.
    async fn traced_side_by_side(
        &mut self,
        from: SystemTime,
        to: SystemTime,
        live: Color,
    ) -> Traced {
        let on = self
            .gates()
            .is_some_and(|g| g.limits.max_error_traces_ratio.is_some());
        if !on {
            return Traced::default();
        }
        let service = self.opts.settings.name.clone();
        let baseline = match self.plan.from_image.clone() {
            Some(image) => {
                let whose = Whose {
                    service: service.clone(),
                    version: image_version(&image),
                    color: live.as_str().to_string(),
                };
                self.traces_of(whose, from, to, "the live color").await
            }
            None => None,
        };
        let whose = Whose {
            service,
            version: image_version(&self.plan.to_image),
            color: self.plan.candidate.as_str().to_string(),
        };
        Traced {
            baseline,
            candidate: self.traces_of(whose, from, to, "the canary").await,
        }
    }
}

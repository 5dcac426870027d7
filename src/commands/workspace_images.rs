//! `msv build` and `msv push` at a workspace's root, and the builds before a release:
//! every member (or those named with `-p`), two at a time, each reported on a line of
//! its own — a spinner per member on a terminal, a line per event otherwise.

use anyhow::Result;
use futures::StreamExt as _;
use serde::Serialize;

use super::Context;
use super::workspace::Member;
use crate::exit::{ExitCode, Failure};
use crate::image::{BuildRequest, PushRequest};
use crate::output::{OutputFormat, sanitize};

/// Builds (and pushes) at once: the engine does the work, and two keep it busy without
/// starving each other of its CPU.
const AT_ONCE: usize = 2;

/// What one member's build and push gave, or why it failed.
#[derive(Debug, Serialize)]
pub struct MemberImage {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `<repository>@<digest>`, once pushed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What to do for each member: build with `options` (its directory and repository filled
/// in per member), push what was built (or, without a build, the last built image).
pub struct Jobs {
    pub build: Option<BuildRequest>,
    pub push: bool,
}

/// Run the jobs for every member, [`AT_ONCE`] at a time, in member order.
pub async fn run(ctx: &Context, members: &[Member], jobs: &Jobs) -> Result<Vec<MemberImage>> {
    let lines = indicatif::MultiProgress::new();
    let work = futures::stream::iter(members)
        .map(|m| {
            let bar = lines.add(ctx.printer.spinner(&m.name));
            async move {
                let out = one(ctx, m, jobs, &bar).await;
                bar.finish_and_clear();
                out
            }
        })
        .buffered(AT_ONCE)
        .collect::<Vec<_>>();
    crate::interrupt::take_over();
    tokio::select! {
        done = work => Ok(done),
        () = crate::interrupt::signalled() => Err(Failure::interrupted(
            "interrupted; the engine stops the builds, and only the builds and pushes that finished were recorded",
        )),
    }
}

async fn one(ctx: &Context, m: &Member, jobs: &Jobs, bar: &indicatif::ProgressBar) -> MemberImage {
    let say = |what: &str| match ctx.printer.stderr_tty {
        true => bar.set_message(format!("{}: {what}", m.name)),
        false => ctx.printer.info(&sanitize(&format!("{}: {what}", m.name))),
    };
    let mut out = MemberImage {
        name: m.name.clone(),
        reference: None,
        id: None,
        pinned: None,
        error: None,
    };
    let hushed = ctx.printer.hushed();
    let result: Result<()> = async {
        let dir = m.config.work_dir(None)?;
        let mut image = None;
        if let Some(template) = &jobs.build {
            let request = BuildRequest {
                dir: dir.clone(),
                repository: m.config.image_repository()?,
                ..template.clone()
            };
            say("building");
            let built = crate::image::build(&request, &hushed).await?;
            say(&format!("built {}", built.reference));
            out.reference = Some(built.reference.clone());
            out.id = Some(built.id);
            image = Some(built.reference);
        }
        if jobs.push {
            say("pushing");
            let pushed = crate::image::push(&PushRequest { dir, image }, &hushed).await?;
            say(&format!("pushed {}", pushed.pinned));
            out.reference = Some(pushed.reference);
            out.pinned = Some(pushed.pinned);
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        out.error = Some(format!("{e:#}"));
    }
    out
}

/// Each member's result, then the exit code: 0 when every one succeeded, else 1.
pub fn print(ctx: &Context, format: OutputFormat, done: &[MemberImage]) -> Result<ExitCode> {
    match format {
        OutputFormat::Text => {
            for d in done {
                match (&d.error, &d.pinned, &d.reference) {
                    (Some(e), _, _) => ctx.printer.warn(&format!("{}: {e}", d.name)),
                    (None, Some(p), _) => ctx
                        .printer
                        .success(&sanitize(&format!("{}: pushed {p}", d.name))),
                    (None, None, Some(r)) => ctx
                        .printer
                        .success(&sanitize(&format!("{}: built {r}", d.name))),
                    _ => {}
                }
            }
        }
        f => ctx.printer.data(f, done)?,
    }
    let failed: Vec<&str> = done
        .iter()
        .filter(|d| d.error.is_some())
        .map(|d| d.name.as_str())
        .collect();
    if failed.is_empty() {
        return Ok(ExitCode::Success);
    }
    Err(Failure::bad(format!("failed for {}", failed.join(", "))))
}

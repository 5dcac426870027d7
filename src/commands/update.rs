//! `msv update`: turns the flags into an update request, runs it, and reports each file
//! and the conflicts left; `--continue` and `--abort` end a pending update. The work is in
//! `crate::scaffold::update` and `crate::scaffold::pending`.

use crate::cli::UpdateArgs;
use crate::exit::ExitCode;
use crate::interrupt;
use crate::output::{OutputFormat, sanitize};
use crate::scaffold::pending::{self, Ended};
use crate::scaffold::plan::{FileReport, Status};
use crate::scaffold::update::{self, Report, Request};
use crate::scaffold::{self};

use super::Context;

pub async fn run(args: &UpdateArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let printer = &ctx.printer;
    let format = printer.format("update")?;
    let UpdateArgs {
        dir,
        set,
        to,
        dry_run,
        allow_dirty,
        continue_,
        abort,
    } = args;
    // Whatever is asked, an update killed part way is first put back.
    for message in update::recover_interrupted(dir)? {
        printer.warn(&message);
    }
    if *continue_ || *abort {
        let ended = if *continue_ {
            pending::finish(dir)?
        } else {
            pending::abort(dir)?
        };
        if format != OutputFormat::Text {
            printer.data(format, &ended)?;
        } else {
            print_ended(&ended, *continue_, ctx)?;
        }
        return Ok(ExitCode::Success);
    }
    let request = Request {
        dir: dir.clone(),
        sets: set
            .iter()
            .map(|kv| format!("{}={}", kv.key, kv.value))
            .collect(),
        to: to.clone(),
        dry_run: *dry_run,
        allow_dirty: *allow_dirty,
        interactive: printer.interactive,
        user_dir: scaffold::user_template_dir(),
    };
    let rx = interrupt::receiver();
    // Until the files are written an interrupt ends msv at once (nothing has changed);
    // from then on the update finishes, so the service is never left half updated.
    let interrupted = move || {
        interrupt::take_over();
        *rx.borrow()
    };
    // Prompts block on the terminal; keep them off the async runtime's workers.
    let report =
        tokio::task::spawn_blocking(move || update::update(&request, &interrupted)).await??;
    if format != OutputFormat::Text {
        printer.data(format, &report)?;
    } else {
        print_text(&report, ctx)?;
    }
    if report.conflicts > 0 && !report.dry_run {
        // The update ran to the end and left work for the user: exit 1 (see exit.rs).
        let files = report
            .files
            .iter()
            .filter(|f| f.status == Status::Conflict)
            .count();
        printer.error(&anyhow::anyhow!(
            "{} conflict(s) in {files} file(s), marked <<<<<<< yours / ======= / >>>>>>> template; \
             the update is pending and the service keeps its old lineage until it ends: \
             resolve the conflicts, then msv update --continue (or --abort to put everything back)",
            report.conflicts
        ));
        return Ok(ExitCode::Failure);
    }
    Ok(ExitCode::Success)
}

fn print_text(report: &Report, ctx: &Context) -> anyhow::Result<()> {
    let printer = &ctx.printer;
    let lines: String = report.files.iter().map(line).collect();
    if let Some(diff) = &report.diff {
        let text: String = diff.lines().map(|l| format!("{}\n", sanitize(l))).collect();
        printer.stdout(&text)?;
        printer.info(lines.trim_end());
    } else {
        printer.stdout(&lines)?;
    }
    let count = |s: Status| report.files.iter().filter(|f| f.status == s).count();
    let summary = format!(
        "{} {} from {} to {}: {} updated, {} added, {} deleted, {} renamed, {} merged cleanly, \
         {} in conflict, {} left alone, {} written beside",
        if report.dry_run {
            "would update"
        } else if report.conflicts > 0 {
            "pending: updating"
        } else {
            "updated"
        },
        report.path.display(),
        report.from,
        report.to,
        count(Status::Updated),
        count(Status::Added),
        count(Status::Deleted),
        count(Status::Renamed),
        count(Status::Merged),
        count(Status::Conflict),
        count(Status::Kept),
        count(Status::Beside),
    );
    if report.files.is_empty() {
        printer.success(&format!(
            "{} is up to date with template {} ({})",
            report.path.display(),
            sanitize(&report.template),
            report.to
        ));
    } else if report.conflicts == 0 {
        printer.success(&summary);
    } else {
        printer.info(&summary);
    }
    if report.not_git && !report.dry_run {
        printer
            .warn("the service is not in a git work tree, so the update cannot be undone with git");
    }
    Ok(())
}

fn print_ended(ended: &Ended, finished: bool, ctx: &Context) -> anyhow::Result<()> {
    let printer = &ctx.printer;
    let list = |files: &[String], label: &str| -> String {
        files
            .iter()
            .map(|f| format!("{label}{}\n", sanitize(f)))
            .collect()
    };
    if finished {
        printer.stdout(&list(&ended.files, "resolved  "))?;
        printer.success(&format!(
            "finished the update of {} from {} to {} (template {}): the new lineage is in \
             .msv/; commit the service",
            ended.path.display(),
            ended.from,
            ended.to,
            sanitize(&ended.template)
        ));
    } else {
        printer
            .stdout(&(list(&ended.files, "restored  ") + &list(&ended.removed, "removed   ")))?;
        printer.success(&format!(
            "aborted the update of {} from {} to {}: {} file(s) put back, {} added file(s) \
             removed; the service is as it was",
            ended.path.display(),
            ended.from,
            ended.to,
            ended.files.len(),
            ended.removed.len()
        ));
    }
    Ok(())
}

fn line(f: &FileReport) -> String {
    let path = sanitize(&f.path);
    let other = f.other.as_deref().map(sanitize).unwrap_or_default();
    let text = match f.status {
        Status::Added => format!("added     {path}"),
        Status::Updated => format!("updated   {path}"),
        Status::Merged => format!("merged    {path}"),
        Status::Conflict if f.other.is_some() => format!(
            "conflict  {path} (renamed from {other}; {} conflict(s))",
            f.conflicts
        ),
        Status::Conflict => format!("conflict  {path} ({} conflict(s))", f.conflicts),
        Status::Deleted => format!("deleted   {path}"),
        Status::Renamed => format!("renamed   {other} -> {path}"),
        Status::Kept => match f.kept {
            Some(scaffold::merge::Kept::DeletedByYou) => {
                format!("kept      {path} (you deleted it; the template changed it)")
            }
            _ => format!("kept      {path} (you changed it; the template deleted it)"),
        },
        Status::Beside => format!(
            "beside    {path} (not text and changed by both: the template's version is {other})"
        ),
    };
    format!("{text}\n")
}

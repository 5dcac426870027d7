//! `msv new`: turns the flags into a scaffolding request, runs it, and tells the user what
//! was created and what to run next. The work is in `crate::scaffold`.

use crate::cli::NewArgs;
use crate::exit::ExitCode;
use crate::output::OutputFormat;
use crate::output::sanitize;
use crate::scaffold::{self, Request};

use super::Context;

pub async fn run(args: &NewArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let printer = &ctx.printer;
    let format = printer.format("new")?;
    let request = Request {
        name: args.name.clone(),
        template: args.template.clone(),
        sets: args
            .set
            .iter()
            .map(|kv| format!("{}={}", kv.key, kv.value))
            .collect(),
        output: args.dir.clone(),
        force: args.force,
        interactive: printer.interactive,
        user_dir: scaffold::user_template_dir(),
    };
    // Prompts block on the terminal; keep them off the async runtime's workers.
    let created = tokio::task::spawn_blocking(move || scaffold::generate(&request)).await??;
    // Made inside a workspace: it becomes a member (the service is there either way).
    let joined = crate::config::join_workspace(&created.path);
    if format != OutputFormat::Text {
        printer.data(format, &created)?;
        return Ok(ExitCode::Success);
    }
    if let Some(backup) = &created.backup {
        printer.warn(&format!(
            "the previous contents of {} were moved to {}",
            created.path.display(),
            backup.display()
        ));
    }
    printer.success(&format!(
        "created {} from template {} [{}] ({} files)",
        created.path.display(),
        created.template,
        sanitize(&created.source),
        created.files.len()
    ));
    match &joined {
        Ok(Some(crate::config::Joined {
            file,
            added: Some(entry),
        })) => printer.info(&format!(
            "added {entry:?} to [workspace] members in {}",
            file.display()
        )),
        Ok(Some(crate::config::Joined { file, added: None })) => {
            printer.info(&format!("a member of the workspace in {}", file.display()))
        }
        Ok(None) => {}
        Err(e) => printer.warn(&format!("{e:#}")),
    }
    let files: String = created
        .files
        .iter()
        .map(|f| format!("{}\n", sanitize(f)))
        .collect();
    printer.stdout(&files)?;
    printer.info(&format!(
        "\nnext:\n  cd {}\n  run its tests\n  msv build\n  msv deploy",
        created.path.display()
    ));
    Ok(ExitCode::Success)
}

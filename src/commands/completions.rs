//! `msv completions SHELL`: the completion script, generated from the clap definition.
//! The copies in completions/ are checked in and kept equal by a test.

use crate::cli::CompletionsArgs;
use crate::exit::ExitCode;

use super::Context;

pub fn run(args: &CompletionsArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    // A script is all it prints; `-o json` must not quietly get one.
    ctx.printer.format("completions")?;
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut crate::cli::command(), "msv", &mut script);
    ctx.printer.stdout(&String::from_utf8(script)?)?;
    Ok(ExitCode::Success)
}

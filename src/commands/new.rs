//! `msv new`: not implemented in this version yet; it exists so that its flags, help and
//! completions are stable, and it says so plainly (exit 2) instead of printing anything made up.

use crate::cli::NewArgs;
use crate::exit::{ExitCode, Failure};

use super::Context;

pub async fn run(_args: &NewArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    Err(Failure::not_implemented("new"))
}

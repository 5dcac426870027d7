//! `msv version`: the version, and for machines the target it was built for.

use serde::Serialize;

use crate::exit::ExitCode;
use crate::output::OutputFormat;

use super::Context;

#[derive(Serialize)]
struct Version {
    version: &'static str,
    os: &'static str,
    arch: &'static str,
}

pub fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let version = Version {
        version: env!("CARGO_PKG_VERSION"),
        os: std::env::consts::OS,
        arch: std::env::consts::ARCH,
    };
    match ctx.printer.format("version")? {
        OutputFormat::Text => ctx.printer.stdout(&format!(
            "msv {} ({}-{})\n",
            version.version, version.os, version.arch
        ))?,
        format => ctx.printer.data(format, &version)?,
    }
    Ok(ExitCode::Success)
}

//! One file per subcommand. Each `run` wires configuration, the concern modules and the
//! printer together; the real work lives in those modules so that commands can share it.

mod build;
mod completions;
mod config;
mod deploy;
mod flags;
mod history;
mod logs;
mod man;
mod manifests;
mod new;
mod push;
mod rollback;
mod status;
mod templates;
mod traces;
mod update;
mod version;
mod workspace;
mod workspace_images;

use std::path::Path;

use crate::cli::{Cli, Command};
use crate::config::{Config, Flags};
use crate::exit::ExitCode;
use crate::output::Printer;

/// What every command gets: the printer, and the settings its flags set.
pub struct Context {
    pub printer: Printer,
    flags: Flags,
}

impl Context {
    /// Loads the configuration, searching for msv.toml from `dir` (default: the working
    /// directory). Commands that do not need it never call this, so a broken msv.toml
    /// cannot stop `msv completions`.
    pub fn config(&self, dir: Option<&Path>) -> anyhow::Result<Config> {
        let cwd;
        let start = match dir {
            Some(dir) => dir,
            None => {
                cwd = std::env::current_dir()?;
                &cwd
            }
        };
        let config = Config::load(start, &self.flags)?;
        let names: Vec<String> = std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .collect();
        for (old, new) in crate::config::schema::renamed_env_vars(names.clone()) {
            self.printer.warn(&format!(
                "{old} is the old name of {new}; it is still read when {new} is unset, but {new} is the one to set"
            ));
        }
        for (name, closest) in crate::config::schema::unknown_env_vars(names) {
            let hint = match closest {
                Some(k) => format!("did you mean {k}?"),
                None => "`msv config show` lists every setting and its variable".into(),
            };
            self.printer.warn(&format!(
                "{name} is set but is not a setting msv reads; {hint}"
            ));
        }
        if let Some(manifest) = &config.manifest {
            self.printer
                .debug(1, &format!("using {}", manifest.display()));
        }
        Ok(config)
    }
}

/// Whether a command does I/O that needs the async runtime, TLS or interrupt handling.
/// The others only print what the binary knows (or read msv.toml) and run without them,
/// so that `msv completions` or `msv version` start as fast as the process can.
pub fn needs_runtime(command: &Command) -> bool {
    !matches!(
        command,
        Command::Completions(_) | Command::Man | Command::Config(_) | Command::Version
    )
}

/// Runs a command for which [`needs_runtime`] is false, on the calling thread; `None` for
/// the others.
pub fn run_without_runtime(cli: &Cli) -> Option<anyhow::Result<ExitCode>> {
    let ctx = context(cli);
    Some(match &cli.command {
        Command::Completions(args) => completions::run(args, &ctx),
        Command::Man => man::run(&ctx),
        Command::Config(args) => config::run(args, &ctx),
        Command::Version => version::run(&ctx),
        _ => return None,
    })
}

fn context(cli: &Cli) -> Context {
    Context {
        printer: Printer::new(&cli.global.style()),
        flags: flags::of(cli),
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(outcome) = run_without_runtime(&cli) {
        return outcome;
    }
    // reqwest is built without a default TLS provider so that one provider (ring, as kube
    // uses) serves every client; a second call finds it installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let ctx = context(&cli);
    match &cli.command {
        Command::New(args) => new::run(args, &ctx).await,
        Command::Templates(args) => templates::run(args, &ctx).await,
        Command::Update(args) => update::run(args, &ctx).await,
        Command::Build(args) => build::run(args, &ctx).await,
        Command::Push(args) => push::run(args, &ctx).await,
        Command::Deploy(args) => deploy::run(args, &ctx).await,
        Command::Rollback(args) => rollback::run(args, &ctx).await,
        Command::History(args) => history::run(args, &ctx).await,
        Command::Manifests(args) => manifests::run(args, &ctx).await,
        Command::Status(args) => status::run(args, &ctx).await,
        Command::Logs(args) => logs::run(args, &ctx).await,
        Command::Traces(args) => traces::run(args, &ctx).await,
        Command::Completions(_) | Command::Man | Command::Config(_) | Command::Version => {
            unreachable!("run_without_runtime runs these")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(args: &[&str]) -> Command {
        use clap::FromArgMatches as _;
        let matches = crate::cli::command()
            .try_get_matches_from(std::iter::once("msv").chain(args.iter().copied()))
            .expect("valid arguments");
        Cli::from_arg_matches(&matches).expect("a command").command
    }

    #[test]
    fn printing_commands_run_without_the_runtime() {
        for args in [
            &["completions", "bash"][..],
            &["man"],
            &["version"],
            &["config", "show"],
        ] {
            assert!(!needs_runtime(&command(args)), "{args:?}");
        }
    }

    #[test]
    fn commands_doing_io_get_the_runtime() {
        for args in [&["status"][..], &["new", "svc"], &["templates", "list"]] {
            assert!(needs_runtime(&command(args)), "{args:?}");
        }
    }
}

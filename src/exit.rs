//! Exit codes: the contract between msv and the scripts and pipelines that call it.
//!
//! The one convention every command follows:
//! - A command that ran to the end returns `Ok(code)`: [`ExitCode::Success`], or
//!   [`ExitCode::Failure`] when what it found is bad (`status` of an unhealthy service,
//!   `templates lint` with problems, `logs -f` whose stream broke); it has printed that
//!   result itself.
//! - A command that stopped part-way returns `Err`. The concern that stopped decides what
//!   kind of stop it was by wrapping its message in a [`Failure`]: `bad` (the job ran and
//!   failed: a build step, a rollout that was rolled back, a push the registry refused),
//!   `refused` (it would not start because of what it found; nothing changed), `locked`
//!   (another deploy holds the lock) or `interrupted` (130 for SIGINT; `main` makes it 143
//!   when SIGTERM was the signal). Any other error — bad flags or msv.toml, no cluster or engine — is
//!   [`ExitCode::Usage`]. Commands never pick a code for a concern's error; the one code a
//!   command gives itself is `interrupted`, when the interrupt it races a job against
//!   (`interrupt::signalled`) wins.

use std::fmt;

/// What the process exit status means. Listed in `msv --help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything worked.
    Success,
    /// The job ran and the result is bad: a rollout failed (and was rolled back), a service
    /// is unhealthy, a build step failed.
    Failure,
    /// Usage, configuration or environment error: bad flags, bad msv.toml, no cluster or
    /// Docker engine reachable, a command that is not available.
    Usage,
    /// A deploy found its lock held by another deploy (or lost the race for it): nothing
    /// was changed; try again once that deploy is done. sysexits' EX_TEMPFAIL, the code
    /// for "a temporary failure, retry later".
    Locked,
    /// Interrupted by Ctrl-C (SIGINT): 128 + 2, as shells report it.
    Interrupted,
    /// Stopped by SIGTERM (a CI job cancelled, `kill`, a container stopped): 128 + 15.
    Terminated,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Success => 0,
            ExitCode::Failure => 1,
            ExitCode::Usage => 2,
            ExitCode::Locked => 75,
            ExitCode::Interrupted => 130,
            ExitCode::Terminated => 143,
        }
    }

    /// An interrupt's code names the signal that caused it: SIGTERM gives 143, SIGINT 130.
    pub fn for_signal(self, sigterm: bool) -> ExitCode {
        match (self, sigterm) {
            (ExitCode::Interrupted, true) => ExitCode::Terminated,
            (code, _) => code,
        }
    }

    /// The exit code an error maps to: the first [`Failure`] in its chain, else usage.
    pub fn of_error(err: &anyhow::Error) -> ExitCode {
        err.chain()
            .find_map(|cause| cause.downcast_ref::<Failure>())
            .map(|failure| failure.code)
            .unwrap_or(ExitCode::Usage)
    }
}

/// The table printed at the end of `msv --help`.
pub const HELP: &str = "\
Exit codes:
  0    success
  1    the job ran and the result is bad (rollout failed, service unhealthy, build failed)
  2    usage, configuration or environment error (bad flags or msv.toml, no cluster or engine)
  75   the deploy lock is held by another deploy; nothing changed, retry later
  130  interrupted by Ctrl-C (SIGINT)
  143  stopped by SIGTERM";

/// An error that says which exit code it deserves.
///
/// Wrap a message with [`Failure::bad`] when the job ran and its result is bad, or with
/// [`Failure::interrupted`] when the user stopped it.
#[derive(Debug)]
pub struct Failure {
    pub code: ExitCode,
    message: String,
}

impl Failure {
    /// The job ran and its result is bad (exit 1).
    pub fn bad(message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure {
            code: ExitCode::Failure,
            message: message.into(),
        })
    }

    /// The user interrupted the job (exit 130).
    pub fn interrupted(message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure {
            code: ExitCode::Interrupted,
            message: message.into(),
        })
    }

    /// Another deploy holds the lock (exit 75): nothing was changed.
    pub fn locked(message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure {
            code: ExitCode::Locked,
            message: message.into(),
        })
    }

    /// The job refused to start because of what it found (exit 2): nothing was changed.
    pub fn refused(message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure {
            code: ExitCode::Usage,
            message: message.into(),
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn plain_errors_are_usage_errors() {
        let err = anyhow::anyhow!("no such file");
        assert_eq!(ExitCode::of_error(&err), ExitCode::Usage);
    }

    #[test]
    fn a_failure_keeps_its_code_under_context() {
        let err: anyhow::Result<()> = Err(Failure::bad("rollout failed"));
        let err = err.context("deploying orders").unwrap_err();
        assert_eq!(ExitCode::of_error(&err), ExitCode::Failure);
        assert_eq!(format!("{err:#}"), "deploying orders: rollout failed");
    }

    #[test]
    fn codes_are_the_documented_numbers() {
        let all = [
            ExitCode::Success,
            ExitCode::Failure,
            ExitCode::Usage,
            ExitCode::Locked,
            ExitCode::Interrupted,
            ExitCode::Terminated,
        ];
        assert_eq!(all.map(ExitCode::code), [0, 1, 2, 75, 130, 143]);
        for code in [0, 1, 2, 75, 130, 143] {
            assert!(HELP.contains(&format!("  {code} ")), "help lists {code}");
        }
    }

    #[test]
    fn sigterm_turns_an_interrupt_into_143_and_nothing_else() {
        assert_eq!(ExitCode::Interrupted.for_signal(true), ExitCode::Terminated);
        assert_eq!(
            ExitCode::Interrupted.for_signal(false),
            ExitCode::Interrupted
        );
        assert_eq!(ExitCode::Failure.for_signal(true), ExitCode::Failure);
    }
}

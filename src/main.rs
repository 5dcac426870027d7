//! The msv executable: parse, run, print the error once, exit with a code scripts can trust.

use std::process::ExitCode as ProcessExit;

use msv::exit::{ExitCode, Failure};
use msv::output::Printer;

fn main() -> ProcessExit {
    let cli = msv::cli::parse();
    let printer = Printer::new(&cli.global.style());
    // Printing completions, the man page, the version or the configuration needs no
    // threads, no signal handlers and no TLS: starting them would be most of its time.
    let outcome = match msv::commands::needs_runtime(&cli.command) {
        false => msv::commands::run_without_runtime(&cli).expect("a command without runtime"),
        true => match run_in_runtime(cli) {
            Ok(outcome) => outcome,
            Err(err) => {
                printer.error(&anyhow::anyhow!("starting the async runtime: {err}"));
                return ProcessExit::from(ExitCode::Usage.code() as u8);
            }
        },
    };

    let code = match outcome {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::Success,
        // A read that Ctrl-C broke off (a prompt) may end the command before the interrupt
        // flag is seen: EINTR only comes from a signal, so it is the interrupt.
        Err(err) if is_interrupted_read(&err) => {
            printer.error(&anyhow::anyhow!("interrupted"));
            ExitCode::Interrupted
        }
        Err(err) => {
            printer.error(&err);
            ExitCode::of_error(&err)
        }
    };
    // 130 for Ctrl-C, 143 for SIGTERM, as a shell reports a process each signal ended.
    let code = code.for_signal(msv::interrupt::by_sigterm());
    ProcessExit::from(code.code() as u8)
}

/// Runs the command on the async runtime, with interrupts listened for from the start;
/// `Err` when the runtime cannot start.
fn run_in_runtime(cli: msv::cli::Cli) -> std::io::Result<anyhow::Result<ExitCode>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(async {
        // Listen from the start, so an interrupt before a command takes over is not lost.
        let _ = msv::interrupt::receiver();
        let work = msv::commands::run(cli);
        tokio::pin!(work);
        tokio::select! {
            outcome = &mut work => outcome,
            () = msv::interrupt::signalled() => match msv::interrupt::taken_over() {
                // The command cleans up and reports the interrupt itself.
                true => work.await,
                false => Err(Failure::interrupted("interrupted")),
            },
        }
    });
    // Do not wait for tasks that are still blocked on I/O (a log stream, a probe).
    runtime.shutdown_background();
    Ok(outcome)
}

fn is_interrupted_read(err: &anyhow::Error) -> bool {
    ExitCode::of_error(err) == ExitCode::Usage
        && err
            .chain()
            .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
            .any(|io| io.kind() == std::io::ErrorKind::Interrupted)
}

/// `msv logs | head` closes stdout early; that is success, not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

//! Ctrl-C and SIGTERM.
//!
//! By default an interrupt ends msv at once with exit code 130: most commands hold nothing
//! that needs undoing. A command that must clean up (a build to cancel, a rollout to leave
//! safe) calls [`take_over`] first and then watches [`signalled`] itself; the command then
//! decides when to stop and must return an error made with `Failure::interrupted`.

use std::sync::atomic::{AtomicBool, Ordering};

static TAKEN_OVER: AtomicBool = AtomicBool::new(false);

/// From now on the running command handles interrupts itself.
pub fn take_over() {
    TAKEN_OVER.store(true, Ordering::SeqCst);
}

/// Whether the running command handles interrupts itself.
pub fn taken_over() -> bool {
    TAKEN_OVER.load(Ordering::SeqCst)
}

/// Resolves when the process receives SIGINT or SIGTERM.
pub async fn signalled() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

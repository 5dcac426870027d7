//! Ctrl-C and SIGTERM, arriving one way: a process-wide flag that turns true.
//!
//! By default an interrupt ends msv at once with exit code 130 (143 for SIGTERM, which
//! `main` tells apart with [`by_sigterm`]): most commands hold nothing
//! that needs undoing. A command that must clean up (a build to cancel, a rollout to leave
//! safe) calls [`take_over`] first and then watches [`receiver`] (or awaits [`signalled`]);
//! it then decides when to stop and returns an error made with `Failure::interrupted`.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::watch;

static TAKEN_OVER: AtomicBool = AtomicBool::new(false);
/// The interrupt was SIGTERM (exit 143) rather than SIGINT (exit 130).
static SIGTERM: AtomicBool = AtomicBool::new(false);

/// Whether the interrupt that arrived was SIGTERM.
pub fn by_sigterm() -> bool {
    SIGTERM.load(Ordering::SeqCst)
}
static FLAG: OnceLock<watch::Sender<bool>> = OnceLock::new();

/// From now on the running command handles interrupts itself.
pub fn take_over() {
    TAKEN_OVER.store(true, Ordering::SeqCst);
}

/// Whether the running command handles interrupts itself.
pub fn taken_over() -> bool {
    TAKEN_OVER.load(Ordering::SeqCst)
}

/// The interrupt flag: turns true when the process receives SIGINT or SIGTERM and stays
/// true. The first call (inside the runtime) starts listening.
pub fn receiver() -> watch::Receiver<bool> {
    FLAG.get_or_init(|| {
        let (tx, _) = watch::channel(false);
        let flag = tx.clone();
        tokio::spawn(async move {
            signal().await;
            let _ = flag.send(true);
        });
        tx
    })
    .subscribe()
}

/// Resolves once the process has been interrupted (at once if it already was).
pub async fn signalled() {
    let mut rx = receiver();
    let _ = rx.wait_for(|interrupted| *interrupted).await;
}

async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => SIGTERM.store(true, Ordering::SeqCst),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

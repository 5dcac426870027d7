//! A rollout's progress as a person sees it: a spinner line on a terminal, a timestamped
//! line per event otherwise. Used by every command that runs the deploy executor.

use super::{Printer, sanitize};
use crate::deploy::executor::Reporter;
use indicatif::ProgressBar;
use std::sync::Mutex;
use std::time::Instant;

/// Phases and candidate readiness of one rollout.
pub struct RolloutProgress<'a> {
    printer: &'a Printer,
    bar: ProgressBar,
    start: Instant,
    phase: Mutex<String>,
    /// The member of a workspace release this rollout is, shown before each line.
    member: Option<String>,
}

impl<'a> RolloutProgress<'a> {
    pub fn new(printer: &'a Printer) -> Self {
        RolloutProgress {
            printer,
            bar: printer.spinner("deploy"),
            start: Instant::now(),
            phase: Mutex::new(String::new()),
            member: None,
        }
    }

    /// One member's rollout in a workspace release: its own spinner line among the
    /// others' on a terminal, lines that start with its name otherwise.
    pub fn member(printer: &'a Printer, lines: &indicatif::MultiProgress, name: &str) -> Self {
        RolloutProgress {
            printer,
            bar: lines.add(printer.spinner(name)),
            start: Instant::now(),
            phase: Mutex::new(String::new()),
            member: Some(name.to_string()),
        }
    }

    /// Clear the spinner before the result is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn show(&self, line: String) {
        let line = match &self.member {
            Some(name) => format!("{name}: {line}"),
            None => line,
        };
        if self.printer.stderr_tty {
            self.bar.set_message(line);
        } else {
            self.printer.info(&format!(
                "[{:>6.1}s] {line}",
                self.start.elapsed().as_secs_f64()
            ));
        }
    }
}

impl Reporter for RolloutProgress<'_> {
    fn phase(&self, phase: &str, detail: &str) {
        *self.phase.lock().unwrap() = phase.to_string();
        self.show(format!("{phase}: {}", sanitize(detail)));
    }
    fn progress(&self, available: i32, desired: i32) {
        let phase = self.phase.lock().unwrap().clone();
        self.show(format!(
            "{phase}: {available}/{desired} candidate pods available"
        ));
    }
}

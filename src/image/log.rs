//! Following the classic builder's log: which step runs (`Step N/M : INSTRUCTION`), the
//! last lines of its output, and the report printed when the build fails.

use std::collections::VecDeque;

use crate::output::sanitize_multiline;

/// How many lines of the failing step are shown when the build fails.
const TAIL: usize = 20;

/// `Step 3/7 : RUN make` -> (3, 7, "RUN make").
pub fn parse_step(line: &str) -> Option<(u64, u64, &str)> {
    let rest = line.strip_prefix("Step ")?;
    let (counts, instruction) = rest.split_once(" : ")?;
    let (n, m) = counts.split_once('/')?;
    Some((n.parse().ok()?, m.parse().ok()?, instruction.trim_end()))
}

/// Makes engine output (which carries what a build's commands printed) safe for a terminal.
pub(crate) fn sanitize(text: &str) -> String {
    sanitize_multiline(text).into_owned()
}

/// The build log, followed line by line: what step is running and its recent lines.
#[derive(Debug, Default)]
pub struct Log {
    pub step: Option<(u64, u64, String)>,
    pub recent: VecDeque<String>,
    pub image_id: Option<String>,
}

impl Log {
    /// Takes one line of output; returns true when it starts a new step.
    pub fn line(&mut self, line: &str) -> bool {
        if let Some((n, m, instruction)) = parse_step(line) {
            self.step = Some((n, m, instruction.to_string()));
            self.recent.clear();
            return true;
        }
        if let Some(id) = line.strip_prefix("Successfully built ") {
            self.image_id.get_or_insert_with(|| id.trim().to_string());
        }
        if self.recent.len() == TAIL {
            self.recent.pop_front();
        }
        self.recent.push_back(line.to_string());
        false
    }

    /// The failure report: which step failed and its last lines of output.
    pub fn failure(&self, error: &str) -> String {
        let mut text = match &self.step {
            Some((n, m, instruction)) => format!("build failed at step {n}/{m}: {instruction}\n"),
            None => "build failed before its first step\n".to_string(),
        };
        for line in &self.recent {
            text.push_str("  | ");
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(error);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_parsed() {
        assert_eq!(
            parse_step("Step 3/7 : RUN make all"),
            Some((3, 7, "RUN make all"))
        );
        assert_eq!(parse_step(" ---> Running in 1234"), None);
        assert_eq!(parse_step("Step x/7 : RUN"), None);
    }

    #[test]
    fn failure_report_names_the_step_and_its_last_lines() {
        let mut log = Log::default();
        log.line("Step 1/2 : FROM base");
        log.line(" ---> 123");
        assert!(log.line("Step 2/2 : RUN false"));
        for i in 0..30 {
            log.line(&format!("out {i}"));
        }
        let report = log.failure("The command '/bin/sh -c false' returned a non-zero code: 1");
        assert!(
            report.starts_with("build failed at step 2/2: RUN false\n"),
            "{report}"
        );
        assert!(
            report.contains("out 29") && !report.contains("out 9\n"),
            "{report}"
        );
        assert_eq!(report.lines().count(), 1 + TAIL + 1);
    }

    #[test]
    fn sanitize_defuses_escapes() {
        assert_eq!(sanitize("a\u{1b}[31mb\tc"), "a\\e[31mb\tc");
    }
}

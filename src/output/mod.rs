//! Everything msv shows a person or a program: data on stdout, messages on stderr.
//!
//! The [`Printer`] decides once, from the flags and the terminal, whether to use color,
//! whether progress bars and prompts may appear, and which output format a command uses.
//! It does not decide what to print; commands do. Strings from outside (cluster, logs,
//! traces) go through [`sanitize`] before they reach a terminal.

mod format;
mod progress;
mod sanitize;
mod table;

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::bail;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

pub use format::{ColorChoice, FORMATS, OutputFormat, formats_help, formats_of};
pub use progress::RolloutProgress;
pub use sanitize::{sanitize, sanitize_multiline};
pub use table::{Cell, Table, Tone};

/// What the user asked for with the global flags (`-o`, `--color`, `-q`, `-v`, `--no-input`).
#[derive(Debug, Clone, Default)]
pub struct Style {
    pub format: Option<OutputFormat>,
    /// `format` is a standing preference (MSV_OUTPUT): commands that cannot print it use
    /// their default instead of failing.
    pub format_from_env: bool,
    pub color: ColorChoice,
    pub quiet: bool,
    pub verbose: u8,
    pub no_input: bool,
}

/// How msv prints, decided once per run.
#[derive(Debug, Clone)]
pub struct Printer {
    format: Option<OutputFormat>,
    format_from_env: bool,
    /// Color on stdout.
    pub color: bool,
    /// Color on stderr (messages, errors).
    pub color_stderr: bool,
    pub quiet: bool,
    pub verbose: u8,
    /// Prompts may be shown (stdin and stderr are terminals, --no-input not given).
    pub interactive: bool,
    /// stderr is a terminal: progress bars may be drawn.
    pub stderr_tty: bool,
    /// stdout is a terminal (for redrawing views like `status --watch`).
    pub stdout_tty: bool,
}

/// The color variables other command-line tools honour, as read from the environment.
#[derive(Debug, Default)]
struct ColorEnv {
    no_color: Option<String>,
    clicolor_force: Option<String>,
    clicolor: Option<String>,
}

/// Whether a stream gets color. `--color always|never` decides; under `auto`, a non-empty
/// `NO_COLOR` turns color off (no-color.org), then `CLICOLOR_FORCE` set to anything but
/// `0` turns it on even when piped, `CLICOLOR=0` off, and otherwise a terminal gets color
/// (bixense.com/clicolors).
fn use_color(choice: ColorChoice, env: &ColorEnv, tty: bool) -> bool {
    let set = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
    let off = |v: &Option<String>| v.as_deref() == Some("0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set(&env.no_color) => false,
        ColorChoice::Auto if set(&env.clicolor_force) && !off(&env.clicolor_force) => true,
        ColorChoice::Auto if off(&env.clicolor) => false,
        ColorChoice::Auto => tty,
    }
}

impl Printer {
    pub fn new(global: &Style) -> Printer {
        let var = |name: &str| std::env::var(name).ok();
        let env = ColorEnv {
            no_color: var("NO_COLOR"),
            clicolor_force: var("CLICOLOR_FORCE"),
            clicolor: var("CLICOLOR"),
        };
        let stdout_tty = std::io::stdout().is_terminal();
        let stderr_tty = std::io::stderr().is_terminal();
        let decide = |tty: bool| use_color(global.color, &env, tty);
        Printer {
            format: global.format,
            format_from_env: global.format_from_env,
            color: decide(stdout_tty),
            color_stderr: decide(stderr_tty),
            quiet: global.quiet,
            verbose: global.verbose,
            interactive: !global.no_input && std::io::stdin().is_terminal() && stderr_tty,
            stderr_tty,
            stdout_tty,
        }
    }

    /// A printer for one of several jobs running at once (a workspace's builds): only
    /// errors, so their progress lines do not interleave; the caller reports each job.
    pub fn hushed(&self) -> Printer {
        Printer {
            quiet: true,
            verbose: 0,
            ..self.clone()
        }
    }

    /// The output format for `command`: the `-o` flag if it is one the command prints
    /// (its row in [`FORMATS`]), else the command's default; a format from MSV_OUTPUT that the
    /// command cannot print also falls back to the default.
    pub fn format(&self, command: &str) -> anyhow::Result<OutputFormat> {
        let supported = formats_of(command);
        let default = supported.first().copied().unwrap_or(OutputFormat::Text);
        match self.format {
            None => Ok(default),
            Some(format) if supported.contains(&format) => Ok(format),
            Some(_) if self.format_from_env => Ok(default),
            Some(format) => {
                let names: Vec<&str> = supported.iter().map(|f| f.name()).collect();
                bail!(
                    "`msv {command}` cannot print `-o {}`; use one of: {}",
                    format.name(),
                    names.join(", ")
                )
            }
        }
    }

    /// Prints `value` as JSON or YAML on stdout.
    pub fn data<T: Serialize + ?Sized>(
        &self,
        format: OutputFormat,
        value: &T,
    ) -> anyhow::Result<()> {
        if format == OutputFormat::Yaml {
            return self.stdout(&yaml(&value)?);
        }
        // JSON is written as it is serialized: a large answer (a trace of 100,000 spans)
        // is never held whole as text.
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        let written = serde_json::to_writer_pretty(&mut out, value)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        // An io::Error, so that a closed pipe (`| head`) is told apart from a failure.
        written.map_err(anyhow::Error::from)
    }

    /// Prints a table on stdout.
    pub fn table(&self, table: &Table) -> anyhow::Result<()> {
        let text = table.render(self.color);
        self.stdout(&text)
    }

    /// Writes text to stdout as is.
    pub fn stdout(&self, text: &str) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        Ok(())
    }

    /// Applies a tone to text printed on stdout, when color is on.
    pub fn paint(&self, text: &str, tone: Tone) -> String {
        tone.paint(text, self.color)
    }

    /// A status message on stderr (hidden with -q).
    pub fn info(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    /// A step that finished, e.g. "✓ built orders:1a2b3c" (hidden with -q).
    pub fn success(&self, message: &str) {
        if !self.quiet {
            eprintln!("{} {message}", Tone::Good.paint("✓", self.color_stderr));
        }
    }

    /// A warning on stderr (shown even with -q).
    pub fn warn(&self, message: &str) {
        eprintln!(
            "{} {message}",
            Tone::Warn.paint("msv: warning:", self.color_stderr)
        );
    }

    /// A diagnostic on stderr, shown with -v (level 1) or -vv (level 2).
    pub fn debug(&self, level: u8, message: &str) {
        if self.verbose >= level {
            eprintln!(
                "{} {message}",
                Tone::Dim.paint("msv: debug:", self.color_stderr)
            );
        }
    }

    /// Prints the one error line of a failed run.
    pub fn error(&self, err: &anyhow::Error) {
        eprintln!(
            "{} {err:#}",
            Tone::Bad.paint("msv: error:", self.color_stderr)
        );
    }

    /// A progress bar on stderr, drawn only on a terminal and without -q.
    pub fn progress(&self, len: u64, message: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(len), self.draw_target());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        bar
    }

    /// A spinner on stderr, drawn only on a terminal and without -q.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(None, self.draw_target());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"),
        );
        bar.set_message(message.to_string());
        if self.stderr_tty && !self.quiet {
            bar.enable_steady_tick(Duration::from_millis(100));
        }
        bar
    }

    fn draw_target(&self) -> ProgressDrawTarget {
        if self.stderr_tty && !self.quiet {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        }
    }
}

/// YAML as kubectl writes it: long strings stay plain scalars on one line (an image
/// reference folded into a `>-` block is valid YAML, but not what `grep image:` or a
/// reader expects).
pub fn yaml<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<String> {
    let options = serde_saphyr::ser_options! {
        prefer_block_scalars: false,
    };
    Ok(serde_saphyr::to_string_with_options(&value, options)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_keeps_a_long_string_a_plain_scalar_on_one_line() {
        let image = format!("127.0.0.1:5000/shop@sha256:{}", "ab".repeat(32));
        let text = yaml(&serde_json::json!({"image": image})).unwrap();
        assert_eq!(text, format!("image: {image}\n"));
    }

    fn printer(global: Style) -> Printer {
        Printer::new(&global)
    }

    #[test]
    fn color_follows_the_flag_then_no_color_then_clicolor() {
        let env = |no: Option<&str>, force: Option<&str>, cli: Option<&str>| ColorEnv {
            no_color: no.map(String::from),
            clicolor_force: force.map(String::from),
            clicolor: cli.map(String::from),
        };
        let auto = ColorChoice::Auto;
        assert!(use_color(auto, &env(None, None, None), true));
        assert!(!use_color(auto, &env(None, None, None), false));
        // CLICOLOR_FORCE colors a pipe; "0" or empty does not force.
        assert!(use_color(auto, &env(None, Some("1"), None), false));
        assert!(!use_color(auto, &env(None, Some("0"), None), false));
        assert!(!use_color(auto, &env(None, Some(""), None), false));
        // NO_COLOR wins over CLICOLOR_FORCE; CLICOLOR=0 turns a terminal's color off.
        assert!(!use_color(auto, &env(Some("1"), Some("1"), None), true));
        assert!(!use_color(auto, &env(None, None, Some("0")), true));
        // The flag wins over every variable.
        assert!(use_color(
            ColorChoice::Always,
            &env(Some("1"), None, None),
            false
        ));
        assert!(!use_color(
            ColorChoice::Never,
            &env(None, Some("1"), None),
            true
        ));
    }

    #[test]
    fn format_is_checked_against_what_the_command_supports() {
        let p = printer(Style {
            format: Some(OutputFormat::Raw),
            ..Default::default()
        });
        let err = p.format("status").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`msv status` cannot print `-o raw`; use one of: table, json, yaml"
        );
        let p = printer(Style::default());
        assert_eq!(p.format("traces show").unwrap(), OutputFormat::Tree);
    }

    #[test]
    fn a_format_from_the_environment_is_a_preference() {
        let p = printer(Style {
            format: Some(OutputFormat::Json),
            format_from_env: true,
            ..Default::default()
        });
        assert_eq!(p.format("status").unwrap(), OutputFormat::Json);
        assert_eq!(p.format("manifests").unwrap(), OutputFormat::Yaml);
        assert_eq!(p.format("man").unwrap(), OutputFormat::Text);
    }

    #[test]
    fn color_flags_win_over_detection() {
        assert!(
            printer(Style {
                color: ColorChoice::Always,
                ..Default::default()
            })
            .color
        );
        assert!(
            !printer(Style {
                color: ColorChoice::Never,
                ..Default::default()
            })
            .color
        );
        // Tests do not run on a terminal, so auto means no color.
        assert!(!printer(Style::default()).color);
    }
}

//! The output formats and color choice the global flags select, and which formats each
//! command prints — one table that `-o` is checked against and each command's `--help`
//! lists.

use std::fmt;
use std::str::FromStr;

use OutputFormat::{Json, Raw, Table, Text, Tree, Yaml};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned columns for people.
    Table,
    /// JSON; field names are a stable interface.
    Json,
    Yaml,
    /// Readable text (messages, logs).
    Text,
    /// Lines exactly as received (logs).
    Raw,
    /// A tree (trace waterfall).
    Tree,
}

impl OutputFormat {
    pub const ALL: [OutputFormat; 6] = [Table, Json, Yaml, Text, Raw, Tree];

    pub fn name(self) -> &'static str {
        match self {
            Table => "table",
            Json => "json",
            Yaml => "yaml",
            Text => "text",
            Raw => "raw",
            Tree => "tree",
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OutputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OutputFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown output format `{s}`"))
    }
}

/// Which formats each command prints, its default first. `-o` is a global flag, so a
/// command checks it against its row here, and its `--help` lists the row.
pub const FORMATS: &[(&str, &[OutputFormat])] = &[
    ("new", &[Text, Json, Yaml]),
    ("templates list", &[Table, Json, Yaml]),
    ("templates show", &[Text, Json, Yaml]),
    ("templates lint", &[Text, Json, Yaml]),
    ("update", &[Text, Json, Yaml]),
    ("build", &[Text, Json, Yaml]),
    ("push", &[Text, Json, Yaml]),
    ("deploy", &[Text, Json, Yaml]),
    ("rollback", &[Text, Json, Yaml]),
    ("history", &[Table, Json, Yaml]),
    ("manifests", &[Yaml]),
    ("status", &[Table, Json, Yaml]),
    ("logs", &[Text, Json, Raw]),
    ("traces", &[Table, Json]),
    ("traces list", &[Table, Json]),
    ("traces show", &[Tree, Json]),
    ("completions", &[Text]),
    ("man", &[Text]),
    ("config show", &[Table, Json, Yaml]),
    ("version", &[Text, Json, Yaml]),
];

/// The formats `command` prints (its default first); empty for a command not in [`FORMATS`].
pub fn formats_of(command: &str) -> &'static [OutputFormat] {
    FORMATS
        .iter()
        .find(|(name, _)| *name == command)
        .map_or(&[], |(_, formats)| formats)
}

/// The line each command's `--help` ends with.
pub fn formats_help(formats: &[OutputFormat]) -> String {
    let names: Vec<String> = formats
        .iter()
        .enumerate()
        .map(|(i, f)| match i {
            0 => format!("{f} (default)"),
            _ => f.to_string(),
        })
        .collect();
    format!("Output formats (-o): {}", names.join(", "))
}

/// When to color output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// When the stream is a terminal and `NO_COLOR` is unset.
    #[default]
    Auto,
    Always,
    Never,
}

impl FromStr for ColorChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(ColorChoice::Auto),
            "always" => Ok(ColorChoice::Always),
            "never" => Ok(ColorChoice::Never),
            _ => Err(format!(
                "unknown color choice `{s}`; use auto, always or never"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_reads_back_from_its_name() {
        for f in OutputFormat::ALL {
            assert_eq!(f.name().parse::<OutputFormat>(), Ok(f));
        }
        assert!("xml".parse::<OutputFormat>().is_err());
    }

    #[test]
    fn help_names_the_default_first() {
        assert_eq!(
            formats_help(formats_of("status")),
            "Output formats (-o): table (default), json, yaml"
        );
        assert!(formats_of("nope").is_empty());
    }
}

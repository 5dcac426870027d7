//! `msv templates list|show|lint`: what templates exist and where they come from, what a
//! template asks for, and whether a template folder is sound.

use crate::cli::TemplatesCommand;
use crate::exit::ExitCode;
use crate::output::OutputFormat;
use crate::output::{Cell, Table, Tone, sanitize};
use crate::scaffold::{self, lineage, lint, manifest::VarType, source};

use super::Context;

#[derive(serde::Serialize)]
struct Shown {
    name: String,
    source: String,
    language: String,
    description: String,
    variables: Vec<ShownVar>,
}

#[derive(serde::Serialize)]
struct ShownVar {
    name: String,
    #[serde(rename = "type")]
    kind: VarType,
    prompt: String,
    default: Option<serde_json::Value>,
    required: bool,
    help: Option<String>,
    regex: Option<String>,
    choices: Option<Vec<String>>,
}

pub async fn run(args: &TemplatesCommand, ctx: &Context) -> anyhow::Result<ExitCode> {
    let printer = &ctx.printer;
    let user_dir = scaffold::user_template_dir();
    match args {
        TemplatesCommand::List => {
            let format = printer.format("templates list")?;
            let rows = scaffold::catalog(user_dir.as_deref());
            let here = std::env::current_dir()?;
            if let Some(service) = lineage::find_service(&here) {
                let dir = user_dir.clone();
                let fresh = tokio::task::spawn_blocking(move || {
                    lineage::freshness(&service, dir.as_deref())
                })
                .await??;
                printer.info(&freshness_note(&fresh));
            }
            if format != OutputFormat::Table {
                printer.data(format, &rows)?;
                return Ok(ExitCode::Success);
            }
            let mut table = Table::new(&["NAME", "SOURCE", "LANGUAGE", "DESCRIPTION"]);
            for r in &rows {
                let source = if r.shadowed {
                    Cell::tone("built-in (shadowed by user)", Tone::Dim)
                } else {
                    Cell::new(&r.source)
                };
                table.row(vec![
                    Cell::new(sanitize(&r.name)),
                    source,
                    Cell::new(sanitize(&r.language)),
                    Cell::new(sanitize(&r.description)),
                ]);
            }
            printer.table(&table)?;
            if let Some(dir) = &user_dir {
                printer.debug(1, &format!("user templates: {}", dir.display()));
            }
            Ok(ExitCode::Success)
        }
        TemplatesCommand::Show { template } => {
            let format = printer.format("templates show")?;
            let spec = template.clone();
            let (t, m) =
                tokio::task::spawn_blocking(move || scaffold::open(&spec, user_dir.as_deref()))
                    .await??;
            let shown = Shown {
                name: t.name.clone(),
                source: t.origin.to_string(),
                language: m.template.language.clone(),
                description: m.template.description.clone(),
                variables: m
                    .variables
                    .iter()
                    .map(|v| ShownVar {
                        name: v.name.clone(),
                        kind: v.kind,
                        prompt: v.prompt_text().to_string(),
                        default: scaffold::vars::default_of(v),
                        required: v.default.is_none(),
                        help: v.help.clone(),
                        regex: v.regex.clone(),
                        choices: v.choices.clone(),
                    })
                    .collect(),
            };
            if format != OutputFormat::Text {
                printer.data(format, &shown)?;
                return Ok(ExitCode::Success);
            }
            printer.stdout(&render_show(&shown))?;
            Ok(ExitCode::Success)
        }
        TemplatesCommand::Lint { dir } => {
            let format = printer.format("templates lint")?;
            if !dir.is_dir() {
                anyhow::bail!(
                    "{} is not a folder; pass a template folder (with a template.toml)",
                    dir.display()
                );
            }
            let name = std::path::absolute(dir)?
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let loaded = source::load_dir(dir, name, source::Origin::Local(dir.clone()))?;
            let found = lint::lint(&loaded);
            if format != OutputFormat::Text {
                printer.data(
                    format,
                    &serde_json::json!({ "template": dir, "problems": found }),
                )?;
            } else {
                let text: String = found.iter().map(|p| format!("{}\n", sanitize(p))).collect();
                printer.stdout(&text)?;
            }
            if found.is_empty() {
                printer.success(&format!("{}: no problems found", dir.display()));
                Ok(ExitCode::Success)
            } else {
                // The lint ran to the end and its result is bad: exit 1 (see exit.rs).
                printer.error(&anyhow::anyhow!(
                    "{}: {} problem(s) found",
                    dir.display(),
                    found.len()
                ));
                Ok(ExitCode::Failure)
            }
        }
    }
}

/// One sentence on whether the service in the current folder can take a newer template.
fn freshness_note(f: &lineage::Freshness) -> String {
    let t = &f.recorded;
    let made = format!(
        "the service in {} was made from template {} ({}) at {}",
        f.service.display(),
        sanitize(&t.name),
        t.kind.as_str(),
        t.short()
    );
    match (f.newer, &f.current, &f.problem) {
        (Some(true), Some(current), _) => format!(
            "{made}; a newer version ({current}) is available: `msv update --dry-run` shows what would change"
        ),
        (Some(false), _, _) => format!("{made}, its current version"),
        (_, _, problem) => format!(
            "{made}; whether a newer version exists could not be checked: {}",
            sanitize(problem.as_deref().unwrap_or("unknown"))
        ),
    }
}

fn render_show(s: &Shown) -> String {
    let mut out = format!(
        "{} [{}]\n  {}\n  language: {}\n\nvariables (set with --set NAME=VALUE):\n",
        sanitize(&s.name),
        sanitize(&s.source),
        sanitize(&s.description),
        sanitize(&s.language)
    );
    out.push_str("  name, name_snake, name_kebab, name_pascal, port, author, year (built in; only port can be set)\n");
    for v in &s.variables {
        let kind = match v.kind {
            VarType::String => "string",
            VarType::Bool => "bool",
            VarType::Choice => "choice",
        };
        let default = match &v.default {
            Some(d) => format!("default {d}"),
            None => "required".to_string(),
        };
        out.push_str(&format!(
            "  {} ({kind}, {default}): {}\n",
            sanitize(&v.name),
            sanitize(&v.prompt)
        ));
        if let Some(c) = &v.choices {
            out.push_str(&format!("      choices: {}\n", sanitize(&c.join(", "))));
        }
        if let Some(r) = &v.regex {
            out.push_str(&format!("      must match: {}\n", sanitize(r)));
        }
        if let Some(h) = &v.help {
            out.push_str(&format!("      {}\n", sanitize(h)));
        }
    }
    out
}

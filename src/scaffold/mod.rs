//! Scaffolding services from templates: where templates come from (`source`), what a
//! template declares (`manifest`), the values it is rendered with (`vars`, `prompt`), the
//! rendering itself (`render`), putting the result on disk safely (`write`) and checking a
//! template (`lint`). Commands call [`generate`], [`catalog`] and [`lint::lint`]; nothing
//! here prints.

pub mod apply;
pub mod lineage;
pub mod lint;
pub mod manifest;
pub mod merge;
pub mod pending;
pub mod plan;
pub mod prompt;
pub mod render;
pub mod source;
pub mod update;
pub mod vars;
pub mod write;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::name::ServiceName;

pub use source::Origin;

/// The template `msv new` uses when none is given and nobody can be asked.
pub const DEFAULT_TEMPLATE: &str = "rust-axum";

/// What `msv new` was asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// Valid by construction, so nothing is asked or written for a name that cannot be deployed.
    pub name: ServiceName,
    /// Name, folder or git URL; `None`: ask on a terminal, else [`DEFAULT_TEMPLATE`].
    pub template: Option<String>,
    /// Raw `key=value` strings from `--set`.
    pub sets: Vec<String>,
    /// The folder to create; `None`: `./NAME`.
    pub output: Option<PathBuf>,
    pub force: bool,
    /// Prompts allowed (a terminal, and no --yes/--no-input).
    pub interactive: bool,
    /// `<config>/msv/templates`, when a config directory is known.
    pub user_dir: Option<PathBuf>,
}

/// What `msv new` created.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Created {
    pub name: String,
    pub template: String,
    pub source: String,
    pub path: PathBuf,
    pub files: Vec<String>,
    /// Where the previous contents went when --force replaced a non-empty folder.
    pub backup: Option<PathBuf>,
}

/// One row of `msv templates list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    pub name: String,
    pub source: String,
    pub language: String,
    pub description: String,
    /// A user template of the same name hides this one.
    pub shadowed: bool,
}

/// The user template folder: `$XDG_CONFIG_HOME/msv/templates` (or `~/.config/...`).
pub fn user_template_dir() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy()
        .ok()
        .map(|s| s.config_dir().join("msv").join("templates"))
}

/// `git config user.name`, or "" when git or the setting is missing.
pub fn git_author() -> String {
    std::process::Command::new("git")
        .args(["config", "user.name"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Every template msv can find: user templates first, then built-ins.
pub fn catalog(user_dir: Option<&Path>) -> Vec<Listed> {
    let users = source::user_names(user_dir);
    let mut out = Vec::new();
    for n in &users {
        let dir = user_dir.expect("user names come from the user dir").join(n);
        let loaded = source::load_dir(&dir, n.clone(), Origin::User(dir.clone()));
        out.push(listed(n, loaded.ok(), "user", false));
    }
    for n in source::builtin_names() {
        let shadowed = users.contains(&n);
        out.push(listed(&n, source::load_builtin(&n), "built-in", shadowed));
    }
    out
}

fn listed(name: &str, t: Option<source::Loaded>, source: &str, shadowed: bool) -> Listed {
    let m = t
        .as_ref()
        .and_then(|t| manifest::parse(&t.manifest_text, &t.manifest_origin).ok());
    Listed {
        name: name.to_string(),
        source: source.to_string(),
        language: m
            .as_ref()
            .map(|m| m.template.language.clone())
            .unwrap_or_default(),
        description: m
            .map(|m| m.template.description)
            .unwrap_or_else(|| "(invalid template.toml; run msv templates lint)".into()),
        shadowed,
    }
}

/// Loads a template and parses its manifest.
pub fn open(
    spec: &str,
    user_dir: Option<&Path>,
) -> anyhow::Result<(source::Loaded, manifest::Manifest)> {
    let t = source::load(spec, user_dir)?;
    let m = manifest::parse(&t.manifest_text, &t.manifest_origin).map_err(anyhow::Error::msg)?;
    Ok((t, m))
}

/// `msv new`: picks and loads the template, resolves variables,
/// renders in memory, then writes atomically.
pub fn generate(req: &Request) -> anyhow::Result<Created> {
    let sets = req
        .sets
        .iter()
        .map(|s| vars::parse_set(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let spec = match (&req.template, req.interactive) {
        (Some(t), _) => t.clone(),
        (None, true) => {
            let options: Vec<(String, String)> = catalog(req.user_dir.as_deref())
                .into_iter()
                .filter(|l| !l.shadowed)
                .map(|l| (l.name, l.description))
                .collect();
            prompt::choose_template(&options)?
        }
        (None, false) => DEFAULT_TEMPLATE.to_string(),
    };
    let (t, m) = open(&spec, req.user_dir.as_deref())?;
    let target = req
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(req.name.as_str()));
    // Refuse a non-empty target before asking anything.
    if !req.force
        && let Some(n) = write::target_state(&target)?
        && n > 0
    {
        write::write_tree(&target, &[], false)?;
    }
    let builtins = vars::Builtins {
        name: req.name.to_string(),
        author: git_author(),
        year: jiff::Zoned::now().year(),
    };
    let mut terminal = prompt::Terminal;
    let prompter: Option<&mut dyn vars::Prompter> = if req.interactive {
        Some(&mut terminal)
    } else {
        None
    };
    let values = vars::resolve(&m, &builtins, &sets, prompter)?;
    let outputs = render::render(&t, &m, &values).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
        anyhow::anyhow!(
            "template {} cannot be rendered; nothing was written:\n{}",
            t.name,
            list.join("\n")
        )
    })?;
    // The lineage is written with the files, in the same atomic step.
    let mut all = outputs.clone();
    all.extend(lineage::outputs(&t, &values, &outputs)?);
    let written = write::write_tree(&target, &all, req.force)
        .with_context(|| format!("creating {}", target.display()))?;
    Ok(Created {
        name: req.name.to_string(),
        template: t.name.clone(),
        source: t.origin.to_string(),
        path: target,
        files: outputs.iter().map(|o| o.path.clone()).collect(),
        backup: written.backup,
    })
}

//! The command line, as clap types only. Doc comments here are the help users read.
//!
//! Nothing in this file decides anything: `config.rs` turns these values into one validated
//! `Config`, and `commands/` does the work.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use crate::deploy::DryRun;
use crate::deploy::plan::Color;
use crate::logs::WhichPods;
use crate::name::ServiceName;
use crate::output::{ColorChoice, OutputFormat, Style};
use crate::traces::client::Backend;

/// Scaffold, build, deploy (blue-green) and observe microservices on Kubernetes.
#[derive(Debug, Parser)]
#[command(
    name = "msv",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = crate::exit::HELP,
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Kubernetes context to use (default: the kubeconfig's current-context) [env: MSV_CONTEXT]
    // MSV_CONTEXT and MSV_NAMESPACE are read with the other settings (config::schema::KEYS),
    // so `msv config show` can say which of the flag, the variable or msv.toml set them.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// Kubernetes namespace (default: msv.toml, then the context's namespace, then "default") [env: MSV_NAMESPACE]
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config
    #[arg(long, global = true, value_name = "PATH", env = "MSV_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,

    /// Output format; each command lists the formats it supports
    #[arg(short = 'o', long, global = true, value_name = "FORMAT", value_parser = output_formats(), env = "MSV_OUTPUT")]
    pub output: Option<OutputFormat>,

    /// The format came from MSV_OUTPUT, not from -o: a preference, which a command that
    /// cannot print it ignores instead of failing (a `MSV_OUTPUT=json` must not break
    /// `msv new`).
    #[arg(skip)]
    pub output_from_env: bool,

    /// When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto", value_parser = color_choices(), env = "MSV_COLOR")]
    pub color: ColorChoice,

    /// Print only data and errors, no progress or hints
    #[arg(short, long, global = true, env = "MSV_QUIET", value_parser = clap::builder::BoolishValueParser::new())]
    pub quiet: bool,

    /// Print diagnostics to stderr (repeat for more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, env = "MSV_VERBOSE")]
    pub verbose: u8,

    /// Never prompt: a missing answer is an error (the default when stdin is not a terminal)
    #[arg(long, global = true, env = "MSV_NO_INPUT", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_input: bool,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run; boxing would only add noise
pub enum Command {
    /// Create a new service from a template
    New(NewArgs),
    /// List, inspect and validate templates
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Bring a service up to the current version of its template (three-way merge)
    Update(UpdateArgs),
    /// Build the service's container image through the Docker Engine API
    Build(BuildArgs),
    /// Push the last built image to the registry in msv.toml
    Push(PushArgs),
    /// Roll out a new version with a blue-green switch
    Deploy(DeployArgs),
    /// Switch traffic back to the previous color
    Rollback(RollbackArgs),
    /// Show the deploy history of a service
    History(HistoryArgs),
    /// Print the Kubernetes objects a deploy would apply
    Manifests(ManifestsArgs),
    /// Show what is live and whether it is healthy
    Status(StatusArgs),
    /// Print the logs of every pod of a service, merged
    Logs(LogsArgs),
    /// Find and show traces from Jaeger, Zipkin or Tempo
    Traces(TracesArgs),
    /// Print a shell completion script
    #[command(visible_alias = "completion")]
    Completions(CompletionsArgs),
    /// Print the man page (roff)
    Man,
    /// Inspect the merged configuration
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print the version
    Version,
}

/// The command line as clap sees it, with each command's output formats (from
/// [`crate::output::FORMATS`]) at the end of its `--help`. Parsing, completions and the man
/// page all use this.
pub fn command() -> clap::Command {
    use clap::CommandFactory as _;
    let mut cmd = Cli::command();
    for (path, formats) in crate::output::FORMATS {
        let path: Vec<&str> = path.split(' ').collect();
        cmd = with_help_line(cmd, &path, &crate::output::formats_help(formats));
    }
    cmd
}

/// Parses the process's arguments (exits with clap's message and code 2 on bad ones).
pub fn parse() -> Cli {
    use clap::FromArgMatches as _;
    use clap::parser::ValueSource;
    let matches = command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    let source = |id: &str| matches.value_source(id);
    cli.global.output_from_env = source("output") == Some(ValueSource::EnvVariable);
    // -q and -v contradict each other on one command line; a variable (MSV_QUIET,
    // MSV_VERBOSE) is a standing preference that the other flag overrides for one run.
    let (quiet, verbose) = (source("quiet"), source("verbose"));
    if cli.global.quiet && cli.global.verbose > 0 {
        match (quiet, verbose) {
            (Some(ValueSource::EnvVariable), Some(ValueSource::CommandLine)) => {
                cli.global.quiet = false
            }
            (Some(ValueSource::CommandLine), Some(ValueSource::EnvVariable)) => {
                cli.global.verbose = 0
            }
            _ => command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--quiet (MSV_QUIET) and --verbose (MSV_VERBOSE) cannot be used together; keep one",
                )
                .exit(),
        }
    }
    cli
}

fn with_help_line(cmd: clap::Command, path: &[&str], line: &str) -> clap::Command {
    match path.split_first() {
        Some((name, rest)) => cmd.mut_subcommand(*name, |sub| with_help_line(sub, rest, line)),
        None => {
            let help = match cmd.get_after_help() {
                Some(existing) => format!("{existing}\n\n{line}"),
                None => line.to_string(),
            };
            cmd.after_help(help)
        }
    }
}

impl GlobalArgs {
    /// How to print, from the flags that say so.
    pub fn style(&self) -> Style {
        Style {
            format: self.output,
            format_from_env: self.output_from_env,
            color: self.color,
            quiet: self.quiet,
            verbose: self.verbose,
            no_input: self.no_input,
        }
    }
}

// The value parsers below turn a word into a concern's own type, so that the concerns never
// see clap; the words and their help live here, with the rest of the command line.

fn output_formats() -> impl TypedValueParser<Value = OutputFormat> {
    PossibleValuesParser::new(OutputFormat::ALL.map(|f| PossibleValue::new(f.name())))
        .try_map(|s| s.parse::<OutputFormat>())
}

fn color_choices() -> impl TypedValueParser<Value = ColorChoice> {
    PossibleValuesParser::new(["auto", "always", "never"]).try_map(|s| s.parse::<ColorChoice>())
}

fn colors() -> impl TypedValueParser<Value = Color> {
    PossibleValuesParser::new(["blue", "green"])
        .try_map(|s| Color::parse(&s).ok_or_else(|| format!("unknown color `{s}`")))
}

fn dry_runs() -> impl TypedValueParser<Value = DryRun> {
    PossibleValuesParser::new([
        PossibleValue::new("client").help("Plan on the client only (the default)"),
        PossibleValue::new("server").help("Also send the writes to the API server as dryRun=All"),
    ])
    .try_map(|s| s.parse::<DryRun>())
}

fn which_pods() -> impl TypedValueParser<Value = WhichPods> {
    PossibleValuesParser::new([
        PossibleValue::new("live").help("Pods of the color that receives traffic"),
        PossibleValue::new("blue"),
        PossibleValue::new("green"),
        PossibleValue::new("all").help("Pods of both colors"),
    ])
    .try_map(|s| s.parse::<WhichPods>())
}

fn backends() -> impl TypedValueParser<Value = Backend> {
    PossibleValuesParser::new([
        PossibleValue::new("jaeger").help("Jaeger query API v1 (Jaeger 1.x and 2.x)"),
        PossibleValue::new("jaeger-v3").help("Jaeger query API v3 (OTLP/JSON)"),
        PossibleValue::new("zipkin"),
        PossibleValue::new("tempo"),
    ])
    .try_map(|s| s.parse::<Backend>())
}

/// A `KEY=VALUE` pair from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

fn parse_key_value(s: &str) -> Result<KeyValue, String> {
    match s.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok(KeyValue {
            key: key.trim().to_string(),
            value: value.to_string(),
        }),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}

/// Parses `30s`, `5m`, `1h30m`, `250ms`, as msv.toml does.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::config::parse_duration(s)
}

/// A timeout: a zero one would fail every rollout or probe before it could start, and
/// report a healthy service as broken.
pub fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err(format!(
            "`{s}` is zero, so it would time out at once; use e.g. 30s, 5m"
        )),
        d => Ok(d),
    }
}

/// A `--canary`: checked here as msv.toml's `deploy.canary.steps` is, kept as written.
pub fn parse_canary_steps(s: &str) -> Result<String, String> {
    s.parse::<crate::config::values::CanarySteps>()?;
    Ok(s.to_string())
}

/// A `--replicas`: a Deployment's count is a 32-bit signed number, so a larger one would
/// wrap around to a negative count.
pub fn parse_replicas(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if i32::try_from(n).is_ok() => Ok(n),
        _ if s.trim().chars().all(|c| c.is_ascii_digit()) && !s.trim().is_empty() => Err(format!(
            "`{s}` is more replicas than Kubernetes allows (at most {})",
            i32::MAX
        )),
        _ => Err(format!("`{s}` is not a whole number; use e.g. 3")),
    }
}

/// A `--limit`: zero would show nothing and read as "there is nothing".
pub fn parse_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("the limit must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number; use e.g. 20")),
    }
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  msv new orders --template rust-axum\n  \
    msv new billing -t python-fastapi --set with_ci=false --dir services/billing")]
pub struct NewArgs {
    /// Service name: lowercase letters, digits and '-', starting with a letter, at most 55 characters
    pub name: ServiceName,

    /// Template: a built-in name, a user template name, a local directory or a git URL
    #[arg(short, long, value_name = "TEMPLATE")]
    pub template: Option<String>,

    /// Set a template variable (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub set: Vec<KeyValue>,

    /// Directory to create (default: ./NAME)
    #[arg(short, long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Replace an existing non-empty directory
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status 1 when conflicts are left in files (marked <<<<<<< yours / \
    ======= / >>>>>>> template): the update is then pending, the old lineage still in force; \
    resolve the conflicts and run msv update --continue (exit 1 while markers are left), or \
    msv update --abort to put every file back. Exit status 2 for another update while one is \
    pending, or --continue/--abort with none.\n\nExamples:\n  msv update --dry-run\n  \
    msv update services/orders --set with_metrics=true\n  msv update --continue"
)]
pub struct UpdateArgs {
    /// Service directory (default: the current directory)
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Set a template variable: a new one, or a new answer to an old one (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub set: Vec<KeyValue>,

    /// Update a git template's service to this branch, tag or commit (default: the newest)
    #[arg(long, value_name = "REF")]
    pub to: Option<String>,

    /// Print the unified diff the update would apply and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Update even when the git work tree has uncommitted changes
    #[arg(long)]
    pub allow_dirty: bool,

    /// Finish an update that left conflicts, once no conflict marker is left in its files
    #[arg(long = "continue", conflicts_with_all = ["to", "set", "dry_run", "allow_dirty", "abort"])]
    pub continue_: bool,

    /// Undo an update that left conflicts: every file it touched back as it was
    #[arg(long, conflicts_with_all = ["to", "set", "dry_run", "allow_dirty"])]
    pub abort: bool,
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List built-in and user templates and where each comes from
    List,
    /// Show a template's description and variables
    Show {
        /// Template name, directory or git URL
        template: String,
    },
    /// Validate a template directory: syntax, variables, paths, template.toml keys
    Lint {
        /// The template directory
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Service directory (default: the one whose msv.toml is found from the current directory)
    pub dir: Option<PathBuf>,

    /// Extra tag for the image (repeatable)
    #[arg(short, long, value_name = "TAG")]
    pub tag: Vec<String>,

    /// The Dockerfile, in or outside the service directory (default: Dockerfile in it).
    /// PATH.dockerignore next to it, when there is one, replaces the .dockerignore
    #[arg(short, long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Build-time variable (repeatable)
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub build_arg: Vec<KeyValue>,

    /// Build this stage of a multi-stage Dockerfile
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// Target platform, e.g. linux/amd64
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    /// Do not use the build cache
    #[arg(long)]
    pub no_cache: bool,

    /// Always try to pull newer versions of base images
    #[arg(long)]
    pub pull: bool,

    /// The engine's builder: BuildKit where the engine has it, else the classic builder
    #[arg(long, value_name = "BUILDER", value_enum, default_value_t)]
    pub builder: crate::image::Builder,

    /// A secret for `RUN --mount=type=secret,id=ID` (repeatable; BuildKit). Its value is
    /// read by the build only: it is not in the image, its history or msv's output
    #[arg(long, value_name = "id=ID,src=FILE|env=VAR")]
    pub secret: Vec<String>,

    /// An ssh agent for `RUN --mount=type=ssh`: `default` (SSH_AUTH_SOCK) or ID=SOCKET
    /// (repeatable; BuildKit)
    #[arg(long, value_name = "ID[=SOCKET]")]
    pub ssh: Vec<String>,

    /// Show what the build context holds and why, without building: each top-level
    /// entry's size and file count and the largest files; with PATH, the .dockerignore
    /// line that excludes or re-includes it (put DIR before --explain)
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "")]
    pub explain: Option<String>,

    /// At a workspace's root: build only this member (repeatable; default: every member)
    #[arg(short = 'p', long = "member", value_name = "NAME")]
    pub member: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Image to push (default: the last image `msv build` made for this service)
    pub image: Option<String>,

    /// At a workspace's root: push only this member's last built image (repeatable;
    /// default: every member's)
    #[arg(
        short = 'p',
        long = "member",
        value_name = "NAME",
        conflicts_with = "image"
    )]
    pub member: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Service directory (default: the one whose msv.toml is found from the current directory)
    pub dir: Option<PathBuf>,

    /// Deploy this image instead of building and pushing first; at a workspace's root,
    /// MEMBER=REF for one member (repeatable)
    #[arg(long, value_name = "REF")]
    pub image: Vec<String>,

    /// At a workspace's root: deploy only this member (repeatable; default: every member)
    #[arg(short = 'p', long = "member", value_name = "NAME")]
    pub member: Vec<String>,

    /// Replicas of the new color (default: the live color's count, else msv.toml) [deploy.replicas]
    #[arg(long, value_name = "N", value_parser = parse_replicas)]
    pub replicas: Option<u32>,

    /// How long the new color may take to become available [msv.toml: deploy.timeout]
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub timeout: Option<Duration>,

    /// Keep probing after the switch for this long; switch back on failure [deploy.verify_for]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub verify_for: Option<Duration>,

    /// Scale the old color down after this delay [deploy.scale_down_delay]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "keep_old")]
    pub scale_down_delay: Option<Duration>,

    /// Keep the old color running for an instant rollback [deploy.keep_old]
    #[arg(long)]
    pub keep_old: bool,

    /// Leave a failed candidate running for inspection instead of scaling it to zero [deploy.keep_failed]
    #[arg(long)]
    pub keep_failed: bool,

    /// Create the namespace if it does not exist
    #[arg(long)]
    pub create_namespace: bool,

    /// Show what would be done without changing the cluster. `--dry-run` and
    /// `--dry-run=client` plan on the client; `--dry-run=server` also sends the objects the
    /// deploy would write to the API server with dryRun=All, so its validation and admission
    /// (quotas, webhooks, immutable fields) answer, and nothing is stored
    #[arg(long, value_name = "MODE", num_args = 0..=1, require_equals = true, default_missing_value = "client", value_parser = dry_runs())]
    pub dry_run: Option<DryRun>,

    /// Roll out even when the image is already live (to the other color, as any deploy)
    #[arg(long)]
    pub force: bool,

    /// Take over a service that runs today as a plain Deployment and Service of the
    /// service's name (made with kubectl or Helm): a new color from the same pod template,
    /// checked, then the Service's selector moved to it and the old Deployment scaled to 0
    /// (never deleted)
    #[arg(long)]
    pub adopt: bool,

    /// Before the switch, soak the candidate on these shares of live traffic, one step
    /// after another, judged beside the live color, e.g. 10%,50% ("" for none)
    /// [deploy.canary.steps]
    #[arg(long, value_name = "STEPS", value_parser = parse_canary_steps)]
    pub canary: Option<String>,

    /// How long each canary step lasts [deploy.canary.pause]
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub canary_pause: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Service (default: the service of the current directory's msv.toml)
    pub service: Option<ServiceName>,

    /// Roll back to this history revision instead of the previous color
    #[arg(long, value_name = "REVISION")]
    pub to_revision: Option<u64>,

    /// How long the old color may take to become available again [deploy.timeout]
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub timeout: Option<Duration>,

    /// Roll out the revision's image even when it is already live (to the other color)
    #[arg(long)]
    pub force: bool,

    /// Roll a whole workspace release back: each member that went live in it returns to
    /// its revision before, switched all-or-nothing (`msv history --release` lists them)
    #[arg(long, value_name = "ID", conflicts_with_all = ["service", "to_revision"])]
    pub release: Option<String>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Service (default: the service of the current directory's msv.toml)
    pub service: Option<ServiceName>,

    /// A member of the workspace, as the service (at its root, instead of the releases)
    #[arg(short = 'p', long = "member", value_name = "NAME", conflicts_with_all = ["service", "release"])]
    pub member: Option<ServiceName>,

    /// Show at most this many entries, newest first
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = parse_count)]
    pub limit: usize,

    /// The workspace's releases (the default at its root), or with ID what each member
    /// recorded in that release
    #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "", conflicts_with = "service")]
    pub release: Option<String>,
}

#[derive(Debug, Args)]
pub struct ManifestsArgs {
    /// Service directory (default: the one whose msv.toml is found from the current directory)
    pub dir: Option<PathBuf>,

    /// Image to put in the Deployment (default: the last pushed image by digest, else <repository>:latest)
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,

    /// Color of the Deployment to render (`--color` is the global output color flag)
    #[arg(long = "target-color", value_name = "COLOR", default_value = "blue", value_parser = colors())]
    pub target_color: Color,

    /// Replicas of the Deployment (default: msv.toml) [deploy.replicas]
    #[arg(long, value_name = "N", value_parser = parse_replicas)]
    pub replicas: Option<u32>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Services to show (default: every msv-managed service in the namespace; at a
    /// workspace's root, every member)
    pub services: Vec<ServiceName>,

    /// A member of the workspace to show, as a service name (repeatable)
    #[arg(short = 'p', long = "member", value_name = "NAME")]
    pub member: Vec<ServiceName>,

    /// Look in every namespace
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,

    /// Probe every pod, not only the service
    #[arg(long)]
    pub pods: bool,

    /// Redraw when something changes (terminal only)
    #[arg(short, long)]
    pub watch: bool,

    /// Give up on a health probe after this long [deploy.probe_timeout, default 3s]
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub probe_timeout: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The service whose pods to read (at a workspace's root: default every member)
    pub service: Option<ServiceName>,

    /// At a workspace's root: read this member's pods (repeatable; `-p` is --previous, as in
    /// kubectl)
    #[arg(long = "member", value_name = "NAME", conflicts_with = "service")]
    pub member: Vec<ServiceName>,

    /// Which color's pods
    #[arg(long, value_name = "COLOR", default_value = "all", value_parser = which_pods())]
    pub which: WhichPods,

    /// Keep streaming, including pods that start later
    #[arg(short, long)]
    pub follow: bool,

    /// Only lines newer than this, e.g. 10m
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub since: Option<Duration>,

    /// Lines to show from the end of each pod's log
    #[arg(long, value_name = "N")]
    pub tail: Option<u64>,

    /// Container to read (default: the service's container)
    #[arg(short, long, value_name = "NAME")]
    pub container: Option<String>,

    /// The log of each container's previous run (the one before its last restart), as
    /// `kubectl logs --previous`: what a crash-looping container said before it died
    #[arg(short, long, conflicts_with = "follow")]
    pub previous: bool,

    /// Start each line with the time the kubelet received it (RFC 3339)
    #[arg(long)]
    pub timestamps: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TracesArgs {
    #[command(subcommand)]
    pub command: Option<TracesCommand>,

    #[command(flatten)]
    pub list: TracesListArgs,
}

#[derive(Debug, Subcommand)]
pub enum TracesCommand {
    /// List recent traces of a service (the default)
    List(TracesListArgs),
    /// Draw one trace as a waterfall
    Show(TracesShowArgs),
}

/// Where traces come from; overrides msv.toml's [traces] section.
#[derive(Debug, Args, Clone, Default)]
pub struct BackendArgs {
    /// Trace backend type [traces.backend, MSV_TRACES_BACKEND]
    #[arg(long, value_name = "TYPE", value_parser = backends())]
    pub backend: Option<Backend>,

    /// Base URL of the backend's query API [traces.url, MSV_TRACES_URL]
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Reach the backend inside the cluster through the API server, as NAMESPACE/SERVICE:PORT
    #[arg(long, value_name = "NS/NAME:PORT")]
    pub backend_service: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct TracesListArgs {
    /// Service whose traces to find
    #[arg(required = true)]
    pub service: Option<ServiceName>,

    /// How far back to look
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "1h")]
    pub since: Duration,

    /// At most this many traces
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = parse_count)]
    pub limit: usize,

    /// Only traces whose root or any span has this operation
    #[arg(long, value_name = "NAME")]
    pub operation: Option<String>,

    /// Only traces at least this long
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_duration: Option<Duration>,

    /// Only traces with an error
    #[arg(long)]
    pub errors: bool,

    /// Only traces with this tag (repeatable)
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub tag: Vec<KeyValue>,

    #[command(flatten)]
    pub backend: BackendArgs,
}

#[derive(Debug, Args, Clone)]
// One group so that a missing or doubled answer names both ways: TRACE_ID or --file.
#[group(id = "trace", required = true, multiple = false)]
pub struct TracesShowArgs {
    /// The trace id (hex)
    #[arg(group = "trace")]
    pub trace_id: Option<String>,

    /// Read a saved trace (Jaeger, Zipkin, OTLP or Tempo JSON, detected from its content)
    #[arg(long, value_name = "PATH", group = "trace")]
    pub file: Option<PathBuf>,

    #[command(flatten)]
    pub backend: BackendArgs,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the merged configuration and where each value came from
    Show,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
        command().debug_assert();
    }

    #[test]
    fn each_command_help_lists_its_formats() {
        let mut cmd = command();
        let status = cmd.find_subcommand_mut("status").unwrap();
        let help = status.render_help().to_string();
        assert!(
            help.contains("Output formats (-o): table (default), json, yaml"),
            "{help}"
        );
        let mut cmd = command();
        let show = cmd
            .find_subcommand_mut("traces")
            .unwrap()
            .find_subcommand_mut("show")
            .unwrap();
        assert!(
            show.render_help()
                .to_string()
                .contains("tree (default), json")
        );
    }

    #[test]
    fn key_values_need_an_equals_sign() {
        assert_eq!(
            parse_key_value("a=b=c").unwrap(),
            KeyValue {
                key: "a".into(),
                value: "b=c".into()
            }
        );
        assert_eq!(parse_key_value("a=").unwrap().value, "");
        assert!(parse_key_value("novalue").is_err());
        assert!(parse_key_value("=x").is_err());
    }

    #[test]
    fn durations_read_like_kubectl_flags() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("soon").unwrap_err().contains("e.g. 30s"));
    }

    #[test]
    fn traces_without_subcommand_lists() {
        let cli = Cli::try_parse_from(["msv", "traces", "orders", "--errors"]).unwrap();
        let Command::Traces(args) = cli.command else {
            panic!("not traces")
        };
        assert!(args.command.is_none());
        assert_eq!(
            args.list.service.as_ref().map(ServiceName::as_str),
            Some("orders")
        );
        assert!(args.list.errors);
        let cli = Cli::try_parse_from(["msv", "traces", "show", "--file", "t.json"]).unwrap();
        let Command::Traces(args) = cli.command else {
            panic!("not traces")
        };
        assert!(matches!(args.command, Some(TracesCommand::Show(_))));
    }
}

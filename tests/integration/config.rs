//! `msv config show` and the bad configuration inputs every command shares.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::support::Test;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Shown {
    manifest: Option<String>,
    global_config: Option<String>,
    values: BTreeMap<String, Entry>,
    kubernetes: Option<Kube>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    value: serde_json::Value,
    source: Option<String>,
    env: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kube {
    kubeconfig: Vec<String>,
    context: String,
    context_source: String,
    namespace: String,
    namespace_source: String,
}

fn service_dir(manifest: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("msv.toml"), manifest).unwrap();
    std::fs::create_dir_all(dir.path().join("src/handlers")).unwrap();
    dir
}

/// `msv config show` run in `dir`.
fn config_show(dir: &tempfile::TempDir) -> Test {
    Test::new()
        .args(&["config", "show"])
        .current_dir(dir.path())
}

const KUBECONFIG: &str = "apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts:\n- name: dev\n  context: {cluster: c, user: u, namespace: team-a}\n- name: prod\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:6443'}\nusers:\n- name: u\n  user: {token: secret-token}\n";

#[test]
fn config_show_reports_values_and_sources() {
    let dir = service_dir(
        "[service]\nname = \"orders\"\nport = 9000\n\n[service.env]\nLOG = \"debug\"\n\n[deploy]\ntimeout = \"2m\"\n",
    );
    let test = Test::new();
    let config_dir = test.home().join(".config/msv");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("config.toml"),
        "[image]\nregistry = \"localhost:5000\"\n[deploy]\ntimeout = \"9m\"\n",
    )
    .unwrap();
    let kubeconfig = test.home().join("kc");
    std::fs::write(&kubeconfig, KUBECONFIG).unwrap();

    let run = test
        .args(&["config", "show", "-o", "json"])
        .current_dir(dir.path().join("src/handlers"))
        .env("MSV_DEPLOY_VERIFY_FOR", "45s")
        .env("KUBECONFIG", &kubeconfig)
        .run()
        .status(0);
    let shown: Shown = run.stdout_json();

    let manifest = dir.path().join("msv.toml").canonicalize().unwrap();
    assert_eq!(
        shown
            .manifest
            .as_deref()
            .map(|p| std::path::Path::new(p).canonicalize().unwrap()),
        Some(manifest.clone())
    );
    assert!(
        shown
            .global_config
            .unwrap()
            .ends_with(".config/msv/config.toml")
    );
    let source = |key: &str| shown.values[key].source.clone().unwrap_or_default();
    assert_eq!(shown.values["service.name"].value, "orders");
    assert_eq!(shown.values["service.port"].value, 9000);
    assert!(
        source("service.port").ends_with("msv.toml"),
        "{}",
        source("service.port")
    );
    assert_eq!(
        shown.values["deploy.timeout"].value, "2m",
        "msv.toml beats the global config"
    );
    assert_eq!(shown.values["deploy.verify_for"].value, "45s");
    assert_eq!(source("deploy.verify_for"), "env MSV_DEPLOY_VERIFY_FOR");
    assert_eq!(
        shown.values["deploy.verify_for"].env.as_deref(),
        Some("MSV_DEPLOY_VERIFY_FOR")
    );
    assert_eq!(shown.values["image.registry"].value, "localhost:5000");
    assert!(source("image.registry").starts_with("global config "));
    assert_eq!(source("service.health_path"), "default");
    assert_eq!(shown.values["service.env.LOG"].value, "debug");
    assert_eq!(shown.values["image.repository"].source, None);

    let kube = shown.kubernetes.expect("kubeconfig resolved");
    assert_eq!(kube.kubeconfig, vec![kubeconfig.display().to_string()]);
    assert_eq!(
        (kube.context.as_str(), kube.context_source.as_str()),
        ("dev", "kubeconfig current-context")
    );
    assert_eq!(
        (kube.namespace.as_str(), kube.namespace_source.as_str()),
        ("team-a", "kubeconfig context dev")
    );
    assert!(
        !run.stdout().contains("secret-token"),
        "credentials never printed"
    );
}

#[test]
fn flags_beat_everything() {
    let dir =
        service_dir("[service]\nname = \"orders\"\n[kubernetes]\nnamespace = \"from-file\"\n");
    let test = Test::new();
    let kubeconfig = test.home().join("kc");
    std::fs::write(&kubeconfig, KUBECONFIG).unwrap();
    let run = test
        .args(&[
            "config",
            "show",
            "-o",
            "json",
            "--context",
            "prod",
            "-n",
            "from-flag",
            "--kubeconfig",
        ])
        .arg(&kubeconfig)
        .env("MSV_NAMESPACE", "from-env")
        .current_dir(dir.path())
        .run()
        .status(0);
    let shown: Shown = run.stdout_json();
    let kube = shown.kubernetes.unwrap();
    assert_eq!(
        (kube.context.as_str(), kube.context_source.as_str()),
        ("prod", "flag --context")
    );
    assert_eq!(
        (kube.namespace.as_str(), kube.namespace_source.as_str()),
        ("from-flag", "flag --namespace")
    );
}

#[test]
fn config_show_table_names_sources() {
    let dir = service_dir("[service]\nname = \"orders\"\n");
    config_show(&dir)
        .run()
        .status(0)
        .stdout_has("KEY")
        .stdout_has("service.name")
        .stdout_has("orders")
        .stdout_has("msv.toml")
        .stderr_has("service config: ");
}

#[test]
fn unknown_key_names_file_line_and_column() {
    let dir = service_dir("[service]\nname = \"orders\"\nprot = 8080\n");
    config_show(&dir)
        .run()
        .status(2)
        .stderr_has("msv.toml")
        .stderr_has("line 3, column 1")
        .stderr_has("unknown field `prot`")
        .stdout_empty();
}

#[test]
fn wrong_type_names_file_line_and_column() {
    let dir = service_dir("[service]\nname = \"orders\"\nreplicas = \"three\"\n");
    config_show(&dir)
        .run()
        .status(2)
        .stderr_has("line 3, column 12")
        .stderr_has("invalid type: string \"three\", expected a whole number (0 or more)");
}

#[test]
fn bad_global_config_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let test = Test::new();
    let config_dir = test.home().join(".config/msv");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("config.toml"), "[deploy]\ntimeout = 30\n").unwrap();
    test.args(&["config", "show"])
        .current_dir(dir.path())
        .run()
        .status(2)
        .stderr_has(".config/msv/config.toml")
        .stderr_has("line 2, column 11");
}

#[test]
fn invalid_service_name_explains_and_suggests() {
    let dir = service_dir("[service]\nname = \"Orders_API\"\n");
    config_show(&dir)
        .run()
        .status(2)
        .stderr_has("invalid service name \"Orders_API\"")
        .stderr_has("RFC 1035 label of at most 55 characters")
        .stderr_has("try `orders-api`")
        .stderr_has("line 2, column 8");
}

/// msv.toml follows the same name rule as `msv new`.
#[test]
fn a_service_name_starting_with_a_digit_is_refused_at_its_line() {
    let dir = service_dir("# orders, faster\n[service]\nname = \"2fast\"\n");
    config_show(&dir)
        .run()
        .status(2)
        .stderr_has("msv.toml")
        .stderr_has("line 3, column 8")
        .stderr_has("invalid service name \"2fast\": it starts with '2', not a letter")
        .stderr_has("try `svc-2fast`");
}

#[test]
fn a_service_name_from_the_environment_follows_the_same_rule() {
    let dir = tempfile::tempdir().unwrap();
    let long = "a".repeat(56);
    Test::new()
        .args(&["config", "show"])
        .current_dir(dir.path())
        .env("MSV_SERVICE_NAME", &long)
        .run()
        .status(2)
        .stderr_has(&format!(
            "environment variable MSV_SERVICE_NAME=\"{long}\" is invalid"
        ))
        .stderr_has("56 characters long");
    Test::new()
        .args(&["config", "show", "-o", "json"])
        .current_dir(dir.path())
        .env("MSV_SERVICE_NAME", "a".repeat(55))
        .run()
        .status(0);
}

#[test]
fn invalid_env_var_is_named() {
    let dir = tempfile::tempdir().unwrap();
    config_show(&dir)
        .env("MSV_SERVICE_PORT", "eighty")
        .run()
        .status(2)
        .stderr_has("environment variable MSV_SERVICE_PORT=\"eighty\" is invalid");
}

#[test]
fn zero_timeouts_are_refused_where_they_are_set() {
    let dir = service_dir("[service]\nname = \"shop\"\n\n[deploy]\ntimeout = \"0s\"\n");
    config_show(&dir)
        .run()
        .status(2)
        .stderr_has("msv.toml")
        .stderr_has("line 5, column 11")
        .stderr_has("a timeout of zero would fail at once");
    let dir = service_dir("[service]\nname = \"shop\"\n\n[deploy]\nverify_for = \"0s\"\n");
    config_show(&dir)
        .env("MSV_DEPLOY_PROBE_TIMEOUT", "0s")
        .run()
        .status(2)
        .stderr_has("MSV_DEPLOY_PROBE_TIMEOUT=\"0s\" is invalid")
        .stderr_has("a timeout of zero would fail at once");
    // A zero verify window or scale-down delay is a choice, not a mistake.
    config_show(&dir).run().status(0);
}

#[test]
fn a_mistyped_setting_variable_is_warned_about() {
    let dir = service_dir("[service]\nname = \"shop\"\n");
    config_show(&dir)
        .env("MSV_DEPLOY_TIMOUT", "10m")
        .run()
        .status(0)
        .stderr_has("msv: warning: MSV_DEPLOY_TIMOUT is set but is not a setting msv reads")
        .stderr_has("did you mean MSV_DEPLOY_TIMEOUT?");
    // Variables outside the settings' sections are not msv's to judge.
    config_show(&dir)
        .env("MSV_SOMETHING_ELSE", "1")
        .run()
        .status(0)
        .stderr_lacks("warning");
}

#[test]
fn unreadable_kubeconfig_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let test = Test::new();
    let kubeconfig = test.home().join("broken-kubeconfig");
    std::fs::write(&kubeconfig, "clusters: [oops\n").unwrap();
    test.args(&["config", "show", "--kubeconfig"])
        .arg(&kubeconfig)
        .current_dir(dir.path())
        .run()
        .status(2)
        .stderr_has("broken-kubeconfig")
        .stderr_has("is not valid");
    Test::new()
        .args(&["config", "show", "--kubeconfig", "/nonexistent/kc"])
        .current_dir(dir.path())
        .run()
        .status(2)
        .stderr_has("/nonexistent/kc (from --kubeconfig) does not exist");
}

#[test]
fn unknown_context_lists_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let test = Test::new();
    let kubeconfig = test.home().join("kc");
    std::fs::write(&kubeconfig, KUBECONFIG).unwrap();
    test.args(&["config", "show", "--context", "staging"])
        .env("KUBECONFIG", &kubeconfig)
        .current_dir(dir.path())
        .run()
        .status(2)
        .stderr_has("context `staging` (flag --context) is not in kubeconfig")
        .stderr_has("known contexts: dev, prod");
}

#[test]
fn kubeconfig_list_merges_like_kubectl() {
    let dir = tempfile::tempdir().unwrap();
    let test = Test::new();
    let first = test.home().join("first");
    let second = test.home().join("second");
    std::fs::write(
        &first,
        "apiVersion: v1\nkind: Config\ncurrent-context: prod\n",
    )
    .unwrap();
    std::fs::write(&second, KUBECONFIG).unwrap();
    let list = format!(
        "{}:/nonexistent/skipped:{}",
        first.display(),
        second.display()
    );
    let shown: Shown = test
        .args(&["config", "show", "-o", "json"])
        .env("KUBECONFIG", list)
        .current_dir(dir.path())
        .run()
        .status(0)
        .stdout_json();
    let kube = shown.kubernetes.unwrap();
    assert_eq!(
        kube.context, "prod",
        "the first file to set current-context wins"
    );
    assert_eq!(kube.kubeconfig.len(), 2, "missing files are skipped");
}

#[test]
fn yaml_output() {
    let dir = service_dir("[service]\nname = \"orders\"\n");
    let run = Test::new()
        .args(&["config", "show", "-o", "yaml"])
        .current_dir(dir.path())
        .run()
        .status(0);
    let value: serde_json::Value = serde_saphyr::from_str(&run.stdout()).expect("valid YAML");
    assert_eq!(value["values"]["service.name"]["value"], "orders");
}

#[test]
fn a_missing_msv_config_file_is_an_error_not_ignored() {
    let dir = service_dir("[service]\nname = \"orders\"\n");
    let missing = dir.path().join("no-such-config.toml");
    Test::new()
        .args(&["config", "show"])
        .env("MSV_CONFIG", &missing)
        .current_dir(dir.path())
        .run()
        .status(2)
        .stderr_has(&format!("MSV_CONFIG names {}", missing.display()))
        .stderr_has("does not exist or is not a file")
        .stderr_has("unset MSV_CONFIG")
        .stdout_empty();
    // The default location may be absent: Test gives every run an empty HOME.
    config_show(&dir).run().status(0);
}

#[test]
fn no_msv_toml_says_what_each_command_takes() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["build", "manifests", "history"] {
        Test::new()
            .arg(command)
            .current_dir(dir.path())
            .run()
            .status(2)
            .stderr_has("no msv.toml found in this directory or any parent")
            .stderr_has("pass the service's directory (build, deploy, manifests)")
            .stderr_has("or name (history, rollback)")
            .stderr_has("MSV_SERVICE_NAME");
    }
}

#[test]
fn the_old_names_of_renamed_variables_are_still_read_with_a_warning() {
    let dir = service_dir("[service]\nname = \"orders\"\n");
    // msv 0.1 read the namespace from MSV_KUBERNETES_NAMESPACE: a script that sets it must
    // not deploy to another namespace now that the variable is MSV_NAMESPACE.
    let run = config_show(&dir)
        .args(&["-o", "json"])
        .env("MSV_KUBERNETES_NAMESPACE", "old-name")
        .run()
        .status(0)
        .stderr_has("MSV_KUBERNETES_NAMESPACE is the old name of MSV_NAMESPACE");
    let shown: Shown = run.stdout_json();
    let e = &shown.values["kubernetes.namespace"];
    assert_eq!(e.value, serde_json::json!("old-name"));
    // The new name wins when both are set.
    let run = config_show(&dir)
        .args(&["-o", "json"])
        .env("MSV_KUBERNETES_NAMESPACE", "old-name")
        .env("MSV_NAMESPACE", "new-name")
        .run()
        .status(0);
    let shown: Shown = run.stdout_json();
    assert_eq!(
        shown.values["kubernetes.namespace"].value,
        serde_json::json!("new-name")
    );
}

//! Unit tests of configuration loading (`config/mod.rs`).

use super::*;

fn load(
    dir: &Path,
    env: &[(&str, &str)],
    flags: &Flags,
    global_file: Option<PathBuf>,
) -> anyhow::Result<Config> {
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::load_from(dir, flags, &|name| env.get(name).cloned(), global_file)
}

#[test]
fn precedence_is_flags_env_manifest_global_default() {
    let tmp = tempfile::tempdir().unwrap();
    let global = tmp.path().join("config.toml");
    std::fs::write(
        &global,
        "[deploy]\ntimeout = \"1m\"\nverify_for = \"1s\"\n[kubernetes]\nnamespace = \"g\"\n",
    )
    .unwrap();
    let svc = tmp.path().join("svc");
    std::fs::create_dir_all(svc.join("src/deep")).unwrap();
    std::fs::write(svc.join(MANIFEST), "[service]\nname = \"orders\"\n[deploy]\ntimeout = \"2m\"\n[kubernetes]\nnamespace = \"m\"\n").unwrap();
    let mut flags = Flags::default();
    flags.set("kubernetes.namespace", "f", "--namespace");
    let config = load(
        &svc.join("src/deep"),
        &[("MSV_DEPLOY_TIMEOUT", "3m")],
        &flags,
        Some(global.clone()),
    )
    .unwrap();

    assert_eq!(config.service_dir(), Some(svc.as_path()));
    assert_eq!(config.settings.deploy.timeout, Duration::from_secs(180));
    assert_eq!(
        config.values["deploy.timeout"].1,
        Source::Env("MSV_DEPLOY_TIMEOUT".into())
    );
    assert_eq!(config.settings.deploy.verify_for, Duration::from_secs(1));
    assert_eq!(config.values["deploy.verify_for"].1, Source::Global(global));
    assert_eq!(config.settings.kubernetes.namespace.as_deref(), Some("f"));
    assert_eq!(
        config.values["kubernetes.namespace"].1,
        Source::Flag("--namespace".into())
    );
    assert_eq!(
        config.values["service.name"].1,
        Source::Manifest(svc.join(MANIFEST))
    );
    assert_eq!(config.settings.service.port, 8080);
    assert_eq!(config.values["service.port"].1, Source::Default);
    assert_eq!(config.image_repository().unwrap(), "orders");
}

#[test]
fn env_values_are_validated_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let err = load(
        tmp.path(),
        &[("MSV_SERVICE_PORT", "http")],
        &Flags::default(),
        None,
    )
    .unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("MSV_SERVICE_PORT"), "{text}");
    let err = load(
        tmp.path(),
        &[("MSV_SERVICE_NAME", "Bad_Name")],
        &Flags::default(),
        None,
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("try `bad-name`"));
    let ok = load(
        tmp.path(),
        &[("MSV_DEPLOY_KEEP_OLD", "yes")],
        &Flags::default(),
        None,
    )
    .unwrap();
    assert!(ok.settings.deploy.keep_old);
}

#[test]
fn canary_steps_from_the_file_the_environment_and_flags() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join(MANIFEST),
        "[service]\nname = \"a\"\n[deploy.canary]\nsteps = [\"10%\", \"50%\"]\n",
    )
    .unwrap();
    let config = load(tmp.path(), &[], &Flags::default(), None).unwrap();
    let c = config.settings.deploy.canary.unwrap();
    assert_eq!((c.steps, c.pause), (vec![10, 50], CANARY_PAUSE));
    let env = [
        ("MSV_DEPLOY_CANARY_STEPS", "25%"),
        ("MSV_DEPLOY_CANARY_PAUSE", "30s"),
    ];
    let config = load(tmp.path(), &env, &Flags::default(), None).unwrap();
    let c = config.settings.deploy.canary.unwrap();
    assert_eq!((c.steps, c.pause), (vec![25], Duration::from_secs(30)));
    // An empty list, from any layer, turns a configured soak off.
    let mut flags = Flags::default();
    flags.set("deploy.canary.steps", "", "--canary");
    let config = load(tmp.path(), &[], &flags, None).unwrap();
    assert_eq!(config.settings.deploy.canary, None);
    let err = load(
        tmp.path(),
        &[("MSV_DEPLOY_CANARY_STEPS", "50%,10%")],
        &Flags::default(),
        None,
    )
    .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("MSV_DEPLOY_CANARY_STEPS") && text.contains("increasing order"),
        "{text}"
    );
    let err = load(
        tmp.path(),
        &[("MSV_DEPLOY_CANARY_PAUSE", "0s")],
        &Flags::default(),
        None,
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("measures nothing"), "{err:#}");
}

#[test]
fn prometheus_at_a_url_and_as_a_service_at_once_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join(MANIFEST),
        "[service]\nname = \"a\"\n[deploy.analysis]\nmax_error_ratio = 0.1\nprometheus_url = \"http://p:9090\"\n",
    )
    .unwrap();
    assert!(load(tmp.path(), &[], &Flags::default(), None).is_ok());
    let env = [(
        "MSV_DEPLOY_ANALYSIS_PROMETHEUS_SERVICE",
        "monitoring/prometheus:9090",
    )];
    let err = load(tmp.path(), &env, &Flags::default(), None).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("not both")
            && text.contains("deploy.analysis.prometheus_url from")
            && text.contains("MSV_DEPLOY_ANALYSIS_PROMETHEUS_SERVICE"),
        "{text}"
    );
}

#[test]
fn global_config_may_not_name_a_service() {
    let tmp = tempfile::tempdir().unwrap();
    let global = tmp.path().join("config.toml");
    std::fs::write(&global, "[service]\nname = \"x\"\n").unwrap();
    let err = load(tmp.path(), &[], &Flags::default(), Some(global)).unwrap_err();
    assert!(err.to_string().contains("belongs in a service's msv.toml"));
}

#[test]
fn env_table_entries_merge_per_key() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join(MANIFEST),
        "[service.env]\nRUST_LOG = \"info\"\n\"a.b\" = \"1\"\n",
    )
    .unwrap();
    let config = load(tmp.path(), &[], &Flags::default(), None).unwrap();
    assert_eq!(config.settings.service.env["a.b"], "1");
    assert_eq!(config.settings.service.env["RUST_LOG"], "info");
    assert!(
        config
            .service_name()
            .unwrap_err()
            .to_string()
            .contains("no service name")
    );
}

#[test]
fn registry_prefixes_the_repository() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join(MANIFEST),
        "[service]\nname = \"a\"\n[image]\nregistry = \"localhost:5000/team\"\n",
    )
    .unwrap();
    let config = load(tmp.path(), &[], &Flags::default(), None).unwrap();
    assert_eq!(config.image_repository().unwrap(), "localhost:5000/team/a");
}

#[test]
fn an_autoscaler_that_cannot_work_is_refused_at_load_naming_where() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join(MANIFEST),
        "[service]\nname = \"a\"\n[deploy.autoscaling]\nenabled = true\nmin_replicas = 12\n",
    )
    .unwrap();
    let err = load(tmp.path(), &[], &Flags::default(), None).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("min_replicas (12) is more than its max_replicas (10)"),
        "{text}"
    );
    assert!(text.contains("msv.toml:5:1"), "{text}");
    assert!(
        text.contains("deploy.autoscaling.max_replicas from default"),
        "{text}"
    );
    // The same value from the environment is named by its variable.
    let ok = load(
        tmp.path(),
        &[("MSV_DEPLOY_AUTOSCALING_MAX_REPLICAS", "20")],
        &Flags::default(),
        None,
    )
    .unwrap();
    assert_eq!(ok.settings.deploy.autoscaling.unwrap().max_replicas, 20);
    let err = load(
        tmp.path(),
        &[("MSV_DEPLOY_AUTOSCALING_MAX_REPLICAS", "3000000000")],
        &Flags::default(),
        None,
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("more than Kubernetes allows"),
        "{err:#}"
    );
}

#[test]
fn flags_are_a_layer_like_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join(MANIFEST),
        "[service]\nname = \"a\"\n[deploy]\nkeep_failed = false\nprobe_timeout = \"9s\"\n",
    )
    .unwrap();
    let mut flags = Flags::default();
    flags.set("deploy.keep_failed", true, "--keep-failed");
    flags.set("deploy.replicas", 4, "--replicas");
    flags.set_duration(
        "deploy.probe_timeout",
        Duration::from_secs(1),
        "--probe-timeout",
    );
    let config = load(tmp.path(), &[("MSV_NAMESPACE", "team")], &flags, None).unwrap();
    let d = &config.settings.deploy;
    assert!(d.keep_failed);
    assert_eq!(d.replicas, Some(4));
    assert_eq!(d.probe_timeout, Duration::from_secs(1));
    assert_eq!(
        config.values["deploy.probe_timeout"].1,
        Source::Flag("--probe-timeout".into())
    );
    assert_eq!(
        config.settings.kubernetes.namespace.as_deref(),
        Some("team")
    );
    assert_eq!(
        config.values["kubernetes.namespace"].1,
        Source::Env("MSV_NAMESPACE".into())
    );
}

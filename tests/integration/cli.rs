//! The command surface: help, exit codes, completions, man page, version.

use crate::support::{Test, repo_root};

const SUBCOMMANDS: &[&[&str]] = &[
    &["new"],
    &["templates"],
    &["templates", "list"],
    &["templates", "show"],
    &["templates", "lint"],
    &["build"],
    &["push"],
    &["deploy"],
    &["rollback"],
    &["history"],
    &["manifests"],
    &["status"],
    &["logs"],
    &["traces"],
    &["traces", "list"],
    &["traces", "show"],
    &["completions"],
    &["man"],
    &["config"],
    &["config", "show"],
    &["version"],
];

#[test]
fn every_subcommand_has_help() {
    for sub in SUBCOMMANDS {
        let run = Test::new()
            .args(sub)
            .arg("--help")
            .run()
            .status(0)
            .stdout_has("Usage: msv");
        let out = run.stdout();
        assert!(
            out.contains(&format!("msv {}", sub.join(" "))),
            "{sub:?} usage line:\n{out}"
        );
        assert!(
            out.contains("--namespace"),
            "{sub:?} help lists the global flags"
        );
    }
}

#[test]
fn top_level_help_lists_commands_and_exit_codes() {
    Test::new()
        .arg("--help")
        .run()
        .status(0)
        .stdout_has("Exit codes:")
        .stdout_has("75   the deploy lock is held")
        .stdout_has("130  interrupted by Ctrl-C (SIGINT)")
        .stdout_has("143  stopped by SIGTERM")
        .stdout_has("deploy ")
        .stdout_has("rollback ");
}

#[test]
fn unknown_flags_are_usage_errors() {
    Test::new()
        .args(&["status", "--no-such-flag"])
        .run()
        .status(2)
        .stderr_has("unexpected argument '--no-such-flag'");
    Test::new().run().status(2).stderr_has("Usage: msv");
    Test::new()
        .args(&["deploy", "--timeout", "soon"])
        .run()
        .status(2)
        .stderr_has("use e.g. 30s");
}

#[test]
fn wrong_output_format_for_a_command_is_explained() {
    Test::new()
        .args(&["version", "-o", "tree"])
        .run()
        .status(2)
        .stderr_has(
            "msv: error: `msv version` cannot print `-o tree`; use one of: text, json, yaml",
        );
}

#[test]
fn version_as_text_and_json() {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Version {
        version: String,
        os: String,
        arch: String,
    }
    Test::new()
        .arg("version")
        .run()
        .status(0)
        .stdout_has(concat!("msv ", env!("CARGO_PKG_VERSION")));
    let run = Test::new().args(&["version", "-o", "json"]).run().status(0);
    let v: Version = run.stdout_json();
    assert_eq!(v.version, env!("CARGO_PKG_VERSION"));
    Test::new()
        .arg("--version")
        .run()
        .status(0)
        .stdout_is(concat!("msv ", env!("CARGO_PKG_VERSION"), "\n"));
}

/// The scripts in completions/ are what `msv completions` prints today; regenerate them
/// with `for s in bash zsh fish powershell elvish; do ...` as the README says.
#[test]
fn checked_in_completions_are_current() {
    let files = [
        ("bash", "msv.bash"),
        ("zsh", "_msv"),
        ("fish", "msv.fish"),
        ("powershell", "_msv.ps1"),
        ("elvish", "msv.elv"),
    ];
    let mut stale = Vec::new();
    for (shell, file) in files {
        let generated = Test::new()
            .args(&["completions", shell])
            .run()
            .status(0)
            .stdout();
        assert!(
            generated.contains("deploy"),
            "{shell} completions mention subcommands"
        );
        let path = repo_root().join("completions").join(file);
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        if checked_in != generated {
            if std::env::var_os("MSV_UPDATE_COMPLETIONS").is_some() {
                std::fs::write(&path, &generated).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "completions are out of date: {stale:?}; run `MSV_UPDATE_COMPLETIONS=1 cargo test checked_in_completions` and commit"
    );
}

#[test]
fn bash_completion_script_is_valid_bash() {
    let script = Test::new()
        .args(&["completions", "bash"])
        .run()
        .status(0)
        .stdout();
    let out = std::process::Command::new("bash")
        .args(["-n", "-c", &script])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn completion_is_kubectls_spelling_of_completions() {
    let plural = Test::new()
        .args(&["completions", "zsh"])
        .run()
        .status(0)
        .stdout();
    Test::new()
        .args(&["completion", "zsh"])
        .run()
        .status(0)
        .stdout_is(&plural);
    // A visible alias: help names it, so a user finds the spelling they typed.
    Test::new()
        .arg("--help")
        .run()
        .status(0)
        .stdout_has("[alias: completion]");
}

#[test]
fn clicolor_force_colors_a_pipe_and_no_color_wins() {
    // msv's own error line (`msv: error:` is painted when color is on), through a pipe.
    let dir = tempfile::tempdir().unwrap();
    let colored = |vars: &[(&str, &str)]| {
        let mut t = Test::new()
            .args(&["deploy", "--dry-run"])
            .current_dir(dir.path())
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("MSV_COLOR");
        for (k, v) in vars {
            t = t.env(k, v);
        }
        let run = t.run().status(2).stderr_has("msv: error:");
        run.stderr().contains('\x1b')
    };
    assert!(!colored(&[]), "a pipe gets no color");
    assert!(colored(&[("CLICOLOR_FORCE", "1")]));
    assert!(!colored(&[("CLICOLOR_FORCE", "0")]));
    assert!(!colored(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!colored(&[("CLICOLOR_FORCE", "1"), ("MSV_COLOR", "never")]));
}

#[test]
fn man_page_documents_subcommand_flags() {
    let page = Test::new().arg("man").run().status(0).stdout();
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "roff header: {}",
        &page[..40.min(page.len())]
    );
    assert!(
        page.contains(".SH \"MSV DEPLOY\""),
        "a section per subcommand"
    );
    assert!(
        page.contains("\\-\\-verify\\-for"),
        "subcommand flags are listed"
    );
    // man(1) can render it, when it is installed.
    if let Ok(out) = std::process::Command::new("man").arg("--version").output()
        && out.status.success()
    {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("msv.1");
        std::fs::write(&file, &page).unwrap();
        let out = std::process::Command::new("man")
            .arg("-l")
            .arg(&file)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("verify-for"),
            "man renders the page"
        );
    }
}

#[test]
fn msv_output_is_a_preference_and_dash_o_a_demand() {
    // Where the command prints the format, the variable acts like -o.
    Test::new()
        .args(&["version"])
        .env("MSV_OUTPUT", "json")
        .run()
        .status(0)
        .stdout_has("\"version\": ");
    // Where it cannot, the command prints its default instead of failing...
    Test::new()
        .args(&["man"])
        .env("MSV_OUTPUT", "json")
        .run()
        .status(0)
        .stdout_has(".TH");
    // ...while the same format asked for with -o is an error naming what it can print.
    Test::new()
        .args(&["man", "-o", "json"])
        .run()
        .status(2)
        .stderr_has("`msv man` cannot print `-o json`; use one of: text")
        .stdout_empty();
    // A word that is no format at all is refused from the variable too.
    Test::new()
        .args(&["version"])
        .env("MSV_OUTPUT", "jsno")
        .run()
        .status(2)
        .stderr_has("jsno");
}

#[test]
fn quiet_and_verbose_conflict_on_the_command_line_but_a_flag_overrides_a_variable() {
    Test::new()
        .args(&["version", "-q", "-v"])
        .run()
        .status(2)
        .stderr_has("cannot be used together");
    Test::new()
        .args(&["version", "-q"])
        .env("MSV_VERBOSE", "2")
        .run()
        .status(0)
        .stdout_has("msv ");
    Test::new()
        .args(&["version", "-v"])
        .env("MSV_QUIET", "yes")
        .run()
        .status(0)
        .stdout_has("msv ");
    Test::new()
        .args(&["version"])
        .env("MSV_QUIET", "maybe")
        .run()
        .status(2)
        .stderr_has("maybe");
}

#[test]
fn cluster_commands_without_a_cluster_exit_2_naming_it() {
    // No API server listens: every cluster command must say which server it could not
    // reach, on stderr, with exit 2 and nothing on stdout.
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = unreachable_cluster(dir.path());
    for sub in [
        &["rollback", "orders"][..],
        &["history", "orders"],
        &["logs", "orders"],
        &["status"],
    ] {
        Test::new()
            .args(sub)
            .env("KUBECONFIG", &kubeconfig)
            .current_dir(dir.path())
            .run()
            .status(2)
            .stderr_has("127.0.0.1:1")
            .stdout_empty();
    }
}

/// A kubeconfig whose API server nobody listens on, so any cluster call would fail.
fn unreachable_cluster(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n\
         clusters: [{name: c, cluster: {server: \"https://127.0.0.1:1\"}}]\n\
         users: [{name: u, user: {token: t}}]\n\
         contexts: [{name: c, context: {cluster: c, user: u}}]\n",
    )
    .unwrap();
    path
}

#[test]
fn a_bad_image_reference_is_refused_before_the_cluster_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("msv.toml"), "[service]\nname = \"shop\"\n").unwrap();
    let kubeconfig = unreachable_cluster(dir.path());
    for command in ["deploy", "manifests"] {
        Test::new()
            .args(&[command, "--image", "Not Valid:1"])
            .env("KUBECONFIG", &kubeconfig)
            .current_dir(dir.path())
            .run()
            .status(2)
            .stderr_has(r#"--image: "Not Valid:1" is not a valid image reference"#)
            .stderr_has("e.g. 127.0.0.1:5000/orders:v1")
            .stderr_lacks("cannot reach")
            .stdout_empty();
    }
}

#[test]
fn manifests_refuse_formats_other_than_yaml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("msv.toml"), "[service]\nname = \"shop\"\n").unwrap();
    Test::new()
        .args(&["manifests", "--image", "r/shop:1", "-o", "json"])
        .current_dir(dir.path())
        .run()
        .status(2)
        .stderr_has("`msv manifests` cannot print `-o json`; use one of: yaml")
        .stdout_empty();
    Test::new()
        .args(&["manifests", "--image", "r/shop:1", "-o", "yaml"])
        .current_dir(dir.path())
        .run()
        .status(0)
        .stdout_has("kind: Deployment");
}

#[test]
fn traces_show_names_both_ways_to_pick_a_trace() {
    Test::new()
        .args(&["traces", "show"])
        .run()
        .status(2)
        .stderr_has("required arguments were not provided")
        .stderr_has("<TRACE_ID|--file <PATH>>");
    Test::new()
        .args(&["traces", "show", "abc", "--file", "trace.json"])
        .run()
        .status(2)
        .stderr_has("cannot be used with '--file <PATH>'");
}

#[test]
fn zero_timeouts_and_limits_are_refused() {
    for args in [
        &["deploy", "--timeout", "0s"][..],
        &["rollback", "--timeout", "0ms"],
        &["status", "--probe-timeout", "0s"],
    ] {
        Test::new()
            .args(args)
            .run()
            .status(2)
            .stderr_has("is zero, so it would time out at once; use e.g. 30s");
    }
    for args in [
        &["history", "--limit", "0"][..],
        &["traces", "x", "--limit", "0"],
    ] {
        Test::new()
            .args(args)
            .run()
            .status(2)
            .stderr_has("invalid value '0' for '--limit <N>': the limit must be at least 1");
    }
    Test::new()
        .args(&["history", "--limit", "many"])
        .run()
        .status(2)
        .stderr_has("`many` is not a whole number");
}

#[test]
fn scripts_refuse_data_formats() {
    for (command, format) in [(&["completions", "bash"][..], "json"), (&["man"], "yaml")] {
        Test::new()
            .args(command)
            .args(&["-o", format])
            .run()
            .status(2)
            .stderr_has(&format!(
                "`msv {}` cannot print `-o {format}`; use one of: text",
                command[0]
            ))
            .stdout_empty();
    }
}

/// An HTTP server on 127.0.0.1 that answers every request with an HTML page, like a proxy's
/// login page; it stops when dropped.
struct HtmlServer {
    addr: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HtmlServer {
    fn start() -> HtmlServer {
        use std::io::{Read as _, Write as _};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = stop.clone();
        let thread = std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut conn, _)) => {
                        conn.set_nonblocking(false).unwrap();
                        let mut buf = [0u8; 4096];
                        let _ = conn.read(&mut buf);
                        let body = "<html>please log in</html>";
                        let _ = write!(
                            conn,
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
                }
            }
        });
        HtmlServer {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for HtmlServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn a_server_that_is_not_kubernetes_is_named_as_such() {
    let server = HtmlServer::start();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n\
             clusters: [{{name: c, cluster: {{server: \"http://{}\"}}}}]\n\
             users: [{{name: u, user: {{token: t}}}}]\n\
             contexts: [{{name: c, context: {{cluster: c, user: u}}}}]\n",
            server.addr
        ),
    )
    .unwrap();
    Test::new()
        .args(&["history", "orders"])
        .env("KUBECONFIG", &kubeconfig)
        .run()
        .status(2)
        .stderr_has("answered with something msv cannot read as Kubernetes JSON")
        .stderr_has("not a proxy or a login page")
        .stderr_lacks("cannot reach");
}

#[test]
fn a_dry_run_names_a_damaged_image_record() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("msv.toml"), "[service]\nname = \"shop\"\n").unwrap();
    std::fs::create_dir(dir.path().join(".msv")).unwrap();
    std::fs::write(dir.path().join(".msv/image.json"), "{broken").unwrap();
    let kubeconfig = unreachable_cluster(dir.path());
    Test::new()
        .args(&["deploy", "--dry-run"])
        .env("KUBECONFIG", &kubeconfig)
        .current_dir(dir.path())
        .run()
        .status(2)
        .stderr_has(".msv/image.json: not a record msv wrote; delete it and build again")
        .stderr_lacks("a dry run does not build");
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".msv/image.json")).unwrap(),
        "{broken",
        "the record is left as it was"
    );
}

#[test]
fn replicas_beyond_what_kubernetes_allows_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("msv.toml"), "[service]\nname = \"shop\"\n").unwrap();
    for command in ["deploy", "manifests"] {
        Test::new()
            .args(&[command, "--image", "r/shop:1", "--replicas", "3000000000"])
            .current_dir(dir.path())
            .run()
            .status(2)
            .stderr_has("`3000000000` is more replicas than Kubernetes allows (at most 2147483647)")
            .stdout_empty();
    }
    // The same number in msv.toml (here through its environment variable).
    Test::new()
        .args(&["manifests", "--image", "r/shop:1"])
        .env("MSV_SERVICE_REPLICAS", "3000000000")
        .current_dir(dir.path())
        .run()
        .status(2)
        .stderr_has("MSV_SERVICE_REPLICAS=\"3000000000\" is invalid: 3000000000 is more than Kubernetes allows")
        .stdout_empty();
    Test::new()
        .args(&["manifests", "--image", "r/shop:1", "--replicas", "3"])
        .current_dir(dir.path())
        .run()
        .status(0)
        .stdout_has("replicas: 3");
}

#[test]
fn an_autoscaler_that_cannot_work_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let toml = "[service]\nname = \"shop\"\n\n[deploy.autoscaling]\nenabled = true\nmin_replicas = 5\nmax_replicas = 2\n";
    std::fs::write(dir.path().join("msv.toml"), toml).unwrap();
    Test::new()
        .args(&["manifests", "--image", "r/shop:1"])
        .current_dir(dir.path())
        .run()
        .status(2)
        .stderr_has("min_replicas (5) is more than its max_replicas (2)")
        .stderr_has("deploy.autoscaling.min_replicas from ")
        .stderr_has("msv.toml:6:1")
        .stdout_empty();
    Test::new()
        .args(&["manifests", "--image", "r/shop:1"])
        .env("MSV_DEPLOY_AUTOSCALING_MAX_REPLICAS", "3000000000")
        .env("MSV_DEPLOY_AUTOSCALING_MIN_REPLICAS", "2")
        .current_dir(dir.path())
        .run()
        .status(2)
        .stderr_has("MSV_DEPLOY_AUTOSCALING_MAX_REPLICAS=\"3000000000\" is invalid: 3000000000 is more than Kubernetes allows")
        .stdout_empty();
    Test::new()
        .args(&["manifests", "--image", "r/shop:1"])
        .env("MSV_DEPLOY_AUTOSCALING_MIN_REPLICAS", "2")
        .current_dir(dir.path())
        .run()
        .status(0)
        .stdout_has("kind: HorizontalPodAutoscaler")
        .stdout_has("minReplicas: 2")
        .stdout_has("maxReplicas: 2");
}

#[test]
fn an_untrusted_server_certificate_is_named_as_such() {
    let cluster = crate::fake_api::FakeCluster::start();
    let dir = tempfile::tempdir().unwrap();
    // The same cluster, but the kubeconfig no longer carries the CA that signed its certificate.
    let kubeconfig = std::fs::read_to_string(cluster.kubeconfig_path()).unwrap();
    let untrusting: String = kubeconfig
        .lines()
        .filter(|l| !l.contains("certificate-authority-data"))
        .map(|l| format!("{l}\n"))
        .collect();
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, untrusting).unwrap();
    Test::new()
        .args(&["status"])
        .env("KUBECONFIG", &path)
        .current_dir(dir.path())
        .run()
        .status(2)
        .stderr_has("presented a TLS certificate msv does not trust")
        .stderr_has("certificate-authority")
        .stderr_lacks("cannot reach");
}

#[test]
fn build_names_a_damaged_image_record_before_building() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("msv.toml"), "[service]\nname = \"shop\"\n").unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::create_dir(dir.path().join(".msv")).unwrap();
    std::fs::write(dir.path().join(".msv/image.json"), "{broken").unwrap();
    // No engine is asked: the record is checked first.
    Test::new()
        .args(&["build"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .current_dir(dir.path())
        .run()
        .status(2)
        .stderr_has(".msv/image.json: not a record msv wrote; delete it and build again")
        .stderr_lacks("engine");
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".msv/image.json")).unwrap(),
        "{broken"
    );
}

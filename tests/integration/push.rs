//! `msv push` to real registries (Debian's docker-registry) that each test starts on
//! 127.0.0.1:0, with and without htpasswd basic auth; the digest is pulled back.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

use crate::build::{Built, Service, docker, ready};

use crate::support::Test;

/// A secret that must never appear in any output.
const SENTINEL: &str = "SENTINEL-s3cret-7f1e";
const USER: &str = "msv-user";

/// A registry process on 127.0.0.1, stopped on drop (and by `timeout` if the test dies).
struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a registry; with `password`, it requires basic auth for `USER`.
    fn start(password: Option<&str>) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: 127.0.0.1:0\n  secret: msv-test\n",
            dir.path().join("data").display()
        );
        if let Some(password) = password {
            let htpasswd = dir.path().join("htpasswd");
            let out = Command::new("htpasswd")
                .args(["-Bbn", USER, password])
                .output()
                .expect("htpasswd");
            assert!(out.status.success());
            std::fs::write(&htpasswd, out.stdout).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: msv-test\n    path: {}\n",
                htpasswd.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let mut child = Command::new("timeout")
            .args(["300", "docker-registry", "serve"])
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting docker-registry (run tests/ci/setup-docker.sh)");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(at) = line.find("listening on 127.0.0.1:") {
                    let port: String = line[at + 23..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    let _ = tx.send(port.parse::<u16>().unwrap());
                    sent = true;
                }
            }
        });
        let port = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the registry never listened");
        Registry {
            child,
            port,
            _dir: dir,
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Deserialize)]
struct Pushed {
    reference: String,
    digest: String,
    pinned: String,
}

/// Writes `<home>/.docker/config.json` with a login for `registry`.
fn login(test: &Test, registry: &str, password: &str) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"));
    let dir = test.home().join(".docker");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        format!(r#"{{"auths":{{"{registry}":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
}

/// The base image and the registry programs are there (skip or, under
/// MSV_REQUIRE_DOCKER=1, fail otherwise).
#[track_caller]
fn registry_ready(test: &str) -> bool {
    if !ready(test) {
        return false;
    }
    let installed = ["docker-registry", "htpasswd"].iter().all(|program| {
        Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !installed {
        if std::env::var("MSV_REQUIRE_DOCKER").is_ok_and(|v| v == "1") {
            panic!("{test}: docker-registry or htpasswd is missing; run tests/ci/setup-docker.sh");
        }
        eprintln!(
            "skipping {test}: docker-registry or htpasswd is missing; run tests/ci/setup-docker.sh"
        );
    }
    installed
}

fn small_service(name: &str, registry: &str) -> Service {
    Service::new(
        name,
        registry,
        &[(
            "Dockerfile",
            "FROM msv-test/busybox:1\nRUN echo pushed > /mark\n",
        )],
    )
}

#[test]
fn push_without_auth_records_the_digest_and_pulls_back() {
    if !registry_ready("push_without_auth_records_the_digest_and_pulls_back") {
        return;
    }
    let registry = Registry::start(None);
    let service = small_service("it-push-open", &registry.host());
    let built: Built = service.build(&["-o", "json"]).run().status(0).stdout_json();
    let run = Test::new()
        .args(&["push", "-o", "json"])
        .current_dir(service.path())
        .run()
        .status(0);
    let pushed: Pushed = run.stdout_json();
    assert_eq!(pushed.reference, built.reference);
    assert!(
        pushed.digest.starts_with("sha256:") && pushed.digest.len() == 71,
        "{}",
        pushed.digest
    );
    assert_eq!(
        pushed.pinned,
        format!("{}@{}", service.repository, pushed.digest)
    );

    let record = service.record().unwrap();
    assert_eq!(record["pushed"]["pinned"], pushed.pinned.as_str());
    assert_eq!(record["pushed"]["image_id"], built.id.as_str());
    assert_eq!(
        record["built"]["id"],
        built.id.as_str(),
        "push keeps the build record"
    );

    // The registry serves exactly that digest.
    let _ = docker(&["image", "rm", "-f", &pushed.pinned]);
    docker(&["pull", "-q", &pushed.pinned]).expect("pulling the pushed digest back");
    let id = docker(&["image", "inspect", "--format", "{{.Id}}", &pushed.pinned]).unwrap();
    assert_eq!(id, built.id);

    // Text output is the pinned reference alone on stdout.
    Test::new()
        .args(&["push"])
        .current_dir(service.path())
        .run()
        .status(0)
        .stdout_is(&format!("{}\n", pushed.pinned));
}

#[test]
fn push_with_basic_auth_never_prints_the_secret() {
    if !registry_ready("push_with_basic_auth_never_prints_the_secret") {
        return;
    }
    let registry = Registry::start(Some(SENTINEL));
    let service = small_service("it-push-auth", &registry.host());
    service.build(&[]).run().status(0);

    // No credentials: the registry says 401.
    Test::new()
        .args(&["push"])
        .current_dir(service.path())
        .run()
        .status(2)
        .stderr_has(&format!(
            "the registry {} refused the credentials",
            registry.host()
        ))
        .stderr_has("docker login");

    // Wrong password: refused, and the password given is not echoed.
    let wrong = format!("{SENTINEL}-wrong");
    let test = Test::new()
        .args(&["push", "-v"])
        .current_dir(service.path());
    login(&test, &registry.host(), &wrong);
    let run = test.run().status(2).stderr_has("refused the credentials");
    assert!(
        !run.stderr().contains(SENTINEL) && !run.stdout().contains(SENTINEL),
        "secret leaked"
    );

    // Right password: pushed, nothing secret in any output, verbose or not.
    for verbose in [false, true] {
        let args: &[&str] = if verbose {
            &["push", "-v", "-o", "json"]
        } else {
            &["push", "-o", "json"]
        };
        let test = Test::new().args(args).current_dir(service.path());
        login(&test, &registry.host(), SENTINEL);
        let run = test.run().status(0);
        let pushed: Pushed = run.stdout_json();
        assert!(pushed.digest.starts_with("sha256:"));
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{SENTINEL}"));
        for text in [run.stdout(), run.stderr()] {
            assert!(
                !text.contains(SENTINEL) && !text.contains(&encoded),
                "secret leaked:\n{text}"
            );
        }
    }
    let record = std::fs::read_to_string(service.path().join(".msv/image.json")).unwrap();
    assert!(!record.contains(SENTINEL), "secret in the record");

    // A credential helper named by credHelpers (then by credsStore) answers instead.
    for key in ["credHelpers", "credsStore"] {
        let test = Test::new()
            .args(&["push", "-v"])
            .current_dir(service.path());
        let bin = test.home().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let asked = test.home().join("asked");
        let helper = bin.join("docker-credential-msvtest");
        std::fs::write(
            &helper,
            format!(
                "#!/bin/sh\n[ \"$1\" = get ] || exit 1\ncat > {}\n\
                 printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{SENTINEL}\"}}' x\n",
                asked.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let docker_dir = test.home().join(".docker");
        std::fs::create_dir_all(&docker_dir).unwrap();
        let config = if key == "credHelpers" {
            format!(r#"{{"credHelpers":{{"{}":"msvtest"}}}}"#, registry.host())
        } else {
            r#"{"credsStore":"msvtest"}"#.to_string()
        };
        std::fs::write(docker_dir.join("config.json"), config).unwrap();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let run = test.env("PATH", path).run().status(0);
        assert_eq!(
            std::fs::read_to_string(&asked).unwrap(),
            registry.host(),
            "{key}: helper asked for the registry"
        );
        for text in [run.stdout(), run.stderr()] {
            assert!(!text.contains(SENTINEL), "{key}: secret leaked:\n{text}");
        }
    }
}

#[test]
fn push_failures_are_clear() {
    if !ready("push_failures_are_clear") {
        return;
    }
    // A registry nobody listens on.
    let service = small_service("it-push-unreachable", "127.0.0.1:1");
    service.build(&[]).run().status(0);
    Test::new()
        .args(&["push"])
        .current_dir(service.path())
        .run()
        .status(2)
        .stderr_has("cannot reach the registry 127.0.0.1:1");
    let record = service.record().unwrap();
    assert!(
        record.get("pushed").is_none(),
        "a failed push records nothing"
    );

    // An invalid name is refused before anything is asked.
    Test::new()
        .args(&["push", "127.0.0.1:1/Not Valid"])
        .current_dir(service.path())
        .run()
        .status(2)
        .stderr_has("is not a valid image reference");
    // A name the engine does not have.
    Test::new()
        .args(&["push", "127.0.0.1:1/it-push-absent:v9"])
        .current_dir(service.path())
        .run()
        .status(2)
        .stderr_has("no image 127.0.0.1:1/it-push-absent:v9 in the Docker engine");
}

#[test]
fn push_before_any_build_says_what_to_do() {
    let service = Service::new(
        "it-push-nothing",
        "127.0.0.1:1",
        &[("Dockerfile", "FROM scratch\n")],
    );
    Test::new()
        .args(&["push"])
        .current_dir(service.path())
        .run()
        .status(2)
        .stderr_has("nothing built yet")
        .stderr_has("msv build");
}

/// `msv deploy` without `--image` builds and pushes first, then runs exactly the pushed
/// digest: the whole path from a Dockerfile to a live color, through the real engine, a
/// real registry and the fake API server.
#[test]
fn deploy_without_image_builds_pushes_and_deploys_the_digest() {
    if !registry_ready("deploy_without_image_builds_pushes_and_deploys_the_digest") {
        return;
    }
    let registry = Registry::start(None);
    let address = format!("127.0.0.1:{}", registry.port);
    let service = small_service("shop", &address);
    let manifest = service.dir.path().join("msv.toml");
    let mut toml = std::fs::read_to_string(&manifest).unwrap();
    toml.push_str(
        "\n[deploy]\ntimeout = \"20s\"\nverify_for = \"200ms\"\nscale_down_delay = \"0s\"\n",
    );
    std::fs::write(&manifest, toml).unwrap();
    // The commit keeps the tree clean, so the tag is the git sha without -dirty.
    assert!(crate::build::git_in(
        service.dir.path(),
        &["commit", "-qam", "deploy settings"]
    ));

    let cluster = crate::fake_api::FakeCluster::start();
    cluster.set_backend_for_image(&format!("{address}/shop*"), |_| {
        crate::fake_api::ProxyResponse::ok("ok")
    });
    let run = Test::new()
        .args(&["deploy", "--create-namespace", "-o", "json"])
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .current_dir(service.dir.path())
        .timeout(std::time::Duration::from_secs(240))
        .run()
        .status(0)
        .stderr_has("built ")
        .stderr_has("pushed ");
    let recorded: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(service.dir.path().join(".msv/image.json")).unwrap(),
    )
    .unwrap();
    let pinned = recorded["pushed"]["pinned"]
        .as_str()
        .expect("push recorded")
        .to_string();
    assert!(
        pinned.starts_with(&format!("{address}/shop@sha256:")),
        "{pinned}"
    );
    assert!(
        run.stdout().contains(&pinned),
        "deploy reports the pinned image: {}",
        run.stdout()
    );
    let live = cluster
        .get("services", "default", "shop")
        .expect("service S");
    let color = live["spec"]["selector"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.ends_with("color"))
        .map(|(_, v)| v.as_str().unwrap().to_string())
        .unwrap();
    let deployment = cluster
        .get("deployments", "default", &format!("shop-{color}"))
        .unwrap();
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"],
        serde_json::json!(pinned)
    );
}

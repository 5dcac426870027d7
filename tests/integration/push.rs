//! `msv push` to real registries (Debian's docker-registry) that each test starts on
//! 127.0.0.1:0, with and without htpasswd basic auth; the digest is pulled back.

use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;

use crate::build::{Built, Service, docker, ready};

use crate::support::Test;

/// A secret that must never appear in any output.
const SENTINEL: &str = "SENTINEL-s3cret-7f1e";
const USER: &str = "msv-user";

/// A registry process on 127.0.0.1, stopped on drop (and by `timeout` if the test dies).
pub(crate) struct Registry {
    child: Child,
    pub(crate) port: u16,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a registry; with `password`, it requires basic auth for `USER`.
    pub(crate) fn start(password: Option<&str>) -> Registry {
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

    pub(crate) fn host(&self) -> String {
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
pub(crate) fn login(test: &Test, registry: &str, password: &str) {
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
pub(crate) fn registry_ready(test: &str) -> bool {
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
    let run = service.push(&["-o", "json"]).run().status(0);
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
    service
        .push(&[])
        .run()
        .status(0)
        .stdout_is(&format!("{}\n", pushed.pinned));

    // manifests without --image renders what was pushed, pinned by digest.
    Test::new()
        .args(&["manifests"])
        .current_dir(service.path())
        .run()
        .status(0)
        .stdout_has(&format!("image: {}", pushed.pinned));
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
    service
        .push(&[])
        .run()
        .status(2)
        .stderr_has(&format!(
            "the registry {} refused the credentials",
            registry.host()
        ))
        .stderr_has("docker login");

    // Wrong password: refused, and the password given is not echoed.
    let wrong = format!("{SENTINEL}-wrong");
    let test = service.push(&["-v"]);
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
        let test = service.push(&["-v"]);
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
    service
        .push(&[])
        .run()
        .status(2)
        .stderr_has("cannot reach the registry 127.0.0.1:1");
    let record = service.record().unwrap();
    assert!(
        record.get("pushed").is_none(),
        "a failed push records nothing"
    );

    // An invalid name is refused before anything is asked.
    service
        .push(&["127.0.0.1:1/Not Valid"])
        .run()
        .status(2)
        .stderr_has("is not a valid image reference");
    // A name the engine does not have.
    service
        .push(&["127.0.0.1:1/it-push-absent:v9"])
        .run()
        .status(2)
        .stderr_has("no image 127.0.0.1:1/it-push-absent:v9 in the Docker engine");
}

#[test]
fn push_without_a_registry_host_says_how_to_set_one() {
    if !ready("push_without_a_registry_host_says_how_to_set_one") {
        return;
    }
    // `[image] repository` with no registry part: the engine would pick Docker Hub.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("msv.toml"),
        "[service]\nname = \"it-push-hub\"\n\n[image]\nrepository = \"it-push-hub\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM msv-test/busybox:1\n").unwrap();
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &["commit", "-qm", "init"],
    ] {
        assert!(crate::build::git_in(dir.path(), args), "git {args:?}");
    }
    let service = Service {
        dir,
        repository: "it-push-hub".into(),
    };
    service.build(&[]).run().status(0);
    service
        .push(&[])
        .run()
        .status(2)
        .stderr_has("names no registry host")
        .stderr_has("Docker Hub (docker.io)")
        .stderr_has(r#"[image] registry = "registry.example.com""#)
        .stderr_has(r#"[image] repository = "registry.example.com/it-push-hub""#)
        .stderr_has("MSV_IMAGE_REPOSITORY");
    assert!(
        service.record().unwrap().get("pushed").is_none(),
        "a failed push records nothing"
    );
}

#[test]
fn push_before_any_build_says_what_to_do() {
    let service = Service::new(
        "it-push-nothing",
        "127.0.0.1:1",
        &[("Dockerfile", "FROM scratch\n")],
    );
    service
        .push(&[])
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

/// A TCP proxy on 127.0.0.1 in front of a registry, so a push can be held in the middle of
/// a layer for as long as a test needs. It passes everything through until `stall` is
/// set; from then on a blob upload (`PATCH /v2/...`) gets its header and some of its body
/// through and then nothing more, so the push can neither finish nor fail, however fast or
/// slow the machine. Dropping the proxy releases and closes every connection.
struct StallingProxy {
    port: u16,
    stall: Arc<AtomicBool>,
    stalled: mpsc::Receiver<()>,
    sockets: Arc<Mutex<Vec<TcpStream>>>,
    released: Arc<(Mutex<bool>, Condvar)>,
}

/// How much of a blob upload's body gets through before the proxy holds it.
const LET_THROUGH: usize = 2 << 20;

impl StallingProxy {
    fn start(upstream: u16) -> StallingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stall = Arc::new(AtomicBool::new(false));
        let sockets = Arc::new(Mutex::new(Vec::<TcpStream>::new()));
        let released = Arc::new((Mutex::new(false), Condvar::new()));
        let (stalled_tx, stalled) = mpsc::channel();
        let (stall2, sockets2, released2) = (stall.clone(), sockets.clone(), released.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if *released2.0.lock().unwrap() {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                {
                    let mut held = sockets2.lock().unwrap();
                    held.push(client.try_clone().unwrap());
                    held.push(server.try_clone().unwrap());
                }
                let up = Pump {
                    from: client.try_clone().unwrap(),
                    to: server.try_clone().unwrap(),
                    stall: stall2.clone(),
                    stalled: stalled_tx.clone(),
                    released: released2.clone(),
                };
                std::thread::spawn(move || up.run());
                std::thread::spawn(move || {
                    let (mut from, mut to) = (server, client);
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(Shutdown::Write);
                });
            }
        });
        StallingProxy {
            port,
            stall,
            stalled,
            sockets,
            released,
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// Client to registry: forwards everything, except that once `stall` is set and a blob
/// upload starts, it stops reading `LET_THROUGH` bytes later, says so, and waits for the
/// proxy to be dropped.
struct Pump {
    from: TcpStream,
    to: TcpStream,
    stall: Arc<AtomicBool>,
    stalled: mpsc::Sender<()>,
    released: Arc<(Mutex<bool>, Condvar)>,
}

impl Pump {
    fn run(mut self) {
        let marker = b"PATCH /v2/";
        let mut buf = vec![0u8; 64 * 1024];
        let mut tail: Vec<u8> = Vec::new();
        let mut budget: Option<usize> = None;
        loop {
            let want = budget.map_or(buf.len(), |left| left.min(buf.len()));
            if want == 0 {
                let _ = self.stalled.send(());
                let (lock, wake) = &*self.released;
                let mut released = lock.lock().unwrap();
                while !*released {
                    released = wake.wait(released).unwrap();
                }
                return;
            }
            let n = match self.from.read(&mut buf[..want]) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if self.to.write_all(&buf[..n]).is_err() {
                break;
            }
            match budget.as_mut() {
                Some(left) => *left -= n,
                None if self.stall.load(Ordering::SeqCst) => {
                    tail.extend_from_slice(&buf[..n]);
                    if tail.windows(marker.len()).any(|w| w == marker) {
                        budget = Some(LET_THROUGH);
                    }
                    let keep = tail.len().saturating_sub(marker.len());
                    tail.drain(..keep);
                }
                None => {}
            }
        }
        let _ = self.to.shutdown(Shutdown::Write);
    }
}

impl Drop for StallingProxy {
    fn drop(&mut self) {
        let (lock, wake) = &*self.released;
        *lock.lock().unwrap() = true;
        wake.notify_all();
        for socket in self.sockets.lock().unwrap().iter() {
            let _ = socket.shutdown(Shutdown::Both);
        }
        // Wakes the accept loop so that it sees the release.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Writes `len` bytes that no compressor can shrink (xorshift), so a layer made of them
/// stays as large on the wire as on disk.
fn incompressible(path: &std::path::Path, len: usize) {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut data = Vec::with_capacity(len);
    while data.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.extend_from_slice(&state.to_le_bytes());
    }
    data.truncate(len);
    std::fs::write(path, data).unwrap();
}

/// Ctrl-C while a layer is on its way to the registry: msv stops at once with 130, says
/// so, and the record still holds the previous push, whole.
#[test]
fn push_interrupted_exits_130_and_keeps_the_previous_record() {
    if !registry_ready("push_interrupted_exits_130_and_keeps_the_previous_record") {
        return;
    }
    let registry = Registry::start(None);
    let proxy = StallingProxy::start(registry.port);
    let service = small_service("it-push-sigint", &proxy.host());
    service.build(&[]).run().status(0);
    let first: Pushed = service.push(&["-o", "json"]).run().status(0).stdout_json();
    let before = std::fs::read_to_string(service.path().join(".msv/image.json")).unwrap();

    // A new image with a 32 MiB layer, more than the socket buffers between the engine
    // and the proxy can hold, so the held upload cannot complete behind the proxy's back.
    incompressible(&service.path().join("big"), 32 << 20);
    std::fs::write(
        service.path().join("Dockerfile"),
        "FROM msv-test/busybox:1\nRUN echo pushed > /mark\nCOPY big /big\n",
    )
    .unwrap();
    let rebuilt: Built = service.build(&["-o", "json"]).run().status(0).stdout_json();
    let before: serde_json::Value = serde_json::from_str(&before).unwrap();
    assert_ne!(before["built"]["id"], rebuilt.id.as_str());

    proxy.stall.store(true, Ordering::SeqCst);
    let mut child = service.push(&["-v"]).command().spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // The upload is held by the proxy and msv has shown the layer being sent.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen: Vec<String> = Vec::new();
    let mut held = false;
    while !(held && seen.iter().any(|l| l == "Pushing")) {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the push never reached its held upload (held: {held}): {seen:?}");
        }
        held = held || proxy.stalled.try_recv().is_ok();
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push(line);
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("msv ended before it was interrupted ({status}): {seen:?}");
        }
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline + Duration::from_secs(20) {
            let _ = child.kill();
            panic!("msv did not stop after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130), "{seen:?}");
    let rest: Vec<String> = rx.iter().collect();
    assert!(
        rest.iter().any(|l| l.contains("push interrupted")),
        "{rest:?}"
    );

    // The record is whole and still names the first push; the new build is still there to push.
    let record = service.record().expect("the record survives");
    assert_eq!(record["pushed"]["digest"], first.digest.as_str());
    assert_eq!(record["pushed"]["pinned"], first.pinned.as_str());
    assert_eq!(record["built"]["id"], rebuilt.id.as_str());
    let mut left: Vec<String> = std::fs::read_dir(service.path().join(".msv"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [".gitignore", "image.json"],
        "no temporary files left"
    );
}

//! Building and running the generated services with real toolchains (MSV_TOOLCHAIN_TESTS=1):
//! Python with packages from PyPI in a venv cached under target/, Go 1.19 with the modules
//! Debian packages (GOPATH mode: no module proxy is reachable), Node with Debian's Express.
//! Where a package cannot be had here, a stand-in is used and the test says so loudly.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::generate;
use super::probe::{Service, get, run_step, wait_for};

/// Whether the slow toolchain tests run; prints why not otherwise.
pub(crate) fn toolchain_tests(test: &str) -> bool {
    if std::env::var("MSV_TOOLCHAIN_TESTS").as_deref() == Ok("1") {
        return true;
    }
    eprintln!(
        "{test}: skipped: set MSV_TOOLCHAIN_TESTS=1 to build and run generated services (CI does)"
    );
    false
}

fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// A venv with the generated project's requirements-dev.txt, cached under target/ by the
/// content of its requirement files so a changed pin makes a new one.
pub(crate) fn python_venv(project: &Path) -> PathBuf {
    // Tests of one process that need the same requirements would otherwise make (and
    // remove) the same folder at once.
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    let mut key = fs::read(project.join("requirements.txt")).unwrap();
    key.extend(fs::read(project.join("requirements-dev.txt")).unwrap());
    // FNV-1a: a stable name for the cache folder, not a security boundary.
    let hash = key.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    });
    let venv = cache_dir().join(format!("pyvenv-{hash:016x}"));
    let complete = venv.join(".complete");
    if complete.exists() {
        return venv;
    }
    let _ = fs::remove_dir_all(&venv);
    run_step(
        "python3 -m venv",
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
    );
    run_step(
        "pip install -r requirements-dev.txt",
        Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "-r", "requirements-dev.txt"])
            .current_dir(project),
    );
    fs::write(complete, "").unwrap();
    venv
}

#[test]
fn python_fastapi_service_runs() {
    if !toolchain_tests("python_fastapi_service_runs") {
        return;
    }
    let (_tmp, dir) = generate("python-fastapi", "orders", &[]);
    let venv = python_venv(&dir);
    let python = venv.join("bin/python");
    run_step(
        "python-fastapi: pytest",
        Command::new(&python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .current_dir(&dir),
    );
    let mut cmd = Command::new(&python);
    cmd.args(["-m", "app"]);
    Service::start_exporting("python-fastapi", cmd, &dir).check_all("/api/v1/items/{item_id}");
}

const GO_SHIM: &str = include_str!("go_shim_otlptracehttp.go");

#[test]
fn go_http_service_builds_and_runs() {
    if !toolchain_tests("go_http_service_builds_and_runs") {
        return;
    }
    let (tmp, dir) = generate("go-http", "orders", &[]);
    eprintln!(
        "*** go-http: built with Debian's Go and Debian's modules (client_golang, OpenTelemetry API/SDK 1.1.0) \
         in GOPATH mode; the OTLP exporter package is a STAND-IN (Debian does not package it) ***"
    );
    let shim = tmp
        .path()
        .join("gopath/src/go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp");
    fs::create_dir_all(&shim).unwrap();
    fs::write(shim.join("shim.go"), GO_SHIM).unwrap();
    let go = |args: &[&str]| {
        let mut cmd = Command::new(if args[0] == "gofmt" { "gofmt" } else { "go" });
        cmd.args(if args[0] == "gofmt" { &args[1..] } else { args })
            .current_dir(&dir)
            .env("GO111MODULE", "off")
            .env(
                "GOPATH",
                format!("/usr/share/gocode:{}", tmp.path().join("gopath").display()),
            )
            .env("GOCACHE", cache_dir().join("go-build"))
            .env("GOFLAGS", "")
            .env("GOPROXY", "off");
        cmd
    };
    let unformatted = run_step("go-http: gofmt -l", &mut go(&["gofmt", "-l", "."]));
    assert!(
        unformatted.trim().is_empty(),
        "gofmt would change: {unformatted}"
    );
    run_step("go-http: go vet", &mut go(&["vet", "."]));
    run_step("go-http: go test", &mut go(&["test", "."]));
    run_step(
        "go-http: go build",
        &mut go(&["build", "-o", "orders", "."]),
    );
    Service::start("go-http", Command::new(dir.join("orders")), &dir)
        .check_all("/api/v1/items/{id}");
}

/// The npm packages Debian does not have, as stand-ins (see generated/node_shims/README.md).
const NODE_SHIMS: &[(&str, &str)] = &[
    ("prom-client", include_str!("node_shims/prom-client.js")),
    ("@opentelemetry/api", include_str!("node_shims/otel-api.js")),
    (
        "@opentelemetry/sdk-trace-node",
        include_str!("node_shims/otel-sdk-trace-node.js"),
    ),
    (
        "@opentelemetry/resources",
        include_str!("node_shims/otel-resources.js"),
    ),
    (
        "@opentelemetry/exporter-trace-otlp-http",
        include_str!("node_shims/otel-exporter-trace-otlp-http.js"),
    ),
];

#[test]
fn node_express_service_runs() {
    if !toolchain_tests("node_express_service_runs") {
        return;
    }
    let (tmp, dir) = generate("node-express", "orders", &[]);
    eprintln!(
        "*** node-express: runs with Debian's real Express, but prom-client and @opentelemetry/* are \
         STAND-INS (no npm registry here, not packaged by Debian): tests/integration/generated/node_shims ***"
    );
    let shims = tmp.path().join("node_shims");
    for (name, source) in NODE_SHIMS {
        fs::create_dir_all(shims.join(name)).unwrap();
        fs::write(shims.join(name).join("index.js"), source).unwrap();
    }
    let node_path = format!("{}:/usr/share/nodejs", shims.display());
    for f in super::files(&dir).iter().filter(|f| f.ends_with(".js")) {
        run_step(
            &format!("node-express: node --check {f}"),
            Command::new("node").args(["--check", f]).current_dir(&dir),
        );
    }
    let node = |args: &[&str]| {
        let mut cmd = Command::new("node");
        cmd.args(args)
            .current_dir(&dir)
            .env("NODE_PATH", &node_path);
        cmd
    };
    run_step("node-express: node --test", &mut node(&["--test", "test/"]));
    Service::start("node-express", node(&["src/server.js"]), &dir).check_all("/api/v1/items/:id");
}

const PYTHON_BASE_IMAGE: &str = "python:3.11-slim-bookworm";

/// Whether a Docker engine answers; a failure when MSV_REQUIRE_DOCKER=1, else a printed skip.
fn docker_available(test: &str) -> bool {
    let ok = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("MSV_REQUIRE_DOCKER").as_deref() != Ok("1"),
            "{test}: MSV_REQUIRE_DOCKER=1 but no Docker engine answers"
        );
        eprintln!("{test}: skipped: no Docker engine reachable");
    }
    ok
}

#[test]
fn python_fastapi_image_builds_and_serves() {
    let test = "python_fastapi_image_builds_and_serves";
    if !toolchain_tests(test) || !docker_available(test) {
        return;
    }
    let base = Command::new("docker")
        .args(["image", "inspect", PYTHON_BASE_IMAGE])
        .output()
        .unwrap();
    assert!(
        base.status.success(),
        "{PYTHON_BASE_IMAGE} is missing: run tests/ci/setup-base-images.sh"
    );

    let (_tmp, dir) = generate("python-fastapi", "orders", &[]);
    let tag = format!("msv-test/python-fastapi:{}", std::process::id());
    let started = Instant::now();
    run_step(
        "python-fastapi: docker build",
        Command::new("docker")
            .args(["build", "-q", "-t", &tag, "."])
            .current_dir(&dir),
    );
    eprintln!(
        "python-fastapi: image built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let image = Image(tag.clone());

    let user = run_step(
        "docker inspect",
        Command::new("docker").args([
            "image",
            "inspect",
            "-f",
            "{{.Config.User}} {{json .Config.ExposedPorts}}",
            &tag,
        ]),
    );
    assert!(
        user.starts_with("10001 ") && user.contains("8080/tcp"),
        "image runs as {user}"
    );

    let id = run_step(
        "docker run",
        Command::new("docker").args([
            "run",
            "-d",
            "--rm",
            "-p",
            "127.0.0.1:0:8080",
            "-e",
            "SHUTDOWN_DELAY_SECONDS=1",
            &tag,
        ]),
    );
    let container = Container(id.trim().to_string());
    let mapped = run_step(
        "docker port",
        Command::new("docker").args(["port", &container.0, "8080/tcp"]),
    );
    let port = mapped
        .lines()
        .find_map(|l| l.strip_prefix("127.0.0.1:"))
        .expect("no 127.0.0.1 port mapping");
    let base_url = format!("http://127.0.0.1:{}", port.trim());
    let logs = || {
        run_step(
            "docker logs",
            Command::new("docker").args(["logs", &container.0]),
        )
    };
    if let Err(e) = wait_for(&format!("{base_url}/healthz"), 200, Duration::from_secs(60)) {
        panic!("{e}\n{}", logs());
    }
    assert_eq!(
        get(&format!("{base_url}/readyz"), &[]).map(|r| r.0),
        Some(200),
        "{}",
        logs()
    );
    // The container serves what msv deploy's analysis reads.
    for _ in 0..3 {
        assert_eq!(
            get(&format!("{base_url}/api/v1/items/424242"), &[]).map(|r| r.0),
            Some(404)
        );
    }
    let (_, metrics) = get(&format!("{base_url}/metrics"), &[]).expect("no /metrics");
    assert_eq!(
        super::probe::counted_by_msv(&metrics, "/api/v1/items/{item_id}"),
        (3.0, 0.0, true),
        "{metrics}"
    );
    run_step(
        "docker stop",
        Command::new("docker").args(["stop", "-t", "20", &container.0]),
    );
    drop(container);
    drop(image);
}

/// Removes the test's image when the test ends, however it ends.
struct Image(String);

impl Drop for Image {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["image", "rm", "-f", &self.0])
            .output();
    }
}

/// Removes the test's container when the test ends, however it ends.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

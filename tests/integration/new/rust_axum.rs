//! The rust-axum template: a snapshot of everything it generates, and (with
//! `MSV_TOOLCHAIN_TESTS=1`) the generated service built with cargo, run and probed, and its
//! image built and run with the real Docker engine.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::generated::collector::{self, Collector};
use crate::support::{Test, docker_available, repo_root};

/// Generates rust-axum as `name` under `parent`, with a fixed author.
fn generate(parent: &Path, name: &str) -> PathBuf {
    Test::new()
        .args(&["new", name, "--template", "rust-axum"])
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "user.name")
        .env("GIT_CONFIG_VALUE_0", "Ada Lovelace")
        .current_dir(parent)
        .run()
        .status(0);
    parent.join(name)
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in walk(dir) {
        out.push(e.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        // The lineage under .msv/ repeats the files; update.rs tests it.
        if p.ends_with(".msv") {
            continue;
        }
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[test]
fn rust_axum_tree_and_files_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = generate(tmp.path(), "orders");
    let files = files_under(&dir);
    let mut text = format!("{}\n", files.join("\n"));
    for f in &files {
        let body = std::fs::read_to_string(dir.join(f)).unwrap();
        if f == "Cargo.lock" {
            // Thousands of lines of checksums; what matters is that it names this package.
            assert!(
                body.contains("\n[[package]]\nname = \"orders\"\nversion = \"0.1.0\"\n"),
                "Cargo.lock names the service"
            );
            continue;
        }
        text.push_str(&format!("\n===== {f} =====\n{body}"));
    }
    let year = jiff::Zoned::now().year().to_string();
    let tmp_path = regex::escape(&tmp.path().display().to_string());
    insta::with_settings!({filters => vec![
        (tmp_path.as_str(), "[TEMP]"),
        ("Ada Lovelace", "[AUTHOR]"),
        (year.as_str(), "[YEAR]"),
    ]}, {
        insta::assert_snapshot!("rust_axum_generated", text);
    });
    let ci = std::fs::read(dir.join(".github/workflows/ci.yml")).unwrap();
    let source =
        std::fs::read(repo_root().join("templates/rust-axum/.github/workflows/ci.yml")).unwrap();
    assert_eq!(ci, source, "the CI workflow is copied byte for byte");
    assert!(
        String::from_utf8(ci)
            .unwrap()
            .contains("${{ hashFiles('Cargo.lock') }}")
    );
}

#[test]
fn rust_axum_port_and_ci_are_variables() {
    let tmp = tempfile::tempdir().unwrap();
    Test::new()
        .args(&[
            "new",
            "billing",
            "-t",
            "rust-axum",
            "--set",
            "port=9300",
            "--set",
            "with_ci=false",
        ])
        .current_dir(tmp.path())
        .run()
        .status(0)
        .stdout_lacks(".github");
    let dir = tmp.path().join("billing");
    assert!(!dir.join(".github").exists());
    let settings = std::fs::read_to_string(dir.join("src/settings.rs")).unwrap();
    assert!(
        settings.contains("pub const DEFAULT_PORT: u16 = 9300;"),
        "{settings}"
    );
    let msv = std::fs::read_to_string(dir.join("msv.toml")).unwrap();
    assert!(msv.contains("name = \"billing\"\nport = 9300\n"), "{msv}");
    assert!(
        std::fs::read_to_string(dir.join("Dockerfile"))
            .unwrap()
            .contains("EXPOSE 9300")
    );
}

/// Whether the slow toolchain tests run; prints why not.
pub(crate) fn toolchain_tests(test: &str) -> bool {
    let on = std::env::var("MSV_TOOLCHAIN_TESTS").is_ok_and(|v| v == "1");
    if !on {
        eprintln!(
            "skipping {test}: set MSV_TOOLCHAIN_TESTS=1 to build and run the generated service (slow on a cold cargo cache)"
        );
    }
    on
}

/// One cargo target folder for every generated Rust service, kept between runs.
fn shared_target() -> PathBuf {
    repo_root().join("target").join("generated")
}

/// Kills the service if a check fails half-way.
struct Service {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    fn start(bin: &Path, extra: &[(&str, &str)]) -> Service {
        let mut cmd = Command::new(bin);
        cmd.env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting the service");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Service {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a log line containing `needle`, returning it.
    fn wait_for(&mut self, needle: &str) -> String {
        if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!(
            "no log line containing {needle:?}; saw:\n{}",
            self.seen.join("\n")
        );
    }
}

fn port_of(listening: &str) -> u16 {
    let v: serde_json::Value = serde_json::from_str(listening).expect("JSON log line");
    v["port"].as_u64().expect("port field") as u16
}

fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let url = format!("http://127.0.0.1:{port}{path}");
    crate::generated::probe::get(&url, headers).unwrap_or_else(|| panic!("GET {url} failed"))
}

pub(crate) fn cargo(dir: &Path, args: &[&str]) {
    let started = Instant::now();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_target())
        .env_remove("RUSTFLAGS")
        .status()
        .expect("running cargo");
    assert!(
        status.success(),
        "cargo {args:?} failed in {}",
        dir.display()
    );
    eprintln!(
        "cargo {} took {:.1}s",
        args.join(" "),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn rust_axum_service_builds_runs_and_shuts_down_gracefully() {
    if !toolchain_tests("rust_axum_service_builds_runs_and_shuts_down_gracefully") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = generate(tmp.path(), "orders");
    cargo(&dir, &["test", "--locked", "--quiet"]);
    cargo(&dir, &["build", "--locked", "--quiet"]);
    let bin = shared_target().join("debug").join("orders");

    let collector = Collector::start();
    let mut svc = Service::start(
        &bin,
        &[
            ("SHUTDOWN_DELAY_SECONDS", "3"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint()),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.version=1.4.2"),
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
        ],
    );
    let port = port_of(&svc.wait_for("\"listening\""));
    assert_eq!(get(port, "/healthz", &[]).0, 200);
    assert_eq!(
        get(port, "/readyz", &[]),
        (200, r#"{"status":"ready"}"#.to_string())
    );

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let traceparent = format!("00-{trace_id}-00f067aa0ba902b7-01");
    let (status, body) = get(port, "/api/v1/items/42", &[("traceparent", &traceparent)]);
    assert_eq!(status, 404);
    assert_eq!(
        body,
        r#"{"error":{"code":"not_found","message":"item 42 does not exist"}}"#
    );
    let line = svc.wait_for(trace_id);
    let log: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
    assert_eq!(log["trace_id"], trace_id, "{line}");
    assert_eq!(log["span_id"].as_str().map(str::len), Some(16), "{line}");
    assert_eq!(log["route"], "/api/v1/items/{id}", "{line}");
    assert_eq!(log["status"], 404, "{line}");
    for _ in 0..3 {
        assert_eq!(get(port, "/api/v1/items/43", &[]).0, 404);
    }

    let (status, metrics) = get(port, "/metrics", &[]);
    assert_eq!(status, 200);
    // What msv deploy's analysis reads of it, through msv's own parser.
    assert_eq!(
        crate::generated::probe::counted_by_msv(&metrics, "/api/v1/items/{id}"),
        (4.0, 0.0, true),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            r#"http_requests_total{method="GET",route="/api/v1/items/{id}",status="404"} 4"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            r#"http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{metrics}"
    );

    let pid = svc.child.id().to_string();
    let signalled = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    svc.wait_for("readiness is now 503");
    assert_eq!(
        get(port, "/readyz", &[]).0,
        503,
        "readiness turns 503 after SIGTERM"
    );
    assert_eq!(
        get(port, "/healthz", &[]).0,
        200,
        "requests are still served during the drain delay"
    );
    let status = svc.child.wait().unwrap();
    assert!(status.success(), "exits cleanly: {status:?}");
    let took = signalled.elapsed();
    assert!(
        took >= Duration::from_secs(3),
        "exited after {took:?}, before the drain delay"
    );
    svc.wait_for("\"stopped\"");

    // Flushed at exit: one trace per request, each with one server span.
    let check = |spans: &[collector::Span]| {
        collector::one_trace_per_request(
            spans,
            "/api/v1/items/",
            4,
            (trace_id, "00f067aa0ba902b7"),
            "1.4.2",
        )
    };
    let spans = collector.wait_until(Duration::from_secs(10), |s| check(s).is_none());
    if let Some(problems) = check(&spans) {
        panic!("exported traces:\n{problems}");
    }
}

fn image_present(tag: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", tag])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn rust_axum_image_builds_and_serves() {
    let name = "rust_axum_image_builds_and_serves";
    if !toolchain_tests(name) || !docker_available(name) {
        return;
    }
    // The runtime stage is `scratch`: only the build stage's image must be here.
    let base = "rust:1-slim-bookworm";
    assert!(
        image_present(base),
        "base image {base} is missing: run tests/ci/setup-rust-image.sh"
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = generate(tmp.path(), "orders-image");
    let tag = format!("msv-test/orders-image:{}", std::process::id());
    let started = Instant::now();
    let out = Command::new("docker")
        .args(["build", "--network", "host", "-t", &tag, "."])
        .current_dir(&dir)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker build failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("docker build took {:.1}s", started.elapsed().as_secs_f64());

    let container = format!("msv-test-orders-{}", std::process::id());
    let run = Command::new("docker")
        .args([
            "run",
            "-d",
            "--rm",
            "--name",
            &container,
            "-p",
            "127.0.0.1::8080",
            "-e",
            "SHUTDOWN_DELAY_SECONDS=0",
            &tag,
        ])
        .output()
        .unwrap();
    struct Cleanup(String, String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
            let _ = Command::new("docker").args(["rmi", "-f", &self.1]).output();
        }
    }
    let _cleanup = Cleanup(container.clone(), tag.clone());
    assert!(
        run.status.success(),
        "docker run: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let port_out = Command::new("docker")
        .args(["port", &container, "8080/tcp"])
        .output()
        .unwrap();
    let mapping = String::from_utf8_lossy(&port_out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    let port: u16 = mapping
        .rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no port mapping: {mapping:?}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ok = std::panic::catch_unwind(|| get(port, "/healthz", &[]));
        match ok {
            Ok((200, body)) => {
                assert_eq!(body, r#"{"status":"ok"}"#);
                break;
            }
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            other => panic!("the container never answered /healthz: {other:?}"),
        }
    }
    // The container serves what msv deploy's analysis reads.
    for _ in 0..3 {
        assert_eq!(get(port, "/api/v1/items/424242", &[]).0, 404);
    }
    let (_, metrics) = get(port, "/metrics", &[]);
    assert_eq!(
        crate::generated::probe::counted_by_msv(&metrics, "/api/v1/items/{id}"),
        (3.0, 0.0, true),
        "{metrics}"
    );
    let user = Command::new("docker")
        .args(["inspect", "--format", "{{.Config.User}}", &tag])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&user.stdout).trim(),
        "10001:10001",
        "runs as a non-root user"
    );
    let size = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Size}}", &tag])
        .output()
        .unwrap();
    let bytes: u64 = String::from_utf8_lossy(&size.stdout)
        .trim()
        .parse()
        .unwrap();
    eprintln!("rust-axum image: {:.1} MB", bytes as f64 / 1e6);
    assert!(
        bytes < 30_000_000,
        "the image is {bytes} bytes; the template promises under 30 MB"
    );
}

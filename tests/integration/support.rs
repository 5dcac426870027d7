//! A small fluent builder that runs the real `msv` executable and checks what it did.
//!
//! ```ignore
//! Test::new().args(&["config", "show", "-o", "json"]).current_dir(dir).run().status(0).stdout_has("service.port");
//! ```
//!
//! Each test runs with a clean environment for msv: its own HOME and XDG_CONFIG_HOME in a
//! temporary directory, no `MSV_*`, `KUBECONFIG`, `NO_COLOR` or `DOCKER_*` leaking in from the
//! developer's shell, and stdin closed (so nothing can prompt).

#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// The msv binary under test.
pub fn msv_bin() -> &'static str {
    env!("CARGO_BIN_EXE_msv")
}

pub struct Test {
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    removed: Vec<OsString>,
    dir: Option<PathBuf>,
    stdin: Option<Vec<u8>>,
    home: tempfile::TempDir,
    timeout: Duration,
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    pub fn new() -> Test {
        Test {
            args: Vec::new(),
            envs: Vec::new(),
            removed: Vec::new(),
            dir: None,
            stdin: None,
            home: tempfile::tempdir().expect("temp home"),
            timeout: Duration::from_secs(120),
        }
    }

    /// A temporary HOME for this run; XDG_CONFIG_HOME is `<home>/.config`.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Test {
        self.args.push(arg.into());
        self
    }

    pub fn args<S: AsRef<std::ffi::OsStr>>(mut self, args: &[S]) -> Test {
        self.args
            .extend(args.iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Test {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Removes a variable that the test harness would otherwise pass through.
    pub fn env_remove(mut self, key: impl Into<OsString>) -> Test {
        self.removed.push(key.into());
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Test {
        self.dir = Some(dir.as_ref().to_path_buf());
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Test {
        self.stdin = Some(input.into());
        self
    }

    /// Kills the process and fails the test if it runs longer than this (default 120 s).
    pub fn timeout(mut self, timeout: Duration) -> Test {
        self.timeout = timeout;
        self
    }

    /// The command that `run` would execute, for tests that need to drive it themselves
    /// (e.g. send a signal mid-run).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(msv_bin());
        cmd.args(&self.args);
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("MSV_") && k != "MSV_REQUIRE_DOCKER" && k != "MSV_TOOLCHAIN_TESTS"
                || ["KUBECONFIG", "NO_COLOR", "XDG_CONFIG_HOME", "DOCKER_CONFIG"]
                    .contains(&k.as_ref())
            {
                cmd.env_remove(&key);
            }
        }
        cmd.env("HOME", self.home.path());
        cmd.env("XDG_CONFIG_HOME", self.home.path().join(".config"));
        for key in &self.removed {
            cmd.env_remove(key);
        }
        for (key, value) in &self.envs {
            cmd.env(key, value);
        }
        if let Some(dir) = &self.dir {
            cmd.current_dir(dir);
        }
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd
    }

    #[track_caller]
    pub fn run(self) -> Run {
        let mut child = self.command().spawn().expect("spawning msv");
        if let Some(input) = &self.stdin {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().expect("piped stdin");
            stdin.write_all(input).expect("writing stdin");
        }
        // Read both pipes while the process runs: a large output would otherwise fill the
        // pipe and block the child forever.
        let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut buf);
                }
                buf
            })
        };
        use std::io::Read as _;
        let stdout = drain(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        );
        let stderr = drain(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        );
        let deadline = std::time::Instant::now() + self.timeout;
        let status = loop {
            if let Some(status) = child.try_wait().expect("waiting for msv") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "msv {:?} ran longer than {:?}\n--- stdout\n{}\n--- stderr\n{}",
                    self.args,
                    self.timeout,
                    String::from_utf8_lossy(&stdout.join().unwrap_or_default()),
                    String::from_utf8_lossy(&stderr.join().unwrap_or_default())
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let output = Output {
            status,
            stdout: stdout.join().expect("stdout reader"),
            stderr: stderr.join().expect("stderr reader"),
        };
        Run {
            args: self.args,
            output,
            _home: self.home,
        }
    }
}

/// The outcome of one run, with assertions that print everything on failure.
pub struct Run {
    args: Vec<OsString>,
    pub output: Output,
    _home: tempfile::TempDir,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    fn describe(&self) -> String {
        format!(
            "msv {:?}\nexit: {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.args,
            self.output.status.code(),
            self.stdout(),
            self.stderr()
        )
    }

    #[track_caller]
    pub fn status(self, code: i32) -> Run {
        assert_eq!(
            self.output.status.code(),
            Some(code),
            "unexpected exit code\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Run {
        assert!(
            self.stdout().contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn stdout_lacks(self, needle: &str) -> Run {
        assert!(
            !self.stdout().contains(needle),
            "stdout has {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Run {
        assert!(
            self.stderr().contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn stderr_lacks(self, needle: &str) -> Run {
        assert!(
            !self.stderr().contains(needle),
            "stderr has {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn stdout_is(self, expected: &str) -> Run {
        assert_eq!(self.stdout(), expected, "\n{}", self.describe());
        self
    }

    #[track_caller]
    pub fn stdout_empty(self) -> Run {
        assert!(
            self.output.stdout.is_empty(),
            "stdout is not empty\n{}",
            self.describe()
        );
        self
    }

    /// Decodes stdout as JSON into a type defined by the test, so a schema change breaks it.
    #[track_caller]
    pub fn stdout_json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.output.stdout).unwrap_or_else(|err| {
            panic!(
                "stdout is not the expected JSON: {err}\n{}",
                self.describe()
            )
        })
    }
}

/// Whether a Docker engine answers. With `MSV_REQUIRE_DOCKER=1` (CI) a missing engine fails
/// the test; otherwise the test is skipped with the reason printed.
#[track_caller]
pub fn docker_available(test: &str) -> bool {
    let ok = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("MSV_REQUIRE_DOCKER").is_ok_and(|v| v == "1") {
            panic!("{test}: no Docker engine reachable and MSV_REQUIRE_DOCKER=1");
        }
        eprintln!(
            "skipping {test}: no Docker engine reachable (set MSV_REQUIRE_DOCKER=1 to make this a failure)"
        );
    }
    ok
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A JSON HTTP/1.1 stand-in on 127.0.0.1:0 for the services msv queries (a trace backend,
/// Prometheus): each request's target (path and query) goes to `answer`, whose status and
/// JSON body are sent back, one request per connection. It stops when dropped.
pub struct JsonStub {
    pub url: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl JsonStub {
    pub fn start(answer: impl Fn(&str) -> (u16, String) + Send + 'static) -> JsonStub {
        use std::io::{BufRead, BufReader, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let one = move |conn: std::net::TcpStream| -> std::io::Result<()> {
            conn.set_read_timeout(Some(Duration::from_secs(10)))?;
            let mut reader = BufReader::new(conn.try_clone()?);
            let mut line = String::new();
            reader.read_line(&mut line)?;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header)? == 0 || header == "\r\n" {
                    break;
                }
            }
            let (status, body) = answer(line.split_whitespace().nth(1).unwrap_or("/"));
            let mut out = conn;
            write!(
                out,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )?;
            out.flush()
        };
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let _ = one(conn);
                }
            }
        });
        JsonStub {
            url,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for JsonStub {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

//! Running msv on a real pseudo-terminal: stdin, stdout and stderr are the terminal, msv
//! leads its own session with it as the controlling terminal, so what it decides from
//! "stdout is a terminal" is exercised, and a Ctrl-C typed into the terminal reaches it as
//! SIGINT through the kernel's line discipline, as it does for a user.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::fd::FromRawFd as _;
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) struct Pty {
    child: Child,
    master: File,
    output: Arc<Mutex<Vec<u8>>>,
}

impl Pty {
    /// Starts `cmd` on a new 50x200 terminal; its output is collected as it comes.
    pub(crate) fn spawn(mut cmd: Command) -> Pty {
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize {
            ws_row: 50,
            ws_col: 200,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two new descriptors into the integers it is given; the
        // name and termios pointers may be null (default line settings: ISIG, ^C = VINTR).
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are owned by nothing else.
        let (master, slave) = unsafe { (File::from_raw_fd(master), File::from_raw_fd(slave)) };
        cmd.stdin(slave.try_clone().expect("dup pty"))
            .stdout(slave.try_clone().expect("dup pty"))
            .stderr(slave);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawning on the pty");
        // The command holds the parent's copies of the terminal's slave side: close them, or
        // reading the master would never see the end.
        drop(cmd);
        let output = Arc::new(Mutex::new(Vec::new()));
        let (sink, mut reader) = (output.clone(), master.try_clone().expect("dup master"));
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Ends with EIO once every process has closed the terminal.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            child,
            master,
            output,
        }
    }

    /// Everything written to the terminal so far (lossy UTF-8).
    pub(crate) fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Waits until `check` holds for the output so far; panics with the output after
    /// `timeout` (a bound against hanging, not a measurement).
    #[track_caller]
    pub(crate) fn wait_until(&self, what: &str, timeout: Duration, check: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            let out = self.output();
            if check(&out) {
                return;
            }
            if Instant::now() > deadline {
                panic!("no {what} on the terminal within {timeout:?}; it shows:\n{out}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types bytes into the terminal (`b"\x03"` is Ctrl-C).
    pub(crate) fn type_in(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("writing to the pty");
    }

    /// Waits for the process to exit; kills it and panics after `timeout`.
    #[track_caller]
    pub(crate) fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "still running after {timeout:?}; the terminal shows:\n{}",
                    self.output()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

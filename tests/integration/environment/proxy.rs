//! A small forward proxy on 127.0.0.1 for the tests: HTTP `CONNECT` tunnels, plain HTTP
//! requests in absolute form, and SOCKS5 (no authentication, `CONNECT` command), on one
//! port. Every host name it is asked for is reached on 127.0.0.1 at the port asked for, so
//! a kubeconfig can name a server `kube.test` that only the proxy can reach. It records
//! what passed through it, and stops when dropped.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One connection the proxy carried: how it was asked and for which `host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passed {
    pub kind: &'static str,
    pub target: String,
}

pub struct CountingProxy {
    port: u16,
    passed: Arc<Mutex<Vec<Passed>>>,
    /// `Proxy-Authorization` values of the HTTP requests it was sent.
    auths: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl CountingProxy {
    pub fn start() -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the test proxy");
        let port = listener.local_addr().unwrap().port();
        let passed = Arc::new(Mutex::new(Vec::new()));
        let auths = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (passed2, auths2, stop2) = (passed.clone(), auths.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let (passed, auths) = (passed2.clone(), auths2.clone());
                    std::thread::spawn(move || {
                        let _ = handle(conn, &passed, &auths);
                    });
                }
            }
        });
        CountingProxy {
            port,
            passed,
            auths,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `socks5://127.0.0.1:PORT`.
    pub fn socks5_url(&self) -> String {
        format!("socks5://127.0.0.1:{}", self.port)
    }

    pub fn passed(&self) -> Vec<Passed> {
        self.passed.lock().unwrap().clone()
    }

    pub fn auths(&self) -> Vec<String> {
        self.auths.lock().unwrap().clone()
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn handle(
    mut client: TcpStream,
    passed: &Mutex<Vec<Passed>>,
    auths: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let mut first = [0u8; 1];
    client.read_exact(&mut first)?;
    if first[0] == 5 {
        return socks5(client, passed);
    }
    // HTTP: read the head byte by byte, so nothing after it is consumed here.
    let mut head = first.to_vec();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        client.read_exact(&mut b)?;
        head.push(b[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let (line, rest) = text.split_once("\r\n").unwrap_or((&text, ""));
    for header in rest.lines() {
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("proxy-authorization")
        {
            auths.lock().unwrap().push(value.trim().to_string());
        }
    }
    let mut parts = line.split_whitespace();
    let (method, uri, version) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or("HTTP/1.1"),
    );
    if method == "CONNECT" {
        let upstream = dial(uri)?;
        record(passed, "connect", uri);
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        return pipe(client, upstream);
    }
    // `GET http://host:port/path`: forwarded in origin form.
    let Some(after) = uri.strip_prefix("http://") else {
        client.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")?;
        return Ok(());
    };
    let (authority, path) = match after.find('/') {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, "/"),
    };
    let target = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let mut upstream = dial(&target)?;
    record(passed, "http", &target);
    upstream.write_all(format!("{method} {path} {version}\r\n{rest}").as_bytes())?;
    pipe(client, upstream)
}

fn socks5(mut client: TcpStream, passed: &Mutex<Vec<Passed>>) -> std::io::Result<()> {
    let mut n = [0u8; 1];
    client.read_exact(&mut n)?;
    let mut methods = vec![0u8; n[0] as usize];
    client.read_exact(&mut methods)?;
    client.write_all(&[5, 0])?;
    let mut req = [0u8; 4];
    client.read_exact(&mut req)?;
    let host = match req[3] {
        1 => {
            let mut a = [0u8; 4];
            client.read_exact(&mut a)?;
            std::net::Ipv4Addr::from(a).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            client.read_exact(&mut len)?;
            let mut name = vec![0u8; len[0] as usize];
            client.read_exact(&mut name)?;
            String::from_utf8_lossy(&name).into_owned()
        }
        4 => {
            let mut a = [0u8; 16];
            client.read_exact(&mut a)?;
            format!("[{}]", std::net::Ipv6Addr::from(a))
        }
        _ => return Ok(()),
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port)?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    let upstream = dial(&target)?;
    record(passed, "socks5", &target);
    client.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])?;
    pipe(client, upstream)
}

/// Every `host:port` is reached at 127.0.0.1:port.
fn dial(target: &str) -> std::io::Result<TcpStream> {
    let port: u16 = target
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no port in {target}")))?;
    TcpStream::connect(("127.0.0.1", port))
}

fn record(passed: &Mutex<Vec<Passed>>, kind: &'static str, target: &str) {
    passed.lock().unwrap().push(Passed {
        kind,
        target: target.to_string(),
    });
}

/// Copies both ways until either side closes.
fn pipe(client: TcpStream, upstream: TcpStream) -> std::io::Result<()> {
    client.set_read_timeout(None)?;
    let (mut c_read, mut u_write) = (client.try_clone()?, upstream.try_clone()?);
    let forward = std::thread::spawn(move || {
        let _ = std::io::copy(&mut c_read, &mut u_write);
        let _ = u_write.shutdown(Shutdown::Write);
    });
    let (mut u_read, mut c_write) = (upstream, client);
    let _ = std::io::copy(&mut u_read, &mut c_write);
    let _ = c_write.shutdown(Shutdown::Both);
    let _ = forward.join();
    Ok(())
}

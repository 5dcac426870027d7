//! Pod addresses the real API server can reach. Its proxy refuses loopback (and link-local)
//! pod IPs, so each test gets a network namespace of its own: a veth pair, a whole
//! 10.250.N.0/24 made local inside the namespace (`ip route add local ... dev lo`, so every
//! pod IP in it answers without an address per pod), a default route back over the veth,
//! and in the root namespace only a route to that /24 via the veth device — no 10.x address
//! there. Linux answers ARP for any local address on any interface, which is what makes
//! that route enough.
//!
//! The pods' HTTP backend is one listener inside the namespace on 0.0.0.0:PORT. It knows
//! which pod a connection is for by the address it was made to, and answers as the test
//! told it for that pod's image: healthy by default, or any status per path.
//!
//! Everything is removed when the `PodNetwork` is dropped, also when the test panics; a
//! namespace left behind by a test process that was killed is removed by the next run.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::collections::HashMap;

use crate::fake_api::ProxyResponse;

/// Answers one request for a pod running some image: `path` includes the query.
pub(crate) type Handler = Arc<dyn Fn(&str) -> ProxyResponse + Send + Sync>;

/// Which image runs at a pod IP, as the simulated node assigned it.
pub(crate) type Lookup = Arc<dyn Fn(Ipv4Addr) -> Option<String> + Send + Sync>;

const PREFIX: &str = "msvk";
static NETWORKS: AtomicU32 = AtomicU32::new(0);

pub(crate) struct PodNetwork {
    netns: String,
    host_if: String,
    /// The first three octets, e.g. `10.250.7`.
    pub(crate) net: String,
    backends: Arc<Mutex<HashMap<String, Handler>>>,
    stop: Arc<AtomicBool>,
    server: Option<std::thread::JoinHandle<()>>,
}

/// Runs `ip ARGS`, returning its stderr on failure.
fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("running ip: {e} (install iproute2)"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Removes namespaces (and their veth pairs) left behind by test processes that are gone.
fn remove_stale() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        let mut parts = name.split('-');
        if parts.next() != Some(PREFIX) {
            continue;
        }
        let (Some(pid), Some(n)) = (parts.next(), parts.next()) else {
            continue;
        };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let _ = ip(&["link", "del", &format!("{PREFIX}{pid}h{n}")]);
        let _ = ip(&["netns", "del", name]);
    }
}

impl PodNetwork {
    /// A new namespace with a backend listening on `port`; `lookup` tells which image runs
    /// at an address. Panics with what to do when network namespaces can't be made.
    pub(crate) fn create(port: u16, lookup: Lookup) -> PodNetwork {
        remove_stale();
        let pid = std::process::id();
        let n = NETWORKS.fetch_add(1, Ordering::SeqCst);
        let netns = format!("{PREFIX}-{pid}-{n}");
        let host_if = format!("{PREFIX}{pid}h{n}");
        let peer_if = format!("{PREFIX}{pid}p{n}");
        let setup = || -> Result<String, String> {
            ip(&["netns", "add", &netns])?;
            ip(&[
                "link", "add", &host_if, "type", "veth", "peer", "name", &peer_if,
            ])?;
            ip(&["link", "set", &peer_if, "netns", &netns])?;
            ip(&["link", "set", &host_if, "up"])?;
            ip(&["-n", &netns, "link", "set", "lo", "up"])?;
            ip(&["-n", &netns, "link", "set", &peer_if, "up"])?;
            ip(&["-n", &netns, "route", "add", "default", "dev", &peer_if])?;
            // A /24 nobody else routes: another test (or test process) may hold some.
            let start = (pid as usize * 31 + n as usize * 7) % 256;
            for i in 0..256 {
                let net = format!("10.250.{}", (start + i) % 256);
                let cidr = format!("{net}.0/24");
                if ip(&["route", "add", &cidr, "dev", &host_if]).is_ok() {
                    ip(&["-n", &netns, "route", "add", "local", &cidr, "dev", "lo"])?;
                    return Ok(net);
                }
            }
            Err("no free /24 in 10.250.0.0/16".into())
        };
        let net = match setup() {
            Ok(net) => net,
            Err(e) => {
                let _ = ip(&["link", "del", &host_if]);
                let _ = ip(&["netns", "del", &netns]);
                panic!(
                    "could not make a network namespace for the pods' backends: {e}\n\
                     The real-control-plane tests need root (CAP_NET_ADMIN) and iproute2: \
                     the API server refuses to proxy to loopback pod addresses."
                );
            }
        };
        let mut pn = PodNetwork {
            netns,
            host_if,
            net,
            backends: Arc::new(Mutex::new(HashMap::new())),
            stop: Arc::new(AtomicBool::new(false)),
            server: None,
        };
        let listener = pn.listen(port);
        let (stop, backends) = (pn.stop.clone(), pn.backends.clone());
        pn.server = Some(std::thread::spawn(move || {
            serve(listener, stop, backends, lookup)
        }));
        pn
    }

    /// A listener bound inside the namespace: a thread enters it, binds, and ends; the
    /// socket stays in the namespace it was made in.
    fn listen(&self, port: u16) -> TcpListener {
        let path = format!("/var/run/netns/{}", self.netns);
        let ns = std::fs::File::open(&path).unwrap_or_else(|e| panic!("opening {path}: {e}"));
        std::thread::spawn(move || {
            // SAFETY: setns only changes this thread's network namespace; the descriptor is
            // open for the duration of the call.
            let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(
                rc,
                0,
                "entering the pods' network namespace: {}",
                std::io::Error::last_os_error()
            );
            let l = TcpListener::bind(("0.0.0.0", port)).expect("binding the pods' backend");
            l.set_nonblocking(true).unwrap();
            l
        })
        .join()
        .expect("the pods' backend could not listen")
    }

    /// How pods running `image` answer (default: 200 "ok" on every path).
    pub(crate) fn set_backend(
        &self,
        image: &str,
        handler: impl Fn(&str) -> ProxyResponse + Send + Sync + 'static,
    ) {
        self.backends
            .lock()
            .unwrap()
            .insert(image.into(), Arc::new(handler));
    }
}

impl Drop for PodNetwork {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.server.take() {
            let _ = h.join();
        }
        // Deleting one end of the pair deletes both, and the route with it.
        if let Err(e) = ip(&["link", "del", &self.host_if]) {
            eprintln!("removing the pods' network: {e}");
        }
        if let Err(e) = ip(&["netns", "del", &self.netns]) {
            eprintln!("removing the pods' network: {e}");
        }
    }
}

fn serve(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    backends: Arc<Mutex<HashMap<String, Handler>>>,
    lookup: Lookup,
) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((conn, _)) => {
                let (backends, lookup) = (backends.clone(), lookup.clone());
                std::thread::spawn(move || {
                    let _ = answer(conn, &backends, &lookup);
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => {
                eprintln!("pods' backend: accept: {e}");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// One HTTP/1.1 request, answered and closed.
fn answer(
    mut conn: TcpStream,
    backends: &Mutex<HashMap<String, Handler>>,
    lookup: &Lookup,
) -> std::io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let path = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_string();
    let to = match conn.local_addr()? {
        SocketAddr::V4(a) => *a.ip(),
        SocketAddr::V6(a) => match a.ip().to_ipv4_mapped() {
            Some(v4) => v4,
            None => return Ok(()),
        },
    };
    let r = match lookup(to) {
        None => ProxyResponse::new(503, format!("no pod at {}", IpAddr::V4(to))),
        Some(image) => {
            let handler = backends.lock().unwrap().get(&image).cloned();
            match handler {
                Some(h) => h(&path),
                None => ProxyResponse::ok("ok"),
            }
        }
    };
    let reason = if r.status < 400 { "OK" } else { "Error" };
    let head = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        r.status,
        r.content_type,
        r.body.len()
    );
    conn.write_all(head.as_bytes())?;
    conn.write_all(&r.body)?;
    conn.flush()
}

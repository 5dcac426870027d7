//! `msv build` reaching the engine as users do: TCP with TLS (a listener made here, with
//! its own CA and client certificates, in front of the engine's socket), a docker context
//! pointing at it, and `ssh://` through the system ssh (a stand-in `ssh` on PATH that
//! records its command line and bridges with `docker system dial-stdio`; the machine has
//! no sshd).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::build::{Built, Service, ready};

const SOCKET: &str = "/var/run/docker.sock";

/// ca.pem, cert.pem and key.pem for the client, and the server's acceptor, from one CA.
struct Pki {
    dir: tempfile::TempDir,
    acceptor: tokio_rustls::TlsAcceptor,
}

fn issue(
    ca: &CertifiedIssuer<'static, KeyPair>,
    name: &str,
    usage: ExtendedKeyUsagePurpose,
) -> (String, KeyPair, CertificateDer<'static>) {
    let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![usage];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, ca).unwrap();
    (cert.pem(), key, cert.der().clone())
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "it-engine-ca");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let (_, server_key, server_der) = issue(&ca, "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth);
    let (client_pem, client_key, _) = issue(&ca, "it-client", ExtendedKeyUsagePurpose::ClientAuth);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.path().join("cert.pem"), client_pem).unwrap();
    std::fs::write(dir.path().join("key.pem"), client_key.serialize_pem()).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    // The engine asks for a client certificate from the same CA, as dockerd --tlsverify does.
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![server_der],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        )
        .unwrap();
    Pki {
        dir,
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    }
}

/// A TLS listener on 127.0.0.1 that forwards each connection to the engine's socket and
/// counts the connections whose handshake succeeded. It lives as long as the test.
fn tls_listener(acceptor: tokio_rustls::TlsAcceptor) -> (u16, Arc<AtomicUsize>) {
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = std_listener.local_addr().unwrap().port();
    std_listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                let count = count.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    count.fetch_add(1, Ordering::SeqCst);
                    let Ok(mut engine) = tokio::net::UnixStream::connect(SOCKET).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut engine).await;
                });
            }
        });
    });
    (port, served)
}

fn sha256_hex(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in ["ca.pem", "cert.pem", "key.pem"] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
}

#[test]
fn build_over_tcp_with_tls_and_through_a_docker_context() {
    if !ready("build_over_tcp_with_tls_and_through_a_docker_context") {
        return;
    }
    let pki = pki();
    let (port, served) = tls_listener(pki.acceptor.clone());
    let service = Service::new(
        "it-engine-tls",
        "127.0.0.1:1",
        &[(
            "Dockerfile",
            "FROM msv-test/busybox:1\nRUN echo tls > /via\n",
        )],
    );
    let host = format!("tcp://127.0.0.1:{port}");
    let built: Built = service
        .build(&["-o", "json"])
        .env("DOCKER_HOST", &host)
        .env("DOCKER_TLS_VERIFY", "1")
        .env("DOCKER_CERT_PATH", pki.dir.path())
        .run()
        .status(0)
        .stdout_json();
    assert!(built.id.starts_with("sha256:"));
    let over_tls = served.load(Ordering::SeqCst);
    assert!(over_tls > 0, "the build went through the TLS listener");

    // Another CA's files: the engine's certificate is refused, nothing is built.
    let stranger = pki_dir_of_another_ca();
    service
        .build(&[])
        .env("DOCKER_HOST", &host)
        .env("DOCKER_TLS_VERIFY", "1")
        .env("DOCKER_CERT_PATH", stranger.path())
        .run()
        .status(2)
        .stderr_has(&format!("cannot reach the Docker engine at {host}"))
        .stderr_has("TLS from DOCKER_TLS_VERIFY");

    // A docker context stored as `docker context create` stores it, made current in
    // config.json, with its TLS files in the context store.
    let test = service.build(&["-o", "json"]).env_remove("DOCKER_HOST");
    let config: PathBuf = test.home().join(".docker");
    let hash = sha256_hex("it-tls");
    std::fs::create_dir_all(config.join("contexts/meta").join(&hash)).unwrap();
    std::fs::write(
        config.join("contexts/meta").join(&hash).join("meta.json"),
        format!(
            r#"{{"Name":"it-tls","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#
        ),
    )
    .unwrap();
    copy_dir(
        pki.dir.path(),
        &config.join("contexts/tls").join(&hash).join("docker"),
    );
    std::fs::write(config.join("config.json"), r#"{"currentContext":"it-tls"}"#).unwrap();
    let before = served.load(Ordering::SeqCst);
    let again: Built = test.run().status(0).stdout_json();
    assert_eq!(again.id, built.id);
    assert!(
        served.load(Ordering::SeqCst) > before,
        "the context led to the TLS listener"
    );
}

fn pki_dir_of_another_ca() -> tempfile::TempDir {
    let other = pki();
    other.dir
}

#[test]
fn build_over_ssh_runs_the_system_ssh_as_the_docker_cli_does() {
    if !ready("build_over_ssh_runs_the_system_ssh_as_the_docker_cli_does") {
        return;
    }
    // The stand-in ssh records its arguments and bridges to this machine's engine the
    // way the remote side would: `docker system dial-stdio`.
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("ssh.args");
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> {}\nunset DOCKER_HOST DOCKER_CONTEXT\nexec docker system dial-stdio\n",
        log.display()
    );
    let ssh = bin.path().join("ssh");
    std::fs::write(&ssh, script).unwrap();
    std::fs::set_permissions(&ssh, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let service = Service::new(
        "it-engine-ssh",
        "127.0.0.1:1",
        &[(
            "Dockerfile",
            "FROM msv-test/busybox:1\nRUN echo ssh > /via\n",
        )],
    );
    let built: Built = service
        .build(&["-o", "json"])
        .env("DOCKER_HOST", "ssh://builder@build-host.invalid:2222")
        .env("PATH", &path)
        .run()
        .status(0)
        .stdout_json();
    assert!(built.id.starts_with("sha256:"));
    let args = std::fs::read_to_string(&log).unwrap();
    let first = args.lines().next().unwrap();
    assert_eq!(
        first,
        "-o ConnectTimeout=30 -T -l builder -p 2222 -- build-host.invalid docker system dial-stdio"
    );
}

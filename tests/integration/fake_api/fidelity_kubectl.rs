//! Fidelity of the fake against kubectl, a client no one here wrote: discovery, tables,
//! create, server-side apply with conflicts, `patch` and the field manager it is recorded
//! under, `rollout status`, `get -w`, delete. Without kubectl these tests skip and say so —
//! except under CI (`CI=true`), where they fail.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::{Behavior, FakeCluster};

/// Whether kubectl can run here; under CI its absence is a failure.
fn kubectl_present() -> bool {
    let ok = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "kubectl is required under CI (tests/ci/setup-kubectl.sh installs it)"
        );
        eprintln!("skipping: kubectl not found on PATH");
    }
    ok
}

fn command(cluster: &FakeCluster, args: &[&str]) -> Command {
    let mut cmd = Command::new("kubectl");
    cmd.args(args)
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .env("HOME", cluster.dir())
        .env("KUBECACHEDIR", cluster.dir().join("cache"))
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs kubectl to completion, killing it after `timeout`.
fn kubectl(cluster: &FakeCluster, args: &[&str], timeout: Duration) -> Output {
    let mut child = command(cluster, args).spawn().expect("spawn kubectl");
    let deadline = Instant::now() + timeout;
    while child.try_wait().expect("wait kubectl").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "kubectl {args:?} did not finish in {timeout:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[track_caller]
fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kubectl failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: web:IMAGE
        ports:
        - containerPort: 8080
          name: http
";

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: http
";

fn write(cluster: &FakeCluster, name: &str, text: &str) -> String {
    let path = cluster.dir().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn rows(table: &str, name_prefix: &str) -> Vec<String> {
    table
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|n| n.starts_with(name_prefix))
        })
        .map(String::from)
        .collect()
}

#[test]
fn kubectl_creates_applies_lists_and_deletes() {
    if !kubectl_present() {
        return;
    }
    let cluster = FakeCluster::start();
    let t = Duration::from_secs(20);
    let deploy = write(&cluster, "deploy.yaml", &DEPLOYMENT.replace("IMAGE", "1"));
    let svc = write(&cluster, "svc.yaml", SERVICE);
    let out = ok(&kubectl(&cluster, &["create", "-f", &deploy], t));
    assert_eq!(out.trim(), "deployment.apps/web created");
    let out = ok(&kubectl(
        &cluster,
        &["apply", "--server-side", "-f", &svc],
        t,
    ));
    assert_eq!(out.trim(), "service/web serverside-applied");
    let again = kubectl(&cluster, &["create", "-f", &deploy], t);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr)
            .contains("Error from server (AlreadyExists): error when creating"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // kubectl create owns the image; a server-side apply of another image conflicts...
    let v2 = write(&cluster, "deploy2.yaml", &DEPLOYMENT.replace("IMAGE", "2"));
    let conflict = kubectl(&cluster, &["apply", "--server-side", "-f", &v2], t);
    assert!(!conflict.status.success());
    let stderr = String::from_utf8_lossy(&conflict.stderr);
    assert!(
        stderr.contains("conflict")
            && stderr.contains("kubectl-create")
            && stderr.contains(".spec.template.spec.containers[name=\"web\"].image"),
        "{stderr}"
    );
    // ...until forced.
    let out = ok(&kubectl(
        &cluster,
        &["apply", "--server-side", "--force-conflicts", "-f", &v2],
        t,
    ));
    assert_eq!(out.trim(), "deployment.apps/web serverside-applied");
    assert_eq!(
        cluster.get("deployments", "default", "web").unwrap()["spec"]["template"]["spec"]["containers"]
            [0]["image"],
        "web:2"
    );

    cluster.wait_for("2 ready pods", Duration::from_secs(10), |c| {
        let ready = c
            .list("pods", Some("default"))
            .iter()
            .filter(|p| {
                p["status"]["containerStatuses"][0]["ready"] == true
                    && p["spec"]["containers"][0]["image"] == "web:2"
            })
            .count();
        (ready == 2 && c.list("pods", Some("default")).len() == 2).then_some(())
    });
    let out = ok(&kubectl(&cluster, &["get", "ns,deploy,svc,pods"], t));
    assert!(
        out.contains("namespace/default") && out.contains("Active"),
        "{out}"
    );
    let deploy_row = rows(&out, "deployment.apps/web");
    assert_eq!(deploy_row.len(), 1, "{out}");
    assert_eq!(
        deploy_row[0].split_whitespace().collect::<Vec<_>>()[1..4],
        ["2/2", "2", "2"],
        "{out}"
    );
    let svc_row = rows(&out, "service/web");
    assert!(
        svc_row[0].contains("ClusterIP") && svc_row[0].contains("80/TCP"),
        "{out}"
    );
    let pod_rows = rows(&out, "pod/web-");
    assert_eq!(pod_rows.len(), 2, "{out}");
    assert!(
        pod_rows
            .iter()
            .all(|r| r.contains("1/1") && r.contains("Running")),
        "{out}"
    );

    let out = ok(&kubectl(
        &cluster,
        &[
            "get",
            "endpoints",
            "web",
            "-o",
            "jsonpath={.subsets[0].ports[0].port}",
        ],
        t,
    ));
    assert_eq!(out, "8080");
    let out = ok(&kubectl(
        &cluster,
        &["get", "pods", "-l", "app=web", "-o", "name"],
        t,
    ));
    assert_eq!(out.lines().count(), 2, "{out}");

    let out = ok(&kubectl(&cluster, &["delete", "-f", &deploy], t));
    assert_eq!(out.trim(), "deployment.apps \"web\" deleted");
    let gone = kubectl(&cluster, &["get", "deployment", "web"], t);
    assert!(!gone.status.success());
    assert_eq!(
        String::from_utf8_lossy(&gone.stderr).trim(),
        "Error from server (NotFound): deployments.apps \"web\" not found"
    );
    cluster.wait_for(
        "pods to go with their deployment",
        Duration::from_secs(5),
        |c| c.list("pods", Some("default")).is_empty().then_some(()),
    );
    let out = ok(&kubectl(&cluster, &["get", "pods"], t));
    assert!(out.trim().is_empty(), "{out}");
}

#[test]
fn kubectl_rollout_status_waits_for_ready_pods() {
    if !kubectl_present() {
        return;
    }
    let cluster = FakeCluster::start();
    cluster.set_image_behavior("web:1", Behavior::ReadyAfter(Duration::from_millis(600)));
    let deploy = write(&cluster, "deploy.yaml", &DEPLOYMENT.replace("IMAGE", "1"));
    ok(&kubectl(
        &cluster,
        &["create", "-f", &deploy],
        Duration::from_secs(20),
    ));
    let started = Instant::now();
    let out = ok(&kubectl(
        &cluster,
        &["rollout", "status", "deployment/web", "--timeout=20s"],
        Duration::from_secs(30),
    ));
    assert!(
        out.contains("deployment \"web\" successfully rolled out"),
        "{out}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "rollout status returned before pods were ready"
    );
    let d = cluster.get("deployments", "default", "web").unwrap();
    assert_eq!(d["status"]["readyReplicas"], 2);
}

#[test]
fn kubectl_rollout_status_fails_past_the_progress_deadline() {
    if !kubectl_present() {
        return;
    }
    let cluster = FakeCluster::start();
    cluster.set_image_behavior("web:1", Behavior::CrashLoop);
    cluster.set_progress_deadline(Duration::from_millis(800));
    let deploy = write(&cluster, "deploy.yaml", &DEPLOYMENT.replace("IMAGE", "1"));
    ok(&kubectl(
        &cluster,
        &["create", "-f", &deploy],
        Duration::from_secs(20),
    ));
    let out = kubectl(
        &cluster,
        &["rollout", "status", "deployment/web", "--timeout=20s"],
        Duration::from_secs(30),
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("exceeded its progress deadline"),
        "{stderr}"
    );
    let pods = ok(&kubectl(
        &cluster,
        &["get", "pods"],
        Duration::from_secs(20),
    ));
    assert!(pods.contains("CrashLoopBackOff"), "{pods}");
}

#[test]
fn kubectl_get_watch_streams_changes() {
    if !kubectl_present() {
        return;
    }
    let cluster = FakeCluster::start();
    let mut child = command(&cluster, &["get", "pods", "-w"])
        .spawn()
        .expect("spawn kubectl");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    cluster.wait_for("kubectl's watch", Duration::from_secs(10), |c| {
        (c.open_watches() > 0).then_some(())
    });
    cluster.create(
        serde_json::from_str::<serde_json::Value>(
            &serde_json::to_string(
                &serde_saphyr::from_str::<serde_json::Value>(&DEPLOYMENT.replace("IMAGE", "1"))
                    .unwrap(),
            )
            .unwrap(),
        )
        .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut lines = Vec::new();
    let mut running = std::collections::BTreeSet::new();
    while running.len() < 2 && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            if line.contains("Running") && line.contains("1/1") {
                running.insert(line.split_whitespace().next().unwrap_or("").to_string());
            }
            lines.push(line);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        running.len(),
        2,
        "kubectl get -w printed:\n{}",
        lines.join("\n")
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Pending") || l.contains("0/1")),
        "the watch showed the pods before they were ready:\n{}",
        lines.join("\n")
    );
}

/// Serves a fake for a minute for poking at by hand:
/// `cargo test --test integration serve_a_fake_by_hand -- --ignored --nocapture`.
#[test]
#[ignore]
fn serve_a_fake_by_hand() {
    let cluster = FakeCluster::start();
    println!("KUBECONFIG={}", cluster.kubeconfig_path().display());
    std::fs::write(
        "/tmp/fake-api-kubeconfig-path",
        cluster.kubeconfig_path().to_string_lossy().as_bytes(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_secs(60));
    for r in cluster.requests() {
        println!(
            "{} {}?{} [{}] {}",
            r.method,
            r.path,
            r.query,
            r.user_agent,
            r.body.chars().take(200).collect::<String>()
        );
    }
}

/// The manager that owns `spec.selector.KEY` of a Service, by its managedFields.
pub(crate) fn selector_owner(svc: &serde_json::Value, key: &str) -> Vec<String> {
    svc["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["fieldsV1"]["f:spec"]["f:selector"][format!("f:{key}")].is_object())
        .map(|m| {
            format!(
                "{}/{}",
                m["manager"].as_str().unwrap(),
                m["operation"].as_str().unwrap()
            )
        })
        .collect()
}

/// `kubectl patch` names itself `kubectl-patch` (the fieldManager it sends); a client
/// that sends none is named by its User-Agent up to the first '/', as kube-apiserver
/// does. A selector changed by hand is thereby traceable to who changed it.
#[test]
fn kubectl_patch_is_recorded_under_its_field_manager() {
    if !kubectl_present() {
        return;
    }
    let cluster = FakeCluster::start();
    let t = Duration::from_secs(20);
    let svc = write(&cluster, "svc.yaml", SERVICE);
    ok(&kubectl(&cluster, &["create", "-f", &svc], t));
    // What a test seeds "as kubectl" is recorded as what kubectl makes.
    let mut seeded: serde_json::Value = serde_saphyr::from_str(SERVICE).unwrap();
    seeded["metadata"]["name"] = "seeded".into();
    let seeded = cluster.create_as("kubectl-create", seeded);
    let by_kubectl = cluster.get("services", "default", "web").unwrap();
    let fields = |o: &serde_json::Value| {
        let m = &o["metadata"]["managedFields"][0];
        (
            m["manager"].clone(),
            m["operation"].clone(),
            m["fieldsV1"].clone(),
        )
    };
    assert_eq!(fields(&seeded), fields(&by_kubectl));
    cluster.clear_requests();
    for (patch_type, color) in [("strategic", "blue"), ("merge", "green")] {
        let body = format!("{{\"spec\":{{\"selector\":{{\"color\":\"{color}\"}}}}}}");
        let out = ok(&kubectl(
            &cluster,
            &["patch", "service", "web", "--type", patch_type, "-p", &body],
            t,
        ));
        assert_eq!(out.trim(), "service/web patched");
        let stored = cluster.get("services", "default", "web").unwrap();
        assert_eq!(stored["spec"]["selector"]["color"], color);
        assert_eq!(selector_owner(&stored, "color"), ["kubectl-patch/Update"]);
        assert_eq!(selector_owner(&stored, "app"), ["kubectl-create/Update"]);
    }
    let patches: Vec<_> = cluster
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 2);
    for r in &patches {
        assert_eq!(r.param("fieldManager").as_deref(), Some("kubectl-patch"));
        assert!(r.user_agent.starts_with("kubectl/v1."), "{}", r.user_agent);
    }

    // Without a fieldManager, the User-Agent's program name.
    let as_kubectl = |body: &str| {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
            .arg(cluster.dir().join("ca.pem"))
            .args(["-X", "PATCH", "-H"])
            .arg(format!("Authorization: Bearer {}", cluster.token()))
            .args([
                "-H",
                "Content-Type: application/merge-patch+json",
                "-A",
                "kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9",
                "--data",
                body,
            ])
            .arg(format!(
                "{}/api/v1/namespaces/default/services/web",
                cluster.url()
            ));
        cmd.output()
    };
    std::fs::write(cluster.dir().join("ca.pem"), cluster.ca_pem()).unwrap();
    match as_kubectl(r#"{"spec":{"selector":{"color":"blue"}}}"#) {
        Ok(out) if out.status.success() => {
            assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
            let stored = cluster.get("services", "default", "web").unwrap();
            assert_eq!(selector_owner(&stored, "color"), ["kubectl/Update"]);
        }
        other => eprintln!("skipping the User-Agent check: curl did not run: {other:?}"),
    }
}

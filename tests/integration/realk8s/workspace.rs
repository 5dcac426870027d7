//! A workspace release on the real control plane: three members (`users`; `api` depends
//! on users; `web` on api) released as one from the workspace's root, with a client that
//! never retries sending requests through each member's Service (the real service proxy,
//! the real endpoints controller) the whole time.

use std::time::Duration;

use serde_json::Value;

use super::real_cluster;
use crate::support::Test;
use crate::traffic::Traffic;

const PORT: u16 = 8080;
const MEMBERS: [&str; 3] = ["api", "users", "web"];

#[test]
fn real_three_member_release_switches_all_without_dropping_traffic() {
    let Some(c) = real_cluster("real_three_member_release_switches_all_without_dropping_traffic")
    else {
        return;
    };
    let ns = c.namespace("ws");
    // Every pod of the namespace answers 200 on every path (the network's default).
    let _net = c.pod_network(&ns, PORT);
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("msv.toml"),
        "[workspace]\nmembers = [\"services/*\"]\n\n[workspace.defaults.deploy]\ntimeout = \"60s\"\nverify_for = \"1s\"\nscale_down_delay = \"0s\"\n",
    )
    .unwrap();
    for (name, dep) in [
        ("users", None),
        ("api", Some("users")),
        ("web", Some("api")),
    ] {
        let dir = root.path().join("services").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        // One replica: msv adds a PodDisruptionBudget (policy/v1, which 1.20 lacks) above that.
        let deps = dep
            .map(|d| format!("depends_on = [\"{d}\"]\n"))
            .unwrap_or_default();
        std::fs::write(
            dir.join("msv.toml"),
            format!("[service]\nname = \"{name}\"\nport = {PORT}\nreplicas = 1\n{deps}"),
        )
        .unwrap();
    }
    let msv = |args: &[String]| {
        Test::new()
            .args(args)
            .env("KUBECONFIG", &c.kubeconfig)
            .env("MSV_NAMESPACE", &ns)
            .current_dir(root.path())
            .timeout(Duration::from_secs(240))
            .run()
    };
    let release = |tag: &str| {
        let mut args = vec!["deploy".to_string()];
        for m in MEMBERS {
            args.extend(["--image".into(), format!("{m}=rk-ws/{m}:{tag}")]);
        }
        args.extend(["-o".into(), "json".into()]);
        args
    };
    msv(&release("1")).status(0);
    let users: Vec<Traffic> = MEMBERS
        .iter()
        .map(|m| {
            Traffic::start(
                c.kubeconfig.clone(),
                format!("/api/v1/namespaces/{ns}/services/{m}:{PORT}/proxy/healthz"),
                Duration::from_millis(20),
            )
        })
        .collect();
    let out: Value = msv(&release("2")).status(0).stdout_json();
    for t in users {
        t.assert_no_failures();
    }
    assert_eq!(out["order"], serde_json::json!(["users", "api", "web"]));
    let id = out["release"].as_str().unwrap();
    for m in MEMBERS {
        let svc = c.kubectl_raw(&["-n", &ns, "get", "service", m, "-o", "json"]);
        let svc: Value = serde_json::from_slice(&svc.stdout).unwrap();
        assert_eq!(svc["spec"]["selector"]["msv/color"], "green", "{m}");
        let history: Vec<Value> = msv(&["history".into(), m.into(), "-o".into(), "json".into()])
            .status(0)
            .stdout_json();
        let last = history
            .iter()
            .max_by_key(|e| e["revision"].as_u64())
            .unwrap();
        assert_eq!(
            (last["release"].as_str(), last["image"].as_str()),
            (Some(id), Some(format!("rk-ws/{m}:2").as_str()))
        );
    }
    msv(&["status".into()]).status(0).stdout_has(id);
}

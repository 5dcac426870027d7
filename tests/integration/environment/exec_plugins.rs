//! Exec credential plugins, as EKS, GKE and AKS use them: a stand-in plugin script issues
//! short-lived tokens, and the fake API server accepts only those, each until the
//! `expirationTimestamp` the plugin gave. The plugin records how it was called (args, env,
//! `KUBERNETES_EXEC_INFO`), so the tests check what kubectl would have passed it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{kubeconfig, msv, service_dir};
use crate::fake_api::{Behavior, FakeCluster};

/// The plugin: `plugin STATE LIFETIME_SECONDS [ARGS...]`. It appends `TOKEN EXPIRY` to
/// STATE/issued (where the fake reads the tokens it accepts) and one line per call to
/// STATE/calls; with STATE/fail present it fails the way a cloud CLI does.
const PLUGIN: &str = r#"#!/bin/sh
state="$1"; lifetime="$2"
printf '%s\t%s\t%s\n' "$*" "$PLUGIN_REGION" "$KUBERNETES_EXEC_INFO" >> "$state/calls"
if [ -e "$state/fail" ]; then
  echo "error: the SSO session has expired; run: cloud sso login" >&2
  exit 3
fi
now=$(date +%s)
exp=$((now + lifetime))
token="issued-$now-$$"
echo "$token $exp" >> "$state/issued"
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}\n' \
  "$token" "$(date -u -d "@$exp" +%Y-%m-%dT%H:%M:%SZ)"
"#;

struct Plugin {
    state: PathBuf,
    command: PathBuf,
}

impl Plugin {
    fn new(dir: &Path) -> Plugin {
        use std::os::unix::fs::PermissionsExt;
        let state = dir.join("plugin-state");
        std::fs::create_dir_all(&state).unwrap();
        std::fs::write(state.join("issued"), "").unwrap();
        let command = dir.join("cloud-auth-plugin");
        std::fs::write(&command, PLUGIN).unwrap();
        std::fs::set_permissions(&command, std::fs::Permissions::from_mode(0o755)).unwrap();
        Plugin { state, command }
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.state.join("calls"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    fn issued(&self) -> Vec<String> {
        std::fs::read_to_string(self.state.join("issued"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once(' ').map(|(t, _)| t.to_string()))
            .collect()
    }

    /// A kubeconfig for the fake whose user authenticates with this plugin; `extra` adds
    /// lines to the `exec` block.
    fn kubeconfig(&self, fake: &FakeCluster, lifetime: u32, extra: &str) -> PathBuf {
        let base = kubeconfig(
            fake,
            &fake.url(),
            &[
                "extensions:".into(),
                "- name: client.authentication.k8s.io/exec".into(),
                "  extension: {audience: shop-prod}".into(),
            ],
        );
        let user = format!(
            "    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: {command}
      args: [{state}, \"{lifetime}\", --cluster-name, shop-prod]
      env:
      - name: PLUGIN_REGION
        value: eu-west-1
      provideClusterInfo: true
{extra}",
            command = self.command.display(),
            state = self.state.display(),
        );
        let text = base.replace(&format!("    token: {}\n", fake.token()), &user);
        assert!(text.contains("exec:"), "{text}");
        let path = self.state.parent().unwrap().join("kubeconfig");
        std::fs::write(&path, text).unwrap();
        path
    }
}

#[test]
fn tokens_from_the_plugin_are_refreshed_when_they_expire_mid_deploy() {
    let fake = FakeCluster::start();
    let dir = service_dir(&fake);
    let plugin = Plugin::new(dir.path());
    fake.accept_only_tokens_in(&plugin.state.join("issued"));
    // The cluster's own token is refused now: only what the plugin issued gets in.
    msv(&fake.kubeconfig_path(), &[])
        .args(&["status"])
        .run()
        .status(2)
        .stderr_has("401");

    // Each token lives 2 s and the pods take 4 s to get ready: the first token's
    // expirationTimestamp passes during the rollout.
    fake.set_image_behavior("r/shop:1", Behavior::ReadyAfter(Duration::from_secs(4)));
    let kc = plugin.kubeconfig(&fake, 2, "      interactiveMode: IfAvailable\n");
    msv(&kc, &[])
        .args(&["deploy", "--image", "r/shop:1"])
        .current_dir(dir.path())
        .run()
        .status(0);
    let issued = plugin.issued();
    eprintln!(
        "the deploy sent {} requests with {} tokens; the plugin ran {} times",
        fake.requests().len(),
        issued.len(),
        plugin.calls().len()
    );
    let used: std::collections::BTreeSet<String> = fake
        .requests()
        .into_iter()
        .map(|r| r.token)
        .filter(|t| t.starts_with("issued-"))
        .collect();
    assert!(
        used.len() >= 2 && used.iter().all(|t| issued.contains(t)),
        "tokens used {used:?}, issued {issued:?}"
    );

    // What the plugin was given: its args and env from the kubeconfig, and the cluster
    // (provideClusterInfo) with the extension's config, not interactive without a terminal.
    let call = &plugin.calls()[0];
    let fields: Vec<&str> = call.split('\t').collect();
    assert!(fields[0].ends_with("2 --cluster-name shop-prod"), "{call}");
    assert_eq!(fields[1], "eu-west-1", "{call}");
    let info: serde_json::Value = serde_json::from_str(fields[2]).unwrap();
    assert_eq!(info["kind"], "ExecCredential", "{info}");
    assert_eq!(info["spec"]["interactive"], false, "{info}");
    let cluster = &info["spec"]["cluster"];
    assert_eq!(cluster["server"], fake.url(), "{info}");
    assert_eq!(cluster["config"]["audience"], "shop-prod", "{info}");
    assert!(cluster["certificate-authority-data"].is_string(), "{info}");
}

#[test]
fn a_failing_plugin_shows_its_stderr_and_changes_nothing() {
    let fake = FakeCluster::start();
    let dir = service_dir(&fake);
    let plugin = Plugin::new(dir.path());
    fake.accept_only_tokens_in(&plugin.state.join("issued"));
    std::fs::write(plugin.state.join("fail"), "").unwrap();
    for mode in ["", "      interactiveMode: Never\n"] {
        let kc = plugin.kubeconfig(&fake, 600, mode);
        fake.clear_requests();
        msv(&kc, &[])
            .args(&["deploy", "--image", "r/shop:1"])
            .current_dir(dir.path())
            .run()
            .status(2)
            .stderr_has("credential plugin")
            .stderr_has("the SSO session has expired; run: cloud sso login")
            .stderr_has("exit status: 3");
        assert_eq!(fake.requests().len(), 0, "{mode:?}: nothing was sent");
    }
    assert_eq!(fake.get("deployments", "default", "shop-blue"), None);
}

#[test]
fn plugins_that_cannot_run_say_what_to_do() {
    let fake = FakeCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let plugin = Plugin::new(dir.path());
    // interactiveMode: Always needs a terminal; tests have none. The plugin never runs.
    let kc = plugin.kubeconfig(&fake, 600, "      interactiveMode: Always\n");
    msv(&kc, &[])
        .args(&["status"])
        .run()
        .status(2)
        .stderr_has("needs a terminal (interactiveMode: Always)");
    assert_eq!(plugin.calls(), Vec::<String>::new());
    // A plugin that is not installed: kubectl's installHint is shown.
    let text = std::fs::read_to_string(&kc)
        .unwrap()
        .replace(
            &plugin.command.display().to_string(),
            "no-such-cloud-plugin",
        )
        .replace(
            "      interactiveMode: Always\n",
            "      installHint: install no-such-cloud-plugin from your cloud's CLI\n",
        );
    std::fs::write(&kc, text).unwrap();
    msv(&kc, &[])
        .args(&["status"])
        .run()
        .status(2)
        .stderr_has("cannot start the credential plugin `no-such-cloud-plugin`")
        .stderr_has("install no-such-cloud-plugin from your cloud's CLI");
}

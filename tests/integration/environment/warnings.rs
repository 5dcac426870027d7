//! `Warning` headers from the API server are shown as kubectl shows them: once each on
//! stderr, however many responses carry them, and never on stdout, so `-o json` stays JSON.

use super::{msv, service_dir};
use crate::fake_api::FakeCluster;

#[test]
fn api_warnings_go_to_stderr_once_each_and_json_stays_clean() {
    let fake = FakeCluster::start();
    let dir = service_dir(&fake);
    let deployments = "apps/v1 Deployment: spec.template.spec.foo is \"deprecated\" in v1.99+";
    let services = "spec.externalIPs is not allowed by policy in v1.99+";
    fake.warn_on("deployments", deployments);
    fake.warn_on("services", services);
    for args in [
        &["deploy", "--image", "r/shop:1", "-o", "json"][..],
        &["status", "-o", "json"][..],
    ] {
        let run = msv(&fake.kubeconfig_path(), &[])
            .args(args)
            .current_dir(dir.path())
            .run()
            .status(0);
        let stdout = run.stdout();
        let stderr = run.stderr();
        let run = run.stdout_lacks("Warning");
        let _: serde_json::Value = run.stdout_json();
        for text in [deployments, services] {
            let line = format!("Warning: {text}\n");
            assert_eq!(
                stderr.matches(&line).count(),
                1,
                "msv {args:?}: {line:?} once in stderr:\n{stderr}\nstdout:\n{stdout}"
            );
        }
        let sent = fake.count_requests(|r| r.path.contains("/deployments"));
        assert!(sent > 1, "the warning came with {sent} responses");
    }
}

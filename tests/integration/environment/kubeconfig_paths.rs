//! Relative paths in kubeconfig files resolve against each file's own directory, as
//! kubectl resolves them: a `KUBECONFIG` list of two files in different directories, the
//! cluster's CA in one, the user's token file, client certificate and exec plugin in the
//! other, and msv run from a third directory.

use std::path::Path;

use super::msv;
use crate::fake_api::FakeCluster;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The cluster half: `certificate-authority: pki/ca.crt` next to the file.
fn cluster_file(fake: &FakeCluster, dir: &Path) -> std::path::PathBuf {
    write(&dir.join("pki/ca.crt"), fake.ca_pem());
    let file = dir.join("config");
    write(
        &file,
        &format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  cluster:\n    server: {}\n    certificate-authority: pki/ca.crt\ncontexts:\n- name: fake\n  context: {{cluster: fake, user: fake, namespace: default}}\n",
            fake.url()
        ),
    );
    file
}

/// The user half: `user` is the YAML of the user, with paths relative to `dir`.
fn user_file(dir: &Path, user: &str) -> std::path::PathBuf {
    let file = dir.join("config");
    write(
        &file,
        &format!("apiVersion: v1\nkind: Config\nusers:\n- name: fake\n  user:\n{user}"),
    );
    file
}

#[test]
fn relative_paths_follow_each_kubeconfig_file_not_the_working_directory() {
    let fake = FakeCluster::start();
    let tmp = tempfile::tempdir().unwrap();
    let cluster = cluster_file(&fake, &tmp.path().join("clusters/fake"));
    let me = tmp.path().join("users/me");
    write(&me.join("secrets/token"), &format!("{}\n", fake.token()));
    let client = rcgen::generate_simple_self_signed(vec!["me".to_string()]).unwrap();
    write(&me.join("tls/me.crt"), &client.cert.pem());
    write(&me.join("tls/me.key"), &client.signing_key.serialize_pem());
    write(
        &me.join("bin/token-plugin"),
        &format!(
            "#!/bin/sh\nprintf '%s' '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{}\"}}}}'\n",
            fake.token()
        ),
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let plugin = me.join("bin/token-plugin");
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let elsewhere = tmp.path().join("work/somewhere-else");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let lone_dir = tmp.path().join("lone");
    let users = [
        (
            "    tokenFile: secrets/token\n    client-certificate: tls/me.crt\n    client-key: tls/me.key\n",
            lone_dir.join("secrets/token").display().to_string(),
        ),
        (
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ./bin/token-plugin\n      interactiveMode: Never\n",
            lone_dir.join("./bin/token-plugin").display().to_string(),
        ),
    ];
    for (user, missing) in users {
        let user = user_file(&me, user);
        let list = std::env::join_paths([&cluster, &user]).unwrap();
        msv(Path::new(&list), &[])
            .args(&["status"])
            .current_dir(&elsewhere)
            .run()
            .status(0);
        // The same user file where its neighbours are not: nothing to find, exit 2.
        let lone = lone_dir.join("config");
        write(&lone, &std::fs::read_to_string(&user).unwrap());
        let list = std::env::join_paths([&cluster, &lone]).unwrap();
        msv(Path::new(&list), &[])
            .args(&["status"])
            .current_dir(&me)
            .run()
            .status(2)
            .stderr_has(&missing);
    }
}

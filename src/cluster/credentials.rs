//! Credentials from exec plugins, the way EKS (`aws eks get-token`), GKE
//! (`gke-gcloud-auth-plugin`) and AKS (`kubelogin`) authenticate. kube runs the plugin (with
//! its `args`, `env` and, for `provideClusterInfo`, the cluster in `KUBERNETES_EXEC_INFO`)
//! and runs it again when the token's `expirationTimestamp` comes near; msv decides two
//! things kubectl decides and kube does not: whether the plugin may use the terminal
//! (`interactiveMode`), and what the user reads when the plugin fails.

use anyhow::{Result, bail};
use kube::client::AuthError;
use kube::config::{ExecConfig, ExecInteractiveMode};

use crate::output::{sanitize, sanitize_multiline};

/// The interactive mode kube is given, by client-go's rules: `Always` needs a terminal on
/// stdin (an error without one, before anything is sent); `IfAvailable` (the default)
/// becomes `Never` without one, so the plugin cannot wait for input that never comes and its
/// stderr is kept for the error message.
pub fn interactive_mode(
    exec: &ExecConfig,
    user: &str,
    stdin_is_terminal: bool,
) -> Result<ExecInteractiveMode> {
    match (&exec.interactive_mode, stdin_is_terminal) {
        (Some(ExecInteractiveMode::Never), _) => Ok(ExecInteractiveMode::Never),
        (Some(ExecInteractiveMode::Always), false) => bail!(
            "the credential plugin {} of user {user:?} needs a terminal (interactiveMode: Always), and stdin is not one; run msv in a terminal, or log in with the plugin first",
            command(exec)
        ),
        (Some(ExecInteractiveMode::Always), true) => Ok(ExecInteractiveMode::Always),
        (Some(ExecInteractiveMode::IfAvailable) | None, true) => {
            Ok(ExecInteractiveMode::IfAvailable)
        }
        (Some(ExecInteractiveMode::IfAvailable) | None, false) => Ok(ExecInteractiveMode::Never),
    }
}

/// What went wrong with the user's credentials, in words: the plugin's own stderr (escaped)
/// when it failed, and what to do next. `None` when the error is not about a plugin.
pub fn explain(err: &AuthError, exec: Option<&ExecConfig>, user: &str) -> Option<String> {
    let plugin = || exec.map(command).unwrap_or_else(|| "(none)".to_string());
    let hint = exec
        .and_then(|e| e.install_hint.as_deref())
        .map(|h| format!("; {}", sanitize(h.trim())))
        .unwrap_or_default();
    Some(match err {
        AuthError::AuthExecStart(io) => format!(
            "cannot start the credential plugin {} of user {user:?}: {io}; install it or fix `command` in the kubeconfig (a relative path is read from the kubeconfig's own directory){hint}",
            plugin()
        ),
        AuthError::AuthExecRun { out, .. } => {
            let stderr = last_lines(&String::from_utf8_lossy(&out.stderr), 20);
            let said: String = sanitize_multiline(&stderr)
                .lines()
                .map(|line| format!("\n  {line}"))
                .collect();
            let said = if said.is_empty() {
                said
            } else {
                format!("; it said:{said}")
            };
            format!(
                "the credential plugin {} of user {user:?} failed ({}); run it yourself to see why (often the cloud session has expired: log in again with your cloud's CLI){said}",
                plugin(),
                out.status
            )
        }
        AuthError::AuthExecParse(e) => format!(
            "the credential plugin {} of user {user:?} printed something that is not an ExecCredential: {e}",
            plugin()
        ),
        AuthError::ExecPluginFailed => format!(
            "the credential plugin {} of user {user:?} printed an ExecCredential without a status (no token or certificate)",
            plugin()
        ),
        AuthError::MalformedTokenExpirationDate(e) => format!(
            "the credential plugin {} of user {user:?} gave an expirationTimestamp that is not RFC 3339: {e}",
            plugin()
        ),
        AuthError::ExecMissingClusterInfo => format!(
            "the credential plugin {} of user {user:?} asks for the cluster (provideClusterInfo) and none was given",
            plugin()
        ),
        _ => return None,
    })
}

fn command(exec: &ExecConfig) -> String {
    format!(
        "`{}`",
        sanitize(exec.command.as_deref().unwrap_or("(no command)"))
    )
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(mode: Option<ExecInteractiveMode>) -> ExecConfig {
        ExecConfig {
            api_version: Some("client.authentication.k8s.io/v1".into()),
            command: Some("aws".into()),
            args: None,
            env: None,
            drop_env: None,
            install_hint: Some("install the AWS CLI".into()),
            interactive_mode: mode,
            provide_cluster_info: false,
            cluster: None,
            other: Default::default(),
        }
    }

    #[test]
    fn interactive_mode_follows_client_go() {
        use ExecInteractiveMode::*;
        let cases = [
            (None, true, Some(IfAvailable)),
            (None, false, Some(Never)),
            (Some(IfAvailable), true, Some(IfAvailable)),
            (Some(IfAvailable), false, Some(Never)),
            (Some(Never), true, Some(Never)),
            (Some(Always), true, Some(Always)),
            (Some(Always), false, None),
        ];
        for (mode, tty, want) in cases {
            let got = interactive_mode(&exec(mode.clone()), "me", tty).ok();
            assert_eq!(got, want, "{mode:?} tty={tty}");
        }
        let err = interactive_mode(&exec(Some(Always)), "me", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`aws`") && err.contains("\"me\""), "{err}");
    }

    #[test]
    fn a_failed_plugin_is_explained_with_its_stderr_escaped() {
        use std::os::unix::process::ExitStatusExt;
        let out = std::process::Output {
            status: std::process::ExitStatus::from_raw(256),
            stdout: vec![],
            stderr: b"line 1\nError: the SSO session has expired\x1b[31m\n".to_vec(),
        };
        let err = AuthError::AuthExecRun {
            cmd: "\"aws\"".into(),
            out: Box::new(out),
        };
        let msg = explain(&err, Some(&exec(None)), "me").unwrap();
        assert!(msg.contains("the SSO session has expired"), "{msg}");
        assert!(
            msg.contains("exit status: 1") && !msg.contains('\x1b'),
            "{msg}"
        );
        let start = AuthError::AuthExecStart(std::io::Error::from(std::io::ErrorKind::NotFound));
        let msg = explain(&start, Some(&exec(None)), "me").unwrap();
        assert!(msg.contains("install the AWS CLI"), "{msg}");
        assert_eq!(explain(&AuthError::MissingCommand, None, "me"), None);
    }

    #[test]
    fn only_the_last_lines_of_a_long_stderr_are_kept() {
        let text: String = (1..=30).map(|i| format!("l{i}\n")).collect();
        let kept = last_lines(&text, 20);
        assert!(kept.starts_with("l11\n") && kept.ends_with("l30"), "{kept}");
    }
}

//! The flags that are settings, as [`Flags`]: each becomes an override of its msv.toml key,
//! so it goes through the same layers as msv.toml and `MSV_*`, and `msv config show` names
//! it as the source. Flags that ask for an action (`--force`, `--dry-run`) stay with their
//! command.

use crate::cli::{BackendArgs, Cli, Command, TracesCommand};
use crate::config::Flags;

/// The settings the command line sets.
pub fn of(cli: &Cli) -> Flags {
    let mut flags = Flags {
        kubeconfig: cli.global.kubeconfig.clone(),
        ..Flags::default()
    };
    if let Some(context) = &cli.global.context {
        flags.set("kubernetes.context", context.clone(), "--context");
    }
    if let Some(namespace) = &cli.global.namespace {
        flags.set("kubernetes.namespace", namespace.clone(), "--namespace");
    }
    match &cli.command {
        Command::Deploy(args) => {
            if let Some(n) = args.replicas {
                flags.set("deploy.replicas", n, "--replicas");
            }
            if let Some(d) = args.timeout {
                flags.set_duration("deploy.timeout", d, "--timeout");
            }
            if let Some(d) = args.verify_for {
                flags.set_duration("deploy.verify_for", d, "--verify-for");
            }
            if let Some(d) = args.scale_down_delay {
                flags.set_duration("deploy.scale_down_delay", d, "--scale-down-delay");
                flags.set("deploy.keep_old", false, "--scale-down-delay");
            }
            if args.keep_old {
                flags.set("deploy.keep_old", true, "--keep-old");
            }
            if args.keep_failed {
                flags.set("deploy.keep_failed", true, "--keep-failed");
            }
            if let Some(steps) = &args.canary {
                flags.set("deploy.canary.steps", steps.clone(), "--canary");
            }
            if let Some(d) = args.canary_pause {
                flags.set_duration("deploy.canary.pause", d, "--canary-pause");
            }
        }
        Command::Rollback(args) => {
            if let Some(d) = args.timeout {
                flags.set_duration("deploy.timeout", d, "--timeout");
            }
        }
        Command::Manifests(args) => {
            if let Some(n) = args.replicas {
                flags.set("deploy.replicas", n, "--replicas");
            }
        }
        Command::Status(args) => {
            if let Some(d) = args.probe_timeout {
                flags.set_duration("deploy.probe_timeout", d, "--probe-timeout");
            }
        }
        Command::Traces(args) => {
            let backend = match &args.command {
                Some(TracesCommand::List(list)) => &list.backend,
                Some(TracesCommand::Show(show)) => &show.backend,
                None => &args.list.backend,
            };
            traces(&mut flags, backend);
        }
        _ => {}
    }
    flags
}

fn traces(flags: &mut Flags, args: &BackendArgs) {
    if let Some(backend) = args.backend {
        flags.set("traces.backend", backend.name(), "--backend");
    }
    if let Some(url) = &args.url {
        flags.set("traces.url", url.clone(), "--url");
    }
    if let Some(service) = &args.backend_service {
        flags.set("traces.service", service.clone(), "--backend-service");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn flags(args: &[&str]) -> Vec<(&'static str, String, &'static str)> {
        let cli = Cli::try_parse_from(args).unwrap();
        of(&cli)
            .overrides
            .into_iter()
            .map(|o| (o.path, o.value.to_string(), o.flag))
            .collect()
    }

    #[test]
    fn every_setting_flag_is_an_override_of_its_key() {
        assert_eq!(
            flags(&[
                "msv",
                "-n",
                "team",
                "deploy",
                "--replicas",
                "3",
                "--keep-failed",
                "--timeout",
                "90s",
                "--canary",
                "10%,50%",
                "--canary-pause",
                "1m"
            ]),
            vec![
                ("kubernetes.namespace", "\"team\"".into(), "--namespace"),
                ("deploy.replicas", "3".into(), "--replicas"),
                ("deploy.timeout", "\"1m 30s\"".into(), "--timeout"),
                ("deploy.keep_failed", "true".into(), "--keep-failed"),
                ("deploy.canary.steps", "\"10%,50%\"".into(), "--canary"),
                ("deploy.canary.pause", "\"1m\"".into(), "--canary-pause"),
            ]
        );
        assert_eq!(
            flags(&["msv", "rollback", "--timeout", "2m"]),
            vec![("deploy.timeout", "\"2m\"".into(), "--timeout")]
        );
        assert_eq!(
            flags(&["msv", "status", "--probe-timeout", "1s"]),
            vec![("deploy.probe_timeout", "\"1s\"".into(), "--probe-timeout")]
        );
        assert_eq!(
            flags(&["msv", "traces", "show", "abc", "--backend", "jaeger-v3"]),
            vec![("traces.backend", "\"jaeger-v3\"".into(), "--backend")]
        );
        assert!(flags(&["msv", "status"]).is_empty());
    }
}

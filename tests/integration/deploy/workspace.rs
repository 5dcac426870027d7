//! A workspace release: three members (`users`; `api` depends on users; `web` on api)
//! deployed from the workspace's root as one release, switched all-or-nothing in
//! `depends_on` order, and switched back in reverse order when any member fails after the
//! switch. The monitor watches every member's Service, and users' requests go through
//! each one's proxy with a client that never retries.

use super::kill::lease_expired_for;
use super::*;
use std::sync::atomic::AtomicUsize;

const MEMBERS: [&str; 3] = ["api", "users", "web"];

struct Ws {
    fake: Arc<FakeCluster>,
    root: tempfile::TempDir,
}

impl Ws {
    fn new(deploy: &str) -> Ws {
        Ws::with_members(deploy, &[("users", ""), ("api", "users"), ("web", "api")])
    }

    /// Members `(name, the member it depends on or "")`, each with healthy images 1 to 3.
    fn with_members(deploy: &str, members: &[(&str, &str)]) -> Ws {
        let fake = Arc::new(FakeCluster::start());
        let root = tempfile::tempdir().unwrap();
        std::fs::write(
            root.path().join("msv.toml"),
            format!(
                "[workspace]\nmembers = [\"services/*\"]\n\n[workspace.defaults.deploy]\n{deploy}"
            ),
        )
        .unwrap();
        for &(name, deps) in members {
            let dir = root.path().join("services").join(name);
            std::fs::create_dir_all(&dir).unwrap();
            let deps = match deps {
                "" => String::new(),
                d => format!("depends_on = [\"{d}\"]\n"),
            };
            std::fs::write(
                dir.join("msv.toml"),
                format!("[service]\nname = \"{name}\"\nport = 8080\nreplicas = 2\n{deps}"),
            )
            .unwrap();
            for i in 1..=3 {
                fake.set_backend_for_image(&format!("r/{name}:{i}"), |_| ProxyResponse::ok("ok"));
            }
        }
        Ws { fake, root }
    }

    fn msv(&self, args: &[&str]) -> Test {
        Test::new()
            .args(args)
            .env("KUBECONFIG", self.fake.kubeconfig_path())
            .current_dir(self.root.path())
            .timeout(Duration::from_secs(90))
    }

    /// `msv deploy` at the root with `r/MEMBER:TAG` for every member, `overrides` first.
    fn release_args(tag: &str, overrides: &[(&str, &str)]) -> Vec<String> {
        let mut args = vec!["deploy".to_string()];
        for m in MEMBERS {
            let image = overrides
                .iter()
                .find(|(o, _)| *o == m)
                .map(|(_, i)| i.to_string())
                .unwrap_or_else(|| format!("r/{m}:{tag}"));
            args.extend(["--image".into(), format!("{m}={image}")]);
        }
        args
    }

    fn release(&self, tag: &str, overrides: &[(&str, &str)]) -> crate::support::Run {
        let args = Ws::release_args(tag, overrides);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.msv(&args).run()
    }

    fn live(&self, member: &str) -> Option<String> {
        let s = self.fake.get("services", NS, member)?;
        s["spec"]["selector"]["msv/color"]
            .as_str()
            .map(String::from)
    }

    fn replicas(&self, member: &str, color: &str) -> Option<i64> {
        self.fake
            .get("deployments", NS, &format!("{member}-{color}"))?["spec"]["replicas"]
            .as_i64()
    }

    /// The monitor of `super`, over every member's Service.
    fn monitor(&self) -> Monitor {
        let from = self.fake.selections().len();
        let endpoints_from = self.fake.endpoints_writes().len();
        let scale_downs_from = self.fake.scale_downs().len();
        for m in MEMBERS {
            self.fake.record_selections(NS, m);
        }
        Monitor {
            fake: self.fake.clone(),
            from,
            endpoints_from,
            scale_downs_from,
        }
    }

    /// A client that never retries, through `member`'s Service.
    fn traffic(&self, member: &str) -> Traffic {
        Traffic::start(
            self.fake.kubeconfig_path(),
            format!("/api/v1/namespaces/{NS}/services/{member}:8080/proxy/healthz"),
            Duration::from_millis(10),
        )
    }

    /// The resourceVersion at which `member`'s Service first selected `color` after `from`.
    fn switched_at(&self, member: &str, color: &str, from: usize) -> u64 {
        self.fake.selections()[from..]
            .iter()
            .find(|s| s.service == member && s.selector["msv/color"] == color)
            .unwrap_or_else(|| panic!("{member} never selected {color}"))
            .rv
    }

    /// `member`'s newest history entry.
    fn last_entry(&self, member: &str) -> Value {
        self.history(member)
            .into_iter()
            .max_by_key(|e| e["revision"].as_u64())
            .unwrap()
    }

    fn history(&self, member: &str) -> Vec<Value> {
        self.msv(&["history", member, "-o", "json"])
            .run()
            .status(0)
            .stdout_json()
    }
}

#[derive(Debug, Deserialize)]
struct Released {
    release: String,
    order: Vec<String>,
    members: Vec<MemberOutcome>,
}

#[derive(Debug, Deserialize)]
struct MemberOutcome {
    name: String,
    summary: Option<Summary>,
    error: Option<String>,
}

fn quick() -> Ws {
    Ws::new(
        "timeout = \"8s\"\nverify_for = \"400ms\"\nscale_down_delay = \"0s\"\nlock_lease = \"2s\"\n",
    )
}

/// A good release: every member goes live, dependencies first, with no failed request
/// through any member's Service and the invariants held on all three; each member's
/// history records the same release.
#[test]
fn a_release_switches_every_member_in_dependency_order() {
    let ws = quick();
    ws.release("1", &[]).status(0).stderr_has("3 members live");
    for m in MEMBERS {
        assert_eq!(ws.live(m).as_deref(), Some("blue"), "{m}");
    }
    for m in MEMBERS {
        ws.fake
            .set_logs_for_image(&format!("r/{m}:2"), &[&format!("hello from {m}")]);
    }
    let monitor = ws.monitor();
    let from = ws.fake.selections().len();
    let users: Vec<Traffic> = MEMBERS.iter().map(|m| ws.traffic(m)).collect();
    let mut args = Ws::release_args("2", &[]);
    args.extend(["-o".into(), "json".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out: Released = ws.msv(&args).run().status(0).stdout_json();
    for t in users {
        t.assert_no_failures();
    }
    monitor.assert_clean();
    assert_eq!(out.order, ["users", "api", "web"]);
    let names: Vec<&str> = out.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, MEMBERS);
    for m in &out.members {
        let s = m.summary.as_ref().unwrap_or_else(|| panic!("{m:?}"));
        assert_eq!(
            (s.to_color.as_str(), s.outcome.as_str()),
            ("green", "succeeded")
        );
        assert!(m.error.is_none());
    }
    for m in MEMBERS {
        assert_eq!(ws.live(m).as_deref(), Some("green"), "{m}");
        assert_eq!(ws.replicas(m, "blue"), Some(0), "{m}");
        let last = ws.last_entry(m);
        assert_eq!(last["release"], out.release.as_str(), "{m}: {last}");
    }
    let (u, a, w) = (
        ws.switched_at("users", "green", from),
        ws.switched_at("api", "green", from),
        ws.switched_at("web", "green", from),
    );
    assert!(
        u < a && a < w,
        "switches in dependency order: users {u}, api {a}, web {w}"
    );
    // The release as the workspace's history and status show it.
    ws.msv(&["history"])
        .run()
        .status(0)
        .stdout_has(&out.release)
        .stdout_has("live")
        .stdout_has("api r2 succeeded, users r2 succeeded, web r2 succeeded");
    let one: Value = ws
        .msv(&["history", "--release", &out.release, "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(one["outcome"], "live");
    assert_eq!(one["members"].as_array().unwrap().len(), 3);
    ws.msv(&["history", "--release", "nope"])
        .run()
        .status(2)
        .stderr_has("no release nope");
    let status: Value = ws
        .msv(&["status", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    let on: Vec<(&str, &str)> = status["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap(),
                r["release"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        on,
        [
            ("api", out.release.as_str()),
            ("users", out.release.as_str()),
            ("web", out.release.as_str())
        ]
    );
    ws.msv(&["status"]).run().status(0).stdout_has("RELEASE");
    ws.msv(&["status", "-p", "web", "-p", "api"])
        .run()
        .status(0)
        .stdout_has("web")
        .stdout_lacks("users");
    let web: Vec<Value> = ws
        .msv(&["history", "-p", "web", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(web.len(), 2, "web's own history: {web:?}");
    ws.msv(&["logs", "--member", "users"])
        .run()
        .status(0)
        .stdout_has("hello from users")
        .stdout_lacks("hello from web");
    // Every member's pods, each line under its pod's name.
    ws.msv(&["logs", "--which", "live"])
        .run()
        .status(0)
        .stdout_has("hello from api")
        .stdout_has("hello from users")
        .stdout_has("hello from web");
    // Nothing new: every member is skipped, and says so.
    ws.release("2", &[])
        .status(0)
        .stderr_has("api: already runs r/api:2");
}

/// One candidate never gets ready: nothing is switched, every candidate is scaled back,
/// and the error names the member and why.
#[test]
fn a_member_that_never_gets_ready_switches_nothing() {
    let ws = quick();
    ws.release("1", &[]).status(0);
    ws.fake
        .set_image_behavior("r/api:never", Behavior::NeverReady);
    let monitor = ws.monitor();
    let run = ws.release("2", &[("api", "r/api:never")]).status(1);
    run.stderr_has("api:")
        .stderr_has("NotReady")
        .stderr_has("api failed in the same release")
        .stderr_has("release")
        .stderr_has("did not go live");
    monitor.assert_clean();
    for m in MEMBERS {
        assert_eq!(ws.live(m).as_deref(), Some("blue"), "{m} still on blue");
        assert_eq!(
            ws.replicas(m, "green"),
            Some(0),
            "{m}'s candidate scaled back"
        );
    }
}

/// `web` fails its verification after every member switched: all three are switched back,
/// in reverse order (web, then api, then users).
#[test]
fn a_failed_verification_switches_every_member_back_in_reverse_order() {
    let ws = Ws::new("timeout = \"8s\"\nverify_for = \"1500ms\"\nscale_down_delay = \"0s\"\n");
    ws.release("1", &[]).status(0);
    // Healthy for the probes before the switch, failing once verification probes it.
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    ws.fake.set_backend_for_image("r/web:bad", move |_| {
        if c.fetch_add(1, Ordering::SeqCst) < 4 {
            ProxyResponse::ok("ok")
        } else {
            ProxyResponse::new(500, "boom")
        }
    });
    let monitor = ws.monitor();
    let from = ws.fake.selections().len();
    ws.release("2", &[("web", "r/web:bad")])
        .status(1)
        .stderr_has("web: ")
        .stderr_has("health check failed after the switch")
        .stderr_has("web failed in the same release")
        .stderr_has("switched back automatically: api serves blue again");
    monitor.assert_clean();
    for m in MEMBERS {
        assert_eq!(ws.live(m).as_deref(), Some("blue"), "{m} back on blue");
        let last = ws.last_entry(m);
        assert_eq!(last["outcome"], "rolled-back", "{m}: {last}");
    }
    let green_then_blue = |m: &str| {
        let green = ws.switched_at(m, "green", from);
        let back = ws.fake.selections()[from..]
            .iter()
            .find(|s| s.service == m && s.rv > green && s.selector["msv/color"] == "blue")
            .unwrap_or_else(|| panic!("{m} never switched back"))
            .rv;
        (green, back)
    };
    let (users, api, web) = (
        green_then_blue("users"),
        green_then_blue("api"),
        green_then_blue("web"),
    );
    assert!(users.0 < api.0 && api.0 < web.0, "switched users, api, web");
    assert!(
        web.1 < api.1 && api.1 < users.1,
        "back web, api, users: {web:?} {api:?} {users:?}"
    );
}

/// A single-member deploy of `web` is running (from its own directory) when the release
/// starts: the release stops before changing anything, naming the member and the holder,
/// with the lock's exit code, and lets go of the locks it took.
#[test]
fn a_running_member_deploy_stops_the_release_before_anything_changes() {
    let ws = quick();
    ws.fake
        .set_image_behavior("r/web:slow", Behavior::NeverReady);
    let mut single = Test::new()
        .args(&["deploy", "--image", "r/web:slow"])
        .env("KUBECONFIG", ws.fake.kubeconfig_path())
        .current_dir(ws.root.path().join("services/web"))
        .timeout(Duration::from_secs(60))
        .command()
        .spawn()
        .unwrap();
    ws.fake.wait_for(
        "web's deploy to hold its lock",
        Duration::from_secs(20),
        |f| f.get("deployments", NS, "web-blue").map(|_| ()),
    );
    ws.release("1", &[])
        .status(75)
        .stderr_has("member web")
        .stderr_has("web is locked by");
    for m in ["api", "users"] {
        assert!(
            ws.fake
                .get("deployments", NS, &format!("{m}-blue"))
                .is_none(),
            "{m}"
        );
        assert!(lease_expired_for(&ws.fake, m), "{m}'s lock let go");
    }
    assert!(
        !lease_expired_for(&ws.fake, "web"),
        "the single deploy still holds web's"
    );
    let _ = single.kill();
    let _ = single.wait();
}

/// Starts the release of tag 2, SIGKILLs it once `due` holds of the fake, and waits for
/// every member's lock to expire (as a rerun after a crash would find them).
fn kill_release_when(ws: &Ws, what: &str, due: impl Fn(&FakeCluster) -> bool) {
    let args = Ws::release_args("2", &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = ws.msv(&args).command().spawn().unwrap();
    ws.fake
        .wait_for(what, Duration::from_secs(30), |f| due(f).then_some(()));
    child.kill().unwrap();
    child.wait().unwrap();
    ws.fake
        .wait_for("the locks to expire", Duration::from_secs(10), |f| {
            MEMBERS
                .iter()
                .all(|m| lease_expired_for(f, m))
                .then_some(())
        });
}

/// Where to kill a release: what the test waits for, and when it holds.
type KillPoint = (&'static str, fn(&FakeCluster) -> bool);

fn selects(f: &FakeCluster, member: &str, color: &str) -> bool {
    f.get("services", NS, member)
        .is_some_and(|s| s["spec"]["selector"]["msv/color"] == color)
}

fn killable() -> Ws {
    Ws::new(
        "timeout = \"8s\"\nverify_for = \"1500ms\"\nscale_down_delay = \"0s\"\nlock_lease = \"1s\"\n",
    )
}

/// Killed (SIGKILL) before any switch, after the first member switched and before the
/// last, and with every member switched and verifying: a rerun of the same release
/// finishes it each time — every member live on the new version, recorded, the
/// invariants held throughout.
#[test]
fn a_release_killed_at_any_point_is_finished_by_a_rerun() {
    let points: [KillPoint; 3] = [
        ("every candidate applied, nothing switched", |f| {
            MEMBERS
                .iter()
                .all(|m| f.get("deployments", NS, &format!("{m}-green")).is_some())
                && !MEMBERS.iter().any(|m| selects(f, m, "green"))
        }),
        ("users switched", |f| selects(f, "users", "green")),
        ("every member switched", |f| {
            MEMBERS.iter().all(|m| selects(f, m, "green"))
        }),
    ];
    for (what, due) in points {
        let ws = killable();
        ws.release("1", &[]).status(0);
        let monitor = ws.monitor();
        kill_release_when(&ws, what, due);
        ws.release("2", &[]).status(0).stderr_has("3 members live");
        monitor.assert_clean();
        for m in MEMBERS {
            assert_eq!(ws.live(m).as_deref(), Some("green"), "{what}: {m}");
            assert_eq!(ws.replicas(m, "blue"), Some(0), "{what}: {m}");
            let last = ws.last_entry(m);
            assert_eq!(
                (last["outcome"].as_str(), last["image"].as_str()),
                (Some("succeeded"), Some(format!("r/{m}:2").as_str())),
                "{what}: {m}"
            );
        }
    }
}

/// Killed after `users` switched; in the rerun `web` fails its verification: every
/// member is switched back — `users`, switched by the killed run and resumed by the rerun,
/// included.
#[test]
fn a_rerun_that_fails_switches_back_what_the_killed_run_switched() {
    let ws = killable();
    ws.release("1", &[]).status(0);
    let monitor = ws.monitor();
    kill_release_when(&ws, "users switched", |f| selects(f, "users", "green"));
    assert!(!selects(&ws.fake, "web", "green"), "web had not switched");
    // From now on web's version 2 answers its first probes, then fails.
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    ws.fake.set_backend_for_image("r/web:2", move |_| {
        if c.fetch_add(1, Ordering::SeqCst) < 4 {
            ProxyResponse::ok("ok")
        } else {
            ProxyResponse::new(500, "boom")
        }
    });
    ws.release("2", &[])
        .status(1)
        .stderr_has("users: ")
        .stderr_has("web failed in the same release")
        .stderr_has("switched back automatically: users serves blue again");
    monitor.assert_clean();
    for m in MEMBERS {
        assert_eq!(ws.live(m).as_deref(), Some("blue"), "{m} back on blue");
    }
}

/// `-p` deploys the members named; a name that is not a member is refused, listing them.
#[test]
fn members_are_chosen_with_p() {
    let ws = quick();
    ws.msv(&["deploy", "-p", "users", "--image", "users=r/users:1"])
        .run()
        .status(0)
        .stderr_has("1 member live");
    assert_eq!(ws.live("users").as_deref(), Some("blue"));
    assert!(ws.live("api").is_none());
    ws.msv(&["deploy", "-p", "nope", "--image", "users=r/users:1"])
        .run()
        .status(2)
        .stderr_has("no member of the workspace is named nope; its members are api, users, web");
    ws.msv(&["deploy", "--image", "r/users:1"])
        .run()
        .status(2)
        .stderr_has("--image MEMBER=REF");
}

/// `msv rollback --release ID` returns every member that went live in the release to its
/// revision before, as one release; an unknown id changes nothing.
#[test]
fn a_release_is_rolled_back_as_a_whole() {
    let ws = quick();
    ws.release("1", &[]).status(0);
    let mut args = Ws::release_args("2", &[]);
    args.extend(["-o".into(), "json".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out: Released = ws.msv(&args).run().status(0).stdout_json();
    let monitor = ws.monitor();
    let users: Vec<Traffic> = MEMBERS.iter().map(|m| ws.traffic(m)).collect();
    ws.msv(&["rollback", "--release", "nope"])
        .run()
        .status(2)
        .stderr_has("no member went live in release nope");
    ws.msv(&["rollback", "--release", &out.release])
        .run()
        .status(0)
        .stderr_has("api: back to revision 1 (r/api:1)")
        .stderr_has("3 members live");
    for t in users {
        t.assert_no_failures();
    }
    monitor.assert_clean();
    for m in MEMBERS {
        assert_eq!(ws.live(m).as_deref(), Some("blue"), "{m}");
        let last = ws.last_entry(m);
        assert_eq!(
            (last["outcome"].as_str(), last["image"].as_str()),
            (Some("rollback"), Some(format!("r/{m}:1").as_str()))
        );
    }
}

/// A release of ten members against the fake with 5 ms per API request: its wall time
/// against the slowest member's rollout and the sum of all members' deploys, and msv's own
/// time per member (its deploy minus its rollout). Run by bench/deploy.sh.
#[test]
#[ignore = "benchmark; run bench/deploy.sh"]
fn bench_release_of_ten() {
    let names: Vec<String> = (0..10).map(|i| format!("svc{i}")).collect();
    // A chain of three and seven independent members.
    let members: Vec<(&str, &str)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                n.as_str(),
                if (1..3).contains(&i) {
                    names[i - 1].as_str()
                } else {
                    ""
                },
            )
        })
        .collect();
    let ws = Ws::with_members(
        "timeout = \"30s\"\nverify_for = \"0s\"\nscale_down_delay = \"0s\"\n",
        &members,
    );
    ws.fake.set_latency(Duration::from_millis(5));
    let release = |tag: &str| {
        let mut args = vec!["deploy".to_string(), "-o".into(), "json".into()];
        for n in &names {
            args.extend(["--image".into(), format!("{n}=r/{n}:{tag}")]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let t = std::time::Instant::now();
        let out: Value = ws.msv(&args).run().status(0).stdout_json();
        (t.elapsed().as_millis() as u64, out)
    };
    release("1");
    let mut rows = vec![];
    for round in 0..4 {
        let (wall, out) = release(if round % 2 == 0 { "2" } else { "3" });
        let summaries: Vec<&Value> = out["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| &m["summary"])
            .collect();
        let phase = |s: &Value, name: &str| {
            s["phases"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["phase"] == name)
                .map(|p| p["ms"].as_u64().unwrap())
                .sum::<u64>()
        };
        let rollouts: Vec<u64> = summaries.iter().map(|s| phase(s, "rollout")).collect();
        let durations: Vec<u64> = summaries
            .iter()
            .map(|s| s["duration_ms"].as_u64().unwrap())
            .collect();
        let mut own: Vec<u64> = durations
            .iter()
            .zip(&rollouts)
            .map(|(d, r)| d - r)
            .collect();
        own.sort();
        rows.push((
            wall,
            *rollouts.iter().max().unwrap(),
            durations.iter().sum::<u64>(),
            own[own.len() / 2],
        ));
    }
    rows.sort();
    let (wall, slowest, sum, own) = rows[rows.len() / 2];
    println!(
        "release of 10 (median of 4, 5 ms API latency): wall {wall} ms; slowest member rollout {slowest} ms; sum of member deploys {sum} ms; per member, deploy minus rollout (median) {own} ms"
    );
}

/// Ctrl-C while the members roll out (one never gets ready, the others wait for it before
/// their switches): every member withdraws, nothing was switched, exit 130.
#[test]
fn ctrl_c_during_a_release_withdraws_every_member() {
    let ws = quick();
    ws.release("1", &[]).status(0);
    ws.fake
        .set_image_behavior("r/web:never", Behavior::NeverReady);
    let monitor = ws.monitor();
    let args = Ws::release_args("2", &[("web", "r/web:never")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let child = ws.msv(&args).command().spawn().unwrap();
    ws.fake
        .wait_for("every candidate applied", Duration::from_secs(20), |f| {
            MEMBERS
                .iter()
                .all(|m| f.get("deployments", NS, &format!("{m}-green")).is_some())
                .then_some(())
        });
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: a plain kill(2) of the child this test spawned.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    monitor.assert_clean();
    for m in MEMBERS {
        assert_eq!(ws.live(m).as_deref(), Some("blue"), "{m}: {err}");
        assert_eq!(ws.replicas(m, "green"), Some(0), "{m} withdrawn: {err}");
    }
}

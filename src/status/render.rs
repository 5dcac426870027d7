//! Drawing the status view model as text: the table of services and the detail view of
//! one. Every string from the cluster is sanitized here or by the table.

use std::fmt::Write as _;

use super::model::{Detail, Other, Row, State, short_age};
use crate::health::Probe;
use crate::output::{Cell, Table, Tone, sanitize};

fn state_cell(state: State) -> Cell {
    match state {
        State::Healthy => Cell::tone("healthy", Tone::Good),
        State::Degraded => Cell::tone("degraded", Tone::Warn),
        State::Unhealthy => Cell::tone("unhealthy", Tone::Bad),
    }
}

fn health_text(p: Option<&Probe>) -> String {
    match p {
        None => "-".into(),
        Some(Probe {
            status: Some(s),
            latency_ms,
            ..
        }) => format!("{s} {latency_ms}ms"),
        Some(Probe { error: Some(e), .. }) if e.contains("no answer within") => "timeout".into(),
        Some(_) => "error".into(),
    }
}

fn other_text(r: &Row) -> String {
    match &r.other {
        None => "-".into(),
        Some(o) => format!(
            "{} {} {}/{} {}",
            o.color,
            o.tag.as_deref().unwrap_or("?"),
            o.ready,
            o.desired,
            other_state_text(o)
        ),
    }
}

/// The other color's state, with its share of the traffic during a canary soak.
fn other_state_text(o: &Other) -> String {
    match o.traffic_percent {
        Some(p) => format!("{} ({p:.0}% of traffic)", o.state),
        None => o.state.clone(),
    }
}

/// The table of services; `namespaces` adds a NAMESPACE column.
pub(crate) fn table(rows: &[Row], namespaces: bool) -> Table {
    let mut headers = vec![
        "service",
        "live",
        "tag",
        "ready",
        "restarts",
        "age",
        "health",
        "status",
        "other color",
    ];
    if namespaces {
        headers.insert(0, "namespace");
    }
    // Services of a workspace went live in releases: which one each is on.
    let releases = rows.iter().any(|r| r.release.is_some());
    if releases {
        headers.push("release");
    }
    let mut t = Table::new(&headers);
    for r in rows {
        let mut cells = vec![
            Cell::new(r.name.clone()),
            match r.live_color.as_deref() {
                Some(c) => Cell::tone(c, Tone::Bold),
                None => Cell::tone("none", Tone::Bad),
            },
            Cell::new(r.tag.clone().unwrap_or_else(|| "-".into())),
            if r.ready < r.desired || r.desired == 0 {
                Cell::tone(format!("{}/{}", r.ready, r.desired), Tone::Warn)
            } else {
                Cell::new(format!("{}/{}", r.ready, r.desired))
            },
            if r.restarts > 0 {
                Cell::tone(r.restarts.to_string(), Tone::Warn)
            } else {
                Cell::new("0")
            },
            Cell::new(r.age_seconds.map_or("-".into(), short_age)),
            match &r.health {
                Some(p) if p.ok() => Cell::tone(health_text(Some(p)), Tone::Good),
                p => Cell::tone(health_text(p.as_ref()), Tone::Bad),
            },
            state_cell(r.state),
            Cell::new(other_text(r)),
        ];
        if namespaces {
            cells.insert(0, Cell::new(r.namespace.clone()));
        }
        if releases {
            cells.push(Cell::new(r.release.as_deref().unwrap_or("-")));
        }
        t.row(cells);
    }
    t
}

/// Why services are not healthy, one line each, for below the table.
pub(crate) fn reasons(rows: &[Row]) -> String {
    let mut out = String::new();
    for r in rows.iter().filter(|r| r.state != State::Healthy) {
        for reason in &r.reasons {
            let _ = writeln!(out, "{}: {}", sanitize(&r.name), sanitize(reason));
        }
    }
    out
}

/// The detail view of one service.
pub(crate) fn detail(d: &Detail, color: bool) -> String {
    let r = &d.row;
    let mut out = String::new();
    let state = match r.state {
        State::Healthy => Tone::Good.paint("healthy", color),
        State::Degraded => Tone::Warn.paint("degraded", color),
        State::Unhealthy => Tone::Bad.paint("unhealthy", color),
    };
    let _ = writeln!(
        out,
        "{} ({}): {state}",
        Tone::Bold.paint(&sanitize(&r.name), color),
        sanitize(&r.namespace)
    );
    let _ = writeln!(
        out,
        "  live:      {} {} ({}/{} ready, {} restarts{}{})",
        r.live_color.as_deref().unwrap_or("none"),
        sanitize(r.image.as_deref().unwrap_or("-")),
        r.ready,
        r.desired,
        r.restarts,
        d.live_revision
            .map_or(String::new(), |n| format!(", revision {n}")),
        r.age_seconds
            .map_or(String::new(), |s| format!(", live for {}", short_age(s))),
    );
    let _ = writeln!(
        out,
        "  health:    {}",
        r.health
            .as_ref()
            .map_or("not probed".into(), |p| sanitize(&p.describe())
                .into_owned())
    );
    let _ = writeln!(out, "  endpoints: {} ready", r.endpoints);
    if let Some(o) = &r.other {
        let _ = writeln!(
            out,
            "  other:     {} {} ({}/{} ready, {})",
            o.color,
            sanitize(o.image.as_deref().unwrap_or("-")),
            o.ready,
            o.desired,
            other_state_text(o)
        );
    }
    for reason in &r.reasons {
        let _ = writeln!(
            out,
            "  {} {}",
            Tone::Warn.paint("!", color),
            sanitize(reason)
        );
    }
    out.push('\n');
    let mut pods = Table::new(&[
        "pod",
        "color",
        "phase",
        "ready",
        "restarts",
        "age",
        "health",
        "last problem",
    ]);
    for p in &d.pods {
        let color_cell = match (&p.color, p.live) {
            (Some(c), true) => Cell::tone(format!("{c} (live)"), Tone::Bold),
            (Some(c), false) => Cell::new(c.clone()),
            (None, _) => Cell::new("-"),
        };
        let problem = [
            p.waiting.clone(),
            p.last_termination
                .clone()
                .map(|t| format!("last exit: {t}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        pods.row(vec![
            Cell::new(p.name.clone()),
            color_cell,
            Cell::new(p.phase.clone()),
            if p.ready {
                Cell::tone("yes", Tone::Good)
            } else {
                Cell::tone("no", Tone::Bad)
            },
            Cell::new(p.restarts.to_string()),
            Cell::new(p.age_seconds.map_or("-".into(), short_age)),
            match &p.health {
                Some(h) if h.ok() => Cell::tone(health_text(Some(h)), Tone::Good),
                None => Cell::new("-"),
                h => Cell::tone(health_text(h.as_ref()), Tone::Bad),
            },
            Cell::new(if problem.is_empty() {
                "-".into()
            } else {
                problem
            }),
        ]);
    }
    if pods.is_empty() {
        out.push_str("No pods.\n");
    } else {
        out.push_str(&pods.render(color));
    }
    if !d.warnings.is_empty() {
        out.push_str("\nRecent warnings:\n");
        for w in &d.warnings {
            let _ = writeln!(
                out,
                "  {} {} {}: {}{}",
                sanitize(w.time.as_deref().unwrap_or("-")),
                sanitize(&w.object),
                sanitize(&w.reason),
                sanitize(&w.message),
                if w.count > 1 {
                    format!(" (x{})", w.count)
                } else {
                    String::new()
                }
            );
        }
    }
    if !d.history.is_empty() {
        out.push_str("\nHistory (newest last):\n");
        for e in &d.history {
            let _ = writeln!(
                out,
                "  #{:<4} {:<6} {} {} by {} {}",
                e.revision,
                e.color.as_str(),
                sanitize(&e.time),
                sanitize(&e.image),
                sanitize(&e.who),
                e.outcome
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::model::Other;

    fn row(state: State) -> Row {
        Row {
            name: "orders".into(),
            namespace: "shop".into(),
            live_color: Some("blue".into()),
            image: Some("r/orders:1".into()),
            tag: Some("1".into()),
            ready: 2,
            desired: 3,
            endpoints: 2,
            restarts: 1,
            live_since: None,
            age_seconds: Some(90),
            health: Some(Probe {
                target: "service/orders".into(),
                status: None,
                latency_ms: 3000,
                error: Some("GET x: no answer within 3s".into()),
            }),
            pod_health: vec![],
            other: Some(Other {
                color: "green".into(),
                image: None,
                tag: Some("2".into()),
                ready: 1,
                desired: 3,
                state: "deploying".into(),
                traffic_percent: None,
            }),
            release: None,
            state,
            reasons: vec!["2/3 blue pods ready\x1b[2J".into()],
        }
    }

    #[test]
    fn table_shows_every_column() {
        let text = table(&[row(State::Degraded)], false).render(false);
        let line = text.lines().nth(1).unwrap();
        for part in [
            "orders",
            "blue",
            "2/3",
            "1m30s",
            "timeout",
            "degraded",
            "green 2 1/3 deploying",
        ] {
            assert!(line.contains(part), "{part} in {line}");
        }
        assert!(
            table(&[row(State::Healthy)], true)
                .render(false)
                .starts_with("NAMESPACE")
        );
    }

    #[test]
    fn a_release_column_appears_when_a_service_went_live_in_one() {
        let plain = table(&[row(State::Healthy)], false).render(false);
        assert!(!plain.contains("RELEASE"), "{plain}");
        let mut r = row(State::Healthy);
        r.release = Some("20261202-101500-00ab".into());
        let text = table(&[r, row(State::Healthy)], false).render(false);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].trim_end().ends_with("RELEASE"), "{text}");
        assert!(
            lines[1].trim_end().ends_with("20261202-101500-00ab"),
            "{text}"
        );
        assert!(lines[2].trim_end().ends_with('-'), "{text}");
    }

    #[test]
    fn reasons_are_sanitized_and_only_for_bad_rows() {
        assert_eq!(reasons(&[row(State::Healthy)]), "");
        assert_eq!(
            reasons(&[row(State::Degraded)]),
            "orders: 2/3 blue pods ready\\e[2J\n"
        );
    }
}

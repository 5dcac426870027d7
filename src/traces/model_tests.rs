//! Unit tests of the trace model (`model.rs`).

use super::*;

fn span(id: &str, parent: Option<&str>, start: u64) -> Span {
    let mut s = Span::new(id, "svc", "op");
    s.parent_id = parent.map(str::to_string);
    s.start_ns = start;
    s.duration_ns = 10;
    s
}

#[test]
fn ids_get_their_leading_zeros_back() {
    assert_eq!(normalize_id("ec2b4e0bcea566d"), "0ec2b4e0bcea566d");
    assert_eq!(
        normalize_id("2E299711CE47710289DC6640727404F"),
        "02e299711ce47710289dc6640727404f"
    );
    assert_eq!(normalize_id("not-hex"), "not-hex");
}

#[test]
fn missing_parent_makes_an_orphan_root() {
    let t = Trace::new(
        "1",
        vec![span("a", None, 0), span("b", Some("zz"), 5)],
        vec![],
    );
    assert_eq!(t.roots(), vec![0, 1]);
    assert!(t.spans[1].orphan && !t.spans[0].orphan);
}

#[test]
fn shared_server_half_hangs_under_client_half() {
    let mut server = span("b", Some("a"), 1);
    server.shared = true;
    let t = Trace::new(
        "1",
        vec![span("a", None, 0), server, span("b", Some("a"), 2)],
        vec![],
    );
    // Sorted: a(0), shared b(1), client b(2); the shared one is under the client one.
    assert_eq!(t.spans[1].parent_index, Some(2));
    assert!(t.spans[1].skew, "server starts before its client: skew");
    assert!(
        t.warnings
            .iter()
            .any(|w| w.starts_with("1 span starts before its parent (first: ")),
        "{:?}",
        t.warnings
    );
    assert_eq!(t.spans[2].parent_index, Some(0));
}

#[test]
fn a_child_attaches_to_the_server_half_of_its_own_service() {
    let mut server = span("b", Some("a"), 1);
    server.shared = true;
    server.service = "backend".into();
    let mut query = span("c", Some("b"), 2);
    query.service = "backend".into();
    let other = span("d", Some("b"), 3);
    let t = Trace::new(
        "1",
        vec![
            span("a", None, 0),
            server,
            span("b", Some("a"), 1),
            query,
            other,
        ],
        vec![],
    );
    let by = |id: &str| {
        t.spans
            .iter()
            .position(|s| s.span_id.ends_with(id))
            .unwrap()
    };
    let (server, client) = (
        t.spans.iter().position(|s| s.shared).unwrap(),
        t.spans
            .iter()
            .position(|s| s.span_id.ends_with('b') && !s.shared)
            .unwrap(),
    );
    assert_eq!(t.spans[by("c")].parent_index, Some(server));
    assert_eq!(
        t.spans[by("d")].parent_index,
        Some(client),
        "no backend half of its own"
    );
}

#[test]
fn exact_duplicates_are_kept_side_by_side() {
    let t = Trace::new(
        "1",
        vec![span("a", Some("x"), 0), span("a", Some("x"), 0)],
        vec![],
    );
    assert_eq!(t.spans.len(), 2);
    assert_eq!(t.roots(), vec![0, 1]);
}

#[test]
fn missing_start_takes_the_ancestors() {
    let mut late = span("c", Some("b"), 0);
    late.duration_ns = 0;
    let t = Trace::new(
        "1",
        vec![
            span("a", None, 100),
            span("b", Some("a"), 150),
            late,
            span("d", Some("zz"), 0),
        ],
        vec![],
    );
    let c = t.spans.iter().find(|s| s.span_id.ends_with('c')).unwrap();
    assert_eq!(c.start_ns, 150);
    assert_eq!(
        t.start_ns(),
        100,
        "the orphan without a start goes to the trace start"
    );
    assert_eq!(t.warnings.len(), 1);
}

#[test]
fn cycles_are_cut_not_followed() {
    let t = Trace::new(
        "1",
        vec![span("a", Some("b"), 0), span("b", Some("a"), 1)],
        vec![],
    );
    assert_eq!(t.roots().len(), 1);
    assert!(
        t.warnings.iter().any(|w| w.contains("closes a cycle")),
        "{:?}",
        t.warnings
    );
}

#[test]
fn no_start_at_all_is_said() {
    let t = Trace::new("1", vec![span("a", None, 0)], vec![]);
    assert!(
        t.warnings[0].starts_with("no span has a start time"),
        "{:?}",
        t.warnings
    );
    let t = Trace::new("1", vec![span("a", None, 5)], vec![]);
    assert!(t.warnings.is_empty());
}

#[test]
fn self_parent_and_zero_parent_are_roots() {
    let t = Trace::new(
        "1",
        vec![
            span("a", Some("a"), 0),
            span("b", Some("0000000000000000"), 1),
        ],
        vec![],
    );
    assert_eq!(t.roots(), vec![0, 1]);
    assert!(!t.spans[0].orphan && !t.spans[1].orphan);
}

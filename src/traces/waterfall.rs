//! Draws one [`Trace`] as a waterfall for the terminal: the span tree (service and
//! operation), each span's offset from the trace start, its duration and a bar scaled to
//! the whole trace, with marks for errors, orphans and clock skew.
//!
//! Everything fits `width` columns: names are shortened with `…`, and a tree deeper than
//! the label column allows keeps only its innermost guides. Color is applied only when
//! asked; the caller decides (the printer knows whether stdout is a terminal).

use anstyle::{AnsiColor, Style};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::model::Trace;
use super::summary::{format_duration, format_start};

pub struct Options {
    /// Total columns available (values below 60 are treated as 60).
    pub width: usize,
    pub color: bool,
}

const MIN_WIDTH: usize = 60;
const NUM_W: usize = 8;
const MIN_BAR: usize = 12;

/// Renders the waterfall, one line per span plus a header (and a legend when a mark is
/// used). Strings from the trace are sanitized here.
pub fn render(t: &Trace, opts: &Options) -> String {
    let width = opts.width.max(MIN_WIDTH);
    let paint = |style: Style, s: &str| {
        if opts.color {
            format!("{style}{s}{style:#}")
        } else {
            s.to_string()
        }
    };
    let dim = Style::new().dimmed();
    let red = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
    let svc_style = Style::new().fg_color(Some(AnsiColor::Cyan.into()));

    let t0 = t.start_ns();
    let total = t.duration_ns();
    let rows = tree_rows(t);
    let natural = rows
        .iter()
        .map(|r| {
            r.depth * 3
                + text_width(&t.spans[r.index].service)
                + 1
                + text_width(&t.spans[r.index].operation)
        })
        .max()
        .unwrap_or(0);
    // The offset and duration columns widen for the longest value (a trace of 10,000 hours
    // and more), so that no line runs past `width`.
    let num_w = rows
        .iter()
        .flat_map(|r| {
            let s = &t.spans[r.index];
            [
                format_duration(s.start_ns - t0),
                format_duration(s.duration_ns),
            ]
        })
        .map(|v| v.chars().count())
        .max()
        .unwrap_or(0)
        .max(NUM_W);
    // marks(2) + ' ' + label + ' ' + offset + ' ' + duration + ' ' + bar
    let room = width - 3 - 3 - 2 * num_w;
    let label_w = natural.min(room * 3 / 5).min(room - MIN_BAR).max(10);
    let bar_w = room - label_w;

    let mut out = String::new();
    let errors = t.error_count();
    let services = t.services().len();
    out.push_str(&format!("Trace {}\n", clean(&t.trace_id)));
    let header = format!(
        "{} · {} · {} span{} · {} service{}{}",
        format_start(t0),
        format_duration(total),
        t.spans.len(),
        if t.spans.len() == 1 { "" } else { "s" },
        services,
        if services == 1 { "" } else { "s" },
        if errors > 0 {
            format!(" · {errors} error{}", if errors == 1 { "" } else { "s" })
        } else {
            String::new()
        },
    );
    out.push_str(&truncate(&header, width));
    out.push('\n');
    let scale_end = format_duration(total);
    let scale = format!(
        "0{}{scale_end}",
        " ".repeat(bar_w.saturating_sub(1 + scale_end.len()))
    );
    let head = format!(
        "   {:<label_w$} {:>num_w$} {:>num_w$} {scale}",
        "SPAN", "OFFSET", "DURATION"
    );
    out.push_str(&paint(dim, head.trim_end()));
    out.push('\n');

    let (mut any_orphan, mut any_skew, mut any_shared) = (false, false, false);
    for row in &rows {
        let s = &t.spans[row.index];
        let mark2 = if s.orphan {
            any_orphan = true;
            '?'
        } else if s.skew {
            any_skew = true;
            '~'
        } else if s.shared {
            any_shared = true;
            '='
        } else {
            ' '
        };
        let marks = format!("{}{mark2}", if s.error { '!' } else { ' ' });
        let prefix = fit_prefix(&row.prefix, label_w / 2);
        let (service, operation) = fit_names(
            &clean(&s.service),
            &clean(&s.operation),
            label_w - text_width(&prefix),
        );
        let used = text_width(&prefix) + text_width(&service) + 1 + text_width(&operation);
        let pad = " ".repeat(label_w.saturating_sub(used));
        let bar = bar(s.start_ns - t0, s.duration_ns, total, bar_w);
        let name_style = if s.error { red } else { Style::new() };
        let line = format!(
            "{} {}{} {}{pad} {:>num_w$} {:>num_w$} {}",
            if s.error { paint(red, &marks) } else { marks },
            paint(dim, &prefix),
            paint(svc_style, &service),
            paint(name_style, &operation),
            format_duration(s.start_ns - t0),
            format_duration(s.duration_ns),
            paint(if s.error { red } else { svc_style }, &bar),
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let mut legend = Vec::new();
    if errors > 0 {
        legend.push("! error");
    }
    if any_orphan {
        legend.push("? parent not in trace (shown at top level)");
    }
    if any_skew {
        legend.push("~ starts before its parent (clock skew)");
    }
    if any_shared {
        legend.push("= server half of a shared span");
    }
    if !legend.is_empty() {
        out.push_str(&paint(dim, &truncate(&legend.join("   "), width)));
        out.push('\n');
    }
    out
}

struct Row {
    index: usize,
    depth: usize,
    /// Tree guides, innermost last (built only as deep as can be shown).
    prefix: String,
}

/// Depth-first, children in start order, without recursion (a chain may be very deep).
fn tree_rows(t: &Trace) -> Vec<Row> {
    const MAX_GUIDES: usize = 40;
    let children = t.children();
    let mut rows = Vec::with_capacity(t.spans.len());
    let mut stack: Vec<(usize, usize, bool)> =
        t.roots().into_iter().rev().map(|i| (i, 0, true)).collect();
    let mut lasts: Vec<bool> = Vec::new();
    while let Some((index, depth, last)) = stack.pop() {
        let mut prefix = String::new();
        if depth > 0 {
            lasts.truncate(depth - 1);
            let from = lasts.len().saturating_sub(MAX_GUIDES);
            for &l in &lasts[from..] {
                prefix.push_str(if l { "   " } else { "│  " });
            }
            prefix.push_str(if last { "└─ " } else { "├─ " });
            lasts.push(last);
        } else {
            lasts.clear();
        }
        rows.push(Row {
            index,
            depth,
            prefix,
        });
        let kids = &children[index];
        for (n, &c) in kids.iter().enumerate().rev() {
            stack.push((c, depth + 1, n + 1 == kids.len()));
        }
    }
    rows
}

/// Keeps the innermost whole guides of a too-deep prefix (each guide is 3 columns),
/// marked with a leading `…`.
fn fit_prefix(prefix: &str, max: usize) -> String {
    let w = text_width(prefix);
    if w <= max {
        return prefix.to_string();
    }
    let keep_guides = (max.saturating_sub(1) / 3).max(1);
    let keep: String = prefix.chars().skip(w - keep_guides * 3).collect();
    format!("…{keep}")
}

/// Shortens service and operation to `avail` columns together; the service keeps at
/// least half when both are long.
fn fit_names(service: &str, operation: &str, avail: usize) -> (String, String) {
    let (sw, ow) = (text_width(service), text_width(operation));
    if sw + 1 + ow <= avail {
        return (service.to_string(), operation.to_string());
    }
    let avail = avail.max(3);
    let svc_budget = sw.min((avail / 2).max(avail.saturating_sub(ow + 1)));
    let svc = truncate(service, svc_budget);
    let op = truncate(operation, avail.saturating_sub(text_width(&svc) + 1));
    (svc, op)
}

/// The duration bar: the span's share of the trace in whole cells, at least one.
fn bar(offset: u64, duration: u64, total: u64, width: usize) -> String {
    let (from, to) = if total == 0 {
        (0, 1)
    } else {
        let scale = |v: u64| ((v as u128 * width as u128) / total as u128) as usize;
        let from = scale(offset).min(width - 1);
        let to = (((offset as u128 + duration as u128) * width as u128).div_ceil(total as u128)
            as usize)
            .clamp(from + 1, width);
        (from, to)
    };
    format!("{}{}", " ".repeat(from), "█".repeat(to - from))
}

fn text_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Cuts `s` to at most `max` columns, ending in `…` when cut.
fn truncate(s: &str, max: usize) -> String {
    if text_width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// Trace data comes from other programs: no control characters reach the terminal.
fn clean(s: &str) -> String {
    crate::output::sanitize(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traces::model::Span;

    fn chain(n: usize) -> Trace {
        let spans = (0..n)
            .map(|i| {
                let mut s = Span::new(&format!("{:x}", i + 1), "svc", "op");
                s.parent_id = (i > 0).then(|| format!("{i:x}"));
                s.start_ns = i as u64;
                s.duration_ns = (n - i) as u64;
                s
            })
            .collect();
        Trace::new("1", spans, vec![])
    }

    #[test]
    fn every_line_fits_the_width() {
        for width in [60, 80, 133] {
            let out = render(
                &chain(300),
                &Options {
                    width,
                    color: false,
                },
            );
            assert_eq!(out.lines().count(), 303);
            for line in out.lines() {
                assert!(text_width(line) <= width, "{width}: {line:?}");
            }
        }
    }

    #[test]
    fn offsets_of_ten_thousand_hours_and_more_widen_their_column_within_the_width() {
        let mut t = chain(3);
        let hour = 3_600_000_000_000u64;
        t.spans[1].start_ns = 20_000 * hour;
        t.spans[2].start_ns = 123_456 * hour;
        t.spans[0].duration_ns = 123_457 * hour;
        let t = Trace::new("1", t.spans, vec![]);
        for width in [60, 80] {
            let out = render(
                &t,
                &Options {
                    width,
                    color: false,
                },
            );
            assert!(out.contains("123456h0m"), "{out}");
            for line in out.lines() {
                assert!(text_width(line) <= width, "{width}: {line:?}");
            }
            // The header's columns line up with the rows'.
            let head = out.lines().nth(2).unwrap();
            let row = out.lines().find(|l| l.contains("123456h0m")).unwrap();
            let end = |l: &str, what: &str| l.find(what).map(|i| text_width(&l[..i]) + what.len());
            assert_eq!(end(head, "OFFSET"), end(row, "123456h0m"), "{out}");
        }
    }

    #[test]
    fn long_names_share_the_room() {
        let (s, o) = fit_names(
            "istio-ingressgateway.istio-system",
            "productpage:9080/productpage",
            30,
        );
        assert_eq!(text_width(&s) + 1 + text_width(&o), 30);
        assert!(s.ends_with('…') && o.ends_with('…'), "{s} {o}");
        assert_eq!(fit_names("a", "b", 30), ("a".into(), "b".into()));
    }

    #[test]
    fn deep_prefixes_keep_whole_inner_guides() {
        assert_eq!(fit_prefix("│  │     └─ ", 12), "│  │     └─ ");
        assert_eq!(fit_prefix("│  │     └─ ", 8), "…   └─ ");
        assert_eq!(fit_prefix("│  │     └─ ", 2), "…└─ ");
    }

    #[test]
    fn bars_scale_and_never_vanish() {
        assert_eq!(bar(0, 10, 10, 10), "██████████");
        assert_eq!(bar(5, 0, 10, 10), "     █");
        assert_eq!(bar(9, 1, 10, 4), "   █");
        assert_eq!(bar(0, 0, 0, 4), "█");
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(clean("a\x1b[31mb\n"), "a\\e[31mb\\n");
    }

    #[test]
    fn color_only_when_asked() {
        let plain = render(
            &chain(3),
            &Options {
                width: 80,
                color: false,
            },
        );
        let colored = render(
            &chain(3),
            &Options {
                width: 80,
                color: true,
            },
        );
        assert!(!plain.contains('\x1b'));
        assert!(colored.contains("\x1b["));
    }
}

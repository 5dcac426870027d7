//! Turning one log line of one pod into what `msv logs` prints: readable text (the JSON
//! lines msv's templates emit shown as time, level, message, trace_id and the other fields),
//! one JSON object per line, or the line untouched. Pure functions; no I/O.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::output::{Tone, sanitize};

/// One line as read from the API server, split from the timestamp the server prepends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub pod: String,
    pub container: String,
    pub color: Option<String>,
    /// RFC 3339 time the kubelet recorded (empty when the server sent none).
    pub received: String,
    /// The line exactly as the container wrote it, without its newline.
    pub text: String,
}

/// Splits `2026-11-28T12:00:00.123456789Z the text` (the API server's `timestamps=true`
/// form) into its time and the untouched line.
pub(crate) fn split_timestamp(raw: &str) -> (&str, &str) {
    match raw.split_once(' ') {
        Some((time, rest))
            if time.len() >= 20 && time.as_bytes()[4] == b'-' && time.as_bytes()[10] == b'T' =>
        {
            (time, rest)
        }
        _ => ("", raw),
    }
}

/// The fields a structured line carries, found under the names the common loggers use.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Structured {
    pub time: Option<String>,
    pub level: Option<String>,
    pub message: Option<String>,
    pub trace_id: Option<String>,
    /// Everything else, in the order the line had it.
    pub rest: Vec<(String, String)>,
}

const TIME_KEYS: &[&str] = &["time", "timestamp", "ts", "@timestamp"];
const LEVEL_KEYS: &[&str] = &["level", "severity", "lvl"];
const MESSAGE_KEYS: &[&str] = &["message", "msg"];
const TRACE_KEYS: &[&str] = &["trace_id", "traceId", "trace.id"];

/// Parses a JSON object line; `None` for anything else (plain text stays plain).
pub(crate) fn parse_structured(text: &str) -> Option<Structured> {
    let trimmed = text.trim();
    if !trimmed.starts_with('{') {
        return None;
    }
    let Value::Object(mut map) = serde_json::from_str::<Value>(trimmed).ok()? else {
        return None;
    };
    // tracing-subscriber's JSON layout nests the message and event fields under "fields".
    if let Some(Value::Object(fields)) = map.remove("fields") {
        for (k, v) in fields {
            map.entry(k).or_insert(v);
        }
    }
    let take = |keys: &[&str], map: &mut Map<String, Value>| {
        keys.iter().find_map(|k| map.remove(*k)).map(|v| scalar(&v))
    };
    let time = take(TIME_KEYS, &mut map);
    let level = take(LEVEL_KEYS, &mut map);
    let message = take(MESSAGE_KEYS, &mut map);
    let trace_id = take(TRACE_KEYS, &mut map);
    let rest = map.iter().map(|(k, v)| (k.clone(), scalar(v))).collect();
    Some(Structured {
        time,
        level,
        message,
        trace_id,
        rest,
    })
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Colors given to pods in turn on a terminal, so lines of one pod can be told apart.
const POD_COLORS: &[&str] = &["36", "33", "35", "32", "34", "96", "93", "95"];

/// The prefix for a pod: its name padded to `width`, colored by `index` when `color`.
pub(crate) fn prefix(pod: &str, width: usize, index: usize, color: bool) -> String {
    let name = sanitize(pod);
    let padded = format!("{name:<width$}");
    if color {
        format!(
            "\x1b[{}m{padded}\x1b[0m",
            POD_COLORS[index % POD_COLORS.len()]
        )
    } else {
        padded
    }
}

fn level_tone(level: &str) -> Option<Tone> {
    match level.to_ascii_lowercase().as_str() {
        "error" | "err" | "fatal" | "critical" | "panic" => Some(Tone::Bad),
        "warn" | "warning" => Some(Tone::Warn),
        "debug" | "trace" => Some(Tone::Dim),
        _ => None,
    }
}

/// The readable form of a line (without the pod prefix): structured lines become
/// `TIME LEVEL message key=value trace_id=…`; other lines are printed as they are.
/// Everything from the container is sanitized.
pub(crate) fn text(line: &Line, color: bool) -> String {
    let Some(s) = parse_structured(&line.text) else {
        return sanitize(&line.text).into_owned();
    };
    let mut out = String::new();
    let time = s.time.as_deref().unwrap_or(&line.received);
    if !time.is_empty() {
        out.push_str(&Tone::Dim.paint(&sanitize(short_time(time)), color));
        out.push(' ');
    }
    if let Some(level) = &s.level {
        let shown = format!("{:<5}", level.to_ascii_uppercase());
        let shown = sanitize(&shown);
        match level_tone(level) {
            Some(tone) => out.push_str(&tone.paint(&shown, color)),
            None => out.push_str(&shown),
        }
        out.push(' ');
    }
    out.push_str(&sanitize(s.message.as_deref().unwrap_or("")));
    for (k, v) in &s.rest {
        out.push_str(&format!(" {}={}", sanitize(k), sanitize(v)));
    }
    if let Some(t) = &s.trace_id {
        out.push(' ');
        out.push_str(&Tone::Dim.paint(&format!("trace_id={}", sanitize(t)), color));
    }
    out
}

/// `2026-11-28T12:00:01.123456Z` -> `12:00:01.123`; anything else unchanged.
fn short_time(time: &str) -> &str {
    match (time.find('T'), time.len()) {
        (Some(t), len) if len >= t + 9 => {
            let end = (t + 13).min(len);
            let clock = &time[t + 1..end];
            // Stop before a zone suffix that can follow fewer fraction digits.
            match clock.find(['Z', '+', '-']) {
                Some(z) => &clock[..z],
                None => clock,
            }
        }
        _ => time,
    }
}

/// `--timestamps`: the kubelet's time and a space before the line, as `kubectl logs
/// --timestamps` prints it; nothing when not asked or when the server sent no time.
pub(crate) fn timestamp(line: &Line, asked: bool, terminal: bool) -> String {
    match asked && !line.received.is_empty() {
        true if terminal => format!("{} ", sanitize(&line.received)),
        true => format!("{} ", line.received),
        false => String::new(),
    }
}

/// The `-o raw` form: the line exactly as the container wrote it — unless it goes to a
/// terminal, where control characters are made visible like everywhere else, so that a
/// log line cannot move the cursor, retitle the window or answer back. Piped or
/// redirected, the bytes are untouched.
pub(crate) fn raw(line: &Line, terminal: bool) -> std::borrow::Cow<'_, str> {
    if terminal {
        sanitize(&line.text)
    } else {
        std::borrow::Cow::Borrowed(&line.text)
    }
}

/// The `-o json` form: one object per line; field names are an interface.
#[derive(Debug, Serialize)]
pub(crate) struct JsonLine<'a> {
    pub pod: &'a str,
    pub container: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<&'a str>,
    /// When the kubelet received the line.
    pub time: &'a str,
    /// The line as the container wrote it.
    pub line: &'a str,
    /// The decoded object when the line is JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Value>,
}

pub(crate) fn json(line: &Line) -> String {
    let fields = serde_json::from_str::<Value>(line.text.trim())
        .ok()
        .filter(Value::is_object);
    let out = JsonLine {
        pod: &line.pod,
        container: &line.container,
        color: line.color.as_deref(),
        time: &line.received,
        line: &line.text,
        fields,
    };
    serde_json::to_string(&out).expect("serializable")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        Line {
            pod: "orders-blue-1".into(),
            container: "orders".into(),
            color: Some("blue".into()),
            received: "2026-11-28T12:00:00.5Z".into(),
            text: text.into(),
        }
    }

    #[test]
    fn timestamps_are_split_from_the_line() {
        assert_eq!(
            split_timestamp("2026-11-28T12:00:00.123456789Z hello world"),
            ("2026-11-28T12:00:00.123456789Z", "hello world")
        );
        assert_eq!(split_timestamp("no time here"), ("", "no time here"));
        assert_eq!(split_timestamp(""), ("", ""));
    }

    #[test]
    fn timestamps_lead_the_line_only_when_asked_and_known() {
        let l = line("hello");
        assert_eq!(timestamp(&l, true, false), "2026-11-28T12:00:00.5Z ");
        assert_eq!(timestamp(&l, false, false), "");
        let untimed = Line {
            received: String::new(),
            ..line("hello")
        };
        assert_eq!(timestamp(&untimed, true, false), "");
    }

    #[test]
    fn template_json_lines_read_as_text() {
        let l = line(
            r#"{"time":"2026-11-28T12:00:01.123Z","level":"info","message":"request","trace_id":"4bf92f","status":200}"#,
        );
        assert_eq!(
            text(&l, false),
            "12:00:01.123 INFO  request status=200 trace_id=4bf92f"
        );
        // tracing-subscriber's layout: fields nested, upper-case level, `timestamp`.
        let l = line(
            r#"{"timestamp":"2026-11-28T12:00:02.000001Z","level":"WARN","fields":{"message":"slow","trace_id":"ab"},"target":"orders"}"#,
        );
        assert_eq!(
            text(&l, false),
            "12:00:02.000 WARN  slow target=orders trace_id=ab"
        );
        let colored = text(&line(r#"{"level":"error","message":"boom"}"#), true);
        assert!(colored.contains("\x1b[") && colored.contains("boom"));
    }

    #[test]
    fn plain_and_hostile_lines() {
        assert_eq!(text(&line("plain text"), false), "plain text");
        assert_eq!(text(&line("{not json"), false), "{not json");
        assert_eq!(text(&line("evil \x1b[2J"), false), "evil \\e[2J");
        let l = line(r#"{"message":"x\u001b]0;t\u0007"}"#);
        assert_eq!(text(&l, false), "12:00:00.5 x\\e]0;t\\u{7}");
    }

    #[test]
    fn json_output_keeps_the_line_and_decodes_fields() {
        let v: Value = serde_json::from_str(&json(&line(r#"{"message":"hi"}"#))).unwrap();
        assert_eq!(v["pod"], "orders-blue-1");
        assert_eq!(v["line"], r#"{"message":"hi"}"#);
        assert_eq!(v["fields"]["message"], "hi");
        let v: Value = serde_json::from_str(&json(&line("plain"))).unwrap();
        assert!(v.get("fields").is_none());
    }

    #[test]
    fn raw_is_untouched_unless_on_a_terminal() {
        let l = line("{\"message\":\"hi\"} \x1b]0;title\x07\t\u{9b}2J");
        assert_eq!(raw(&l, false), l.text);
        assert_eq!(
            raw(&l, true),
            "{\"message\":\"hi\"} \\e]0;title\\u{7}\t\\u{9b}2J"
        );
        assert_eq!(raw(&line("plain {\"a\":1}"), true), "plain {\"a\":1}");
    }

    #[test]
    fn prefixes_pad_and_color() {
        assert_eq!(prefix("a", 3, 0, false), "a  ");
        assert_ne!(prefix("a", 1, 0, true), prefix("a", 1, 1, true));
        assert_eq!(prefix("a\x1b", 0, 0, false), "a\\e");
    }
}

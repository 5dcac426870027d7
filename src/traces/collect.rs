//! Where parsed spans gather before they become [`Trace`]s: grouped by trace id in one
//! pass (a hash map, so 40,000 one-span traces cost the same per span as one big trace),
//! with the traces kept in the order their first span was met, and the errors a backend
//! reported beside its data. Every parser and every document of a JSON Lines file feeds
//! the same [`Collector`], so spans of one trace spread over several documents merge.

use std::collections::HashMap;

use serde::Serialize;

use super::model::{Span, Trace, normalize_id};

/// What a file or a backend answer held: the traces, and the errors the backend
/// reported (Jaeger's `errors`), which may come with partial data.
#[derive(Debug, Default, Serialize)]
pub struct Parsed {
    pub traces: Vec<Trace>,
    pub errors: Vec<BackendError>,
}

/// One entry of a Jaeger response's `errors`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackendError {
    /// The HTTP-like code Jaeger gives (404 for a trace it does not have), when it gives one.
    pub code: Option<i64>,
    pub message: String,
    /// The trace the error is about, when Jaeger names it.
    pub trace_id: Option<String>,
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(id) = &self.trace_id {
            write!(f, "trace {id}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(code) = self.code {
            write!(f, " (code {code})")?;
        }
        Ok(())
    }
}

/// Why a file gives nothing to draw.
#[derive(Debug, PartialEq)]
pub enum Nothing {
    /// No span and no error: the file is not what the user meant (bad input).
    NoSpans,
    /// No span, but the backend said why (a trace it does not have: exit 1, as when
    /// asking the backend itself); the errors in one line.
    OnlyErrors(String),
}

impl Parsed {
    /// `None` when some trace has spans to draw.
    pub fn nothing(&self) -> Option<Nothing> {
        if self.traces.iter().any(|t| !t.spans.is_empty()) {
            return None;
        }
        if self.errors.is_empty() {
            return Some(Nothing::NoSpans);
        }
        let said: Vec<String> = self.errors.iter().map(ToString::to_string).collect();
        Some(Nothing::OnlyErrors(said.join("; ")))
    }
}

#[derive(Default)]
pub(crate) struct Collector {
    index: HashMap<String, usize>,
    traces: Vec<(String, Vec<Span>, Vec<String>)>,
    pub(crate) errors: Vec<BackendError>,
}

impl Collector {
    fn slot(&mut self, trace_id: &str) -> &mut (String, Vec<Span>, Vec<String>) {
        let id = normalize_id(trace_id);
        let i = match self.index.get(&id) {
            Some(&i) => i,
            None => {
                self.traces.push((id.clone(), Vec::new(), Vec::new()));
                self.index.insert(id, self.traces.len() - 1);
                self.traces.len() - 1
            }
        };
        &mut self.traces[i]
    }

    pub(crate) fn span(&mut self, trace_id: &str, span: Span) {
        self.slot(trace_id).1.push(span);
    }

    /// Makes sure the trace exists (a Jaeger trace object with no spans still names one).
    pub(crate) fn trace(&mut self, trace_id: &str) {
        self.slot(trace_id);
    }

    pub(crate) fn warn(&mut self, trace_id: &str, warning: String) {
        self.slot(trace_id).2.push(warning);
    }

    pub(crate) fn finish(self) -> Parsed {
        Parsed {
            traces: self
                .traces
                .into_iter()
                .map(|(id, spans, warnings)| Trace::new(&id, spans, warnings))
                .collect(),
            errors: self.errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_group_by_normalized_id_in_first_seen_order() {
        let mut c = Collector::default();
        c.span("B", Span::new("1", "s", "op"));
        c.span("a", Span::new("2", "s", "op"));
        c.span("0b", Span::new("3", "s", "op"));
        let p = c.finish();
        let got: Vec<(&str, usize)> = p
            .traces
            .iter()
            .map(|t| (t.trace_id.as_str(), t.spans.len()))
            .collect();
        assert_eq!(got, [("000000000000000b", 2), ("000000000000000a", 1)]);
    }

    #[test]
    fn nothing_to_draw_is_told_apart_from_a_backend_error() {
        let mut c = Collector::default();
        c.trace("a");
        assert_eq!(c.finish().nothing(), Some(Nothing::NoSpans));
        let mut c = Collector::default();
        c.errors.push(BackendError {
            code: Some(404),
            message: "trace not found".into(),
            trace_id: None,
        });
        c.errors.push(BackendError {
            code: None,
            message: "timeout".into(),
            trace_id: None,
        });
        assert_eq!(
            c.finish().nothing(),
            Some(Nothing::OnlyErrors(
                "trace not found (code 404); timeout".into()
            ))
        );
        let mut c = Collector::default();
        c.span("a", Span::new("1", "s", "op"));
        c.errors.push(BackendError {
            code: None,
            message: "partial".into(),
            trace_id: None,
        });
        assert_eq!(c.finish().nothing(), None);
    }

    #[test]
    fn an_error_names_its_trace_and_code_only_when_known() {
        let e = BackendError {
            code: None,
            message: "storage timeout".into(),
            trace_id: None,
        };
        assert_eq!(e.to_string(), "storage timeout");
        let e = BackendError {
            code: Some(404),
            message: "trace not found".into(),
            trace_id: Some("ab".into()),
        };
        assert_eq!(e.to_string(), "trace ab: trace not found (code 404)");
    }
}

//! The one trace model every backend format is turned into, and the steps that make a
//! parsed trace safe to draw: id normalization, parent resolution (duplicates, shared
//! Zipkin spans, missing parents, cycles) and clock-skew detection.
//!
//! Parsers only fill in [`Span`]s; [`Trace::new`] does everything else, so the rules are
//! the same whatever the wire format was. Nothing here does I/O.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde::Serialize;

/// A trace with its spans sorted by start time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    pub trace_id: String,
    pub spans: Vec<Span>,
    /// Problems the backend reported or the parser noticed, in plain words.
    pub warnings: Vec<String>,
}

/// One span. Times are nanoseconds since the Unix epoch whatever unit the backend used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    pub span_id: String,
    /// The parent as the backend named it (may be absent from the trace).
    pub parent_id: Option<String>,
    pub service: String,
    pub operation: String,
    /// `server`, `client`, `producer`, `consumer` or `internal` when known.
    pub kind: Option<String>,
    pub start_ns: u64,
    pub duration_ns: u64,
    pub error: bool,
    pub attributes: Vec<KeyValue>,
    pub events: Vec<Event>,
    /// Zipkin: the server half of a span whose id it shares with the client half.
    pub shared: bool,
    /// Set by [`Trace::new`]: a parent was named but is not in the trace, so this span is
    /// drawn as a root.
    pub orphan: bool,
    /// Set by [`Trace::new`]: starts before its parent (clock skew between hosts).
    pub skew: bool,
    /// Set by [`Trace::new`]: index of the resolved parent in `spans`.
    #[serde(skip)]
    pub parent_index: Option<usize>,
}

/// An attribute. Keys repeat across every span of a trace (26 of them on each span of
/// an instrumented HTTP service), so each distinct key is stored once and shared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyValue {
    #[serde(serialize_with = "shared_str")]
    pub key: Arc<str>,
    pub value: Value,
}

fn shared_str<S: serde::Serializer>(s: &Arc<str>, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(s)
}

impl KeyValue {
    pub(crate) fn new(key: &str, value: impl Into<Value>) -> KeyValue {
        KeyValue {
            key: intern(key),
            value: value.into(),
        }
    }
}

/// An attribute value: the scalars every format has, kept small (24 bytes; a
/// `serde_json::Value` and its `String` take 32 plus a 24-byte string header), and
/// lists or maps as JSON. Written in `-o json` as the plain JSON value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    Str(Box<str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    #[default]
    Null,
    /// Lists, maps, and numbers that fit neither `i64` nor `f64` exactly.
    Json(Box<serde_json::Value>),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s.into_boxed_str())
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::String(s) => s.into(),
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Value::Int(i),
                (None, Some(f)) if n.is_f64() => Value::Float(f),
                _ => Value::Json(Box::new(serde_json::Value::Number(n))),
            },
            other => Value::Json(Box::new(other)),
        }
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Str(v) => s.serialize_str(v),
            Value::Int(v) => s.serialize_i64(*v),
            Value::Float(v) => s.serialize_f64(*v),
            Value::Bool(v) => s.serialize_bool(*v),
            Value::Null => s.serialize_unit(),
            Value::Json(v) => v.serialize(s),
        }
    }
}

/// Any JSON value read straight into a [`Value`] (a tag's value in Jaeger or Zipkin);
/// only lists and maps go through `serde_json::Value`.
impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(i64::try_from(v).map_or_else(|_| Value::Json(Box::new(v.into())), Value::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(v.into())
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(v.into())
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                <Value as serde::Deserialize>::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, a: A) -> Result<Value, A::Error> {
                use serde::Deserialize as _;
                let v = serde_json::Value::deserialize(
                    serde::de::value::SeqAccessDeserializer::new(a),
                )?;
                Ok(Value::Json(Box::new(v)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, a: A) -> Result<Value, A::Error> {
                use serde::Deserialize as _;
                let v = serde_json::Value::deserialize(
                    serde::de::value::MapAccessDeserializer::new(a),
                )?;
                Ok(Value::Json(Box::new(v)))
            }
        }
        d.deserialize_any(V)
    }
}

thread_local! {
    /// Attribute keys seen so far. Parsing runs on one thread, and the set is as large
    /// as the number of distinct keys, which the model holds anyway.
    static KEYS: std::cell::RefCell<std::collections::HashSet<Arc<str>>> = Default::default();
}

/// The shared copy of an attribute key.
pub(crate) fn intern(key: &str) -> Arc<str> {
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if let Some(k) = keys.get(key) {
            return k.clone();
        }
        let k: Arc<str> = key.into();
        keys.insert(k.clone());
        k
    })
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub time_ns: u64,
    pub name: String,
    pub attributes: Vec<KeyValue>,
}

impl Span {
    /// A span with only the fields every format has; parsers fill in the rest.
    pub(crate) fn new(span_id: &str, service: &str, operation: &str) -> Span {
        Span {
            span_id: normalize_id(span_id),
            parent_id: None,
            service: service.to_string(),
            operation: operation.to_string(),
            kind: None,
            start_ns: 0,
            duration_ns: 0,
            error: false,
            attributes: Vec::new(),
            events: Vec::new(),
            shared: false,
            orphan: false,
            skew: false,
            parent_index: None,
        }
    }

    pub(crate) fn end_ns(&self) -> u64 {
        self.start_ns.saturating_add(self.duration_ns)
    }
}

impl Trace {
    /// Builds a trace from parsed spans: sorts them, resolves parents, flags orphans and
    /// clock skew. Never drops a span.
    pub fn new(trace_id: &str, mut spans: Vec<Span>, mut warnings: Vec<String>) -> Trace {
        for s in &mut spans {
            s.parent_id = s
                .parent_id
                .take()
                .map(|p| normalize_id(&p))
                .filter(|p| !is_zero_id(p));
        }
        if !spans.is_empty() && spans.iter().all(|s| s.start_ns == 0) {
            warnings.push(
                "no span has a start time; offsets and durations are drawn, the start shown is meaningless"
                    .to_string(),
            );
        }
        let filled = fill_missing_starts(&mut spans);
        if filled > 0 {
            warnings.push(format!(
                "{filled} span{} had no start time; drawn at the start of the nearest ancestor that has one",
                if filled == 1 { "" } else { "s" }
            ));
        }
        // Stable sort keeps the backend's order among spans that start together.
        spans.sort_by_key(|s| s.start_ns);
        let cut = resolve_parents(&mut spans);
        for i in cut {
            warnings.push(format!(
                "span {} closes a cycle of parent links; the link to its parent is cut and it is drawn at the top level",
                spans[i].span_id
            ));
        }
        let skewed: Vec<&str> = spans
            .iter()
            .filter(|s| s.skew)
            .map(|s| s.span_id.as_str())
            .collect();
        if let Some(first) = skewed.first() {
            warnings.push(format!(
                "{} span{} start{} before {} parent (first: {first}): the hosts' clocks disagree; drawn where they were reported, marked ~",
                skewed.len(),
                if skewed.len() == 1 { "" } else { "s" },
                if skewed.len() == 1 { "s" } else { "" },
                if skewed.len() == 1 { "its" } else { "their" },
            ));
        }
        Trace {
            trace_id: normalize_id(trace_id),
            spans,
            warnings,
        }
    }

    pub fn start_ns(&self) -> u64 {
        self.spans.iter().map(|s| s.start_ns).min().unwrap_or(0)
    }

    pub fn end_ns(&self) -> u64 {
        self.spans.iter().map(Span::end_ns).max().unwrap_or(0)
    }

    pub fn duration_ns(&self) -> u64 {
        self.end_ns().saturating_sub(self.start_ns())
    }

    /// Distinct service names, sorted.
    pub fn services(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self.spans.iter().map(|s| s.service.as_str()).collect();
        set.into_iter().map(str::to_string).collect()
    }

    pub fn error_count(&self) -> usize {
        self.spans.iter().filter(|s| s.error).count()
    }

    /// Indices of the spans drawn at top level, in start order.
    pub fn roots(&self) -> Vec<usize> {
        (0..self.spans.len())
            .filter(|&i| self.spans[i].parent_index.is_none())
            .collect()
    }

    /// Children of every span, each list in start order.
    pub fn children(&self) -> Vec<Vec<usize>> {
        let mut children = vec![Vec::new(); self.spans.len()];
        for (i, s) in self.spans.iter().enumerate() {
            if let Some(p) = s.parent_index {
                children[p].push(i);
            }
        }
        children
    }

    /// The span a listing names the trace after: the first root that is not an orphan,
    /// else the first span.
    pub fn root_span(&self) -> Option<&Span> {
        self.spans
            .iter()
            .find(|s| s.parent_index.is_none() && !s.orphan)
            .or_else(|| self.spans.first())
    }
}

/// Lower-case hex with the leading zeros some backends drop put back (to 16 or 32 digits).
/// Anything that is not hex is kept as it is (lower-cased), so it still matches itself.
pub(crate) fn normalize_id(id: &str) -> String {
    let id = id.trim();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return id.to_ascii_lowercase();
    }
    let width = if id.len() <= 16 {
        16
    } else if id.len() <= 32 {
        32
    } else {
        id.len()
    };
    // One allocation: every span's ids come through here.
    let mut out = String::with_capacity(width);
    out.extend(std::iter::repeat_n('0', width - id.len()));
    out.push_str(id);
    out.make_ascii_lowercase();
    out
}

/// Zipkin keeps spans whose start was never reported (timestamp absent, read as 0).
/// Placing them at 1970 would stretch the trace over decades, so they take the start of
/// their nearest ancestor that has one, else the trace's earliest start.
fn fill_missing_starts(spans: &mut [Span]) -> usize {
    if spans.iter().all(|s| s.start_ns != 0) {
        return 0;
    }
    let Some(earliest) = spans.iter().map(|s| s.start_ns).filter(|&t| t != 0).min() else {
        return 0;
    };
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (i, s) in spans.iter().enumerate() {
        if s.start_ns != 0 || !by_id.contains_key(s.span_id.as_str()) {
            by_id.insert(s.span_id.as_str(), i);
        }
    }
    let fills: Vec<(usize, u64)> = (0..spans.len())
        .filter(|&i| spans[i].start_ns == 0)
        .map(|i| {
            let mut cur = i;
            // Bounded walk: a cycle of start-less spans ends at the trace start.
            for _ in 0..spans.len() {
                let Some(p) = spans[cur].parent_id.as_deref().and_then(|p| by_id.get(p)) else {
                    break;
                };
                if spans[*p].start_ns != 0 {
                    return (i, spans[*p].start_ns);
                }
                cur = *p;
            }
            (i, earliest)
        })
        .collect();
    for &(i, start) in &fills {
        spans[i].start_ns = start;
    }
    fills.len()
}

fn is_zero_id(id: &str) -> bool {
    id.is_empty() || id.bytes().all(|b| b == b'0')
}

/// Links every span to its parent by index.
///
/// Rules, in order: among spans sharing an id the first non-`shared` one is the primary
/// that children attach to, unless a `shared` one (Zipkin server half) was recorded by the
/// child's own service; a `shared` span hangs under its primary;
/// any other duplicate keeps the primary's parent, so it is drawn beside it; a parent that
/// is absent makes the span an orphan root; a link that would close a cycle is cut.
/// Returns the spans whose link was cut to break a cycle.
fn resolve_parents(spans: &mut [Span]) -> Vec<usize> {
    let mut primary: HashMap<&str, usize> = HashMap::new();
    // Zipkin's rule (`SpanNode.Builder`): a child of a shared id attaches to the server
    // half recorded by its own service, which is the side that made the call.
    let mut shared_half: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, s) in spans.iter().enumerate() {
        let e = primary.entry(s.span_id.as_str()).or_insert(i);
        if spans[*e].shared && !s.shared {
            *e = i;
        }
        if s.shared {
            shared_half
                .entry((s.span_id.as_str(), s.service.as_str()))
                .or_insert(i);
        }
    }
    let links: Vec<(Option<usize>, bool)> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let own = primary.get(s.span_id.as_str()).copied().filter(|&p| p != i);
            if let (Some(p), true) = (own, s.shared) {
                return (Some(p), false);
            }
            match &s.parent_id {
                None => (None, false),
                Some(pid) => match shared_half
                    .get(&(pid.as_str(), s.service.as_str()))
                    .or_else(|| primary.get(pid.as_str()))
                    .copied()
                {
                    Some(p) if p != i => (Some(p), false),
                    Some(_) => (None, false),
                    None => (None, true),
                },
            }
        })
        .collect();
    for (s, (p, orphan)) in spans.iter_mut().zip(&links) {
        s.parent_index = *p;
        s.orphan = *orphan;
    }
    let cut = cut_cycles(spans);
    for i in 0..spans.len() {
        spans[i].skew = match spans[i].parent_index {
            Some(p) => spans[i].start_ns < spans[p].start_ns,
            None => false,
        };
    }
    cut
}

/// Walks up from every span; a span met twice on one walk closes a cycle, so its link
/// is cut and it becomes a root. Iterative, so a 10,000-deep chain is fine.
fn cut_cycles(spans: &mut [Span]) -> Vec<usize> {
    let mut cut = Vec::new();
    // 0 = unvisited, 1 = on the current walk, 2 = known to reach a root.
    let mut state = vec![0u8; spans.len()];
    let mut walk = Vec::new();
    for start in 0..spans.len() {
        let mut cur = Some(start);
        while let Some(i) = cur {
            match state[i] {
                2 => break,
                1 => {
                    spans[i].parent_index = None;
                    cut.push(i);
                    break;
                }
                _ => {
                    state[i] = 1;
                    walk.push(i);
                    cur = spans[i].parent_index;
                }
            }
        }
        for i in walk.drain(..) {
            state[i] = 2;
        }
    }
    cut
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;

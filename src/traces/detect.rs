//! Which format a saved trace is in, from its content alone (`msv traces show --file`),
//! and the one entry point that reads any of them: [`parse_any`].
//!
//! When the first bytes of the input already decide what [`place`] would say (see
//! [`super::sniff`]), the typed parser reads it in one pass. Otherwise a cheap first pass
//! reads only the document's shape ([`Shape`]: the keys of objects, the first element of
//! each list, a few levels deep; everything else is skipped, nothing is kept), then
//! [`place`] names the format from the keys — of the top-level object, or of the first
//! elements of a top-level list — and the typed parser of that format reads the document.
//! A shape that fits no format exactly is refused with the formats known and what was
//! seen: a guess would draw a wrong waterfall.
//!
//! Input forms handled before that (see [`super::input`]): gzip, a UTF-8 byte-order mark,
//! and JSON Lines (several documents, each placed on its own, spans merged by trace id).

use std::io::BufRead as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::collect::{Collector, Parsed};
use super::input::Source;
use super::model::Trace;

/// The formats [`parse_any`] reads, named as in the messages.
pub const KNOWN: &str = "Jaeger JSON (an API response {\"data\": ...}, one trace {\"traceID\", \"spans\", \"processes\"}, \
or a list of traces or of spans), OTLP/JSON ({\"resourceSpans\"} bare, in Jaeger v3's {\"result\"} or Tempo's \
{\"batches\"} / {\"trace\"}, camelCase or snake_case, or a list of those), Zipkin v2 or v1 JSON (a list of spans \
with \"traceId\" and \"id\", or a list of such lists)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Jaeger query API v1 envelope: `{"data": [trace..] | null, "errors": [..]}`.
    JaegerEnvelope,
    /// `{"data": {trace}}`, as the Jaeger UI's loader also accepts.
    JaegerDataTrace,
    /// One Jaeger trace object, as the Jaeger UI exports it.
    JaegerTrace,
    /// A list of Jaeger trace objects (`jq .data` of a response).
    JaegerTraceList,
    /// A list of Jaeger v1 spans (`jq '.data[].spans'`), grouped by their `traceID`.
    JaegerSpanList,
    /// OTLP/JSON `TracesData`, bare or in a `result` / `trace` wrapper, or Tempo `batches`.
    Otlp,
    /// A list of OTLP `TracesData` documents.
    OtlpDocList,
    /// A list of OTLP `ResourceSpans`.
    OtlpResourceList,
    /// Zipkin v2 spans; `nested` for a list of traces (a list of span lists).
    ZipkinV2 { nested: bool },
    /// Zipkin v1 spans (annotations with endpoints, binaryAnnotations).
    ZipkinV1 { nested: bool },
    /// Tempo search results: summaries, not a trace.
    TempoSearch,
    /// An empty list: no spans at all.
    Empty,
}

/// The outline of a JSON value: object keys with their outlines, and for a list the
/// outline of its first element that is not an empty list.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Object(Vec<(String, Shape)>),
    Array(Option<Box<Shape>>),
    Null,
    Scalar,
    /// Below the depth looked at.
    Deep,
}

/// Deep enough for `[[{"annotations":[{"endpoint":{..}}]}]]` and
/// `{"data":[{"spans":[{"spanID"}]}]}`.
pub(super) const DEPTH: u8 = 6;

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Shape, D::Error> {
        d.deserialize_any(ShapeVisitor(DEPTH))
    }
}

/// Reads the outline of a value down to the depth it carries.
pub(super) struct ShapeVisitor(pub(super) u8);

impl<'de> serde::de::DeserializeSeed<'de> for ShapeVisitor {
    type Value = Shape;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Shape, D::Error> {
        if self.0 == 0 {
            IgnoredAny::deserialize(d)?;
            return Ok(Shape::Deep);
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }
    fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }
    fn visit_unit<E>(self) -> Result<Shape, E> {
        Ok(Shape::Null)
    }
    fn visit_none<E>(self) -> Result<Shape, E> {
        Ok(Shape::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Shape, A::Error> {
        let mut first: Option<Shape> = None;
        loop {
            match &first {
                None | Some(Shape::Array(None)) => {
                    match a.next_element_seed(ShapeVisitor(self.0 - 1))? {
                        Some(s) => {
                            if first.is_none() || s != Shape::Array(None) {
                                first = Some(s);
                            }
                        }
                        None => break,
                    }
                }
                Some(_) => {
                    while a.next_element::<IgnoredAny>()?.is_some() {}
                    break;
                }
            }
        }
        Ok(Shape::Array(first.map(Box::new)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Shape, A::Error> {
        let mut keys = Vec::new();
        while let Some(k) = a.next_key::<String>()? {
            let v = a.next_value_seed(ShapeVisitor(self.0 - 1))?;
            keys.push((k, v));
        }
        Ok(Shape::Object(keys))
    }
}

impl Shape {
    fn get(&self, key: &str) -> Option<&Shape> {
        match self {
            Shape::Object(keys) => keys.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    fn has_any(&self, keys: &[&str]) -> bool {
        keys.iter().any(|k| self.has(k))
    }
    fn first(&self) -> Option<&Shape> {
        match self {
            Shape::Array(first) => first.as_deref(),
            _ => None,
        }
    }
    /// What a message shows of it: the keys of an object, the kind otherwise.
    fn describe(&self) -> String {
        match self {
            Shape::Object(keys) if keys.is_empty() => "an empty object".into(),
            Shape::Object(keys) => {
                let mut names: Vec<String> =
                    keys.iter().take(8).map(|(k, _)| format!("{k:?}")).collect();
                if keys.len() > 8 {
                    names.push(format!("and {} more", keys.len() - 8));
                }
                format!("an object with keys {}", names.join(", "))
            }
            Shape::Array(None) => "an empty list".into(),
            Shape::Array(Some(first)) => {
                format!("a list whose first element is {}", first.describe())
            }
            Shape::Null => "null".into(),
            Shape::Scalar => "a string, number or boolean".into(),
            Shape::Deep => "a nested value".into(),
        }
    }
}

pub(super) const OTLP_ROOT: &[&str] = &["resourceSpans", "resource_spans", "batches"];
const OTLP_RESOURCE: &[&str] = &[
    "scopeSpans",
    "scope_spans",
    "instrumentationLibrarySpans",
    "instrumentation_library_spans",
];

fn is_jaeger_trace(s: &Shape) -> bool {
    s.has("spans") && s.has_any(&["traceID", "processes"])
}

fn is_otlp_data(s: &Shape) -> bool {
    matches!(s, Shape::Object(keys) if keys.is_empty()) || s.has_any(OTLP_ROOT)
}

/// Names the format of a document from its shape, or says why it cannot.
pub fn place(shape: &Shape) -> Result<Format, String> {
    match shape {
        Shape::Object(_) => place_object(shape),
        Shape::Array(None) => Ok(Format::Empty),
        Shape::Array(Some(first)) => place_list(first),
        other => Err(format!("the document is {}", other.describe())),
    }
}

fn place_object(s: &Shape) -> Result<Format, String> {
    if s.has_any(OTLP_ROOT) {
        return Ok(Format::Otlp);
    }
    for wrapper in ["result", "trace"] {
        if let Some(inner) = s.get(wrapper) {
            return if is_otlp_data(inner) {
                Ok(Format::Otlp)
            } else {
                Err(format!(
                    "{:?} is {}, not OTLP trace data",
                    wrapper,
                    inner.describe()
                ))
            };
        }
    }
    if is_jaeger_trace(s) {
        return Ok(Format::JaegerTrace);
    }
    match s.get("data") {
        Some(Shape::Array(None) | Shape::Null) => return Ok(Format::JaegerEnvelope),
        Some(Shape::Array(Some(first))) if is_jaeger_trace(first) => {
            return Ok(Format::JaegerEnvelope);
        }
        Some(inner @ Shape::Object(_)) if is_jaeger_trace(inner) => {
            return Ok(Format::JaegerDataTrace);
        }
        Some(inner) => {
            return Err(format!(
                "\"data\" is {}, not Jaeger traces",
                inner.describe()
            ));
        }
        None => {}
    }
    if s.has("errors") {
        return Ok(Format::JaegerEnvelope);
    }
    if s.has("traces") {
        return Ok(Format::TempoSearch);
    }
    Err(format!("the document is {}", s.describe()))
}

fn place_list(first: &Shape) -> Result<Format, String> {
    let (first, nested) = match first {
        Shape::Array(None) => return Ok(Format::Empty),
        Shape::Array(Some(inner)) => (&**inner, true),
        other => (other, false),
    };
    let seen = || format!("a list whose first element is {}", first.describe());
    if !matches!(first, Shape::Object(_)) {
        return Err(seen());
    }
    if first.has("traceId") && first.has("id") {
        let v1 = first.has("binaryAnnotations")
            || first
                .get("annotations")
                .and_then(Shape::first)
                .is_some_and(|a| a.has("endpoint"));
        return Ok(if v1 {
            Format::ZipkinV1 { nested }
        } else {
            Format::ZipkinV2 { nested }
        });
    }
    if nested {
        return Err(format!(
            "a list of lists whose first span is {}",
            first.describe()
        ));
    }
    if is_jaeger_trace(first) {
        return Ok(Format::JaegerTraceList);
    }
    if first.has("spanID") && first.has("traceID") {
        return Ok(Format::JaegerSpanList);
    }
    if first.has_any(OTLP_ROOT) {
        return Ok(Format::OtlpDocList);
    }
    if first.has_any(OTLP_RESOURCE) {
        return Ok(Format::OtlpResourceList);
    }
    if first.has("traceId") && first.has("localEndpoint")
        || first.has("traceId") && first.has("annotations")
    {
        return Err(format!(
            "{}: Zipkin spans need both \"traceId\" and \"id\"",
            seen()
        ));
    }
    if first.has("spanId") && first.has("operationName") {
        return Err(format!(
            "{}: Jaeger's internal model (protobuf JSON, as the anonymizer writes) is not read; \
             export the trace from the Jaeger UI or /api/traces/ID",
            seen()
        ));
    }
    if first.has("spanId") && first.has_any(&["startTimeUnixNano", "start_time_unix_nano"]) {
        return Err(format!(
            "{}: bare OTLP spans carry no service; give the whole {{\"resourceSpans\": ...}} document",
            seen()
        ));
    }
    Err(seen())
}

/// Reads any format msv knows from a file's bytes (gzip, BOM and JSON Lines included).
/// A Tempo search result or a shape that fits no format is an error saying what was seen.
pub fn parse_any(bytes: &[u8]) -> Result<Parsed> {
    parse_source(&Source::Bytes(bytes))
}

/// [`parse_any`] for a file, `-` meaning stdin. A file is read from disk as it is
/// parsed, never held whole: once, or twice when its format needs its whole outline.
pub fn parse_file(path: &Path) -> Result<Parsed> {
    if path.as_os_str() == "-" {
        return parse_any(&super::input::read_stdin()?);
    }
    parse_source(&Source::Path(path))
}

fn parse_source(src: &Source<'_>) -> Result<Parsed> {
    match one_pass(src) {
        Some(parsed) => Ok(parsed),
        None => two_passes(src),
    }
}

/// Places every document from its whole outline (one pass), then reads each with the
/// parser of its format (a second pass).
fn two_passes(src: &Source<'_>) -> Result<Parsed> {
    let docs = super::input::documents(src)?;
    let many = docs.len() > 1;
    let where_ = |line: usize| {
        if many {
            format!("line {line}: ")
        } else {
            String::new()
        }
    };
    let formats = docs
        .iter()
        .map(|doc| {
            place(&doc.shape).map_err(|seen| {
                anyhow::anyhow!(
                    "{}not a trace format msv knows: {seen}; msv reads {KNOWN}",
                    where_(doc.line)
                )
            })
        })
        .collect::<Result<Vec<Format>>>()?;
    let mut c = Collector::default();
    let mut d = serde_json::Deserializer::from_reader(src.open()?);
    for (doc, format) in docs.iter().zip(formats) {
        let read = read(format, &mut d, &mut c);
        if many {
            read.with_context(|| format!("line {}", doc.line))?;
        } else {
            read?;
        }
    }
    Ok(c.finish())
}

/// Reads a document whose first bytes decide its format (see [`super::sniff`]) in one
/// pass: the typed parser's. `None` for anything else — a format that needs the whole
/// outline, a later document of JSON Lines not placed by its first key, or any error:
/// the two-pass reader then says what is wrong with the line numbers it counts, so a bad
/// file costs a second read, a good one does not.
fn one_pass(src: &Source<'_>) -> Option<Parsed> {
    let mut r = src.open().ok()?;
    let format = super::sniff::certain(r.fill_buf().ok()?)?;
    let mut c = Collector::default();
    let mut d = serde_json::Deserializer::from_reader(r);
    read(format, &mut d, &mut c).ok()?;
    // JSON Lines: each further document must be placed by its first key alone too.
    // `end` reads only white space, so after it fails the next document's start is next.
    while d.end().is_err() {
        super::otlp::read_next(&mut d, &mut c).ok()?;
    }
    Some(c.finish())
}

fn read<'de, R: serde_json::de::Read<'de>>(
    format: Format,
    d: &mut serde_json::Deserializer<R>,
    c: &mut Collector,
) -> Result<()> {
    match format {
        Format::JaegerEnvelope
        | Format::JaegerDataTrace
        | Format::JaegerTrace
        | Format::JaegerTraceList
        | Format::JaegerSpanList => super::jaeger::read(format, d, c),
        Format::Otlp | Format::OtlpDocList | Format::OtlpResourceList => {
            super::otlp::read(format, d, c)
        }
        Format::ZipkinV2 { nested } => super::zipkin::read(d, nested, c),
        Format::ZipkinV1 { nested } => super::zipkin_v1::read(d, nested, c),
        Format::TempoSearch => bail!(
            "this is a Tempo search result (trace summaries, no spans); fetch one trace with `msv traces show TRACE_ID`"
        ),
        Format::Empty => {
            IgnoredAny::deserialize(&mut *d)?;
            Ok(())
        }
    }
}

/// [`parse_any`] for callers that only want the traces (fuzz targets, tests).
pub fn parse_traces(bytes: &[u8]) -> Result<Vec<Trace>> {
    parse_any(bytes).map(|p| p.traces)
}

#[cfg(test)]
#[path = "detect_tests.rs"]
mod tests;

//! Logs and traces. Logs are JSON lines on stdout; inside a request they carry the
//! request span's `trace_id` and `span_id`. Traces follow the W3C `traceparent` header and
//! are exported over OTLP only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the exporter
//! reads the standard `OTEL_*` variables itself, the SDK `OTEL_TRACES_SAMPLER` and
//! `OTEL_BSP_*`). `service.name` is this crate's name unless `OTEL_SERVICE_NAME` says
//! otherwise; `OTEL_RESOURCE_ATTRIBUTES` adds the rest (`service.version`, ...).

use std::fmt;
use std::io::BufWriter;

use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry::{Context, global};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer as _};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

pub const SERVICE_NAME: &str = env!("CARGO_PKG_NAME");

/// Keeps the tracer provider and the log writer alive; call [`Telemetry::shutdown`] before
/// exit to flush spans and log lines.
pub struct Telemetry {
    provider: SdkTracerProvider,
    logs: WorkerGuard,
}

pub fn init() -> anyhow::Result<Telemetry> {
    global::set_text_map_propagator(TraceContextPropagator::new());

    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(SERVICE_NAME);
    }
    let mut builder = SdkTracerProvider::builder().with_resource(resource.build());
    let exporting = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|k| std::env::var(k).is_ok_and(|v| !v.is_empty()));
    if exporting {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()?;
        // Batches are exported from the processor's own thread, off the request path.
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    global::set_tracer_provider(provider.clone());
    let tracer = provider.tracer(SERVICE_NAME);

    // Log lines go to stdout from a thread of their own, in batches: one write per batch
    // instead of one per line on the request's thread. Not lossy: when the queue is full
    // a request waits rather than its access line being dropped. The queue's slots are
    // allocated up front, so it is kept at 16k lines (the crate's default, 128k, is 4 MB).
    let (stdout, logs) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(16 * 1024)
        .thread_name("log-writer")
        .finish(BufWriter::with_capacity(64 * 1024, std::io::stdout()));
    let json = tracing_subscriber::fmt::layer()
        .fmt_fields(NoSpanFields)
        .event_format(JsonLine)
        .with_writer(stdout);
    tracing_subscriber::registry()
        .with(EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with(json)
        .with(
            // `tracing` spans opened by handlers become children of the request's span.
            // Spans only: log events stay in the logs instead of becoming span events, and
            // no source location, thread or busy/idle time attributes on every span.
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_location(false)
                .with_threads(false)
                .with_tracked_inactivity(false)
                .with_filter(filter_fn(|meta| meta.is_span())),
        )
        .try_init()?;
    tracing::info!(otlp_export = exporting, "telemetry initialized");
    Ok(Telemetry { provider, logs })
}

impl Telemetry {
    pub fn shutdown(self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("flushing traces failed: {e}");
        }
        // Dropping the guard writes out the log lines still queued.
        drop(self.logs);
    }
}

/// One JSON object per log line: `timestamp`, `level`, `target`, the event's own fields
/// (`message` among them) and, inside a traced request, its `trace_id` and `span_id` (those
/// of the current OpenTelemetry context: the request's server span, or a `tracing` span
/// opened inside it).
///
/// Written here rather than using tracing-subscriber's JSON format because that one keeps
/// every span's fields as JSON text and parses and re-serialises them on each event and
/// each `span.record`, which cost more than the request itself in this service. The line is
/// serialised straight into one buffer: no map of fields, no string per value.
struct JsonLine;

/// Span fields are not logged (spans are traced, their ids logged), so they are not
/// formatted either.
struct NoSpanFields;

impl<'w> FormatFields<'w> for NoSpanFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        _: Writer<'w>,
        _: R,
    ) -> fmt::Result {
        Ok(())
    }
}

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut timestamp = String::with_capacity(32);
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        let meta = event.metadata();
        let mut buf = Vec::with_capacity(256);
        let mut ser = serde_json::Serializer::new(&mut buf);
        let mut map = ser.serialize_map(None).map_err(|_| fmt::Error)?;
        let mut ok = map.serialize_entry("timestamp", &timestamp).is_ok()
            && map.serialize_entry("level", meta.level().as_str()).is_ok()
            && map.serialize_entry("target", meta.target()).is_ok();
        let mut fields = Fields {
            map: &mut map,
            ok: true,
        };
        event.record(&mut fields);
        ok &= fields.ok;
        ok &= Context::map_current(|cx| {
            let span = cx.span();
            let ids = span.span_context();
            !ids.is_valid()
                || (map
                    .serialize_entry("trace_id", &format_args!("{}", ids.trace_id()))
                    .is_ok()
                    && map
                        .serialize_entry("span_id", &format_args!("{}", ids.span_id()))
                        .is_ok())
        });
        if !ok || SerializeMap::end(map).is_err() {
            return Err(fmt::Error);
        }
        buf.push(b'\n');
        // serde_json writes UTF-8 only.
        writer.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

/// Writes each field of an event as one entry of the line's JSON object.
struct Fields<'a, M> {
    map: &'a mut M,
    ok: bool,
}

impl<M: SerializeMap> Fields<'_, M> {
    fn entry(&mut self, field: &Field, value: &(impl Serialize + ?Sized)) {
        self.ok &= self.map.serialize_entry(field.name(), value).is_ok();
    }
}

impl<M: SerializeMap> Visit for Fields<'_, M> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.entry(field, value);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.entry(field, &value);
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.entry(field, &value);
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.entry(field, &value);
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.entry(field, &value);
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.entry(field, &format_args!("{value:?}"));
    }
}

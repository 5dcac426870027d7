//! Logs and traces. Logs are JSON lines on stdout; inside a request they carry the
//! request span's `trace_id` and `span_id`. Traces follow the W3C `traceparent` header and
//! are exported over OTLP only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the exporter
//! reads the standard `OTEL_*` variables itself, the SDK `OTEL_TRACES_SAMPLER` and
//! `OTEL_BSP_*`). `service.name` is this crate's name unless `OTEL_SERVICE_NAME` says
//! otherwise; `OTEL_RESOURCE_ATTRIBUTES` adds the rest (`service.version`, ...).

use std::fmt;

use opentelemetry::global;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_opentelemetry::OpenTelemetrySpanExt;
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

/// Keeps the tracer provider alive; call [`Telemetry::shutdown`] before exit to flush spans.
pub struct Telemetry {
    provider: SdkTracerProvider,
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

    let json = tracing_subscriber::fmt::layer()
        .fmt_fields(NoSpanFields)
        .event_format(JsonLine)
        .with_writer(std::io::stdout);
    tracing_subscriber::registry()
        .with(EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with(json)
        .with(
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
    Ok(Telemetry { provider })
}

impl Telemetry {
    pub fn shutdown(self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("flushing traces failed: {e}");
        }
    }
}

/// One JSON object per log line: `timestamp`, `level`, `target`, the event's own fields
/// (`message` among them) and, inside a span, the trace's `trace_id` and `span_id`.
///
/// Written here rather than using tracing-subscriber's JSON format because that one keeps
/// every span's fields as JSON text and parses and re-serialises them on each event and
/// each `span.record`, which cost more than the request itself in this service.
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
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut timestamp = String::with_capacity(32);
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        let meta = event.metadata();
        let mut line = Fields(Map::new());
        line.0.insert("timestamp".into(), timestamp.into());
        line.0.insert("level".into(), meta.level().as_str().into());
        line.0.insert("target".into(), meta.target().into());
        event.record(&mut line);
        if let Some(ids) = ctx
            .lookup_current()
            .into_iter()
            .flat_map(|span| span.scope())
            .find_map(|span| span.extensions().get::<TraceIds>().cloned())
        {
            line.0.insert("trace_id".into(), ids.trace_id.into());
            line.0.insert("span_id".into(), ids.span_id.into());
        }
        let text = serde_json::to_string(&line.0).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// The ids a request span's log lines carry, kept with the span (see [`log_trace_ids`]).
#[derive(Clone)]
struct TraceIds {
    trace_id: String,
    span_id: String,
}

/// Makes the log lines inside `span` (and its children) carry its trace and span ids.
/// Called once per request span, outside any log event: the ids exist only once the
/// OpenTelemetry layer has given the span its context.
pub fn log_trace_ids(span: &tracing::Span) {
    let ids = span.context().span().span_context().clone();
    if !ids.is_valid() {
        return;
    }
    span.with_subscriber(|(id, dispatch)| {
        if let Some(registry) = dispatch.downcast_ref::<tracing_subscriber::Registry>()
            && let Some(data) = registry.span(id)
        {
            data.extensions_mut().insert(TraceIds {
                trace_id: ids.trace_id().to_string(),
                span_id: ids.span_id().to_string(),
            });
        }
    });
}

struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}

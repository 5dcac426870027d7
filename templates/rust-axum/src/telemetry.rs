//! Logs and traces. Logs are JSON lines on stdout; inside a request they carry the
//! request span's `trace_id` and `span_id`. Traces follow the W3C `traceparent` header and
//! are exported over OTLP only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the exporter
//! reads the standard `OTEL_*` variables itself). `service.name` is this crate's name
//! unless `OTEL_SERVICE_NAME` says otherwise.

use opentelemetry::global;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
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
    let exporting = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_ok_and(|v| !v.is_empty());
    if exporting {
        let exporter = opentelemetry_otlp::SpanExporter::builder().with_http().build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    global::set_tracer_provider(provider.clone());
    let tracer = provider.tracer(SERVICE_NAME);

    let json = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(std::io::stdout);
    tracing_subscriber::registry()
        .with(EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with(json)
        .with(tracing_opentelemetry::layer().with_tracer(tracer))
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

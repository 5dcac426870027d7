//! Traces from Jaeger, Zipkin and Tempo in one model, drawn as a waterfall.
//!
//! Each backend format has its parser (`jaeger`, `otlp`, `zipkin`, `tempo`) producing
//! [`Trace`]s; [`model`] resolves parents and oddities the same way for all of them;
//! [`waterfall`] draws one trace; [`client`] talks to the backends over HTTP. The
//! `msv traces` command wires these to the configuration and the printer.

pub mod client;
mod de;
pub mod detect;
pub mod jaeger;
pub mod model;
pub mod otlp;
pub mod summary;
pub mod tempo;
pub mod waterfall;
pub mod zipkin;

pub use model::{Event, KeyValue, Span, Trace};
pub use summary::TraceSummary;

#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod mutation_tests;

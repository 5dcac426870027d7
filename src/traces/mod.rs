//! Traces from Jaeger, Zipkin and Tempo in one model, drawn as a waterfall.
//!
//! [`detect`] places a file's format from its content ([`input`] undoes gzip, BOM and
//! JSON Lines first); each format has its parser (`jaeger`, `otlp`, `zipkin`,
//! `zipkin_v1`, `tempo`) feeding [`collect`], which groups spans into [`Trace`]s; [`model`] resolves parents and oddities the same way for all of them;
//! [`waterfall`] draws one trace; [`client`] talks to the backends over HTTP. The
//! `msv traces` command wires these to the configuration and the printer.

pub mod client;
pub mod collect;
pub mod connect;
mod de;
pub mod detect;
pub mod input;
pub mod jaeger;
pub mod model;
pub mod otlp;
mod sniff;
pub mod summary;
mod surrogates;
pub mod tempo;
pub mod waterfall;
pub mod zipkin;
pub mod zipkin_v1;

pub use collect::{BackendError, Parsed};
pub use model::{Event, KeyValue, Span, Trace};
pub use summary::TraceSummary;

#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod mutation_tests;
#[cfg(test)]
mod roundtrip_tests;

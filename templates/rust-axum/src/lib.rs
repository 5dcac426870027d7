//! The service as a library, so the endpoints can be tested without a network.

pub mod api;
pub mod app;
pub mod error;
pub mod metrics;
pub mod settings;
pub mod telemetry;

//! HTTP access to the trace backends (placeholder until wired).

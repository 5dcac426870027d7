//! The fake Kubernetes API server (see its issue).

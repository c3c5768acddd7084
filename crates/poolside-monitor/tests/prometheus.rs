//! Prometheus export.

//! Tests that need the crate's private parts: the loom models of its protocols
//! (compiled only under `cfg(poolside_loom)`).

mod loom;

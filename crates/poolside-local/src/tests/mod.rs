//! Tests that need the crate's private parts: the loom models of the shortcut's arming
//! protocol (compiled only under `cfg(poolside_loom)`).

mod loom;

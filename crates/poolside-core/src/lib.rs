//! The traits and types that every poolside pool shares.
//!
//! - [`Reset`]: brings an object back to its clean state, keeping its allocations;
//!   `#[derive(Reset)]` writes it for your structs (the default `derive` feature), and
//!   [`reset_inner`] resets an `Option`'s contents in place.
//! - [`Recycle`]: a pool's recycle policy: how it makes an object, and what it does with
//!   one that comes back ([`Verdict`]). Built-ins: [`DefaultPolicy`], [`FnPolicy`] (with
//!   [`FnCreate`] and [`FnCreateRecycle`] for function pointers), and [`CapPolicy`] over
//!   any [`Capacity`] type.
//! - [`ConfigError`]: why a pool could not be built, for every pool; [`LimitReached`]:
//!   what every pool's `get_timeout` returns when its limit stayed reached.
//! - [`Stats`] and [`Discards`]: a snapshot of what a pool did. A pool records it the way
//!   its type says: [`Stats`] (the default) or [`NoStats`].
//! - [`Observe`]: the object-safe view of a pool that monitors hold, with extra
//!   [`Metric`]s of a [`MetricKind`]; [`Observable`]: a pool a monitor can hold weakly.
#![warn(
    missing_docs,
    missing_debug_implementations,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]
#![forbid(unsafe_code)]

mod config;
mod policy;
mod reset;
mod stats;
mod sync;

pub use config::{ConfigError, LimitReached};
#[doc(hidden)]
pub use policy::ResetOnly;
pub use policy::{
    CapPolicy, Capacity, DefaultPolicy, FnCreate, FnCreateRecycle, FnPolicy, Recycle, Verdict,
};
pub use reset::{reset_inner, Reset};
pub use stats::{Discards, Metric, MetricKind, NoStats, Observable, Observe, Stats};

/// What poolside's own crates share beyond the API: the limits the pools' builders check
/// (`PoolConfig`), the events pools record and the counters they record them in, the guarded recycle step, the list of statistics the
/// exporters walk. Not part of the API: it may change in any release. The benchmarks of
/// the counters reach them here too.
#[doc(hidden)]
pub mod internals {
    pub use crate::config::{PoolConfig, PoolConfigBuilder};
    pub use crate::policy::recycle_guarded;
    /// How a pool records its statistics: sealed, its methods the pools' business; users
    /// choose a recorder by type (`Stats` or `NoStats`) and never name the trait.
    pub use crate::stats::Recorder;
    pub use crate::stats::{Discard, Event, LocalCounters, Statistic, ThreadCounters, STATISTICS};
    pub use crate::sync::PerThread;

    #[cfg(poolside_loom)]
    pub use crate::sync::exiting_for_loom;
}

/// Derives [`Reset`] for a struct by resetting each field.
///
/// Attributes:
/// - `#[reset(skip)]` on a field keeps it as it is;
/// - `#[reset(with = path)]` on a field calls `path(&mut field)` instead of `Reset::reset`;
/// - `#[reset(crate = path)]` on the struct names the path to `poolside_core`, for crates
///   that reach it through a re-export.
///
/// ```
/// use poolside_core::Reset;
///
/// #[derive(Reset)]
/// struct Request<B> {
///     body: B,
///     #[reset(skip)]
///     id: u64,
///     #[reset(with = clear_tag)]
///     tag: String,
/// }
///
/// fn clear_tag(tag: &mut String) {
///     tag.clear();
///     tag.push_str("none");
/// }
///
/// let mut r = Request { body: vec![1u8, 2, 3], id: 7, tag: "a".into() };
/// r.reset();
/// assert!(r.body.is_empty());
/// assert_eq!((r.id, r.tag.as_str()), (7, "none"));
/// ```
#[cfg(feature = "derive")]
pub use poolside_derive::Reset;

/// The READMEs' examples, run as doctests so they cannot rot.
#[cfg(doctest)]
mod readme_examples {
    #[doc = include_str!("../README.md")]
    struct Core;

    #[doc = include_str!("../../poolside-derive/README.md")]
    struct Derive;
}

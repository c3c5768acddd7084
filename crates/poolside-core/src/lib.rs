//! The traits and types that every poolside pool shares.
//!
//! - [`Reset`]: brings an object back to its clean state, keeping its allocations;
//!   `#[derive(Reset)]` writes it for your structs (the default `derive` feature).
//! - [`Recycle`]: a pool's recycle policy: how it makes an object, and what it does
//!   with one that comes back. Built-ins: [`DefaultPolicy`], [`FnPolicy`], and
//!   [`CapPolicy`] over any [`Capacity`] type.
//! - [`recycle_guarded`]: runs a policy under `catch_unwind`, so a panicking reset
//!   discards the object instead of the pool.
//! - [`PoolConfig`]: limits that every pool understands, validated into a
//!   [`ConfigError`] instead of a panic.
//! - [`Stats`], [`Discards`]: a snapshot of what a pool did; [`Recorder`] is how every
//!   pool records it, chosen by type: [`Counters`] (per-thread counts, summed when read)
//!   or [`NoStats`] (nothing at all). [`LocalCounters`] is one thread's counts, for pools
//!   to embed in their own per-thread state; [`ThreadCounters`] finds them by a
//!   thread-local lookup, for pools that have none.
//! - [`Observe`]: the object-safe view of a pool that monitors hold, with extra
//!   [`Metric`]s.
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

pub use config::{ConfigError, LimitReached, PoolConfig, PoolConfigBuilder};
pub use policy::{
    recycle_guarded, CapPolicy, Capacity, DefaultPolicy, FnCreate, FnCreateRecycle, FnPolicy,
    OverCap, Recycle, ResetOnly, Verdict,
};
pub use reset::{reset_inner, Reset};
pub use stats::{
    Counters, Discard, Discards, Event, LocalCounters, Metric, MetricKind, NoStats, Observable,
    Observe, Recorder, Stats, ThreadCounters,
};

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

#[doc(hidden)]
pub use stats::{Statistic, STATISTICS};
#[doc(hidden)]
pub use sync::PerThread;

#[cfg(poolside_loom)]
#[doc(hidden)]
pub use sync::exiting_for_loom;

/// The READMEs' examples, run as doctests so they cannot rot.
#[cfg(doctest)]
mod readme_examples {
    #[doc = include_str!("../README.md")]
    struct Core;

    #[doc = include_str!("../../poolside-derive/README.md")]
    struct Derive;
}

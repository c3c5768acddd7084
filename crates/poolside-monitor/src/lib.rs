//! See what every pool is doing, at almost no cost.
//!
//! Pools count for themselves, per thread (poolside-core's counters), and sum the counts
//! only when read, so recording costs no shared write on the hot path. This crate
//! reads them:
//!
//! - [`Registry`]: named pools, held weakly, with a process-wide [`Registry::global`].
//!   Anything that implements core's [`Observe`](poolside_core::Observe) can be
//!   registered: every poolside pool, and your own.
//!   A name it refuses is a core `ConfigError` (`NameTaken`, `EmptyName`).
//! - [`Snapshot`]: every pool's statistics plus hit rate, discard rate and average
//!   retained bytes, one [`PoolSnapshot`] per pool with its own
//!   [`Metric`](poolside_core::Metric)s; a `Display` table for the terminal; what
//!   happened between two snapshots, as a snapshot over that span
//!   ([`Snapshot::since`]).
//! - [`Maintenance`]: a background thread that decays the pools every interval, so idle
//!   pools shrink, and can report a snapshot after each pass.
//! - Exporters behind features: `prometheus` (a [`Registry`] is a `prometheus-client`
//!   collector),
//!   `metrics` (`Snapshot::report_metrics`, to the recorder of the `metrics` facade, which
//!   libraries are expected to report to) and `serde` (`Serialize` for snapshots, for
//!   JSON).
//!
//! No wrapper pool is needed: every poolside pool records its own statistics, and
//! wrapping one in a second counter would count each operation twice. A pool of your
//! own implements `Observe` and registers as an `Arc`.
//!
//! ```
//! use poolside_monitor::Registry;
//! use poolside_object::ObjectPool;
//!
//! let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
//! Registry::global().register("request_bodies", &pool)?;
//! for _ in 0..100 {
//!     let mut body = pool.get();
//!     body.extend_from_slice(b"hello");
//! }
//! print!("{}", Registry::global().snapshot());
//! # Ok::<(), poolside_core::ConfigError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(any(feature = "prometheus", feature = "metrics"))]
mod export;
mod maintenance;
#[cfg(feature = "metrics")]
mod metrics;
#[cfg(feature = "prometheus")]
mod prometheus;
mod registry;
mod snapshot;

pub use maintenance::Maintenance;
pub use registry::Registry;
pub use snapshot::{PoolSnapshot, Snapshot};

/// The README's example, run as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;

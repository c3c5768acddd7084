//! Memory pooling and object reuse, behind one dependency.
//!
//! A pool hands the same objects out again instead of allocating new ones. Each comes
//! out as a guard that gives it back when dropped, cleaned before anyone sees it again;
//! limits keep buffers that grew huge out of the pool; statistics say whether the pool
//! hits.
//!
//! ```
//! use poolside::SizedPool;
//!
//! let pool = SizedPool::new();
//! let mut body = pool.get(1500)?; // capacity of at least 1500 bytes
//! body.extend_from_slice(b"hello");
//! drop(body); // back in the pool, cleared
//! let again = pool.get(1500)?; // the same buffer
//! # drop(again);
//! println!("hit rate: {:.0}%", pool.stats().hit_rate().unwrap_or(0.0) * 100.0);
//! # assert_eq!(pool.stats().hits, 1);
//! # Ok::<(), std::collections::TryReserveError>(())
//! ```
//!
//! # What is here
//!
//! - At the root: the pools, their builders and their guards, and the traits they share:
//!   [`Reset`] (with `#[derive(Reset)]`), recycle policies ([`Recycle`]),
//!   [`ConfigError`] (why any pool could not be built), [`LimitReached`]
//!   (what any `get_timeout` returns when its limit stayed reached), statistics
//!   ([`Stats`]) and [`Observe`], the view of a pool that a monitor holds.
//!
//! Taking from a pool means the same everywhere: `get` never waits, and goes past a
//! pool's limit if it has one (counted); `try_get` never waits and never goes past the
//! limit; `get_timeout` waits for a return. Every pool is made by its `builder()`, whose
//! `build()` checks the settings.
//! - [`object`]: [`ObjectPool`], for structs of any kind (feature `object`, default).
//! - [`buffer`]: byte buffer pools (feature `buffer`, default): [`SizedPool`] (size
//!   classes), [`BytePool`] (learns the sizes it serves), [`RingPool`] (a fixed number of
//!   fixed-size buffers in one allocation).
//! - `worker`: `WorkerPool`, whose steady stream of tasks allocates nothing (feature
//!   `worker`).
//! - `monitor`: a registry of named pools, snapshots that print as a table, a
//!   maintenance thread that lets idle pools shrink (feature `monitor`).
//!
//! Each module is one of poolside's crates, re-exported whole; a crate that wants only
//! one of them can depend on it alone (`poolside-object`, `poolside-buffer`, ...).
//!
//! # Features
//!
//! | feature | default | adds |
//! |---|---|---|
//! | `object` | yes | the object pool |
//! | `buffer` | yes | the byte buffer pools |
//! | `derive` | yes | `#[derive(Reset)]` |
//! | `worker` | | the worker pool |
//! | `monitor` | | the registry, snapshots and maintenance thread |
//! | `bytes` | | `bytes::BufMut` for buffer guards, `freeze` into `bytes::Bytes` |
//! | `serde` | | `Serialize` for statistics and snapshots |
//! | `prometheus` | | a `prometheus-client` collector (implies `monitor`) |
//! | `metrics` | | snapshots reported through the `metrics` facade (implies `monitor`) |
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use poolside_core::{
    CapPolicy, Capacity, ConfigError, DefaultPolicy, Discards, FnCreate, FnCreateRecycle, FnPolicy,
    LimitReached, Metric, MetricKind, NoStats, Observable, Observe, Recycle, Reset, Stats, Verdict,
};

#[cfg(feature = "buffer")]
pub use poolside_buffer::{
    ByteBuf, BytePool, BytePoolBuilder, OwnedByteBuf, OwnedRingBuf, OwnedSizedBuf, PooledBuf,
    RingBuf, RingPool, RingPoolBuilder, SizedBuf, SizedPool, SizedPoolBuilder,
};
#[cfg(feature = "object")]
pub use poolside_object::{ObjectPool, ObjectPoolBuilder, OwnedPooled, Pooled};
#[cfg(feature = "worker")]
pub use poolside_worker::{Handler, WorkerPool, WorkerPoolBuilder};

/// The object pool: [`poolside-object`](https://docs.rs/poolside-object).
#[cfg(feature = "object")]
pub mod object {
    pub use poolside_object::*;
}

/// The byte buffer pools: [`poolside-buffer`](https://docs.rs/poolside-buffer).
#[cfg(feature = "buffer")]
pub mod buffer {
    pub use poolside_buffer::*;
}

/// The worker pool: [`poolside-worker`](https://docs.rs/poolside-worker).
#[cfg(feature = "worker")]
pub mod worker {
    pub use poolside_worker::*;
}

/// The monitor: [`poolside-monitor`](https://docs.rs/poolside-monitor).
#[cfg(feature = "monitor")]
pub mod monitor {
    pub use poolside_monitor::*;
}

/// The names most programs use: `use poolside::prelude::*;`.
///
/// ```
/// use poolside::prelude::*;
///
/// #[derive(Default, Reset)]
/// struct Response {
///     status: u16,
///     body: Vec<u8>,
/// }
///
/// let pool: ObjectPool<Response> = ObjectPool::new();
/// let mut r = pool.get();
/// r.status = 200;
/// r.body.extend_from_slice(b"hello");
/// drop(r); // reset and kept
/// let r = pool.get();
/// assert_eq!((r.status, r.body.len()), (0, 0));
/// ```
pub mod prelude {
    pub use poolside_core::{Observe, Reset};

    #[cfg(feature = "buffer")]
    pub use poolside_buffer::{BytePool, RingPool, SizedPool};
    #[cfg(feature = "object")]
    pub use poolside_object::ObjectPool;
    #[cfg(feature = "worker")]
    pub use poolside_worker::{Handler, WorkerPool};
}

/// The workspace README's examples, run as doctests so they cannot rot.
#[cfg(all(doctest, feature = "object", feature = "buffer"))]
#[doc = include_str!("../../../README.md")]
struct Readme;

//! A fast, safe object pool.
//!
//! - [`ObjectPool`]: a thread-safe pool of reusable objects, with a cache per thread over
//!   a bounded lock-free shared tier.
//! - [`Pooled`]: the guard [`ObjectPool::get`] returns; it borrows the pool and gives the
//!   object back when dropped.
//!   [`OwnedPooled`], the `'static` one [`ObjectPool::get_owned`] returns, holds a
//!   handle to the pool instead.
//! - [`ObjectPoolBuilder`]: every way to make a pool ([`ObjectPool::builder`]): its
//!   factory and recycle step, limits, a cap on live objects, statistics or none.
//! - [`LimitReached`]: what [`ObjectPool::get_timeout`] returns when no object came back
//!   in time at the live cap.
//! - Statistics: the pool's third type parameter, [`Stats`](poolside_core::Stats) (the
//!   default, each thread's counts in its cache's block) or
//!   [`NoStats`](poolside_core::NoStats).
//!
//! Objects are cleaned on the way back by the pool's
//! [`Recycle`](poolside_core::Recycle) policy, by default with
//! [`Reset`](poolside_core::Reset). See [`ObjectPool`] for the design and its limits.
#![warn(
    missing_docs,
    missing_debug_implementations,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]
// `unsafe` is allowed in `table`, for the calls into poolside-local's per-thread engine,
// and in `guard`, for a guard with no `Option` to test (see their docs).
#![deny(unsafe_code)]

mod budget;
mod builder;
mod guard;
mod limit;
mod local;
mod pool;
mod shared;
mod sync;
mod table;

pub use builder::ObjectPoolBuilder;
pub use guard::{OwnedPooled, Pooled};
pub use pool::ObjectPool;
pub use poolside_core::LimitReached;

/// The README's example, run as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;

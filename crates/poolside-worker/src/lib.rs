//! A worker pool whose steady stream of tasks allocates nothing.
//!
//! - [`WorkerPool`]: a fixed set of named worker threads, a bounded queue, and task
//!   objects reused with their buffers and their completion signal. Hand work in with
//!   `submit` (waits for the output, the seed's shape), `spawn` (a [`TaskHandle`] to
//!   wait on later), their `try_` variants that return [`Rejected::Full`] to shed load,
//!   and their `_timeout` variants.
//! - [`Handler`]: what a task holds and how it runs; [`FnHandler`] wraps a closure.
//! - [`WorkerConfig`]: workers, queue length, thread names, checked when built.
//!
//! Tasks are pooled in poolside-object's [`ObjectPool`](poolside_object::ObjectPool);
//! the pool implements [`Observable`](poolside_core::Observable), so a
//! `poolside-monitor` registry reports its task pool's hit rate beside its queued,
//! running, blocked, completed, panicked and rejected counts.
//!
//! A panic in a task reaches its waiter as [`TaskPanicked`] and the worker lives on;
//! shutdown runs what is queued and joins every worker.
//!
//! The crate has no `unsafe` code. Its two concurrent protocols, the completion signal
//! and the shutdown gate, are modelled with loom in `tests/loom.rs`; the queue is
//! crossbeam-channel's.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod error;
// `pub` items in these two are opened to the loom models alone.
#[cfg_attr(not(poolside_loom), allow(unreachable_pub))]
mod gate;
mod handler;
mod pool;
#[cfg_attr(not(poolside_loom), allow(unreachable_pub))]
mod slot;
mod sync;

pub use config::{WorkerConfig, WorkerConfigBuilder};
pub use error::{ConfigError, Rejected, SubmitError, TaskPanicked};
pub use handler::{FnHandler, Handler};
pub use pool::{TaskCounts, TaskHandle, WorkerPool};

/// The protocols, opened for the loom models in `tests/loom.rs`; not part of the API.
#[cfg(poolside_loom)]
#[doc(hidden)]
pub mod loom_api {
    pub use crate::gate::{Gate, Pass};
    pub use crate::slot::{Filling, Ran, Slot};
}

/// The README's example, run as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;

//! A worker pool whose steady stream of tasks allocates nothing.
//!
//! - [`WorkerPool`]: a fixed set of named worker threads, a bounded queue, and task
//!   objects reused with their buffers and their completion signal. Hand work in with
//!   `submit` (waits for the output), `spawn` (a [`TaskHandle`] to
//!   wait on later), their `try_` variants that return [`SubmitError::Full`] to shed load,
//!   and their `_timeout` variants.
//! - [`Handler`]: how a task runs; any `Fn(&mut T) -> O` is one.
//! - [`WorkerPoolBuilder`]: workers, queue length, thread names, checked when built
//!   ([`WorkerPool::builder`]).
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
//! and the shutdown gate, are private; loom models them from inside the crate, in
//! `src/tests/loom.rs`. The queue is crossbeam-channel's.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod error;
mod gate;
mod handler;
mod pool;
mod slot;
mod sync;
// The loom models, beside the private protocols they check (sharded-slab's layout).
#[cfg(all(test, poolside_loom))]
mod tests;

pub use config::WorkerPoolBuilder;
pub use error::{SubmitError, TaskPanicked};
pub use handler::Handler;
pub use pool::{TaskHandle, WorkerPool};

/// The README's example, run as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;

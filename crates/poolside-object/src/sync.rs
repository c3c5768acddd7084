//! The pieces loom must see, switched under `cfg(poolside_loom)`.
//!
//! Loom runs model threads on one OS thread and sees only its own types, so under loom:
//! atomics, fences, the mutex and the condition variable (the live limit's waiters) are
//! loom's (poolside-local switches its thread-local table and its shared-tier `Queue` the
//! same way). Loom's `Condvar::wait_timeout` never
//! times out: it waits for a notification, so a lost wake-up shows as a deadlock.

#[cfg(not(poolside_loom))]
pub(crate) use std::sync::atomic::{fence, AtomicUsize, Ordering};

#[cfg(poolside_loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicUsize, Ordering};

#[cfg(not(poolside_loom))]
pub(crate) use std::sync::{Condvar, Mutex};

#[cfg(poolside_loom)]
pub(crate) use loom::sync::{Condvar, Mutex};

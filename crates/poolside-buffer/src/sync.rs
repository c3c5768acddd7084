//! The pieces loom must see, switched under `cfg(poolside_loom)`: atomics, the
//! mutex and condition variable that `RingPool` waiters sleep on.

#[cfg(not(poolside_loom))]
pub(crate) use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(poolside_loom))]
pub(crate) use std::sync::{Condvar, Mutex};

#[cfg(poolside_loom)]
pub(crate) use loom::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
#[cfg(poolside_loom)]
pub(crate) use loom::sync::{Condvar, Mutex};

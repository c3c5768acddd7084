//! The pieces loom must see, switched under `cfg(poolside_loom)`: the atomics, mutex and
//! condition variable of a task's completion signal and of the shutdown gate.

#[cfg(not(poolside_loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
#[cfg(not(poolside_loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(poolside_loom))]
pub(crate) use std::thread::yield_now;

#[cfg(poolside_loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
#[cfg(poolside_loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(poolside_loom)]
pub(crate) use loom::thread::yield_now;

/// Spins a little while `ready` says no, and says whether it turned true. Under loom
/// it does not spin: every spin would be a state for the model to explore.
#[inline]
pub(crate) fn spin_until(ready: impl Fn() -> bool) -> bool {
    #[cfg(not(poolside_loom))]
    {
        let backoff = crossbeam_utils::Backoff::new();
        while !backoff.is_completed() {
            if ready() {
                return true;
            }
            backoff.snooze();
        }
    }
    ready()
}

//! The optional cap on live objects (handed out and not yet returned).

use std::time::{Duration, Instant};

use poolside_core::LimitReached;

use crate::sync::{fence, AtomicUsize, Condvar, Mutex, Ordering};

/// A cap on the objects a pool has handed out at once, set with
/// [`ObjectPoolBuilder::max_live`](crate::ObjectPoolBuilder::max_live): the live count
/// and the waiters, shared by a pool's handles.
///
/// Counting live objects takes a shared atomic read-modify-write on every get and put,
/// the very thing the per-thread caches avoid, so the cap is opt-in. The caller chooses
/// what happens at the cap by the method it calls, as with `Mutex::lock` and
/// `try_lock`, rather than by a setting that would make `get` fallible for everyone.
/// Detached objects no longer count as live.
pub(crate) struct Live {
    max: usize,
    live: AtomicUsize,
    high_water: AtomicUsize,
    over_limit: AtomicUsize,
    waiters: AtomicUsize,
    lock: Mutex<()>,
    returned: Condvar,
}

impl Live {
    /// At most `max` live objects, above 0 (the builder refuses 0).
    pub(crate) fn new(max: usize) -> Live {
        Live {
            max,
            live: AtomicUsize::new(0),
            high_water: AtomicUsize::new(0),
            over_limit: AtomicUsize::new(0),
            waiters: AtomicUsize::new(0),
            lock: Mutex::new(()),
            returned: Condvar::new(),
        }
    }

    /// Takes a place under the cap, if there is one.
    pub(crate) fn try_acquire(&self) -> bool {
        let acquired = self
            .live
            // SeqCst, with `leave`'s decrement and the waiter count: see `leave`.
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max).then_some(n + 1)
            });
        match acquired {
            Ok(before) => {
                self.high_water.fetch_max(before + 1, Ordering::Relaxed);
                true
            }
            Err(_) => false,
        }
    }

    /// Takes a place whether or not the cap allows it, counting the excess.
    pub(crate) fn acquire_anyway(&self) {
        if !self.try_acquire() {
            let before = self.live.fetch_add(1, Ordering::Acquire);
            self.over_limit.fetch_add(1, Ordering::Relaxed);
            self.high_water.fetch_max(before + 1, Ordering::Relaxed);
        }
    }

    /// Waits up to `timeout` for a place.
    pub(crate) fn acquire_timeout(&self, timeout: Duration) -> Result<(), LimitReached> {
        if self.try_acquire() {
            return Ok(());
        }
        let start = Instant::now();
        let deadline = start.checked_add(timeout);
        self.waiters.fetch_add(1, Ordering::SeqCst);
        // Pairs with the fence in `leave`: see there.
        fence(Ordering::SeqCst);
        let mut guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = loop {
            if self.try_acquire() {
                break Ok(());
            }
            let now = Instant::now();
            let left = match deadline {
                Some(deadline) if now >= deadline => {
                    break Err(LimitReached::new(self.max, now - start))
                }
                Some(deadline) => deadline - now,
                // A timeout too large to add to now: wait in long steps.
                None => Duration::from_secs(3600),
            };
            guard = self
                .returned
                .wait_timeout(guard, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        };
        drop(guard);
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        outcome
    }

    /// Gives a place back, waking a waiter if there is one.
    pub(crate) fn leave(&self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
        // A waiter counts itself, then re-checks the live count; this decrements the
        // live count, then checks for waiters. With a SeqCst fence between the two steps
        // on each side, one fence comes first in their total order, so either the
        // waiter's re-check sees the place free, or this check sees the waiter and wakes
        // it. (SeqCst accesses alone would do too, but loom models SeqCst fences, not
        // SeqCst accesses, and its model of the waiters needs this.)
        fence(Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) > 0 {
            let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
            self.returned.notify_one();
        }
    }

    pub(crate) fn live(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    pub(crate) fn high_water(&self) -> usize {
        self.high_water.load(Ordering::Relaxed)
    }

    pub(crate) fn over_limit(&self) -> usize {
        self.over_limit.load(Ordering::Relaxed)
    }
}

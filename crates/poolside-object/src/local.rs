//! One thread's cache of one pool. [`crate::table`] finds it.

use std::sync::{Arc, Weak};

use crate::pool::{Idle, Shared};
use crate::StatsMode;

/// One thread's idle objects for one pool, and its statistics.
pub(crate) struct LocalCache<T: Send + 'static, S: StatsMode> {
    /// A stack: gets and puts at the end (LIFO, so the object handed out is the one
    /// whose cache lines are warmest); trims, decays and spills take from the front, the
    /// coldest. Objects are boxed, so shifting the stack moves pointers only.
    ///
    /// Its capacity is the pool's `thread_cache` and never changes: every push checks
    /// for room first (so the vector never grows, and the optimizer drops its own check).
    pub(crate) objects: Vec<Idle<T>>,
    /// The pool's trim/decay epoch this cache has acted on.
    pub(crate) epoch: u64,
    /// The process-wide generation read just before this cache last found `epoch` equal
    /// to its pool's: the shortcut's (`table::with_last`) until it moves.
    pub(crate) checked: u64,
    /// The fewest objects this cache held since the last decay: that many went unused.
    pub(crate) low_water: usize,
    /// Objects still to release for a trim or decay, taken one per table borrow.
    pub(crate) to_release: usize,
    /// Bytes this cache has leased from the pool's byte budget (0 without one).
    pub(crate) lease: usize,
    /// Retained bytes of the objects in this cache, counted against the lease (0
    /// without a budget). Never above `lease`.
    pub(crate) held: usize,
    /// Whether the pool has a byte budget, whose lease the hot paths check.
    pub(crate) budgeted: bool,
    /// The budget's chunk (0 without one): slack beyond two goes back to the budget.
    pub(crate) chunk: usize,
    pub(crate) counters: S::Local,
    pub(crate) shared: Weak<Shared<T, S>>,
}

impl<T: Send + 'static, S: StatsMode> LocalCache<T, S> {
    pub(crate) fn new(shared: &Arc<Shared<T, S>>) -> Self {
        LocalCache {
            objects: Vec::with_capacity(shared.thread_cache),
            epoch: shared.epoch(),
            checked: crate::table::STALE,
            low_water: 0,
            to_release: 0,
            lease: 0,
            held: 0,
            budgeted: shared.budget.is_some(),
            chunk: shared.budget.as_ref().map_or(0, |b| b.chunk()),
            counters: S::register(&shared.stats),
            shared: Arc::downgrade(shared),
        }
    }
}

impl<T: Send + 'static, S: StatsMode> Drop for LocalCache<T, S> {
    /// The thread has exited, or the pool behind this cache is gone: hand the idle
    /// objects to the shared tier if the pool lives, and fold the counters in.
    fn drop(&mut self) {
        let Some(shared) = self.shared.upgrade() else {
            // The pool is gone; its objects drop with this cache.
            return;
        };
        // Each object's claim on the byte budget moves with it to the shared tier, and
        // only then is the rest of the lease given back, so the budget covers every
        // idle object at every moment, as other threads see it.
        for idle in std::mem::take(&mut self.objects) {
            let bytes = idle.bytes;
            let claimed = shared.budget.is_some();
            match shared.push_claimed(idle) {
                Ok(()) => {}
                Err(idle) => {
                    S::add(&self.counters, poolside_core::Event::Trimmed, 1);
                    S::add_idle_bytes(&self.counters, -(bytes as i64));
                    drop(idle);
                    if claimed {
                        shared.give_bytes(bytes);
                    }
                }
            }
            if claimed {
                self.lease -= bytes;
            }
            // Bytes that moved tiers stay idle: the counters need no change.
        }
        shared.give_bytes(self.lease);
        S::retire(&shared.stats, &self.counters);
    }
}

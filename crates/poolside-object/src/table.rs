//! The object pool on poolside-local's per-thread engine: a thread's [`LocalCache`] is
//! the pool's state in its block, and [`with_last`] and [`with_cache`] lend it to this
//! crate's functions on it.
//!
//! poolside-local's contract for a function lent a block (it runs no user code, never
//! reaches the table, and never panics) is kept by `local`'s functions, the only ones
//! passed here: they move boxed objects and integers, and leave resets, factories and
//! drops of objects to their callers, once the block is let go.
#![allow(unsafe_code)]

use std::sync::atomic::{fence, Ordering};

use poolside_core::internals::Event;
use poolside_core::internals::Recorder;
use poolside_local::{Counts, Local, PoolId, Roster, Tag};

use crate::local::LocalCache;
use crate::shared::Shared;

/// The block's contract (see the module docs): `alive` and `may_arm` read a weak count
/// and two integers; `close` retires the counts first.
// SAFETY: `alive`, `may_arm`, `new_counts` and `roster` run no user code, reach no table and cannot
// panic; `close` retires the counts from the roster before anything else, while the
// pool lives (`Recorded::retire`), and only then hands objects on, which may run user
// code (`Drop` of `T`).
unsafe impl<T: Send + 'static, S: Recorder> Local for LocalCache<T, S> {
    type Counts = S::Local;
    type Pool = Shared<T, S>;

    #[inline(always)]
    fn id(pool: &Shared<T, S>) -> &PoolId<Self> {
        &pool.id
    }

    fn new_counts(_: &Shared<T, S>) -> S::Local {
        S::new_local()
    }

    fn roster(pool: &Shared<T, S>) -> Option<&Roster<S::Local>> {
        pool.stats.roster()
    }

    fn alive(&self) -> bool {
        self.shared.strong_count() > 0
    }

    /// Armed once the cache has acted on every trim and decay of its pool up to the
    /// epoch read now, and has nothing left to release.
    fn may_arm(&self, pool: &Shared<T, S>) -> bool {
        self.epoch == pool.epoch() && self.to_release == 0
    }

    /// The thread has exited, or the pool behind this cache is gone: if the pool lives,
    /// fold the counters into its statistics (so its roster lets go of them), then
    /// hand the idle objects to the shared tier. What is left drops with the block.
    fn close(&mut self, counters: &Counts<Self>) {
        let Some(shared) = self.shared.upgrade() else {
            // The pool is gone, and its roster with it; its objects drop with the
            // block. The roster's reads of these counters happened before the pool's
            // last reference went (its decrement releases them, as std's `Arc` orders a
            // drop), and the failed upgrade read that decrement, relaxed: this fence
            // acquires it, so the block is freed after those reads (std's fence: it
            // pairs with std's `Arc`).
            fence(Ordering::Acquire);
            return;
        };
        // First, so the roster holds no pointer to a block about to be freed, even if
        // a `Drop` of `T` below panics; what happens after is counted in the shared
        // counters.
        shared.stats.retire(counters);
        // Each object's claim on the byte budget moves with it to the shared tier, and
        // only then is the rest of the lease given back, so the budget covers every
        // idle object at every moment, as other threads see it.
        while let Some(idle) = self.objects.pop_front() {
            let bytes = idle.bytes;
            let claimed = shared.budget.is_some();
            match shared.push_claimed(idle) {
                Ok(()) => {}
                Err(idle) => {
                    shared.stats.add(Event::Trimmed, 1);
                    shared.stats.add_idle_bytes(-(bytes as i64));
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
    }
}

/// Runs `f` on this thread's cache of the pool tagged `tag`, if the shortcut points at
/// it (poolside-local's [`with_last`](poolside_local::with_last)). `f` must be one of
/// `local`'s functions (see the module docs).
#[inline(always)]
pub(crate) fn with_last<T, S, A, R>(
    tag: Tag<LocalCache<T, S>>,
    arg: A,
    f: fn(&mut LocalCache<T, S>, &S::Local, A) -> R,
) -> Result<R, A>
where
    T: Send + 'static,
    S: Recorder,
{
    // SAFETY: `f` is one of `local`'s functions, which keep the contract (module docs).
    unsafe { poolside_local::with_last(tag, arg, f) }
}

/// Runs `f` on this thread's cache of `shared`, made with `make` on first use
/// (poolside-local's [`with_block`](poolside_local::with_block)); `None` when the
/// thread has no table to use. `f` must be one of `local`'s functions, and `make` runs
/// no user code.
#[inline(always)]
pub(crate) fn with_cache<T, S, A, R>(
    shared: &Shared<T, S>,
    make: impl FnOnce() -> LocalCache<T, S>,
    arg: A,
    f: fn(&mut LocalCache<T, S>, &S::Local, A) -> R,
) -> Option<R>
where
    T: Send + 'static,
    S: Recorder,
{
    // SAFETY: `f` is one of `local`'s functions and `make` is `LocalCache::new`, which
    // keep the contract (module docs).
    unsafe { poolside_local::with_block(shared, make, arg, f) }
}

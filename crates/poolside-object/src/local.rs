//! Each thread's caches: one table per thread, indexed by pool.
//!
//! The table is a std `thread_local!` (loom's under loom) holding, at each pool's index,
//! that pool's cache for this thread, tagged with the pool's never-reused tag. Chosen
//! over the `thread_local` crate for soundness at thread exit: the crate panics (which
//! aborts) when reached during thread-local teardown, and it reuses a dead thread's slot
//! for a new thread. A std thread-local answers `try_with` with an error instead, and a
//! dead thread's caches are dropped with it, returning their objects to the shared tier.
//!
//! No user code (resets, factories, `Drop` of `T`) ever runs while the table is
//! borrowed: callers take objects out, release the table, then run user code. A
//! reentrant call (a `Drop` of `T` that uses the pool) finds the table borrowed and
//! takes the shared tier instead.

use std::any::Any;
use std::cell::RefCell;
use std::sync::{Arc, Weak};

use crate::ids::PoolId;
use crate::pool::{Idle, Shared};
use crate::sync::cache_table;
use crate::StatsMode;

/// One thread's idle objects for one pool, and its statistics.
pub(crate) struct LocalCache<T: Send + 'static, S: StatsMode> {
    /// A stack: gets and puts at the end (LIFO, so the object handed out is the one
    /// whose cache lines are warmest); trims, decays and spills take from the front, the
    /// coldest. Objects are boxed, so shifting the stack moves pointers only.
    pub(crate) objects: Vec<Idle<T>>,
    pub(crate) capacity: usize,
    /// The pool's trim/decay epoch this cache has acted on.
    pub(crate) epoch: u64,
    /// The fewest objects this cache held since the last decay: that many went unused.
    pub(crate) low_water: usize,
    /// Objects still to release for a trim or decay, taken one per table borrow.
    pub(crate) to_release: usize,
    pub(crate) counters: S::Local,
    pub(crate) shared: Weak<Shared<T, S>>,
}

impl<T: Send + 'static, S: StatsMode> LocalCache<T, S> {
    pub(crate) fn new(shared: &Arc<Shared<T, S>>) -> Self {
        LocalCache {
            objects: Vec::with_capacity(shared.thread_cache),
            capacity: shared.thread_cache,
            epoch: shared.epoch(),
            low_water: 0,
            to_release: 0,
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
        for idle in std::mem::take(&mut self.objects) {
            let bytes = idle.bytes;
            match shared.push_shared(idle) {
                Ok(()) => {}
                Err(idle) => {
                    S::add(&self.counters, poolside_core::Event::Trimmed, 1);
                    S::add_idle_bytes(&self.counters, -(bytes as i64));
                    drop(idle);
                }
            }
            // Bytes that moved tiers stay idle: the counters need no change.
        }
        S::retire(&shared.stats, &self.counters);
    }
}

struct Entry {
    tag: u64,
    cache: Box<dyn Any>,
}

cache_table!(TABLE: RefCell<Vec<Option<Entry>>> = RefCell::new(Vec::new()));

/// Runs `f` on this thread's cache of the pool `id`, making the cache with `make` on
/// first use. `None` when there is no table to use: the thread is exiting, or the table
/// is already borrowed by a caller further up this thread's stack.
#[inline(always)]
pub(crate) fn with_cache<T, S, R>(
    id: &PoolId,
    make: impl FnOnce() -> LocalCache<T, S>,
    f: impl FnOnce(&mut LocalCache<T, S>) -> R,
) -> Option<R>
where
    T: Send + 'static,
    S: StatsMode,
{
    // The fast path: this thread already has a cache of this pool.
    let mut f = Some(f);
    let hit = TABLE
        .try_with(|table| {
            let mut table = table.try_borrow_mut().ok()?;
            let entry = table.get_mut(id.index)?.as_mut()?;
            if entry.tag != id.tag {
                return None;
            }
            let cache = entry.cache.downcast_mut::<LocalCache<T, S>>()?;
            let f = f.take()?;
            Some(f(cache))
        })
        .ok()
        .flatten();
    match (hit, f) {
        (Some(r), _) => Some(r),
        (None, Some(f)) => with_new_cache(id, make, f),
        // `f` ran only if it returned a value.
        (None, None) => None,
    }
}

/// The slow path of [`with_cache`]: makes the cache, after dropping a stale one.
#[cold]
#[inline(never)]
fn with_new_cache<T, S, R>(
    id: &PoolId,
    make: impl FnOnce() -> LocalCache<T, S>,
    f: impl FnOnce(&mut LocalCache<T, S>) -> R,
) -> Option<R>
where
    T: Send + 'static,
    S: StatsMode,
{
    let mut make = Some(make);
    let mut f = Some(f);
    // At most two passes: the second after dropping a stale cache outside the borrow.
    for _ in 0..2 {
        let outcome = TABLE
            .try_with(|table| {
                let Ok(mut table) = table.try_borrow_mut() else {
                    return Step::Unavailable;
                };
                if table.len() <= id.index {
                    table.resize_with(id.index + 1, || None);
                }
                let slot = &mut table[id.index];
                if slot.as_ref().is_some_and(|entry| entry.tag != id.tag) {
                    return Step::Stale(slot.take());
                }
                let entry = match slot {
                    Some(entry) => entry,
                    None => {
                        let Some(make) = make.take() else {
                            return Step::Unavailable;
                        };
                        slot.insert(Entry {
                            tag: id.tag,
                            cache: Box::new(make()),
                        })
                    }
                };
                match (entry.cache.downcast_mut::<LocalCache<T, S>>(), f.take()) {
                    (Some(cache), Some(f)) => Step::Done(f(cache)),
                    _ => Step::Unavailable,
                }
            })
            .unwrap_or(Step::Unavailable);
        match outcome {
            Step::Done(r) => return Some(r),
            Step::Unavailable => return None,
            // A dropped pool's cache, at an index a new pool now has. Dropping it runs
            // `Drop` of its objects, so it happens here, with the table released.
            Step::Stale(stale) => drop(stale),
        }
    }
    None
}

enum Step<R> {
    Done(R),
    Stale(Option<Entry>),
    Unavailable,
}

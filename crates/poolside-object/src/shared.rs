//! The shared tier: what every thread's cache of one pool shares (the bounded queue of
//! idle objects, the trim and decay epoch, the byte budget and the statistics), and the
//! boxed slot each object lives in.

use poolside_core::internals::Recorder;
use poolside_local::{Budget, Epoch, PoolId, Queue, Recorded};

use crate::local::LocalCache;
use crate::sync::{AtomicUsize, Ordering};

/// A pooled object and the bytes it retains (measured once when it comes back, so that
/// no user code runs when it moves between tiers).
///
/// Each object lives in a box of its own for its whole life in the pool, so a get, a
/// put or a move between tiers moves one pointer. Moving `T` itself through the tiers
/// and the guard is slower: each round trip would reload what the previous one had just
/// stored, in pieces the processor cannot forward.
pub(crate) struct Kept<T> {
    pub(crate) obj: T,
    pub(crate) bytes: usize,
}

/// An idle (or held) object: its [`Kept`], boxed.
pub(crate) type Idle<T> = Box<Kept<T>>;

/// What every thread's cache of one pool shares: the shared tier and the statistics.
pub(crate) struct Shared<T: Send + 'static, S: Recorder> {
    pub(crate) id: PoolId<LocalCache<T, S>>,
    pub(crate) queue: Queue<Idle<T>>,
    pub(crate) thread_cache: usize,
    /// How many objects a thread moves between its cache and the shared tier at once.
    pub(crate) batch: usize,
    /// Trims and decays so far; a thread's cache reads it on its way
    /// through the table (the generation sends it there) and acts when it changed.
    pub(crate) epoch: Epoch,
    /// The fewest objects the shared tier held since the last decay.
    pub(crate) low_water: AtomicUsize,
    /// The byte budget both tiers share, when the pool has one.
    pub(crate) budget: Option<Budget>,
    pub(crate) stats: Recorded<S>,
}

impl<T: Send + 'static, S: Recorder> Shared<T, S> {
    #[inline]
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load()
    }

    /// Puts an idle object in the shared tier, claiming its bytes from the budget, or
    /// hands it back if the tier is full (in objects or in bytes).
    pub(crate) fn push_shared(&self, idle: Idle<T>) -> Result<(), Idle<T>> {
        if let Some(budget) = &self.budget {
            if !budget.take(idle.bytes) {
                return Err(idle);
            }
        }
        self.push_claimed(idle)
            .inspect_err(|idle| self.give_bytes(idle.bytes))
    }

    /// Puts an idle object whose bytes are claimed already (a cache's lease) in the
    /// shared tier, or hands it back if the tier is full.
    pub(crate) fn push_claimed(&self, idle: Idle<T>) -> Result<(), Idle<T>> {
        self.queue.push(idle)
    }

    /// Takes an idle object from the shared tier, giving its bytes back to the budget.
    pub(crate) fn pop_shared(&self) -> Option<Idle<T>> {
        let idle = self.pop_claimed()?;
        self.give_bytes(idle.bytes);
        Some(idle)
    }

    /// Takes an idle object from the shared tier, giving its bytes back to the budget,
    /// and marks the low water.
    fn pop_claimed(&self) -> Option<Idle<T>> {
        let idle = self.pop_unmarked()?;
        self.mark_low_water();
        Some(idle)
    }

    /// Takes an idle object from the shared tier with its bytes still claimed, for a
    /// cache that adds them to its lease, without marking the low water: a refill takes
    /// a batch and marks it once, after (the tier is at its lowest then).
    pub(crate) fn pop_unmarked(&self) -> Option<Idle<T>> {
        self.queue.pop()
    }

    /// Lowers the low-water mark to the tier's length now, if that is lower.
    pub(crate) fn mark_low_water(&self) {
        self.low_water
            .fetch_min(self.queue.len(), Ordering::Relaxed);
    }

    pub(crate) fn give_bytes(&self, n: usize) {
        if let Some(budget) = &self.budget {
            budget.give(n);
        }
    }
}

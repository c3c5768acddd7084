//! Pool ids: a small index into each thread's table of blocks, and a tag that is never
//! reused, so a thread can tell its block of a dropped pool from the block of a new pool
//! that got the same index.
//!
//! Every pool's creation and drop takes one process-wide lock, so what it does there
//! must not grow with the number of pools: the free indices are a min-heap (as in the
//! `thread_local` crate), so a drop frees its index and a creation takes the smallest
//! free one in O(log n), and a service that makes pools per connection or per tenant
//! pays O(n log n), not O(n^2), for n of them.
//!
//! Beside them, `DROPPED`, the pools dropped so far, which tells a thread to sweep its
//! table of dead pools' blocks; a drop also turns every thread's shortcut off (see
//! `shortcut`), so each thread's next get or put reads it.

use std::cmp::Ordering as Order;
use std::collections::BinaryHeap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A tag no pool has, and no shortcut holds: `take` hands out tags from 1 to below this
/// one, and a shortcut holds 0, a tag, or a tag with this bit (`shortcut::ARMING`) also
/// set. So a pool that looks for it there never finds it ([`Tag::never`]).
const NEVER: u64 = crate::shortcut::ARMING;

/// A live pool's place in every thread's table: an index (reused once the pool is
/// dropped) and a tag (never reused), for blocks of type `L`.
///
/// The type is part of the id: every block the table keeps under this id's tag is an
/// `L`, so a pool that finds its tag in the table, or in the shortcut, may use the block
/// as an `L`. Dropping the id tells every thread that the pool is gone: each sweeps its
/// table of the pool's blocks at its next use of any pool.
pub struct PoolId<L> {
    pub(crate) index: usize,
    pub(crate) tag: u64,
    _blocks: PhantomData<fn() -> L>,
}

/// A pool's tag, for [`with_last`](crate::with_last): the pool's own
/// ([`PoolId::tag`]), or [`Tag::never`], which no shortcut holds, for a pool that must
/// always take another path. Typed like the id it came from.
pub struct Tag<L> {
    pub(crate) tag: u64,
    _blocks: PhantomData<fn() -> L>,
}

impl<L> Tag<L> {
    /// A tag that no shortcut ever holds: [`with_last`](crate::with_last) with it always
    /// hands its argument back.
    pub const fn never() -> Tag<L> {
        Tag {
            tag: NEVER,
            _blocks: PhantomData,
        }
    }

    /// Whether this is [`Tag::never`].
    pub fn is_never(self) -> bool {
        self.tag == NEVER
    }
}

impl<L> Clone for Tag<L> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L> Copy for Tag<L> {}

impl<L> PartialEq for Tag<L> {
    fn eq(&self, other: &Self) -> bool {
        self.tag == other.tag
    }
}

impl<L> Eq for Tag<L> {}

impl<L> fmt::Debug for Tag<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Tag").field(&self.tag).finish()
    }
}

impl<L> fmt::Debug for PoolId<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolId")
            .field("index", &self.index)
            .field("tag", &self.tag)
            .finish()
    }
}

struct Ids {
    free: BinaryHeap<Free>,
    next_index: usize,
    next_tag: u64,
}

static IDS: Mutex<Ids> = Mutex::new(Ids::new());

fn ids() -> std::sync::MutexGuard<'static, Ids> {
    // The lock guards plain integers and a heap of them; a panic cannot leave them
    // inconsistent.
    IDS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Ids {
    const fn new() -> Ids {
        Ids {
            free: BinaryHeap::new(),
            next_index: 0,
            next_tag: 1,
        }
    }

    /// The smallest free index, and a fresh tag.
    fn take(&mut self) -> (usize, u64) {
        let tag = self.next_tag;
        // Tag 0 means "no pool" to the shortcut, and tags stay below
        // `NEVER` (2^63), whose bit the shortcut uses; 2^63 pools never happen.
        assert!(tag < NEVER, "fewer than 2^63 pools");
        self.next_tag = tag + 1;
        let index = match self.free.pop() {
            Some(Free(index)) => index,
            None => {
                self.next_index += 1;
                self.next_index - 1
            }
        };
        (index, tag)
    }

    /// Frees a dropped pool's index for the next pool.
    fn give(&mut self, index: usize) {
        self.free.push(Free(index));
    }
}

/// A free index in the heap, ordered in reverse so that the heap's top, its greatest, is
/// the smallest index.
#[derive(PartialEq, Eq)]
struct Free(usize);

impl Ord for Free {
    fn cmp(&self, other: &Free) -> Order {
        compared();
        other.0.cmp(&self.0)
    }
}

impl PartialOrd for Free {
    fn partial_cmp(&self, other: &Free) -> Option<Order> {
        Some(self.cmp(other))
    }
}

impl<L> PoolId<L> {
    /// A fresh id. Indices of dropped pools are reused (lowest first, so tables stay
    /// short); tags never are.
    #[allow(clippy::new_without_default)] // (an id is unique: not a default value)
    pub fn new() -> PoolId<L> {
        let (index, tag) = ids().take();
        PoolId {
            index,
            tag,
            _blocks: PhantomData,
        }
    }

    /// The pool's tag.
    pub fn tag(&self) -> Tag<L> {
        Tag {
            tag: self.tag,
            _blocks: PhantomData,
        }
    }
}

/// Pools dropped so far. A thread that sees it change sweeps its table for blocks of
/// dropped pools (see `table::with_block_in_table`).
pub(crate) static DROPPED: AtomicU64 = AtomicU64::new(0);

impl<L> Drop for PoolId<L> {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::Release);
        crate::shortcut::clear_all();
        ids().give(self.index);
    }
}

/// Counts one comparison of free indices, for the tests' measure of the work per id.
#[inline(always)]
fn compared() {
    #[cfg(test)]
    tests::COMPARISONS.with(|n| n.set(n.get() + 1));
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::Ids;

    std::thread_local! {
        pub(super) static COMPARISONS: Cell<u64> = const { Cell::new(0) };
    }

    /// The comparisons of free indices `f` makes on this thread.
    fn comparisons<R>(f: impl FnOnce() -> R) -> (R, u64) {
        let before = COMPARISONS.with(Cell::get);
        let r = f();
        (r, COMPARISONS.with(Cell::get) - before)
    }

    /// Dropping a pool, and making one, costs O(log n) under the global lock, however
    /// many pools are alive or free: a service that makes pools per connection must not
    /// pay quadratic time for dropping them.
    #[test]
    fn taking_and_freeing_an_index_is_logarithmic() {
        // Fewer under Miri, which is slow; the bound scales with n.
        const N: usize = if cfg!(miri) { 500 } else { 10_000 };
        // Two comparisons per level of a binary heap of N, and a little slack.
        let bound = 2 * u64::from(N.ilog2() + 1) + 2;
        let mut ids = Ids::new();
        for expected in 0..N {
            assert_eq!(ids.take().0, expected);
        }
        // Free all of them, scattered (7919 is prime, so coprime with N): every size of
        // free list from 0 to N - 1, in neither ascending nor descending order.
        for free in 0..N {
            let index = free * 7919 % N;
            let ((), work) = comparisons(|| ids.give(index));
            assert!(
                work <= bound,
                "freeing index {index} with {free} free already took {work} comparisons, \
                 more than {bound} (2 log2 n + 2, n = {N})"
            );
        }
        for expected in 0..N {
            let ((index, _), work) = comparisons(|| ids.take());
            assert_eq!(index, expected, "the smallest free index first");
            assert!(
                work <= bound,
                "taking index {index} with {} free took {work} comparisons, more than \
                 {bound} (2 log2 n + 2, n = {N})",
                N - expected
            );
        }
        assert_eq!(ids.take().0, N, "none free: a new index");
    }

    /// The smallest free index is reused, so tables stay short; a tag never is.
    #[test]
    fn the_smallest_free_index_is_reused_and_tags_never_are() {
        let mut ids = Ids::new();
        let taken: Vec<(usize, u64)> = (0..6).map(|_| ids.take()).collect();
        assert_eq!(
            taken.iter().map(|&(i, _)| i).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 5]
        );
        for index in [4, 1, 3] {
            ids.give(index);
        }
        let again: Vec<(usize, u64)> = (0..4).map(|_| ids.take()).collect();
        assert_eq!(
            again.iter().map(|&(i, _)| i).collect::<Vec<_>>(),
            [1, 3, 4, 6]
        );
        let tags: Vec<u64> = taken.iter().chain(&again).map(|&(_, t)| t).collect();
        assert!(tags.windows(2).all(|w| w[0] < w[1]), "{tags:?}");
        assert!(tags[0] > 0, "tag 0 is no pool's");
    }
}

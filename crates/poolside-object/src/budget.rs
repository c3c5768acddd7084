//! The byte budget both tiers share: however many threads keep caches, the idle objects
//! of a pool never retain more bytes than its `max_idle_bytes`, in total.
//!
//! The budget is a count of bytes not yet claimed. The shared tier claims an object's
//! bytes when the object enters it and gives them back when it leaves. A thread's cache
//! leases bytes in chunks (1/32 of the budget, or what a put needs if more), so most of
//! its puts and gets touch no shared counter, and gives back what it holds beyond two
//! chunks of slack (keeping one). So `left + leases + shared tier = max` at all times, and each cache
//! holds no more than its lease.

use poolside_core::Recorder;

use crate::local::LocalCache;
use crate::shared::Shared;
use crate::sync::{AtomicUsize, Ordering};

pub(crate) struct Budget {
    left: AtomicUsize,
    chunk: usize,
}

impl Budget {
    pub(crate) fn new(max: usize) -> Self {
        Budget {
            left: AtomicUsize::new(max),
            chunk: (max / 32).max(1),
        }
    }

    /// Claims `n` bytes, if that many are unclaimed.
    pub(crate) fn take(&self, n: usize) -> bool {
        // Relaxed: this is a count; no other memory is published through it.
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(n)
            })
            .is_ok()
    }

    /// Gives back `n` claimed bytes.
    pub(crate) fn give(&self, n: usize) {
        if n > 0 {
            self.left.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Leases bytes to a cache that needs `need` more: a chunk if it can, else exactly
    /// `need`. Returns how many it leased, 0 if not even `need` was unclaimed.
    pub(crate) fn lease(&self, need: usize) -> usize {
        let want = need.max(self.chunk);
        if self.take(want) {
            want
        } else if want > need && self.take(need) {
            need
        } else {
            0
        }
    }

    /// The slack a cache may keep leased beyond what it holds.
    pub(crate) fn chunk(&self) -> usize {
        self.chunk
    }
}

/// Counts `bytes` coming into this cache against its lease of the byte budget, leasing
/// more if needed; false if the budget has not that much left. Inline for the common
/// case, within the lease; leasing is out of line.
#[inline(always)]
pub(crate) fn claim<T: Send + 'static, S: Recorder>(
    shared: &Shared<T, S>,
    cache: &mut LocalCache<T, S>,
    bytes: usize,
) -> bool {
    let Some(budget) = &shared.budget else {
        return true;
    };
    // No object fits a budget with more bytes than there are: refuse it, no overflow.
    let Some(held) = cache.held.checked_add(bytes) else {
        return false;
    };
    if held > cache.lease && !lease_more(budget, cache, held) {
        return false;
    }
    cache.held = held;
    true
}

#[cold]
#[inline(never)]
fn lease_more<T: Send + 'static, S: Recorder>(
    budget: &Budget,
    cache: &mut LocalCache<T, S>,
    held: usize,
) -> bool {
    // `held` (what the cache would hold) is above the lease, and the lease plus what the
    // budget has left never exceeds the budget.
    let got = budget.lease(held - cache.lease);
    cache.lease += got;
    got > 0
}

/// Counts `bytes` leaving this cache, and gives back what it has leased beyond what it
/// holds, but a chunk, once that slack exceeds two chunks (out of line).
#[inline(always)]
pub(crate) fn unclaim<T: Send + 'static, S: Recorder>(
    shared: &Shared<T, S>,
    cache: &mut LocalCache<T, S>,
    bytes: usize,
) {
    let Some(budget) = &shared.budget else {
        return;
    };
    cache.held -= bytes;
    if cache.lease - cache.held > 2 * budget.chunk() {
        return_slack(budget, cache);
    }
}

#[cold]
#[inline(never)]
fn return_slack<T: Send + 'static, S: Recorder>(budget: &Budget, cache: &mut LocalCache<T, S>) {
    let keep = cache.held + budget.chunk();
    budget.give(cache.lease - keep);
    cache.lease = keep;
}

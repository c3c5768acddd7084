//! A cache's lease of the pool's byte budget (poolside-local's [`Budget`], which both
//! tiers share, so idle objects never retain more than `max_idle_bytes` in total): a get
//! or put within the lease touches no shared counter, and a cache gives back what it
//! leases beyond what it holds once that slack exceeds two chunks (keeping one).

use poolside_core::internals::Recorder;
use poolside_local::Budget;

use crate::local::LocalCache;
use crate::shared::Shared;

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

//! Pool ids: a small index into each thread's cache table, and a tag that is never
//! reused, so a thread can tell its cache of a dropped pool from the cache of a new pool
//! that got the same index.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A live pool's place in the per-thread tables.
#[derive(Debug)]
pub(crate) struct PoolId {
    pub(crate) index: usize,
    pub(crate) tag: u64,
}

struct Ids {
    free: Vec<usize>,
    next_index: usize,
    next_tag: u64,
}

static IDS: Mutex<Ids> = Mutex::new(Ids {
    free: Vec::new(),
    next_index: 0,
    next_tag: 1,
});

fn ids() -> std::sync::MutexGuard<'static, Ids> {
    // The lock guards plain integers and a Vec; a panic cannot leave them inconsistent.
    IDS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl PoolId {
    /// A fresh id. Indices of dropped pools are reused (lowest first, so tables stay
    /// short); tags never are.
    pub(crate) fn new() -> PoolId {
        let mut ids = ids();
        let tag = ids.next_tag;
        // Tag 0 means "no pool" to the thread caches' shortcut; 2^64 pools never happen.
        ids.next_tag = tag.checked_add(1).expect("fewer than 2^64 pools");
        let index = match ids.free.pop() {
            Some(index) => index,
            None => {
                ids.next_index += 1;
                ids.next_index - 1
            }
        };
        PoolId { index, tag }
    }
}

/// Pools dropped so far. A thread that sees it change sweeps its table for caches of
/// dropped pools (see `table::with_cache`).
pub(crate) static DROPPED: AtomicU64 = AtomicU64::new(0);

impl Drop for PoolId {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::Release);
        let mut ids = ids();
        ids.free.push(self.index);
        // Keep the lowest index at the end, where `pop` takes it.
        ids.free.sort_unstable_by(|a, b| b.cmp(a));
    }
}

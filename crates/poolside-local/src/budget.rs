//! A byte budget that every tier of a pool shares: however many threads keep caches, the
//! idle objects of a pool never retain more bytes than its maximum, in total.
//!
//! The budget is a count of bytes not yet claimed. A pool's shared tier claims an
//! object's bytes when the object enters it and gives them back when it leaves. A thread's
//! cache leases bytes in chunks (1/32 of the budget by default, or what a put needs if
//! more), so most of its puts and gets touch no shared counter, and gives back what it
//! leases beyond what it holds on its slow paths. So `left + leases + shared tier = max` at all times,
//! and each cache holds no more than its lease.

use std::fmt;

use crate::sync::{AtomicUsize, Ordering};

/// Bytes of a pool's budget not yet claimed, and the chunk caches lease them in.
pub struct Budget {
    left: AtomicUsize,
    chunk: usize,
}

impl Budget {
    /// A budget of `max` bytes, all unclaimed, leased in chunks of 1/32 of it.
    pub fn new(max: usize) -> Self {
        Self::with_chunk(max, max / 32)
    }

    /// A budget of `max` bytes, leased in chunks of `chunk` (at least 1): for a cache
    /// that never holds more than that, a smaller chunk than 1/32 of the budget keeps
    /// many threads' leases from taking the budget with slack.
    pub fn with_chunk(max: usize, chunk: usize) -> Self {
        Budget {
            left: AtomicUsize::new(max),
            chunk: chunk.max(1),
        }
    }

    /// Claims `n` bytes, if that many are unclaimed.
    pub fn take(&self, n: usize) -> bool {
        // Relaxed: this is a count; no other memory is published through it.
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(n)
            })
            .is_ok()
    }

    /// Gives back `n` claimed bytes.
    pub fn give(&self, n: usize) {
        if n > 0 {
            self.left.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Leases bytes to a cache that needs `need` more: a chunk if it can, else exactly
    /// `need`. Returns how many it leased, 0 if not even `need` was unclaimed.
    pub fn lease(&self, need: usize) -> usize {
        let want = need.max(self.chunk);
        if self.take(want) {
            want
        } else if want > need && self.take(need) {
            need
        } else {
            0
        }
    }

    /// The chunk caches lease in, and the unit of the slack a cache keeps leased beyond
    /// what it holds (each pool says how many).
    pub fn chunk(&self) -> usize {
        self.chunk
    }
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("left", &self.left.load(Ordering::Relaxed))
            .field("chunk", &self.chunk)
            .finish()
    }
}

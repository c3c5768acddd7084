//! A pool's epoch: its trims and decays so far, which each thread's block compares with
//! the epoch it has acted on, on the table path (a trim or decay also turns every
//! thread's shortcut off, so each thread's next use goes there).
//!
//! Trims count in the high half and decays in the low half, wrapping there, so that a
//! decay never reads as a trim.

use crate::sync::{AtomicU64, Ordering};

const TRIM_STEP: u64 = 1 << 32;
const DECAY_MASK: u64 = TRIM_STEP - 1;

/// A pool's count of trims and decays.
#[derive(Debug)]
pub struct Epoch(AtomicU64);

/// What changed between two readings of an [`Epoch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Since {
    /// At least one trim: release everything.
    pub trimmed: bool,
    /// Decays, modulo 2^32.
    pub decays: u64,
}

impl Epoch {
    /// No trim or decay yet.
    #[allow(clippy::new_without_default)] // (one per pool, made with it)
    pub fn new() -> Self {
        Epoch(AtomicU64::new(0))
    }

    /// The epoch now. `Relaxed`: a block reads it after arming its shortcut has begun,
    /// which acquires the clear that announced the change (see `shortcut`).
    #[inline]
    pub fn load(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Counts a trim.
    pub fn trim(&self) {
        self.0.fetch_add(TRIM_STEP, Ordering::Relaxed);
    }

    /// Counts a decay, in the low half only.
    pub fn decay(&self) {
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |e| {
                Some((e & !DECAY_MASK) | (e.wrapping_add(1) & DECAY_MASK))
            });
    }
}

/// What changed from the epoch `old` to the epoch `new`.
pub fn since(old: u64, new: u64) -> Since {
    Since {
        trimmed: new / TRIM_STEP != old / TRIM_STEP,
        decays: (new & DECAY_MASK).wrapping_sub(old & DECAY_MASK) & DECAY_MASK,
    }
}

#[cfg(all(test, not(poolside_loom)))]
mod tests {
    use super::{since, Epoch, Since, DECAY_MASK};

    #[test]
    fn trims_and_decays_are_told_apart_and_decays_wrap_in_their_half() {
        let epoch = Epoch::new();
        let start = epoch.load();
        epoch.decay();
        epoch.decay();
        assert_eq!(
            since(start, epoch.load()),
            Since {
                trimmed: false,
                decays: 2
            }
        );
        let before = epoch.load();
        epoch.trim();
        assert!(since(before, epoch.load()).trimmed);
        // A decay at the top of the low half wraps there, never into a trim.
        let at_top = Epoch(crate::sync::AtomicU64::new(DECAY_MASK));
        at_top.decay();
        assert_eq!(
            since(DECAY_MASK, at_top.load()),
            Since {
                trimmed: false,
                decays: 1
            }
        );
    }
}

//! The hot path's shortcut, and how other threads turn it off.
//!
//! Each thread keeps, in a thread-local (`table`'s `SHORTCUT`), the tag of the pool whose
//! block it used last and that block's address. A get or put whose pool has that tag goes
//! straight to the block, with nothing else to check. So every change that a thread must
//! act on before its next get or put (a trim or decay of a pool, and the drop of any pool,
//! whose caches each thread sweeps from its table) turns every thread's shortcut off
//! ([`clear_all`]), and a thread's next get or put goes through the table, which acts on
//! the change and arms the shortcut again.
//!
//! A shortcut's [`Word`] holds 0 (off), a tag (armed), or a tag with [`ARMING`] set (being
//! armed). Its thread arms it in two steps around its checks:
//!
//! 1. [`Word::begin`]: a swap to `tag | ARMING`, with `Acquire`, before the thread reads
//!    its pool's epoch or the dropped-pools count. The swap reads the latest clear, and
//!    every clear is a swap with `Release`, so it continues the release sequences of the
//!    clears before it: whatever any of them announced is visible to the checks after.
//! 2. [`Word::finish`]: a compare-exchange from `tag | ARMING` to `tag`, once the checks
//!    left nothing to do. A clear between the two steps makes it fail, so the shortcut
//!    stays off and the next use checks again; a clear after it turns it off.
//!
//! So no change is missed: either the checks see it, or the shortcut is off once it has
//! landed. A hot path that reads the armed tag just before a clear acts as if it ran
//! before the change; the change is acted on at the next use. Only the owning thread
//! writes a non-zero value, and the locked instructions are on the table path only; the
//! hot path is one load and one compare.
//!
//! Every live thread's word is in a roster ([`enrol`]) that `clear_all` walks; a thread
//! leaves it ([`unenrol`]) from a thread-local destructor, before its thread-locals are
//! freed, and never arms its shortcut after. Reaching those words through the roster's
//! pointers is this module's only `unsafe`. Under loom the roster stays empty and no
//! shortcut is armed (every get and put takes the table, which the models check), and
//! the arming protocol has models of its own (`tests::loom`).
#![allow(unsafe_code)]

use crate::sync::{AtomicU64, Ordering};

/// Set in a word being armed: no tag has it (tags are below 2^63, see `ids`).
pub(crate) const ARMING: u64 = 1 << 63;

/// A thread's shortcut word: 0, a tag, or a tag with `ARMING`.
pub(crate) struct Word(AtomicU64);

impl Word {
    #[cfg(not(poolside_loom))]
    pub(crate) const fn new() -> Word {
        Word(AtomicU64::new(0))
    }

    #[cfg(poolside_loom)]
    pub(crate) fn new() -> Word {
        Word(AtomicU64::new(0))
    }

    /// The tag the shortcut is armed with, if any (0, or a tag with `ARMING`, are no
    /// pool's tag). `Relaxed`: a clear seen late acts as if the use came first.
    #[inline(always)]
    pub(crate) fn load(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Step 1 of arming, before the checks.
    pub(crate) fn begin(&self, tag: u64) {
        self.0.swap(tag | ARMING, Ordering::Acquire);
    }

    /// Step 2 of arming, after the checks: whether the shortcut is now armed with `tag`.
    pub(crate) fn finish(&self, tag: u64) -> bool {
        self.0
            .compare_exchange(tag | ARMING, tag, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }

    /// Turns the shortcut off, from any thread: after a change it must act on.
    #[cfg_attr(poolside_loom, allow(dead_code))] // (only the models clear under loom)
    pub(crate) fn clear(&self) {
        self.0.swap(0, Ordering::Release);
    }

    /// Turns the shortcut off if it is, or is being, armed with `tag`: its owner, before
    /// it frees that tag's block.
    pub(crate) fn forget(&self, tag: u64) {
        if self.load() & !ARMING == tag {
            self.0.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(not(poolside_loom))]
mod roster {
    use std::sync::{Mutex, MutexGuard};

    use super::Word;

    /// A live thread's word, in its thread-local storage.
    struct Enrolled(*const Word);

    // SAFETY: a `Word` is an atomic, usable from any thread through a shared reference;
    // the pointer is valid while it is in the roster (see `enrol`), and is only used
    // under the roster's lock, which `unenrol` takes to remove it.
    unsafe impl Send for Enrolled {}

    static WORDS: Mutex<Vec<Enrolled>> = Mutex::new(Vec::new());

    fn words() -> MutexGuard<'static, Vec<Enrolled>> {
        // A list of pointers: a panic cannot leave it inconsistent.
        WORDS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Puts a thread's word in the roster, so that `clear_all` reaches it.
    ///
    /// # Safety
    ///
    /// `word` must stay valid until it is passed to [`unenrol`].
    pub(crate) unsafe fn enrol(word: &Word) {
        words().push(Enrolled(word));
    }

    /// Takes a thread's word out of the roster, and turns it off.
    pub(crate) fn unenrol(word: &Word) {
        words().retain(|w| !std::ptr::eq(w.0, word));
        word.clear();
    }

    /// Turns off every thread's shortcut, so that each thread's next use of any pool
    /// goes through its table, where the pool's block acts on whatever changed before
    /// this call (a trim or decay that the block reads in
    /// [`Local::may_arm`](crate::Local::may_arm) and in the functions it is lent to).
    pub fn clear_all() {
        for word in words().iter() {
            // SAFETY: enrolled, so valid: its thread unenrols it, under this lock, before
            // its thread-locals are freed.
            unsafe { (*word.0).clear() };
        }
    }
}

#[cfg(poolside_loom)]
mod roster {
    use super::Word;

    /// Under loom no word is enrolled, so none is armed.
    pub(crate) unsafe fn enrol(_: &Word) {}

    pub(crate) fn unenrol(_: &Word) {}

    /// Under loom no shortcut is armed: nothing to turn off.
    pub fn clear_all() {}
}

pub use roster::clear_all;
pub(crate) use roster::{enrol, unenrol};

/// Whether shortcuts are armed at all: not under loom (see the module docs).
pub(crate) const ENABLED: bool = cfg!(not(poolside_loom));

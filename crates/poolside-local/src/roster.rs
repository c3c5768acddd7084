//! The roster of a pool's per-thread counts: a pointer to each thread's, in that
//! thread's block (`table`); and [`Recorded`], core's [`Recorder`] over it with the
//! pool's shared counts beside them: a thread adds to its block's counts, and to the
//! shared ones when it has no block at hand.
//!
//! The one `unsafe` here is reading a block's
//! counts through the roster's pointer. It rests on the registration contract
//! (`Roster::register`, which the table calls as it makes a block): a block's counts
//! stay at their address, reached only through shared references, until the block
//! retires them, under the roster's lock, before it is freed; and the roster reads
//! them only under the lock.
#![allow(unsafe_code)]

use std::fmt;
use std::ptr::NonNull;

use poolside_core::internals::Event;
use poolside_core::internals::Recorder;
use poolside_core::Stats;

use crate::sync::{Mutex, MutexGuard};

/// Pointers to the counts of every thread that has used a pool, each in that thread's
/// block, for the pool's statistics to read.
pub struct Roster<C: 'static> {
    live: Mutex<Vec<Registered<C>>>,
}

/// A registered thread's counts, in its block.
struct Registered<C>(NonNull<C>);

// SAFETY: the counts are read from any thread through a shared reference (`C: Sync`); the
// registration contract keeps them valid while registered, and they are read only under
// the roster's lock, which `retire` takes to remove them.
unsafe impl<C: Sync> Send for Registered<C> {}

impl<C: Sync + 'static> Roster<C> {
    /// A roster with no thread's counts yet.
    #[allow(clippy::new_without_default)] // (one per pool, made with it)
    pub fn new() -> Self {
        Roster {
            live: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Registered<C>>> {
        // A list of pointers: a panic elsewhere cannot leave it inconsistent.
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes `counts` part of the pool's statistics.
    ///
    /// # Safety
    ///
    /// `counts` must stay valid at its address, with no `&mut` to it, until it is passed
    /// to [`retire`](Roster::retire).
    pub(crate) unsafe fn register(&self, counts: NonNull<C>) {
        self.lock().push(Registered(counts));
    }

    /// Folds a thread's counts into the pool's own (`fold`) and forgets its pointer, in
    /// one step under the lock, so that no read counts them twice or misses them. A
    /// block's [`Local::close`](crate::Local::close) calls it first, while its pool lives.
    pub fn retire(&self, counts: &C, fold: impl FnOnce(&C)) {
        let mut live = self.lock();
        fold(counts);
        live.retain(|l| !std::ptr::eq(l.0.as_ptr().cast_const(), counts));
    }

    /// Runs `f` over every registered thread's counts, under the lock.
    pub fn read<R>(&self, f: impl FnOnce(&mut dyn Iterator<Item = &C>) -> R) -> R {
        let live = self.lock();
        f(&mut live
            .iter()
            // SAFETY: registered, so valid and not mutably borrowed (the contract), and
            // read under the lock that `retire` takes to remove it.
            .map(|l| unsafe { l.0.as_ref() }))
    }
}

impl<C> fmt::Debug for Roster<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Roster").finish_non_exhaustive()
    }
}

/// A pool's statistics as core's [`Recorder`] `S` keeps them: each thread's counts,
/// through a [`Roster`], and the pool's shared counts beside them, for threads that
/// have exited and for events recorded with no block at hand.
pub struct Recorded<S: Recorder> {
    roster: Roster<S::Local>,
    shared: S::Shared,
}

impl<S: Recorder> Recorded<S> {
    /// No counts yet.
    #[allow(clippy::new_without_default)] // (one per pool, made with it)
    pub fn new() -> Self {
        Recorded {
            roster: Roster::new(),
            shared: S::Shared::default(),
        }
    }

    /// Where a block's counts are registered: nowhere if `S` records nothing.
    pub fn roster(&self) -> Option<&Roster<S::Local>> {
        S::ENABLED.then_some(&self.roster)
    }

    /// Moves a thread's counts into the shared ones and forgets its pointer
    /// ([`Roster::retire`]).
    pub fn retire(&self, local: &S::Local) {
        if S::ENABLED {
            self.roster
                .retire(local, |local| S::retire(&self.shared, local));
        }
    }

    /// Counts `n` occurrences of `event` with no block at hand.
    pub fn add(&self, event: Event, n: u64) {
        S::add_shared(&self.shared, event, n);
    }

    /// Adds `delta` to the idle bytes with no block at hand.
    pub fn add_idle_bytes(&self, delta: i64) {
        S::add_shared_idle_bytes(&self.shared, delta);
    }

    /// A snapshot of every thread's counts and the shared ones.
    pub fn stats(&self) -> Stats {
        if !S::ENABLED {
            return Stats::default();
        }
        self.roster.read(|live| S::stats(&self.shared, live))
    }
}

impl<S: Recorder> fmt::Debug for Recorded<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorded").finish_non_exhaustive()
    }
}

//! The registry of a pool's per-thread counts: a pointer to each thread's, in that
//! thread's block (`table`), and the pool's shared counts beside them.
//!
//! Recording is core's [`Recorder`]: a thread adds to its block's counts, and to the
//! shared ones when it has no block at hand. The one `unsafe` here is reading a block's
//! counts through the registry's pointer. It rests on the registration contract
//! (`Registry::register`, which the table calls as it makes a block): a block's counts
//! stay at their address, reached only through shared references, until the block
//! retires them, under the registry's lock, before it is freed; and the registry reads
//! them only under the lock.
#![allow(unsafe_code)]

use std::fmt;
use std::ptr::NonNull;

use poolside_core::{Event, Recorder, Stats};

use crate::sync::{Mutex, MutexGuard};

/// The counts of every thread that has used a pool, and of those that have exited.
pub struct Registry<S: Recorder> {
    live: Mutex<Vec<Registered<S>>>,
    /// Counts of exited threads, and of events recorded with no block at hand.
    shared: S::Shared,
}

/// A registered thread's counts, in its block.
struct Registered<S: Recorder>(NonNull<S::Local>);

// SAFETY: the counts are atomics, read from any thread through a shared reference
// (`Local: Sync`); the registration contract keeps them valid while registered, and they
// are read only under the registry's lock, which `retire` takes to remove them.
unsafe impl<S: Recorder> Send for Registered<S> {}

impl<S: Recorder> Registry<S> {
    /// A registry with no thread's counts yet.
    #[allow(clippy::new_without_default)] // (one per pool, made with it)
    pub fn new() -> Self {
        Registry {
            live: Mutex::new(Vec::new()),
            shared: S::Shared::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Registered<S>>> {
        // A list of pointers: a panic elsewhere cannot leave it inconsistent.
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes `local` part of the pool's statistics.
    ///
    /// # Safety
    ///
    /// `local` must stay valid at its address, with no `&mut` to it, until it is passed to
    /// [`retire`](Registry::retire).
    pub(crate) unsafe fn register(&self, local: NonNull<S::Local>) {
        if S::ENABLED {
            self.lock().push(Registered(local));
        }
    }

    /// Moves a thread's counts into the shared ones and forgets its pointer, in one step
    /// under the lock, so that no snapshot counts them twice or misses them. A block's
    /// [`Local::close`](crate::Local::close) calls it first, while its pool lives.
    pub fn retire(&self, local: &S::Local) {
        if S::ENABLED {
            let mut live = self.lock();
            S::retire(&self.shared, local);
            live.retain(|l| !std::ptr::eq(l.0.as_ptr().cast_const(), local));
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
        let live = self.lock();
        S::stats(
            &self.shared,
            live.iter()
                // SAFETY: registered, so valid and not mutably borrowed (the contract), and
                // read under the lock that `retire` takes to remove it.
                .map(|l| unsafe { l.0.as_ref() }),
        )
    }
}

impl<S: Recorder> fmt::Debug for Registry<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

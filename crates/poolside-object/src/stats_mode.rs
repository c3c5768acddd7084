//! How a pool records statistics: [`Counters`] (per-thread counters embedded in each
//! thread's block) or [`NoStats`] (nothing).
//!
//! The registry of a pool's counters holds a pointer to each thread's, in that thread's
//! block (`local::Block`): the one `unsafe` here is reading them through it. It rests on
//! the registration contract ([`StatsMode::register`]): a block's counters stay at their
//! address, reached only through shared references, until the block retires them, under
//! the registry's lock, before it is freed; and the registry reads them only under the
//! lock.
#![allow(unsafe_code)]

use std::fmt;
use std::ptr::NonNull;

use poolside_core::{Counters, Event, LocalCounters, NoStats, Stats};

use crate::sync::{Mutex, MutexGuard};

mod sealed {
    #[allow(unreachable_pub)]
    pub trait Sealed {}
}

/// The statistics a pool keeps: [`Counters`] (the default) or [`NoStats`].
///
/// With `Counters`, each thread's cache of the pool holds that thread's
/// [`LocalCounters`], so recording an event is a plain load and store on a line no other
/// thread writes, with no lookup of its own. With `NoStats` it compiles to nothing and
/// [`ObjectPool::stats`](crate::ObjectPool::stats) reports zeros.
///
/// This trait is sealed: its methods are the pool's business.
pub trait StatsMode: sealed::Sealed + Send + Sync + Sized + 'static {
    #[doc(hidden)]
    const ENABLED: bool;
    #[doc(hidden)]
    type Shared: Send + Sync + Default + fmt::Debug;
    #[doc(hidden)]
    type Local: Send + 'static;
    #[doc(hidden)]
    fn new_local() -> Self::Local;
    /// Makes `local` part of the pool's statistics.
    ///
    /// # Safety
    ///
    /// `local` must stay valid at its address, with no `&mut` to it, until it is passed to
    /// [`retire`](StatsMode::retire).
    #[doc(hidden)]
    unsafe fn register(shared: &Self::Shared, local: NonNull<Self::Local>);
    #[doc(hidden)]
    fn add(local: &Self::Local, event: Event, n: u64);
    #[doc(hidden)]
    fn add_idle_bytes(local: &Self::Local, delta: i64);
    #[doc(hidden)]
    fn add_shared(shared: &Self::Shared, event: Event, n: u64);
    #[doc(hidden)]
    fn add_shared_idle_bytes(shared: &Self::Shared, delta: i64);
    #[doc(hidden)]
    fn retire(shared: &Self::Shared, local: &Self::Local);
    #[doc(hidden)]
    fn stats(shared: &Self::Shared) -> Stats;
}

/// The counters of every thread that has used a pool, and of those that have exited.
pub struct Registry {
    inner: Mutex<RegistryInner>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            inner: Mutex::new(RegistryInner::default()),
        }
    }
}

#[derive(Default)]
struct RegistryInner {
    live: Vec<Registered>,
    /// Counts of exited threads, and of events recorded with no cache at hand. Written
    /// only under the lock, so it has one writer at a time.
    retired: LocalCounters,
}

/// A registered thread's counters, in its block.
struct Registered(NonNull<LocalCounters>);

// SAFETY: the counters are atomics, read from any thread through a shared reference; the
// registration contract keeps them valid while registered, and they are read only under
// the registry's lock, which `retire` takes to remove them.
unsafe impl Send for Registered {}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, RegistryInner> {
        // Plain counters: a panic elsewhere cannot leave them inconsistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

impl sealed::Sealed for Counters {}

impl StatsMode for Counters {
    const ENABLED: bool = true;
    type Shared = Registry;
    type Local = LocalCounters;

    fn new_local() -> LocalCounters {
        LocalCounters::new()
    }

    unsafe fn register(shared: &Registry, local: NonNull<LocalCounters>) {
        shared.lock().live.push(Registered(local));
    }

    #[inline(always)]
    fn add(local: &Self::Local, event: Event, n: u64) {
        local.add(event, n);
    }

    #[inline(always)]
    fn add_idle_bytes(local: &Self::Local, delta: i64) {
        local.add_idle_bytes(delta);
    }

    fn add_shared(shared: &Registry, event: Event, n: u64) {
        shared.lock().retired.add(event, n);
    }

    fn add_shared_idle_bytes(shared: &Registry, delta: i64) {
        shared.lock().retired.add_idle_bytes(delta);
    }

    fn retire(shared: &Registry, local: &LocalCounters) {
        let mut registry = shared.lock();
        registry.retired.absorb(local);
        registry
            .live
            .retain(|l| !std::ptr::eq(l.0.as_ptr().cast_const(), local));
    }

    fn stats(shared: &Registry) -> Stats {
        let registry = shared.lock();
        LocalCounters::stats(
            registry
                .live
                .iter()
                // SAFETY: registered, so valid and not mutably borrowed (the contract), and
                // read under the lock that `retire` takes to remove it.
                .map(|l| unsafe { l.0.as_ref() })
                .chain([&registry.retired]),
        )
    }
}

impl sealed::Sealed for NoStats {}

impl StatsMode for NoStats {
    const ENABLED: bool = false;
    type Shared = ();
    type Local = ();

    fn new_local() {}

    unsafe fn register(_: &(), _: NonNull<()>) {}

    #[inline(always)]
    fn add(_: &(), _: Event, _: u64) {}

    #[inline(always)]
    fn add_idle_bytes(_: &(), _: i64) {}

    #[inline(always)]
    fn add_shared(_: &(), _: Event, _: u64) {}

    #[inline(always)]
    fn add_shared_idle_bytes(_: &(), _: i64) {}

    #[inline(always)]
    fn retire(_: &(), _: &()) {}

    fn stats(_: &()) -> Stats {
        Stats::default()
    }
}

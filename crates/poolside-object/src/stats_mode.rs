//! How a pool records statistics: [`Counters`] (per-thread counters embedded in each
//! thread's cache) or [`NoStats`] (nothing).

use std::fmt;
use std::sync::Arc;

use crossbeam_utils::CachePadded;
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
    fn register(shared: &Self::Shared) -> Self::Local;
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
    live: Vec<Arc<CachePadded<LocalCounters>>>,
    /// Counts of exited threads, and of events recorded with no cache at hand. Written
    /// only under the lock, so it has one writer at a time.
    retired: LocalCounters,
}

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
    type Local = Arc<CachePadded<LocalCounters>>;

    fn register(shared: &Registry) -> Self::Local {
        let local = Arc::new(CachePadded::new(LocalCounters::new()));
        shared.lock().live.push(local.clone());
        local
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

    fn retire(shared: &Registry, local: &Self::Local) {
        let mut registry = shared.lock();
        registry.retired.absorb(local);
        registry.live.retain(|l| !Arc::ptr_eq(l, local));
    }

    fn stats(shared: &Registry) -> Stats {
        let registry = shared.lock();
        LocalCounters::stats(
            registry
                .live
                .iter()
                .map(|l| &***l)
                .chain([&registry.retired]),
        )
    }
}

impl sealed::Sealed for NoStats {}

impl StatsMode for NoStats {
    const ENABLED: bool = false;
    type Shared = ();
    type Local = ();

    #[inline(always)]
    fn register(_: &()) {}

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

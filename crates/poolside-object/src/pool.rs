//! The handle: `ObjectPool`, its constructors, and the get and put paths from the guard
//! to the thread's cache (`local`), the shared tier (`shared`) and the policy.

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use poolside_local::{clear_all, Budget, Epoch, PoolId, Queue, Recorded, Tag};

use poolside_core::internals::PoolConfig;
use poolside_core::internals::Recorder;
use poolside_core::internals::{recycle_guarded, Discard, Event};
use poolside_core::{
    DefaultPolicy, LimitReached, Metric, Observable, Observe, Recycle, Reset, Stats,
};

use crate::limit::Live;
use crate::local::{put_in_cache, put_local, take_from_cache, take_local, LocalCache, Put, Taken};
use crate::shared::{Idle, Kept, Shared};
use crate::sync::{AtomicUsize, Ordering};
use crate::table::{with_cache, with_last};
use crate::{OwnedPooled, Pooled};

/// A thread-safe pool of reusable `T`s.
///
/// Objects come out as RAII guards ([`Pooled`], or [`OwnedPooled`] for `'static` use)
/// that give them back when dropped. On the way back the pool's [`Recycle`] policy
/// cleans each object (by default with [`Reset`]) and may refuse it, so nobody ever
/// receives a dirty object.
///
/// # Tiers
///
/// Each thread keeps a small cache of idle objects per pool; a get or put touches only
/// the calling thread's cache, with no atomic read-modify-write and no cache line that
/// another thread writes. Behind the caches is one bounded lock-free queue. A get takes
/// from the thread's cache, then a batch from the shared queue, then makes a new
/// object. A put keeps the object in the thread's cache and, when that is full, moves a
/// batch to the shared queue; when every tier is full the object is dropped and counted.
/// An object may come back on a different thread from the one it left on.
///
/// The [builder](ObjectPool::builder) sets the sizes; see it for the memory bound
/// (`max_idle + threads × thread_cache` idle objects).
///
/// # Giving memory back
///
/// [`trim`](ObjectPool::trim) releases every idle object and [`decay`](ObjectPool::decay)
/// those not used since the previous decay. The shared tier is released at once. Each
/// thread's cache is released by that thread, at its next get or put on this pool, or
/// when the thread exits; the hot path never reads a clock. A cache that was not used
/// through two decays or more releases all its objects then, but the one a get takes. Idle objects of a thread
/// that exits go back to the shared tier (or are dropped if it is full), from its
/// thread-local destructors: done once `JoinHandle::join` returns, but not necessarily
/// by the end of a `std::thread::scope`, which does not wait for those destructors.
///
/// # Panics
///
/// A panic in the policy's `recycle` (the reset) discards that object and is counted
/// ([`Discard::ResetPanicked`]); the pool stays usable. A panic in the policy's `create`
/// or `retained_bytes`, or in `Drop` of `T`, reaches the caller of `get`, of the guard's
/// drop or of `trim`, and leaves the pool consistent: a `create` that panicked counts no
/// miss, an object whose `retained_bytes` panicked is counted as returned and discarded
/// (`ResetPanicked`), and an object whose `Drop` panicked as released. A reset's panic
/// whose payload panics again when dropped is contained too. A guard dropped while its thread
/// panics (a panic while the object was held) drops the object without resetting it,
/// since running user code during unwinding risks a second panic and an abort; that is
/// counted as [`Discard::HolderPanicked`].
///
/// # Example
///
/// ```
/// use poolside_object::ObjectPool;
///
/// let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
/// {
///     let mut buf = pool.get();
///     buf.extend_from_slice(b"hello");
/// } // back in the pool, cleared
/// let buf = pool.get();
/// assert!(buf.is_empty() && buf.capacity() >= 5);
/// assert_eq!(pool.stats().hits, 1);
/// ```
///
/// A pool in a `static`, through std's `LazyLock`, hands out `Pooled<'static, T>`
/// without any reference counting:
///
/// ```
/// use std::sync::LazyLock;
/// use poolside_object::{ObjectPool, Pooled};
///
/// static BUFFERS: LazyLock<ObjectPool<Vec<u8>>> = LazyLock::new(ObjectPool::new);
///
/// fn scratch() -> Pooled<'static, Vec<u8>> {
///     BUFFERS.get()
/// }
///
/// let handle = std::thread::spawn(|| scratch().capacity());
/// handle.join().unwrap();
/// ```
pub struct ObjectPool<T: Send + 'static, P = DefaultPolicy, S: Recorder = Stats> {
    inner: Arc<Inner<T, P, S>>,
}

struct Inner<T: Send + 'static, P, S: Recorder> {
    /// The tag the hot path looks for in the thread's shortcut (`table::with_last`), in
    /// the handle's first hop: the pool's own (`shared.id.tag()`) when it has neither a
    /// byte budget nor a live limit, else [`Tag::never`], which the shortcut never holds. So a pool
    /// with a limit leaves the hot path at the compare every path makes anyway, and a pool
    /// without one pays for no limit: no flag or `Option` is tested on its way.
    hot_tag: Tag<LocalCache<T, S>>,
    policy: P,
    config: PoolConfig,
    live: Option<Live>,
    shared: Arc<Shared<T, S>>,
}

impl<T: Default + Reset + Send + 'static> ObjectPool<T> {
    /// A pool with the default configuration, making objects with `Default` and cleaning
    /// them with [`Reset`].
    pub fn new() -> Self {
        Self::build(DefaultPolicy, PoolConfig::default(), None)
    }
}

impl<T: Default + Reset + Send + 'static> Default for ObjectPool<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, P, S> ObjectPool<T, P, S>
where
    T: Send + 'static,
    P: Recycle<T>,
    S: Recorder,
{
    /// The pool a builder describes, its limits checked.
    pub(crate) fn build(policy: P, config: PoolConfig, max_live: Option<usize>) -> Self {
        let live = max_live.map(Live::new);
        let batch = (config.thread_cache() / 2).max(1);
        let shared = Arc::new(Shared {
            id: PoolId::new(),
            queue: Queue::new(config.max_idle()),
            thread_cache: config.thread_cache(),
            batch,
            epoch: Epoch::new(),
            low_water: AtomicUsize::new(0),
            budget: config.max_idle_bytes().map(Budget::new),
            stats: Recorded::new(),
        });
        let pool = ObjectPool {
            inner: Arc::new(Inner {
                hot_tag: if shared.budget.is_none() && live.is_none() {
                    shared.id.tag()
                } else {
                    Tag::never()
                },
                policy,
                config,
                live,
                shared,
            }),
        };
        pool.prewarm(config.prewarm());
        pool
    }

    fn prewarm(&self, n: usize) {
        let shared = &self.inner.shared;
        for _ in 0..n {
            let obj = self.inner.policy.create();
            let bytes = self.measure(&obj);
            let idle = Box::new(Kept { obj, bytes });
            shared.stats.add(Event::Prewarm, 1);
            match shared.push_shared(idle) {
                Ok(()) => shared.stats.add_idle_bytes(bytes as i64),
                Err(_) => shared.stats.add(Event::Discard(Discard::PoolFull), 1),
            }
        }
        self.inner
            .shared
            .low_water
            .store(shared.queue.len(), Ordering::Relaxed);
    }

    /// The pool's recycle policy.
    pub fn policy(&self) -> &P {
        &self.inner.policy
    }

    /// Takes an object: an idle one if there is one, else a new one from the policy.
    ///
    /// Never blocks and never fails. With a live cap, at the cap it makes an object
    /// anyway and counts it (see [`try_get`](ObjectPool::try_get) and
    /// [`get_timeout`](ObjectPool::get_timeout) for the alternatives).
    #[inline]
    pub fn get(&self) -> Pooled<'_, T, P, S> {
        Pooled::new(self, self.take_any())
    }

    /// Like [`get`](ObjectPool::get), but `None` when the live cap
    /// ([`ObjectPoolBuilder::max_live`](crate::ObjectPoolBuilder::max_live)) is reached.
    /// Without a cap it always succeeds.
    ///
    /// ```
    /// use poolside_object::ObjectPool;
    ///
    /// let pool = ObjectPool::<Vec<u8>>::builder().max_live(1).build()?;
    /// let first = pool.try_get().expect("under the cap");
    /// assert!(pool.try_get().is_none());
    /// drop(first);
    /// assert!(pool.try_get().is_some());
    /// # Ok::<(), poolside_core::ConfigError>(())
    /// ```
    pub fn try_get(&self) -> Option<Pooled<'_, T, P, S>> {
        if let Some(live) = &self.inner.live {
            if !live.try_acquire() {
                return None;
            }
        }
        Some(Pooled::new(self, self.take_placed()))
    }

    /// Like [`get`](ObjectPool::get), but at the live cap it waits up to `timeout` for
    /// an object to come back, and returns [`LimitReached`] if none does. Without a limit
    /// it never waits.
    pub fn get_timeout(&self, timeout: Duration) -> Result<Pooled<'_, T, P, S>, LimitReached> {
        if let Some(live) = &self.inner.live {
            live.acquire_timeout(timeout)?;
        }
        Ok(Pooled::new(self, self.take_placed()))
    }

    /// Like [`get`](ObjectPool::get), but the guard holds a handle to the pool instead of
    /// borrowing it, so it is `'static` and can cross threads freely. Costs a reference
    /// count increment and decrement (two atomic read-modify-writes) per use.
    pub fn get_owned(&self) -> OwnedPooled<T, P, S> {
        OwnedPooled::new(self.clone(), self.take_any())
    }

    /// Takes an object for `get`: the hot path (a hit in this thread's cache, found
    /// through `LAST` with nothing changed since: see `table`) inline, the rest out of
    /// line. A pool with a limit always takes the rest (its `hot_tag`).
    #[inline(always)]
    fn take_any(&self) -> Idle<T> {
        if let Ok(Some(idle)) = with_last(
            self.inner.hot_tag,
            &*self.inner.shared,
            take_from_cache::<T, S, false>,
        ) {
            return idle;
        }
        self.take_cold()
    }

    /// Everything a get does but its hot path: the live place under a live limit, the
    /// cache through the shortcut with the byte budget's lease, or through the table, the
    /// shared tier, a new object.
    #[cold]
    #[inline(never)]
    fn take_cold(&self) -> Idle<T> {
        if let Some(live) = &self.inner.live {
            live.acquire_anyway();
        }
        self.take_placed()
    }

    #[inline]
    fn measure(&self, obj: &T) -> usize {
        if S::ENABLED || self.inner.shared.budget.is_some() {
            // No object retains more than `isize::MAX` bytes; a policy that says so is
            // held to that, so the signed idle-bytes count stays right.
            self.inner
                .policy
                .retained_bytes(obj)
                .min(isize::MAX as usize)
        } else {
            0
        }
    }

    #[cold]
    fn create(&self) -> Idle<T> {
        Box::new(Kept {
            obj: self.inner.policy.create(),
            bytes: 0,
        })
    }

    /// Takes an object: the hot path (a hit in this thread's cache) inline, the rest in
    /// [`take_slow`](Self::take_slow).
    #[inline(always)]
    pub(crate) fn take(&self) -> Idle<T> {
        let shared = &self.inner.shared;
        if shared.thread_cache > 0 {
            match with_cache(shared, || LocalCache::new(shared), &**shared, take_local) {
                Some(Taken::Hit(idle)) => idle,
                other => self.take_slow(other),
            }
        } else {
            self.take_slow(None)
        }
    }

    #[cold]
    #[inline(never)]
    fn take_slow(&self, mut taken: Option<Taken<T>>) -> Idle<T> {
        let shared = &self.inner.shared;
        loop {
            match taken {
                Some(Taken::Hit(idle)) => return idle,
                Some(Taken::Miss) => {
                    // Counted once made: a factory that panics made nothing.
                    let idle = self.create();
                    self.record(&[Event::Miss]);
                    return idle;
                }
                Some(Taken::Release) => self.release_local(),
                None => break,
            }
            taken = with_cache(shared, || LocalCache::new(shared), &**shared, take_local);
        }
        // No thread cache: the thread is exiting, the call is reentrant, or the pool has
        // none.
        match shared.pop_shared() {
            Some(idle) => {
                shared.stats.add(Event::Hit, 1);
                shared.stats.add_idle_bytes(-(idle.bytes as i64));
                idle
            }
            None => {
                let idle = self.create();
                shared.stats.add(Event::Miss, 1);
                idle
            }
        }
    }

    /// Releases the objects a trim or decay asked this thread's cache to release, one
    /// per table borrow, dropping each with the table released.
    #[cold]
    fn release_local(&self) {
        let shared = &self.inner.shared;
        while let Some(Some(idle)) = with_cache(
            shared,
            || LocalCache::new(shared),
            &**shared,
            |cache: &mut LocalCache<T, S>, counters: &S::Local, shared: &Shared<T, S>| {
                let next = match cache.to_release {
                    0 => None,
                    _ => cache.objects.pop_front(),
                };
                let Some(idle) = next else {
                    cache.to_release = 0;
                    // Done: the lease need not cover more than what is left.
                    if let Some(budget) = &shared.budget {
                        budget.give(cache.lease - cache.held);
                        cache.lease = cache.held;
                    }
                    return None;
                };
                cache.to_release -= 1;
                if shared.budget.is_some() {
                    cache.held -= idle.bytes;
                }
                S::add(counters, Event::Trimmed, 1);
                S::add_idle_bytes(counters, -(idle.bytes as i64));
                Some(idle)
            },
        ) {
            drop(idle);
        }
    }

    /// Takes an object back: cleans it with the policy and keeps it, or drops it and
    /// counts why.
    #[inline(always)]
    pub(crate) fn give_back(&self, mut idle: Idle<T>) {
        // Every way off the hot path ends in the one call below: with a call per way,
        // the optimizer stops inlining the guard's drop.
        let stage = 'hot: {
            if std::thread::panicking() {
                break 'hot Stage::Discard(Discard::HolderPanicked);
            }
            if let Err(reason) = recycle_guarded(&self.inner.policy, &mut idle.obj) {
                break 'hot Stage::Discard(reason);
            }
            self.measure_guarded(&mut idle, Event::Put, true);
            match with_last(
                self.inner.hot_tag,
                (&*self.inner.shared, idle),
                put_in_cache::<T, S, false>,
            ) {
                Ok(Ok(())) => return,
                Ok(Err(back)) | Err((_, back)) => idle = back,
            }
            Stage::Clean
        };
        self.put_cold(idle, stage);
    }

    /// Everything a put does but its hot path, from where `give_back` left it: the one
    /// cold exit of the guard's drop. The live place, under a live limit, goes back here
    /// even if user code (`Drop` of `T`) panics.
    #[cold]
    #[inline(never)]
    fn put_cold(&self, idle: Idle<T>, stage: Stage) {
        let _place = LivePlace(self.inner.live.as_ref());
        match stage {
            Stage::Discard(reason) => self.discard(idle, Event::Put, reason),
            Stage::Clean if self.inner.hot_tag.is_never() => {
                // A pool with a limit: the shortcut with the byte budget's lease checked.
                match with_last(
                    self.inner.shared.id.tag(),
                    (&*self.inner.shared, idle),
                    put_in_cache::<T, S, true>,
                ) {
                    Ok(Ok(())) => {}
                    Ok(Err(idle)) | Err((_, idle)) => self.put_clean(idle, Event::Put),
                }
            }
            Stage::Clean => self.put_clean(idle, Event::Put),
        }
    }

    /// Measures a cleaned object's retained bytes. A panic in `retained_bytes` drops the
    /// object on its way out: it is counted as entering (`entering`) and discarded, and
    /// its live place (`placed`: it was taken from this pool, not adopted) goes back.
    #[inline(always)]
    fn measure_guarded(&self, idle: &mut Idle<T>, entering: Event, placed: bool) {
        let unwinding = CountOnUnwind {
            pool: self,
            events: [entering, Event::Discard(Discard::ResetPanicked)],
            placed,
        };
        idle.bytes = self.measure(&idle.obj);
        std::mem::forget(unwinding);
    }

    /// `give_back`, into another pool of the same type (the guards' `return_to`): it
    /// leaves this pool as detached and joins `to` as adopted.
    pub(crate) fn give_to(&self, idle: Idle<T>, to: &ObjectPool<T, P, S>) {
        self.record_detach();
        to.keep_or_drop(idle, Event::Adopt);
    }

    /// `take`, for a caller that already holds a live place: the place goes back if
    /// making the object panics.
    #[inline(always)]
    fn take_placed(&self) -> Idle<T> {
        let place = LivePlace(self.inner.live.as_ref());
        let shared = &*self.inner.shared;
        let idle = match with_last(shared.id.tag(), shared, take_from_cache::<T, S, true>) {
            Ok(Some(idle)) => idle,
            _ => self.take(),
        };
        std::mem::forget(place);
        idle
    }

    /// Cleans a returned object and keeps it, through the table. `entering` is how the
    /// object is counted on its way in: `Put`, or `Adopt` from another pool of the family.
    fn keep_or_drop(&self, mut idle: Idle<T>, entering: Event) {
        let verdict = if std::thread::panicking() {
            Err(Discard::HolderPanicked)
        } else {
            recycle_guarded(&self.inner.policy, &mut idle.obj)
        };
        if let Err(reason) = verdict {
            return self.discard(idle, entering, reason);
        }
        self.measure_guarded(&mut idle, entering, false);
        self.put_clean(idle, entering);
    }

    /// Keeps a cleaned and measured object: in this thread's cache through the table, or
    /// the shared tier, or drops it as the pool is full.
    fn put_clean(&self, idle: Idle<T>, entering: Event) {
        let shared = &self.inner.shared;
        // The closure may not run (no table to use), so it takes the object out of here.
        let mut idle = Some(idle);
        let put = if shared.thread_cache > 0 {
            with_cache(
                shared,
                || LocalCache::new(shared),
                (&**shared, &mut idle, entering),
                put_local,
            )
        } else {
            None
        };
        if !matches!(put, Some(Put::Kept)) {
            self.put_slow(put, idle, entering);
        }
    }

    fn discard(&self, idle: Idle<T>, entering: Event, reason: Discard) {
        self.record(&[entering, Event::Discard(reason)]);
        drop(idle);
    }

    fn put_slow(&self, mut put: Option<Put<T>>, mut idle: Option<Idle<T>>, entering: Event) {
        let shared = &self.inner.shared;
        // One retry, after releasing what a trim or decay asked this cache for.
        for retry in [true, false] {
            match put {
                Some(Put::Kept) => return,
                Some(Put::Full(idle)) => {
                    // Every tier is full; `put_local` counted the discard.
                    drop(idle);
                    return;
                }
                Some(Put::ReleaseFirst) if retry => {
                    self.release_local();
                    put = with_cache(
                        shared,
                        || LocalCache::new(shared),
                        (&**shared, &mut idle, entering),
                        put_local,
                    );
                }
                Some(Put::ReleaseFirst) | None => break,
            }
        }
        let Some(idle) = idle else {
            return;
        };
        // No thread cache: straight to the shared tier.
        let bytes = idle.bytes;
        shared.stats.add(entering, 1);
        match shared.push_shared(idle) {
            Ok(()) => shared.stats.add_idle_bytes(bytes as i64),
            Err(idle) => {
                shared.stats.add(Event::Discard(Discard::PoolFull), 1);
                drop(idle);
            }
        }
    }

    /// Records events in this thread's cache, or in the shared counters without one.
    fn record(&self, events: &[Event]) {
        let shared = &self.inner.shared;
        let recorded = shared.thread_cache > 0
            && with_cache(
                shared,
                || LocalCache::new(shared),
                events,
                |_: &mut LocalCache<T, S>, counters: &S::Local, events: &[Event]| {
                    for &e in events {
                        S::add(counters, e, 1);
                    }
                },
            )
            .is_some();
        if !recorded {
            for &e in events {
                shared.stats.add(e, 1);
            }
        }
    }

    pub(crate) fn record_detach(&self) {
        if S::ENABLED {
            self.record(&[Event::Detach]);
        }
        if let Some(live) = &self.inner.live {
            live.leave();
        }
    }

    /// A snapshot of the pool's statistics; see [`Stats`] for what is exact when. With a
    /// live cap the pool counts live objects exactly, so `high_water` is exact; without
    /// one it is 0.
    pub fn stats(&self) -> Stats {
        self.inner.stats()
    }

    /// Objects handed out and not yet returned, counted exactly: only with a
    /// live cap, else `None`.
    pub fn live(&self) -> Option<usize> {
        self.inner.live.as_ref().map(Live::live)
    }

    /// Idle objects in the shared tier now (the per-thread caches are not visible from
    /// here).
    pub fn shared_idle(&self) -> usize {
        self.inner.shared.queue.len()
    }

    /// Releases every idle object: the shared tier's now, each thread's cache at that
    /// thread's next use of the pool. Returns how many were released now.
    pub fn trim(&self) -> u64 {
        self.inner.trim()
    }

    /// Releases the idle objects not used since the previous `decay`: in the shared tier,
    /// as many as it never dropped below; in each thread's cache, likewise, at that
    /// thread's next use of the pool. Returns how many were released now.
    ///
    /// Call it periodically (the monitor's maintenance thread can) to let an idle pool
    /// shrink, as Go's `sync.Pool` does at each garbage collection.
    pub fn decay(&self) -> u64 {
        self.inner.decay()
    }
}

/// Records its events when dropped, unless forgotten: the books for an object that user
/// code (a panicking `retained_bytes`) takes out of the pool by unwinding. With `placed`,
/// the object's live place goes back too.
struct CountOnUnwind<'a, T: Send + 'static, P: Recycle<T>, S: Recorder> {
    pool: &'a ObjectPool<T, P, S>,
    events: [Event; 2],
    placed: bool,
}

impl<T: Send + 'static, P: Recycle<T>, S: Recorder> Drop for CountOnUnwind<'_, T, P, S> {
    #[cold]
    fn drop(&mut self) {
        let _place = LivePlace(self.pool.inner.live.as_ref().filter(|_| self.placed));
        self.pool.record(&self.events);
    }
}

/// A live place (under a live cap) that goes back when dropped, unless forgotten.
struct LivePlace<'a>(Option<&'a Live>);

impl Drop for LivePlace<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(live) = self.0 {
            live.leave();
        }
    }
}

/// Where `put_cold` takes over from the hot path of a put.
enum Stage {
    /// The holder panicked, or the policy refused the object.
    Discard(Discard),
    /// Cleaned and measured, but not kept by the hot path.
    Clean,
}

impl<T: Send + 'static, P, S: Recorder> Clone for ObjectPool<T, P, S> {
    /// Another handle to the same pool (not a new pool).
    fn clone(&self) -> Self {
        ObjectPool {
            inner: self.inner.clone(),
        }
    }
}

impl<T: Send + 'static, P, S: Recorder> fmt::Debug for ObjectPool<T, P, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectPool")
            .field("config", &self.inner.config)
            .field("shared_idle", &self.inner.shared.queue.len())
            .finish_non_exhaustive()
    }
}

impl<T, P, S> Observe for ObjectPool<T, P, S>
where
    T: Send + 'static,
    P: Recycle<T> + Send + Sync,
    S: Recorder,
{
    fn stats(&self) -> Stats {
        self.inner.stats()
    }

    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
        self.inner.visit_metrics(visit);
    }

    fn trim(&self) -> u64 {
        self.inner.trim()
    }

    fn decay(&self) -> u64 {
        self.inner.decay()
    }
}

/// A monitor holds the pool weakly: it does not keep the pool alive.
impl<T, P, S> Observable for ObjectPool<T, P, S>
where
    T: Send + 'static,
    P: Recycle<T> + Send + Sync + 'static,
    S: Recorder,
{
    fn observer(&self) -> Weak<dyn Observe> {
        let weak: Weak<Inner<T, P, S>> = Arc::downgrade(&self.inner);
        weak
    }
}

impl<T, P, S: Recorder> Inner<T, P, S>
where
    T: Send + 'static,
{
    /// A snapshot of the pool's statistics; see [`Stats`] for what is exact when. With a
    /// live cap the pool counts live objects exactly, so `high_water` is exact; without
    /// one it is 0.
    fn stats(&self) -> Stats {
        let mut stats = self.shared.stats.stats();
        if let (true, Some(live)) = (S::ENABLED, &self.live) {
            stats.high_water = live.high_water() as u64;
        }
        stats
    }

    /// Releases every idle object: the shared tier's now, each thread's cache at that
    /// thread's next use of the pool. Returns how many were released now.
    fn trim(&self) -> u64 {
        let shared = &self.shared;
        shared.epoch.trim();
        clear_all();
        let released = self.release_shared(usize::MAX);
        shared.low_water.store(0, Ordering::Relaxed);
        released
    }

    /// Releases the idle objects not used since the previous `decay`: in the shared tier,
    /// as many as it never dropped below; in each thread's cache, likewise, at that
    /// thread's next use of the pool. Returns how many were released now.
    ///
    /// Call it periodically (the monitor's maintenance thread can) to let an idle pool
    /// shrink, as Go's `sync.Pool` does at each garbage collection.
    fn decay(&self) -> u64 {
        let shared = &self.shared;
        shared.epoch.decay();
        clear_all();
        let unused = shared.low_water.load(Ordering::Relaxed);
        let released = self.release_shared(unused);
        shared
            .low_water
            .store(shared.queue.len(), Ordering::Relaxed);
        released
    }

    /// Pops and drops up to `limit` objects, but never more than the tier held when it
    /// started: objects put back meanwhile (by other threads, or by a `Drop` of `T` that
    /// uses the pool) stay, so this ends.
    fn release_shared(&self, limit: usize) -> u64 {
        let shared = &self.shared;
        let limit = limit.min(shared.queue.len());
        let mut released = 0u64;
        while (released as usize) < limit {
            let Some(idle) = shared.queue.pop() else {
                break;
            };
            shared.give_bytes(idle.bytes);
            // Counted before the drop: a `Drop` of `T` that panics leaves the books right.
            shared.stats.add_idle_bytes(-(idle.bytes as i64));
            if released == 0 {
                shared.stats.add(Event::Trim, 1);
            }
            shared.stats.add(Event::Trimmed, 1);
            released += 1;
            drop(idle);
        }
        released
    }
}

impl<T, P, S> Observe for Inner<T, P, S>
where
    T: Send + 'static,
    P: Recycle<T> + Send + Sync,
    S: Recorder,
{
    fn stats(&self) -> Stats {
        Inner::stats(self)
    }

    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
        visit(Metric::gauge(
            "shared_idle_objects",
            "Idle objects in the shared tier (the rest are in per-thread caches).",
            self.shared.queue.len() as f64,
        ));
        if let Some(live) = &self.live {
            visit(Metric::gauge(
                "live_objects",
                "Objects handed out and not yet returned (counted under a live limit).",
                live.live() as f64,
            ));
            visit(Metric::counter(
                "over_limit",
                "Gets that made an object beyond the live limit.",
                live.over_limit() as f64,
            ));
        }
    }

    fn trim(&self) -> u64 {
        Inner::trim(self)
    }

    fn decay(&self) -> u64 {
        Inner::decay(self)
    }
}

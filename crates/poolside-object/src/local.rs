//! One thread's cache of one pool, and what the get and put paths do on it: the hot
//! path's pop and push, and the slower ones that act on trims and decays, refill from
//! the shared tier and spill to it. [`crate::table`] finds the cache and lends it to
//! these functions; none of them runs user code, reaches the table or panics
//! (poolside-local's contract for them).

use std::sync::{Arc, Weak};

use poolside_core::internals::PoolConfig;
use poolside_core::internals::Recorder;
use poolside_core::internals::{Discard, Event};
use poolside_local::{since, Magazine, Since};

use crate::budget::{claim, unclaim};
use crate::shared::{Idle, Shared};

/// One thread's idle objects for one pool, and its statistics.
pub(crate) struct LocalCache<T: Send + 'static, S: Recorder> {
    /// A stack: gets and puts at the top (LIFO, so the object handed out is the one
    /// whose cache lines are warmest); trims, decays and spills take from the bottom, the
    /// coldest. Objects are boxed, so sliding the stack moves pointers only. Its
    /// capacity is the pool's `thread_cache`, in an array inside this block.
    pub(crate) objects: Magazine<Idle<T>, { PoolConfig::MAX_THREAD_CACHE }>,
    /// The pool's trim/decay epoch this cache has acted on.
    pub(crate) epoch: u64,
    /// The fewest objects this cache held since the last decay: that many went unused.
    pub(crate) low_water: usize,
    /// Objects still to release for a trim or decay, taken one per table borrow.
    pub(crate) to_release: usize,
    /// Bytes this cache has leased from the pool's byte budget (0 without one).
    pub(crate) lease: usize,
    /// Retained bytes of the objects in this cache, counted against the lease (0
    /// without a budget). Never above `lease`.
    pub(crate) held: usize,
    pub(crate) shared: Weak<Shared<T, S>>,
}

impl<T: Send + 'static, S: Recorder> LocalCache<T, S> {
    pub(crate) fn new(shared: &Arc<Shared<T, S>>) -> Self {
        LocalCache {
            objects: Magazine::new(shared.thread_cache),
            epoch: shared.epoch(),
            low_water: 0,
            to_release: 0,
            lease: 0,
            held: 0,
            shared: Arc::downgrade(shared),
        }
    }
}

/// The hot path of a get, on the cache the shortcut points to: the last object in, or `None`
/// for the other path (an empty cache). `LIMITED` is whether the pool has a byte budget
/// or a live limit (see `ObjectPool`'s `hot_tag`); under a budget the bytes leave the
/// cache's lease here (`unclaim`).
#[inline(always)]
pub(crate) fn take_from_cache<T: Send + 'static, S: Recorder, const LIMITED: bool>(
    cache: &mut LocalCache<T, S>,
    counters: &S::Local,
    shared: &Shared<T, S>,
) -> Option<Idle<T>> {
    let idle = cache.objects.pop()?;
    if idle.bytes != 0 {
        if LIMITED {
            unclaim(shared, cache, idle.bytes);
        }
        S::add_idle_bytes(counters, -(idle.bytes as i64));
    }
    // A branch, not a `min`: in steady state the mark is already at or below the length,
    // and a compare and a predicted jump cost less than a load, a compare, a move and a
    // store.
    let len = cache.objects.len();
    if len < cache.low_water {
        cold_path();
        cache.low_water = len;
    }
    S::add(counters, Event::Hit, 1);
    Some(idle)
}

/// Marks the branch that calls it as the unlikely one (std's `hint::cold_path`, which is
/// newer than this crate's minimum Rust).
#[cold]
fn cold_path() {}

/// The hot path of a put, on the cache the shortcut points to: keeps the object if the cache
/// has room (and, under a byte budget, the budget has the bytes: `claim`), else hands it
/// back for the other path (which spills, or counts the discard). `LIMITED` as for
/// [`take_from_cache`].
#[inline(always)]
pub(crate) fn put_in_cache<T: Send + 'static, S: Recorder, const LIMITED: bool>(
    cache: &mut LocalCache<T, S>,
    counters: &S::Local,
    (shared, idle): (&Shared<T, S>, Idle<T>),
) -> Result<(), Idle<T>> {
    let bytes = idle.bytes;
    if LIMITED {
        // Room first, then the bytes: a claim is not to be undone.
        if cache.objects.is_full() || (bytes != 0 && !claim(shared, cache, bytes)) {
            return Err(idle);
        }
    }
    // Pushed before counting: a counter's store could alias the stack's length for all
    // the optimizer knows, and would make it load the length again.
    cache.objects.push(idle)?;
    if bytes != 0 {
        S::add_idle_bytes(counters, bytes as i64);
    }
    S::add(counters, Event::Put, 1);
    Ok(())
}

pub(crate) enum Taken<T> {
    Hit(Idle<T>),
    Miss,
    Release,
}

pub(crate) enum Put<T> {
    Kept,
    /// A trim or decay came first: release, then put again.
    ReleaseFirst,
    Full(Idle<T>),
}

/// Acts on a trim or decay this cache has not seen yet. Returns whether it must release
/// objects before going on. `taking` is 1 for a get, which uses one of the objects a
/// decay would otherwise release, and 0 for a put.
#[inline(always)]
fn check_epoch<T: Send + 'static, S: Recorder>(
    shared: &Shared<T, S>,
    cache: &mut LocalCache<T, S>,
    taking: usize,
) -> bool {
    // Every trim or decay whose clearing of the shortcut sent this call here is visible
    // (the table path began arming with `Acquire` first: see `shortcut`).
    let epoch = shared.epoch();
    if epoch == cache.epoch {
        // A release cut short (a `Drop` of `T` that panicked) goes on first.
        return cache.to_release > 0;
    }
    epoch_changed(epoch, cache, taking)
}

/// What to release: a trim, everything; one decay, what the cache never dropped below
/// since the decay before (its low-water mark); two decays or more since this cache was
/// last used, everything but what this use takes, since all of it sat idle through a
/// whole decay period.
#[cold]
#[inline(never)]
fn epoch_changed<T: Send + 'static, S: Recorder>(
    epoch: u64,
    cache: &mut LocalCache<T, S>,
    taking: usize,
) -> bool {
    let Since { trimmed, decays } = since(cache.epoch, epoch);
    cache.epoch = epoch;
    let held = cache.objects.len();
    cache.to_release = if trimmed {
        held
    } else if decays >= 2 {
        held.saturating_sub(taking)
    } else if decays == 1 {
        cache.low_water.min(held)
    } else {
        0
    };
    cache.low_water = held - cache.to_release;
    cache.to_release > 0
}

/// Refills half an empty cache from the shared tier. No user code runs here: sizes were
/// measured when the objects came back.
#[cold]
#[inline(never)]
fn refill<T: Send + 'static, S: Recorder>(shared: &Shared<T, S>, cache: &mut LocalCache<T, S>) {
    let budget = shared.budget.is_some();
    let (lease, held) = (&mut cache.lease, &mut cache.held);
    let want = shared.batch.saturating_sub(cache.objects.len());
    let filled = cache.objects.fill(want, || {
        let idle = shared.pop_unmarked()?;
        // Its claim moves from the shared tier to this cache's lease.
        if budget {
            *lease += idle.bytes;
            *held += idle.bytes;
        }
        Some(idle)
    });
    if filled > 0 {
        shared.mark_low_water();
    }
}

#[inline(always)]
pub(crate) fn take_local<T: Send + 'static, S: Recorder>(
    cache: &mut LocalCache<T, S>,
    counters: &S::Local,
    shared: &Shared<T, S>,
) -> Taken<T> {
    if check_epoch(shared, cache, 1) {
        return Taken::Release;
    }
    if cache.objects.is_empty() {
        refill(shared, cache);
    }
    match cache.objects.pop() {
        Some(idle) => {
            cache.low_water = cache.low_water.min(cache.objects.len());
            S::add(counters, Event::Hit, 1);
            if idle.bytes != 0 {
                S::add_idle_bytes(counters, -(idle.bytes as i64));
                if shared.budget.is_some() {
                    unclaim(shared, cache, idle.bytes);
                }
            }
            Taken::Hit(idle)
        }
        None => {
            cache.low_water = 0;
            // The miss is counted once the object is made (`take_slow`).
            Taken::Miss
        }
    }
}

/// Moves the coldest half of a full cache to the shared tier, as far as it has room.
/// (Once per `batch` puts at most; shifting the stack moves pointers.)
#[cold]
#[inline(never)]
fn spill<T: Send + 'static, S: Recorder>(shared: &Shared<T, S>, cache: &mut LocalCache<T, S>) {
    let budget = shared.budget.is_some();
    let (lease, held) = (&mut cache.lease, &mut cache.held);
    cache.objects.drain_front(shared.batch, |cold| {
        let bytes = cold.bytes;
        shared.push_claimed(cold)?;
        // Its claim moves from this cache's lease to the shared tier.
        if budget {
            *lease -= bytes;
            *held -= bytes;
        }
        Ok(())
    });
    cache.low_water = cache.low_water.min(cache.objects.len());
}

#[inline(always)]
pub(crate) fn put_local<T: Send + 'static, S: Recorder>(
    cache: &mut LocalCache<T, S>,
    counters: &S::Local,
    (shared, idle, entering): (&Shared<T, S>, &mut Option<Idle<T>>, Event),
) -> Put<T> {
    if check_epoch(shared, cache, 0) {
        // Release first, so the released objects are the ones the trim or decay meant,
        // not the one coming back (and none is spilled into the tier just released).
        return Put::ReleaseFirst;
    }
    let Some(idle) = idle.take() else {
        return Put::Kept;
    };
    S::add(counters, entering, 1);
    if cache.objects.is_full() {
        spill(shared, cache);
    }
    if cache.objects.is_full() {
        S::add(counters, Event::Discard(Discard::PoolFull), 1);
        return Put::Full(idle);
    }
    if idle.bytes != 0 {
        if shared.budget.is_some() && !claim(shared, cache, idle.bytes) {
            S::add(counters, Event::Discard(Discard::PoolFull), 1);
            return Put::Full(idle);
        }
        S::add_idle_bytes(counters, idle.bytes as i64);
    }
    match cache.objects.push(idle) {
        Ok(()) => Put::Kept,
        // Not reached: there is room (checked above).
        Err(idle) => Put::Full(idle),
    }
}

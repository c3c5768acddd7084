//! The byte pools' engine: one block per thread per pool, holding a magazine for every
//! size class, over a bounded queue per class, all on poolside-local's per-thread table.
//!
//! [`SizedPool`](crate::SizedPool) and [`BytePool`](crate::BytePool) run on it. A pool
//! finds a request's class (a bit count, for the usual class lists) and a returned
//! buffer's home class, and the engine does the rest:
//!
//! - **The hit path** ([`take_hot`], [`put_hot`]): through the shortcut to the thread's
//!   block, a pop or push on the class's magazine, and the thread's counts. Nothing else
//!   is checked: a trim or decay turns every thread's shortcut off, so the next use goes
//!   through the table and acts on it ([`take_slow`], [`put_slow`]).
//! - **The byte budget**: each class has its share of `max_idle_bytes` (a
//!   [`Budget`]); the class's queue claims the bytes of what it holds, and each thread's
//!   magazine leases bytes from it in chunks. The sized pool's hit put checks only that
//!   the buffer has its class's size, with the lease's room for more of that size in the
//!   magazine's cap (see [`ClassMag`]); the self-tuning pool's compares the lease's
//!   bytes. Leasing, spilling to the queue and giving slack back are slow paths.
//! - **Counts**: each thread's [`Counts`] are core's counters beside its idle bytes per
//!   class, so the pool's statistics are exact per class at any quiescent point.
//!
//! No function lent a block runs user code: buffers are `Vec<u8>`, whose drop runs only
//! the global allocator, and what a pool adds to a return ([`Extra`]) only counts.

use std::collections::TryReserveError;
use std::sync::{Arc, Weak};

use poolside_core::internals::Recorder;
use poolside_core::internals::{Discard, Event, LocalCounters};
use poolside_core::{Metric, Observe, Stats};
use poolside_local::{since, Budget, Epoch, Local, Magazine, PoolId, Queue, Roster, Since, Tag};

use crate::sync::{AtomicU64, AtomicUsize, Ordering};

/// A pooled buffer: boxed, so the guard, the magazines and the queues move one pointer.
pub(crate) type Idle = Box<Vec<u8>>;

/// The most buffers a thread keeps per class.
pub(crate) const MAG: usize = 16;

/// The most classes a pool has (each thread's counts keep idle bytes per class).
pub(crate) const MAX_CLASSES: usize = 128;

/// What a pool counts in each thread's block beyond the engine's counts, on every return
/// (the byte pool's histogram of capacities).
pub(crate) trait Extra: Send + Sync + 'static {
    /// What the pool passes with each return (the byte pool's calibration period).
    type Param: Copy + Send + Sync + 'static;

    /// How a put on the hit path knows that the class's budget has room. True: it takes
    /// only a buffer of exactly the class's size, and the room is the magazine's cap,
    /// fitted to the lease on the slow paths (the size-class pool, whose buffers are made
    /// at their class's size). False: any capacity, against the lease's bytes (the
    /// self-tuning pool, whose one class holds every capacity).
    const EXACT_SIZE: bool;

    /// What the pool keeps in each thread's block beside its counts, which only that
    /// thread reaches, so it needs no atomics (the byte pool's countdown to its next
    /// calibration).
    type Own: Send + 'static;

    /// Empty counts: a thread's to start with, and the pool's own, which exited threads
    /// fold theirs into.
    fn empty() -> Self;

    /// A thread's own part, from what exited threads left (`retired`).
    fn own(param: Self::Param, retired: &Self) -> Self::Own;

    /// Folds an exiting thread's counts and own part into `retired`, under the
    /// roster's lock, which every reader of them holds too.
    fn retire(&self, own: &Self::Own, retired: &Self, param: Self::Param);

    /// Counts a returned buffer of `capacity`; true when the pool's periodic work (a
    /// calibration) is due, which the caller runs once the block is let go. Only the
    /// block's thread calls it.
    fn returned(&self, own: &mut Self::Own, capacity: usize, param: Self::Param) -> bool;

    /// What the pool keeps beside the engine for its observers too, so that a monitor
    /// holding the engine weakly sees all of it (the byte pool's tuning).
    type Shared: Send + Sync + 'static;

    /// The pool's metrics beyond its statistics ([`Observe::visit_metrics`]).
    fn visit_metrics(engine: &Engine<Self>, visit: &mut dyn FnMut(Metric))
    where
        Self: Sized;
}

impl Extra for () {
    type Param = ();

    const EXACT_SIZE: bool = true;

    type Own = ();

    fn empty() {}

    fn own((): (), (): &()) {}

    fn retire(&self, (): &(), (): &(), (): ()) {}

    #[inline(always)]
    fn returned(&self, (): &mut (), _: usize, (): ()) -> bool {
        false
    }

    type Shared = ();

    /// Each class's idle bytes, as `class_<size>_idle_bytes`.
    fn visit_metrics(engine: &Engine<()>, visit: &mut dyn FnMut(Metric)) {
        let (_, idle) = engine.stats();
        for (class, bytes) in engine.classes.iter().zip(idle) {
            let name = format!("class_{}_idle_bytes", class.size);
            visit(Metric::gauge(
                name,
                "Retained bytes of the idle buffers in one size class.",
                bytes as f64,
            ));
        }
    }
}

/// One thread's counts: core's counters, the idle bytes of its magazine of each class,
/// and what the pool adds. Only the thread writes them (relaxed loads and stores); the
/// pool's statistics read them from any thread.
pub(crate) struct Counts<X> {
    base: LocalCounters,
    idle: [AtomicU64; MAX_CLASSES],
    pub(crate) extra: X,
}

impl<X: Extra> Counts<X> {
    #[inline(always)]
    fn idle(&self, class: usize) -> &AtomicU64 {
        // `class` is below the class count, itself at most `MAX_CLASSES` (a power of
        // two): the mask is a no-op that spares the bounds check.
        &self.idle[class % MAX_CLASSES]
    }

    #[inline(always)]
    fn add(&self, event: Event) {
        <Stats as Recorder>::add(&self.base, event, 1);
    }
}

/// One size class: its sizes, the queue of idle buffers every thread shares, and its
/// share of the byte budget.
pub(crate) struct Class {
    /// The capacity new buffers of this class get.
    pub(crate) size: usize,
    queue: Queue<Idle>,
    budget: Budget,
    /// Idle bytes in the queue, and those of exited threads' counts folded in.
    idle: AtomicU64,
    /// The fewest buffers the queue held since the last decay.
    low_water: AtomicUsize,
}

impl Class {
    /// Puts `buf` in the queue, claiming its bytes from the class's budget, or hands it
    /// back if the budget or the queue has no room.
    fn push_claiming(&self, buf: Idle) -> Result<(), Idle> {
        let cap = buf.capacity();
        if !self.budget.take(cap) {
            return Err(buf);
        }
        match self.queue.push(buf) {
            Ok(()) => {
                add(&self.idle, cap);
                Ok(())
            }
            Err(buf) => {
                self.budget.give(cap);
                Err(buf)
            }
        }
    }
}

/// How an engine is made.
pub(crate) struct Shape {
    /// Each class's new-buffer capacity, smallest first.
    pub(crate) classes: Vec<usize>,
    /// Each class's share of the idle byte budget.
    pub(crate) class_budget: usize,
    /// Each class's queue capacity.
    pub(crate) max_idle: usize,
    /// Buffers each thread keeps per class (at most [`MAG`]).
    pub(crate) thread_cache: usize,
    /// The largest capacity the last class keeps (each other class keeps up to the next
    /// one's size less one).
    pub(crate) top_keep: usize,
}

/// What every thread's block of one pool shares.
pub(crate) struct Engine<X: Extra> {
    id: PoolId<Mags<X>>,
    pub(crate) classes: Box<[Class]>,
    thread_cache: usize,
    /// How many buffers move between a magazine and its queue at once.
    batch: usize,
    /// Trims and decays so far.
    epoch: Epoch,
    roster: Roster<Counts<X>>,
    /// Counts of exited threads, and of events recorded with no block at hand.
    shared: LocalCounters,
    /// What each thread's `Extra` counts start from.
    param: X::Param,
    /// What exited threads' `Extra` counts left.
    retired: X,
    /// What the pool shares with its observers ([`Extra::Shared`]).
    pub(crate) shared_extra: X::Shared,
}

/// One thread's magazine of one class, with its low-water mark and its lease.
///
/// For a pool whose hit path takes exact sizes ([`Extra::EXACT_SIZE`]), the stack's cap
/// is the lease's room: with `held` the magazine's idle bytes (in the thread's counts),
/// `held + (cap - len) * size <= lease` at all times. A hit push adds `size` bytes and
/// one to `len`, a hit pop takes a buffer of at least `size` bytes (every buffer of a
/// class has at least its size) and one from `len`, so neither breaks it; the slow paths
/// refit the cap ([`fit`]) whenever they move the lease.
struct ClassMag {
    stack: Magazine<Idle, MAG>,
    /// The class's size: the capacity a hit push takes, for exact sizes.
    size: usize,
    /// The fewest buffers held since the last decay: that many went unused.
    low: usize,
    /// Bytes leased from the class's budget; the magazine's idle bytes never exceed it.
    lease: usize,
}

/// One thread's state in one pool: a magazine per class.
pub(crate) struct Mags<X: Extra> {
    mags: Box<[ClassMag]>,
    /// The pool's epoch this block has acted on.
    epoch: u64,
    /// What the pool keeps here beside the counts.
    own: X::Own,
    engine: Weak<Engine<X>>,
}

impl<X: Extra> Engine<X> {
    /// An engine of `shape`'s classes (at least one, at most [`MAX_CLASSES`], each with a
    /// queue of at least one), and its tag for the hot path.
    pub(crate) fn new(shape: Shape, param: X::Param, shared_extra: X::Shared) -> Arc<Self> {
        // The hit path's unchecked reach into the counts' idle bytes rests on this.
        assert!(!shape.classes.is_empty() && shape.classes.len() <= MAX_CLASSES);
        let thread_cache = shape.thread_cache.min(MAG);
        let classes = shape
            .classes
            .iter()
            .enumerate()
            .map(|(i, &size)| Class {
                size,
                queue: Queue::new(shape.max_idle.max(1)),
                // A magazine holds at most `thread_cache` buffers of the class's largest
                // capacity kept: a chunk larger than that would only be slack.
                budget: Budget::with_chunk(
                    shape.class_budget,
                    (shape.class_budget / 32).min(
                        thread_cache.max(1).saturating_mul(
                            shape
                                .classes
                                .get(i + 1)
                                .map_or(shape.top_keep, |next| next - 1),
                        ),
                    ),
                ),
                idle: AtomicU64::new(0),
                low_water: AtomicUsize::new(0),
            })
            .collect();
        Arc::new(Engine {
            id: PoolId::new(),
            classes,
            thread_cache,
            batch: (thread_cache / 2).max(1),
            epoch: Epoch::new(),
            roster: Roster::new(),
            shared: LocalCounters::new(),
            param,
            retired: X::empty(),
            shared_extra,
        })
    }

    /// The tag the hot path looks for.
    pub(crate) fn tag(&self) -> Tag<Mags<X>> {
        self.id.tag()
    }

    fn epoch(&self) -> u64 {
        self.epoch.load()
    }

    /// Counts `event` with no block at hand.
    pub(crate) fn count(&self, event: Event) {
        <Stats as Recorder>::add_shared(&self.shared, event, 1);
    }

    fn make(self: &Arc<Self>) -> Mags<X> {
        Mags {
            mags: self
                .classes
                .iter()
                .map(|c| ClassMag {
                    // With no lease yet, exact sizes have no room.
                    stack: Magazine::new(if X::EXACT_SIZE { 0 } else { self.thread_cache }),
                    size: c.size,
                    low: 0,
                    lease: 0,
                })
                .collect(),
            epoch: self.epoch(),
            own: X::own(self.param, &self.retired),
            engine: Arc::downgrade(self),
        }
    }

    /// An idle buffer of `class` from the slow path: the thread's block (acting on any
    /// trim or decay first, refilling from the queue), else, with no table to use, the
    /// queue; `None` when the pool has none, for the caller to make one.
    pub(crate) fn take_idle(self: &Arc<Self>, class: usize) -> Option<Idle> {
        match with_block(self, (&**self, class), take_slow) {
            Some(found) => found,
            // No table (the thread is exiting): the queue, counted in the shared counts.
            None => {
                let c = &self.classes[class];
                let buf = c.queue.pop()?;
                c.low_water.fetch_min(c.queue.len(), Ordering::Relaxed);
                c.budget.give(buf.capacity());
                sub(&c.idle, buf.capacity());
                self.count(Event::Hit);
                Some(buf)
            }
        }
    }

    /// A buffer of `class` from the slow path: an idle one, else a new one of the class's
    /// size, or the allocator's error.
    pub(crate) fn take(self: &Arc<Self>, class: usize) -> Result<Idle, TryReserveError> {
        if let Some(buf) = self.take_idle(class) {
            return Ok(buf);
        }
        let mut buf = Vec::new();
        buf.try_reserve_exact(self.classes[class].size)?;
        self.count_miss();
        Ok(Box::new(buf))
    }

    /// Counts a miss, in the thread's block if it can.
    pub(crate) fn count_miss(self: &Arc<Self>) {
        if with_block(self, Event::Miss, record).is_none() {
            self.count(Event::Miss);
        }
    }

    /// Counts `event`, in the thread's block if it can.
    pub(crate) fn record(self: &Arc<Self>, event: Event) {
        if with_block(self, event, record).is_none() {
            self.count(event);
        }
    }

    /// A returned buffer that no class keeps: counted as put and discarded for `reason`,
    /// and as returned (`Extra`). Returns whether the pool's periodic work is due.
    pub(crate) fn discard(self: &Arc<Self>, buf: Idle, reason: Discard, param: X::Param) -> bool {
        let cap = buf.capacity();
        drop(buf);
        match with_block(self, (cap, reason, param), discarded) {
            Some(due) => due,
            None => {
                self.count(Event::Put);
                self.count(Event::Discard(reason));
                false
            }
        }
    }

    /// A buffer coming back to `class` (its capacity within the class) from the slow
    /// path. Returns whether the pool's periodic work is due.
    pub(crate) fn put(self: &Arc<Self>, class: usize, buf: Idle, param: X::Param) -> bool {
        let mut buf = Some(buf);
        match with_block(self, (&**self, class, &mut buf, param), put_slow) {
            Some(due) => due,
            // No table: the queue, if the class's budget has the bytes.
            None => {
                let Some(buf) = buf else { return false };
                self.count(Event::Put);
                if self.classes[class].push_claiming(buf).is_err() {
                    self.count(Event::Discard(Discard::PoolFull));
                }
                false
            }
        }
    }

    /// Releases every idle buffer: the queues' now, each thread's at its next use.
    pub(crate) fn trim(&self) -> u64 {
        self.epoch.trim();
        let mut released = 0;
        for c in self.classes.iter() {
            // What the queue holds now, so that this ends while other threads spill.
            for _ in 0..c.queue.len() {
                let Some(buf) = c.queue.pop() else { break };
                released += self.release_shared(c, buf);
            }
            c.low_water.store(0, Ordering::Relaxed);
        }
        self.after_release(released)
    }

    /// Releases the idle buffers not used since the previous call: in each queue, as many
    /// as it never went below since; in each thread, the same at its next use.
    pub(crate) fn decay(&self) -> u64 {
        self.epoch.decay();
        let mut released = 0;
        for c in self.classes.iter() {
            let unused = c.low_water.load(Ordering::Relaxed);
            for _ in 0..unused {
                let Some(buf) = c.queue.pop() else { break };
                released += self.release_shared(c, buf);
            }
            c.low_water.store(c.queue.len(), Ordering::Relaxed);
        }
        self.after_release(released)
    }

    fn release_shared(&self, c: &Class, buf: Idle) -> u64 {
        let bytes = buf.capacity();
        drop(buf);
        c.budget.give(bytes);
        sub(&c.idle, bytes);
        self.count(Event::Trimmed);
        1
    }

    fn after_release(&self, released: u64) -> u64 {
        if released > 0 {
            self.count(Event::Trim);
        }
        // Every thread's next use goes through the table, and acts on the new epoch.
        poolside_local::clear_all();
        released
    }

    /// A snapshot of the statistics, and each class's idle bytes. The classes' own idle
    /// bytes are read under the roster's lock too, so that a thread whose counts are
    /// folded into them meanwhile is counted once.
    pub(crate) fn stats(&self) -> (Stats, Vec<u64>) {
        let n = self.classes.len();
        let mut idle = vec![0i64; n];
        let mut stats = self.roster.read(|live| {
            let stats = <Stats as Recorder>::stats(
                &self.shared,
                live.inspect(|counts| {
                    for (sum, bytes) in idle.iter_mut().zip(&counts.idle) {
                        *sum += bytes.load(Ordering::Relaxed) as i64;
                    }
                })
                .map(|counts| &counts.base),
            );
            for (sum, c) in idle.iter_mut().zip(self.classes.iter()) {
                *sum += c.idle.load(Ordering::Relaxed) as i64;
            }
            stats
        });
        let idle: Vec<u64> = idle.iter().map(|&bytes| bytes.max(0) as u64).collect();
        stats.idle_bytes = idle.iter().sum();
        (stats, idle)
    }

    /// Runs `f` over what every live thread's counts add (`Extra`), under the
    /// roster's lock.
    pub(crate) fn read_extra<R>(&self, f: impl FnOnce(&mut dyn Iterator<Item = &X>) -> R) -> R {
        self.roster
            .read(|live| f(&mut live.map(|c| &c.extra).chain(std::iter::once(&self.retired))))
    }
}

/// What a monitor sees of a pool: the engine, held weakly, is all of it.
impl<X: Extra> Observe for Engine<X> {
    fn stats(&self) -> Stats {
        Engine::stats(self).0
    }

    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
        X::visit_metrics(self, visit);
    }

    fn trim(&self) -> u64 {
        Engine::trim(self)
    }

    fn decay(&self) -> u64 {
        Engine::decay(self)
    }
}

fn add(cell: &AtomicU64, bytes: usize) {
    cell.fetch_add(bytes as u64, Ordering::Relaxed);
}

fn sub(cell: &AtomicU64, bytes: usize) {
    cell.fetch_sub(bytes as u64, Ordering::Relaxed);
}

/// A change to a thread's own count: a relaxed load and store, as only it writes.
#[inline(always)]
fn bump(cell: &AtomicU64, delta: i64) {
    cell.store(
        cell.load(Ordering::Relaxed).wrapping_add(delta as u64),
        Ordering::Relaxed,
    );
}

fn record<X: Extra>(_: &mut Mags<X>, counts: &Counts<X>, event: Event) {
    counts.add(event);
}

fn discarded<X: Extra>(
    mags: &mut Mags<X>,
    counts: &Counts<X>,
    (cap, reason, param): (usize, Discard, X::Param),
) -> bool {
    counts.add(Event::Put);
    counts.add(Event::Discard(reason));
    counts.extra.returned(&mut mags.own, cap, param)
}

impl<X: Extra> Mags<X> {
    /// The magazine of `class` and its idle bytes in `counts`, if the pool has the class.
    #[inline(always)]
    fn class<'a>(
        &'a mut self,
        counts: &'a Counts<X>,
        class: usize,
    ) -> Option<(&'a mut ClassMag, &'a AtomicU64)> {
        let mag = self.mags.get_mut(class)?;
        // SAFETY: the block has a magazine per class of its pool, at most `MAX_CLASSES`
        // (`Engine::new` asserts it), so `class` is within the counts' array too. Checked,
        // this costs the hit path an instruction each way.
        #[allow(unsafe_code)]
        let idle = unsafe { counts.idle.get_unchecked(class) };
        Some((mag, idle))
    }
}

/// The hit path of a get: the top of the class's magazine, or `None` for the slow path
/// (an empty magazine, or a class past the last: a request of 0 or above the largest).
#[inline(always)]
pub(crate) fn take_hot<X: Extra>(
    mags: &mut Mags<X>,
    counts: &Counts<X>,
    class: usize,
) -> Option<Idle> {
    let (mag, idle) = mags.class(counts, class)?;
    let buf = mag.stack.pop()?;
    let len = mag.stack.len();
    if len < mag.low {
        cold_path();
        mag.low = len;
    }
    bump(idle, -(buf.capacity() as i64));
    counts.add(Event::Hit);
    Some(buf)
}

/// The hit path of a put: onto the class's magazine if it has room and the lease has the
/// bytes, else hands the buffer back for the slow path. `Ok` says whether the pool's
/// periodic work is due.
#[inline(always)]
pub(crate) fn put_hot<X: Extra>(
    mags: &mut Mags<X>,
    counts: &Counts<X>,
    (class, buf, param): (usize, Idle, X::Param),
) -> Result<bool, Idle> {
    let Some((mag, idle)) = mags.class(counts, class) else {
        return Err(buf);
    };
    let cap = buf.capacity();
    if X::EXACT_SIZE {
        // The stack's cap is the lease's room for buffers of this size (see `ClassMag`).
        if cap != mag.size {
            return Err(buf);
        }
    } else if idle.load(Ordering::Relaxed) as usize + cap > mag.lease {
        return Err(buf);
    }
    mag.stack.push(buf)?;
    bump(idle, cap as i64);
    counts.add(Event::Put);
    Ok(counts.extra.returned(&mut mags.own, cap, param))
}

/// Marks the branch that calls it as the unlikely one (std's `hint::cold_path`, which is
/// newer than this crate's minimum Rust).
#[cold]
fn cold_path() {}

/// Acts on a trim or decay this block has not seen yet: a trim releases everything, a
/// decay what each magazine never went below since the one before (two decays or more,
/// everything); then what the leases hold beyond what the magazines keep goes back.
fn act_on_epoch<X: Extra>(engine: &Engine<X>, mags: &mut Mags<X>, counts: &Counts<X>) {
    let epoch = engine.epoch();
    if epoch == mags.epoch {
        return;
    }
    let Since { trimmed, decays } = since(mags.epoch, epoch);
    mags.epoch = epoch;
    for (i, (mag, class)) in mags.mags.iter_mut().zip(engine.classes.iter()).enumerate() {
        let held = mag.stack.len();
        let release = if trimmed || decays >= 2 {
            held
        } else {
            mag.low.min(held)
        };
        for _ in 0..release {
            let Some(buf) = mag.stack.pop_front() else {
                break;
            };
            bump(counts.idle(i), -(buf.capacity() as i64));
            counts.add(Event::Trimmed);
        }
        mag.low = mag.stack.len();
        give_slack::<X>(engine, class, mag, counts.idle(i), 0, 0);
    }
}

/// Gives back what `mag`'s lease holds beyond its idle bytes and `keep`, once that slack
/// exceeds `above`; then fits the magazine's cap to the lease.
fn give_slack<X: Extra>(
    engine: &Engine<X>,
    class: &Class,
    mag: &mut ClassMag,
    idle: &AtomicU64,
    above: usize,
    keep: usize,
) {
    let held = idle.load(Ordering::Relaxed) as usize;
    // The lease covers what the magazine holds, always; saturating, so that a broken
    // invariant could only keep bytes leased, never give back more than was leased.
    if mag.lease.saturating_sub(held) > above {
        class.budget.give(mag.lease - held - keep);
        mag.lease = held + keep;
    }
    fit::<X>(engine, mag, idle);
}

/// Sets the magazine's cap to its room: every slot the pool's `thread_cache` gives, and
/// for exact sizes no more than what it holds plus as many buffers of its size as the
/// lease's unheld bytes cover (see `ClassMag`).
fn fit<X: Extra>(engine: &Engine<X>, mag: &mut ClassMag, idle: &AtomicU64) {
    let mut cap = engine.thread_cache;
    if X::EXACT_SIZE {
        let held = idle.load(Ordering::Relaxed) as usize;
        let room = mag.lease.saturating_sub(held) / mag.size.max(1);
        cap = cap.min(mag.stack.len().saturating_add(room));
    }
    mag.stack.set_cap(cap);
}

/// The slow path of a get, in the block: after any trim or decay, the magazine's top,
/// refilled from the queue if it was empty; `None` for a new buffer.
fn take_slow<X: Extra>(
    mags: &mut Mags<X>,
    counts: &Counts<X>,
    (engine, class): (&Engine<X>, usize),
) -> Option<Idle> {
    act_on_epoch(engine, mags, counts);
    let c = &engine.classes[class];
    let mag = &mut mags.mags[class];
    let idle = counts.idle(class);
    if mag.stack.is_empty() {
        // Half a magazine from the queue; each buffer's claim moves to the lease, so the
        // lease's room for more is what it was, and the cap is refitted after.
        mag.stack.set_cap(engine.thread_cache);
        let filled = mag.stack.fill(engine.batch, || {
            let buf = c.queue.pop()?;
            mag.lease += buf.capacity();
            sub(&c.idle, buf.capacity());
            bump(idle, buf.capacity() as i64);
            Some(buf)
        });
        if filled > 0 {
            c.low_water.fetch_min(c.queue.len(), Ordering::Relaxed);
        }
        // Slack left by buffers taken and given back on other threads goes back too,
        // but a chunk, once it exceeds two.
        let chunk = c.budget.chunk();
        give_slack(engine, c, mag, idle, 2 * chunk, chunk);
        if engine.thread_cache == 0 {
            // No per-thread tier (`thread_cache` 0): straight from the queue.
            let buf = c.queue.pop()?;
            c.low_water.fetch_min(c.queue.len(), Ordering::Relaxed);
            c.budget.give(buf.capacity());
            sub(&c.idle, buf.capacity());
            counts.add(Event::Hit);
            return Some(buf);
        }
    }
    match mag.stack.pop() {
        Some(buf) => {
            mag.low = mag.low.min(mag.stack.len());
            bump(idle, -(buf.capacity() as i64));
            counts.add(Event::Hit);
            Some(buf)
        }
        None => {
            mag.low = 0;
            None
        }
    }
}

/// The slow path of a put, in the block: after any trim or decay, onto the magazine
/// (spilling half of a full one to the queue, leasing bytes if needed), else the queue,
/// else dropped and counted. Returns whether the pool's periodic work is due.
fn put_slow<X: Extra>(
    mags: &mut Mags<X>,
    counts: &Counts<X>,
    (engine, class, buf, param): (&Engine<X>, usize, &mut Option<Idle>, X::Param),
) -> bool {
    act_on_epoch(engine, mags, counts);
    let Some(buf) = buf.take() else {
        return false;
    };
    let cap = buf.capacity();
    counts.add(Event::Put);
    let due = counts.extra.returned(&mut mags.own, cap, param);
    let c = &engine.classes[class];
    let mag = &mut mags.mags[class];
    let idle = counts.idle(class);
    let slots = engine.thread_cache;
    if slots > 0 && mag.stack.len() == slots {
        // The coldest half to the queue, each with its claim.
        mag.stack.drain_front(engine.batch, |cold| {
            let bytes = cold.capacity();
            c.queue.push(cold)?;
            mag.lease -= bytes;
            bump(idle, -(bytes as i64));
            add(&c.idle, bytes);
            Ok(())
        });
        mag.low = mag.low.min(mag.stack.len());
    }
    let kept = if mag.stack.len() < slots {
        let held = idle.load(Ordering::Relaxed) as usize + cap;
        if held > mag.lease {
            mag.lease += c.budget.lease(held - mag.lease);
        }
        held <= mag.lease && {
            mag.stack.set_cap(slots);
            // Below `thread_cache`, so the push cannot fail.
            let pushed = mag.stack.push(buf);
            debug_assert!(pushed.is_ok());
            bump(idle, cap as i64);
            true
        }
    } else {
        // No per-thread tier (`thread_cache` 0), or a full one whose queue is full too:
        // straight to the queue.
        c.push_claiming(buf).is_ok()
    };
    fit(engine, mag, idle);
    if !kept {
        counts.add(Event::Discard(Discard::PoolFull));
    }
    due
}

/// Runs `f` on this thread's block of `engine`, made on first use; `None` without a table.
fn with_block<X: Extra, A, R>(
    engine: &Arc<Engine<X>>,
    arg: A,
    f: fn(&mut Mags<X>, &Counts<X>, A) -> R,
) -> Option<R> {
    // SAFETY: `f` is one of this module's functions, which run no user code (buffers are
    // `Vec<u8>`, whose drop runs only the allocator, and `Extra` only counts), never reach
    // the table and never panic; `make` builds magazines and nothing else.
    #[allow(unsafe_code)]
    unsafe {
        poolside_local::with_block(&**engine, || engine.make(), arg, f)
    }
}

/// Runs `f` on this thread's block of the pool tagged `tag` if the shortcut points at it.
#[inline(always)]
pub(crate) fn with_last<X: Extra, A, R>(
    tag: Tag<Mags<X>>,
    arg: A,
    f: fn(&mut Mags<X>, &Counts<X>, A) -> R,
) -> Result<R, A> {
    // SAFETY: as in `with_block`: `f` is `take_hot` or `put_hot`.
    #[allow(unsafe_code)]
    unsafe {
        poolside_local::with_last(tag, arg, f)
    }
}

// SAFETY: `alive`, `may_arm`, `new_counts` and `roster` read a weak count and integers,
// or build zeroed counts: no user code, no table, no panic. `close` retires the counts
// first, while the pool lives, and then only moves and drops `Vec<u8>`s.
#[allow(unsafe_code)]
unsafe impl<X: Extra> Local for Mags<X> {
    type Counts = Counts<X>;
    type Pool = Engine<X>;

    #[inline(always)]
    fn id(engine: &Engine<X>) -> &PoolId<Self> {
        &engine.id
    }

    fn new_counts(_: &Engine<X>) -> Counts<X> {
        Counts {
            base: LocalCounters::new(),
            idle: std::array::from_fn(|_| AtomicU64::new(0)),
            extra: X::empty(),
        }
    }

    fn roster(engine: &Engine<X>) -> Option<&Roster<Counts<X>>> {
        Some(&engine.roster)
    }

    fn alive(&self) -> bool {
        self.engine.strong_count() > 0
    }

    fn may_arm(&self, engine: &Engine<X>) -> bool {
        self.epoch == engine.epoch()
    }

    /// The thread has exited, or the pool is gone: if the pool lives, fold the counts into
    /// its own, then hand the idle buffers to the queues, and give the leases back.
    fn close(&mut self, counts: &Counts<X>) {
        let Some(engine) = self.engine.upgrade() else {
            // The roster's reads of these counts happened before the pool's last
            // reference went; this fence acquires that drop, as in the object pool
            // (std's fence: it pairs with std's `Arc`).
            std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
            return;
        };
        engine.roster.retire(counts, |counts| {
            <Stats as Recorder>::retire(&engine.shared, &counts.base);
            counts
                .extra
                .retire(&self.own, &engine.retired, engine.param);
            for (c, idle) in engine.classes.iter().zip(&counts.idle) {
                add(&c.idle, idle.load(Ordering::Relaxed) as usize);
            }
        });
        for (mag, c) in self.mags.iter_mut().zip(engine.classes.iter()) {
            while let Some(buf) = mag.stack.pop_front() {
                let bytes = buf.capacity();
                mag.lease -= bytes;
                if let Err(buf) = c.queue.push(buf) {
                    c.budget.give(bytes);
                    sub(&c.idle, bytes);
                    engine.count(Event::Trimmed);
                    drop(buf);
                }
            }
            c.budget.give(mag.lease);
            mag.lease = 0;
        }
    }
}

//! Statistics: the snapshot type, the recorders pools write to, and the observe trait.

use std::fmt;
use std::sync::{Arc, Weak};

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicU64, Ordering, PerThread};

/// Why a pool dropped an object instead of keeping it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Discard {
    /// Every tier was full.
    PoolFull,
    /// The object kept more memory than the pool retains.
    Oversized,
    /// The recycle policy refused it.
    Rejected,
    /// Its reset or recycle step panicked.
    ResetPanicked,
    /// Its holder panicked: the guard was dropped during unwinding, when running a reset
    /// (user code that might panic again) is not safe, so the object was dropped as it was.
    HolderPanicked,
}

/// Discards, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Discards {
    /// Dropped because every tier was full.
    pub pool_full: u64,
    /// Dropped because it kept more memory than the pool retains.
    pub oversized: u64,
    /// Dropped because the recycle policy refused it.
    pub rejected: u64,
    /// Dropped because its reset panicked.
    pub reset_panicked: u64,
    /// Dropped unreset because its holder panicked.
    pub holder_panicked: u64,
}

impl Discards {
    /// All discards, whatever the reason.
    pub fn total(&self) -> u64 {
        self.pool_full + self.oversized + self.rejected + self.reset_panicked + self.holder_panicked
    }
}

/// A snapshot of what a pool has done, in the style of bb8's `Statistics`.
///
/// Counters count since the pool was made. Gauges (`idle_objects`, `idle_bytes`,
/// `in_use`) are the state at the snapshot. Every object a pool made or adopted is in
/// one of five places, so
/// `prewarmed + misses + adopted = in_use + idle_objects + detached + discards + trimmed`.
///
/// # Consistency
///
/// Pools count per thread and sum the counts when read. While threads run, a snapshot
/// is approximate: it may see one thread's latest update and not another's, and a
/// gauge derived from two counters may be briefly off (it never goes below 0). Once
/// the threads that used the pool have been joined, a snapshot is exact.
///
/// ```
/// use poolside_core::Stats;
///
/// let mut s = Stats::default();
/// assert_eq!(s.hit_rate(), None);
/// s.gets = 4;
/// s.hits = 3;
/// assert_eq!(s.hit_rate(), Some(0.75));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Stats {
    /// Objects handed out: `hits + misses`.
    pub gets: u64,
    /// Gets served by an idle object (reuses).
    pub hits: u64,
    /// Gets that made a new object (news).
    pub misses: u64,
    /// Objects made ahead of time, when the pool was built.
    pub prewarmed: u64,
    /// Objects given back (kept or discarded).
    pub puts: u64,
    /// Returned objects that were dropped, by reason.
    pub discards: Discards,
    /// Objects taken out of the pool for good with `detach`, or handed to another pool
    /// of the same family.
    pub detached: u64,
    /// Objects that joined from another pool of the same family (the object pool's
    /// `return_to`, which the buffer pools' size classes use).
    pub adopted: u64,
    /// Calls to `trim` or `decay` that released anything.
    pub trims: u64,
    /// Idle objects released by `trim` or `decay`.
    pub trimmed: u64,
    /// Objects idle in the pool now.
    pub idle_objects: u64,
    /// Retained bytes of the idle objects, as the pool's policy reports them.
    pub idle_bytes: u64,
    /// Objects handed out and not yet given back or detached.
    pub in_use: u64,
    /// The highest `in_use` the pool reported through [`Recorder::observe_in_use`]: exact
    /// for pools that count live objects. Pools that do not (counting them costs a shared
    /// atomic on every get and put) leave it at 0 rather than guess from a snapshot,
    /// whose `in_use` may be off while threads run.
    pub high_water: u64,
}

impl Stats {
    /// The share of gets served by an idle object, or `None` before the first get.
    pub fn hit_rate(&self) -> Option<f64> {
        (self.gets > 0).then(|| self.hits as f64 / self.gets as f64)
    }
}

/// Adds another pool's statistics, for a family of pools reported as one (the size
/// classes of a buffer pool, say). Counters and gauges add up; `high_water` adds up
/// too, which bounds the family's peak from above (the members' peaks need not have
/// come at once).
///
/// ```
/// use poolside_core::Stats;
///
/// let mut a = Stats::default();
/// a.gets = 3;
/// a.discards.oversized = 1;
/// let mut b = Stats::default();
/// b.gets = 2;
/// a += b;
/// assert_eq!((a.gets, a.discards.total()), (5, 1));
/// ```
impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, other: Stats) {
        let d = &mut self.discards;
        d.pool_full += other.discards.pool_full;
        d.oversized += other.discards.oversized;
        d.rejected += other.discards.rejected;
        d.reset_panicked += other.discards.reset_panicked;
        d.holder_panicked += other.discards.holder_panicked;
        self.gets += other.gets;
        self.hits += other.hits;
        self.misses += other.misses;
        self.prewarmed += other.prewarmed;
        self.puts += other.puts;
        self.detached += other.detached;
        self.adopted += other.adopted;
        self.trims += other.trims;
        self.trimmed += other.trimmed;
        self.idle_objects += other.idle_objects;
        self.idle_bytes += other.idle_bytes;
        self.in_use += other.in_use;
        self.high_water += other.high_water;
    }
}

/// Something a pool counts. Pools pass it to a [`Recorder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// A get served by an idle object.
    Hit,
    /// A get that made a new object.
    Miss,
    /// An object made ahead of time.
    Prewarm,
    /// An object given back.
    Put,
    /// A returned object dropped, and why.
    Discard(Discard),
    /// An object taken out for good.
    Detach,
    /// An object that joined from another pool of the same family (the object pool's
    /// `return_to`), where it was counted as detached.
    Adopt,
    /// A `trim` or `decay` call that released something.
    Trim,
    /// An idle object released by `trim` or `decay`.
    Trimmed,
}

/// Where a pool records its statistics on the hot path.
///
/// Pools take the recorder as a type parameter, so that [`NoStats`] compiles to nothing:
/// a cargo feature could not switch it off, since features unify across a build.
pub trait Recorder: Send + Sync {
    /// Whether this recorder records anything. Pools may skip work that only feeds it,
    /// such as measuring an object's retained bytes.
    const ENABLED: bool;

    /// Counts `n` occurrences of `event`.
    fn add(&self, event: Event, n: u64);

    /// Counts one `event`.
    #[inline]
    fn record(&self, event: Event) {
        self.add(event, 1);
    }

    /// Adds `delta` to the retained bytes of idle objects (negative when they leave).
    fn add_idle_bytes(&self, delta: i64);

    /// Reports a live-object count that the pool knows exactly, for the high-water mark.
    fn observe_in_use(&self, in_use: u64);

    /// Sums the counts into a snapshot.
    fn stats(&self) -> Stats;
}

/// A recorder that records nothing and costs nothing; its [`stats`](Recorder::stats)
/// are all zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct NoStats;

impl Recorder for NoStats {
    const ENABLED: bool = false;

    #[inline(always)]
    fn add(&self, _event: Event, _n: u64) {}

    #[inline(always)]
    fn add_idle_bytes(&self, _delta: i64) {}

    #[inline(always)]
    fn observe_in_use(&self, _in_use: u64) {}

    fn stats(&self) -> Stats {
        Stats::default()
    }
}

const HIT: usize = 0;
const MISS: usize = 1;
const PREWARM: usize = 2;
const PUT: usize = 3;
const POOL_FULL: usize = 4;
const OVERSIZED: usize = 5;
const REJECTED: usize = 6;
const RESET_PANICKED: usize = 7;
const DETACH: usize = 8;
const TRIM: usize = 9;
const TRIMMED: usize = 10;
const HOLDER_PANICKED: usize = 12;
const ADOPT: usize = 13;
/// Idle bytes, as a wrapping sum of signed deltas.
const IDLE_BYTES: usize = 11;
const SLOTS: usize = 14;

/// One thread's counters, for pools that keep per-thread state of their own.
///
/// [`Counters`] finds the calling thread's `LocalCounters` through a thread-local lookup
/// on every update. A pool that already holds a per-thread cache can embed one of these
/// in it instead and pay no lookup at all, then sum them with [`LocalCounters::stats`].
///
/// Only its own thread should write it: an update is a plain load and store (no
/// read-modify-write), so it costs about what a non-atomic add does, and two threads
/// writing one `LocalCounters` at once could lose counts (never memory safety). Any
/// thread may read it. Keep each on its own cache line (the pool's per-thread struct
/// is padded, or wrap it in `crossbeam_utils::CachePadded`).
///
/// ```
/// use poolside_core::{Event, LocalCounters};
///
/// let mine = LocalCounters::new();
/// let theirs = LocalCounters::new();
/// mine.record(Event::Miss);
/// theirs.record(Event::Put);
/// let stats = LocalCounters::stats([&mine, &theirs]);
/// assert_eq!((stats.gets, stats.puts, stats.in_use), (1, 1, 0));
/// ```
pub struct LocalCounters {
    counts: [AtomicU64; SLOTS],
}

impl LocalCounters {
    /// Counters at zero.
    #[cfg(not(poolside_loom))]
    pub const fn new() -> Self {
        LocalCounters {
            counts: [const { AtomicU64::new(0) }; SLOTS],
        }
    }

    /// Counters at zero.
    #[cfg(poolside_loom)]
    pub fn new() -> Self {
        LocalCounters {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    #[inline]
    fn bump(&self, index: usize, n: u64) {
        let cell = &self.counts[index];
        // Relaxed is enough: this thread is the only writer, and readers need no order
        // between counters (see the consistency note on `Stats`).
        cell.store(
            cell.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }

    /// Counts `n` occurrences of `event`.
    #[inline]
    pub fn add(&self, event: Event, n: u64) {
        self.bump(index_of(event), n);
    }

    /// Counts one `event`.
    #[inline]
    pub fn record(&self, event: Event) {
        self.add(event, 1);
    }

    /// Adds `delta` to the retained bytes of idle objects (negative when they leave).
    #[inline]
    pub fn add_idle_bytes(&self, delta: i64) {
        // Two's complement: a wrapping sum of the deltas as u64 is the signed total.
        self.bump(IDLE_BYTES, delta as u64);
    }

    /// Sums every thread's counters into a snapshot. `high_water` is left at 0 for the
    /// pool to fill in.
    pub fn stats<'a>(all: impl IntoIterator<Item = &'a LocalCounters>) -> Stats {
        let mut sums = [0u64; SLOTS];
        for local in all {
            local.add_into(&mut sums);
        }
        stats_from_sums(&sums)
    }

    /// Adds every count of `other` into `self`, for a pool that folds the counters of a
    /// thread that has exited into one that outlives it. `self` gets the same
    /// single-writer rule as any `LocalCounters`: fold under a lock, or from its owner.
    pub fn absorb(&self, other: &LocalCounters) {
        for (index, cell) in other.counts.iter().enumerate() {
            self.bump(index, cell.load(Ordering::Relaxed));
        }
    }

    /// Adds `n` from any thread: a read-modify-write, for counters that several threads
    /// share.
    #[inline]
    fn bump_shared(&self, index: usize, n: u64) {
        self.counts[index].fetch_add(n, Ordering::Relaxed);
    }

    fn add_into(&self, sums: &mut [u64; SLOTS]) {
        for (sum, cell) in sums.iter_mut().zip(&self.counts) {
            *sum = sum.wrapping_add(cell.load(Ordering::Relaxed));
        }
    }
}

impl Default for LocalCounters {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for LocalCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalCounters")
            .field("stats", &LocalCounters::stats([self]))
            .finish()
    }
}

#[inline]
fn index_of(event: Event) -> usize {
    match event {
        Event::Hit => HIT,
        Event::Miss => MISS,
        Event::Prewarm => PREWARM,
        Event::Put => PUT,
        Event::Discard(Discard::PoolFull) => POOL_FULL,
        Event::Discard(Discard::Oversized) => OVERSIZED,
        Event::Discard(Discard::Rejected) => REJECTED,
        Event::Discard(Discard::ResetPanicked) => RESET_PANICKED,
        Event::Discard(Discard::HolderPanicked) => HOLDER_PANICKED,
        Event::Detach => DETACH,
        Event::Adopt => ADOPT,
        Event::Trim => TRIM,
        Event::Trimmed => TRIMMED,
    }
}

fn stats_from_sums(c: &[u64; SLOTS]) -> Stats {
    let discards = Discards {
        pool_full: c[POOL_FULL],
        oversized: c[OVERSIZED],
        rejected: c[REJECTED],
        reset_panicked: c[RESET_PANICKED],
        holder_panicked: c[HOLDER_PANICKED],
    };
    let gets = c[HIT] + c[MISS];
    let in_use = gets.saturating_sub(c[PUT] + c[DETACH]);
    let made = c[MISS] + c[PREWARM] + c[ADOPT];
    let gone = in_use + c[DETACH] + discards.total() + c[TRIMMED];
    Stats {
        gets,
        hits: c[HIT],
        misses: c[MISS],
        prewarmed: c[PREWARM],
        puts: c[PUT],
        discards,
        detached: c[DETACH],
        adopted: c[ADOPT],
        trims: c[TRIM],
        trimmed: c[TRIMMED],
        idle_objects: made.saturating_sub(gone),
        idle_bytes: (c[IDLE_BYTES] as i64).max(0) as u64,
        in_use,
        high_water: 0,
    }
}

/// The default recorder: per-thread counters, each thread's on its own cache line,
/// summed when read.
///
/// Recording touches only the calling thread's line, so two threads never contend.
/// Reading walks every thread's counters; it is meant for monitoring, not the hot path.
/// Counts of a thread that has exited are kept. See [`Stats`] for consistency.
///
/// A thread that records while it tears down (a guard kept in a `thread_local!`, dropped
/// by its destructor) can no longer reach its own counters; its updates go to one shared
/// set of counters instead, with an atomic add, so they are neither lost nor a cause of
/// a panic.
///
/// Each update looks up the calling thread's [`LocalCounters`]; a pool with per-thread
/// state of its own can embed `LocalCounters` there and skip the lookup.
///
/// ```
/// use poolside_core::{Counters, Event, Recorder};
///
/// let counters = Counters::new();
/// std::thread::scope(|s| {
///     for _ in 0..2 {
///         s.spawn(|| {
///             for _ in 0..1000 {
///                 counters.record(Event::Miss);
///             }
///         });
///     }
/// });
/// let stats = counters.stats();
/// assert_eq!((stats.gets, stats.misses, stats.in_use), (2000, 2000, 2000));
/// ```
pub struct Counters {
    slots: PerThread<CachePadded<LocalCounters>>,
    /// The counts of threads that recorded during their teardown.
    exiting: LocalCounters,
    high_water: AtomicU64,
}

impl Counters {
    /// Counters at zero.
    #[cfg(not(poolside_loom))]
    pub const fn new() -> Self {
        Counters {
            slots: PerThread::new(),
            exiting: LocalCounters::new(),
            high_water: AtomicU64::new(0),
        }
    }

    /// Counters at zero.
    #[cfg(poolside_loom)]
    pub fn new() -> Self {
        Counters {
            slots: PerThread::new(),
            exiting: LocalCounters::new(),
            high_water: AtomicU64::new(0),
        }
    }

    #[inline]
    fn bump(&self, index: usize, n: u64) {
        let own = self.slots.try_with(
            || CachePadded::new(LocalCounters::new()),
            |local| local.bump(index, n),
        );
        if own.is_none() {
            self.exiting.bump_shared(index, n);
        }
    }
}

impl Default for Counters {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counters")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Recorder for Counters {
    const ENABLED: bool = true;

    #[inline]
    fn add(&self, event: Event, n: u64) {
        self.bump(index_of(event), n);
    }

    #[inline]
    fn add_idle_bytes(&self, delta: i64) {
        self.bump(IDLE_BYTES, delta as u64);
    }

    fn observe_in_use(&self, in_use: u64) {
        self.high_water.fetch_max(in_use, Ordering::Relaxed);
    }

    fn stats(&self) -> Stats {
        let mut sums = [0u64; SLOTS];
        self.slots.for_each(|local| local.add_into(&mut sums));
        self.exiting.add_into(&mut sums);
        let mut stats = stats_from_sums(&sums);
        stats.high_water = self.high_water.load(Ordering::Relaxed);
        stats
    }
}

/// One extra metric that a pool reports beyond [`Stats`], for [`Observe::visit_metrics`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric<'a> {
    /// A snake_case name, unique within the pool, such as `"tasks_panicked"`.
    pub name: &'a str,
    /// One line saying what it measures.
    pub help: &'a str,
    /// Whether it only grows, or goes up and down.
    pub kind: MetricKind,
    /// The value now.
    pub value: f64,
}

/// Whether a [`Metric`] is a counter or a gauge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum MetricKind {
    /// Only grows, from 0 when the pool was made.
    Counter,
    /// Goes up and down.
    Gauge,
}

/// The object-safe view of a pool that monitors hold: its statistics, any metrics of
/// its own, and the ways to give memory back.
///
/// Every poolside pool implements it, and so can yours:
///
/// ```
/// use poolside_core::{Metric, MetricKind, Observe, Stats};
///
/// struct Mine;
///
/// impl Observe for Mine {
///     fn stats(&self) -> Stats {
///         let mut s = Stats::default();
///         s.gets = 1;
///         s
///     }
///     fn visit_metrics(&self, visit: &mut dyn FnMut(Metric<'_>)) {
///         visit(Metric { name: "queue_depth", help: "tasks waiting", kind: MetricKind::Gauge, value: 3.0 });
///     }
/// }
///
/// let pools: Vec<Box<dyn Observe>> = vec![Box::new(Mine)];
/// let mut names = Vec::new();
/// pools[0].visit_metrics(&mut |m| names.push(m.name.to_owned()));
/// assert_eq!(names, ["queue_depth"]);
/// assert_eq!(pools[0].trim(), 0);
/// ```
pub trait Observe: Send + Sync {
    /// A snapshot of the core statistics.
    fn stats(&self) -> Stats;

    /// Calls `visit` with each metric this pool has beyond [`Stats`]. The default has none.
    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric<'_>)) {
        let _ = visit;
    }

    /// Releases every idle object it can, and returns how many. The default releases none.
    fn trim(&self) -> u64 {
        0
    }

    /// Releases idle objects not used since the previous call, and returns how many. The
    /// default releases none.
    fn decay(&self) -> u64 {
        0
    }
}

/// A pool that a monitor can hold without keeping it alive: it hands out a weak
/// reference to the part of itself that implements [`Observe`].
///
/// Every poolside pool implements it, and so does any `Arc` of an [`Observe`] type, so
/// your own pools work as they are:
///
/// ```
/// use std::sync::Arc;
/// use poolside_core::{Observable, Observe, Stats};
///
/// struct Mine;
/// impl Observe for Mine {
///     fn stats(&self) -> Stats {
///         Stats::default()
///     }
/// }
///
/// let pool = Arc::new(Mine);
/// let weak = pool.observer();
/// assert!(weak.upgrade().is_some());
/// drop(pool);
/// assert!(weak.upgrade().is_none(), "the observer does not keep the pool alive");
/// ```
pub trait Observable {
    /// A weak reference to this pool's observable part.
    fn observer(&self) -> Weak<dyn Observe>;
}

impl<O: Observe + 'static> Observable for Arc<O> {
    fn observer(&self) -> Weak<dyn Observe> {
        let weak: Weak<O> = Arc::downgrade(self);
        weak
    }
}

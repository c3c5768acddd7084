//! Statistics: the snapshot type, the one way pools record it, and the observe trait.
//!
//! The statistics are listed once, in the `statistics!` table below. Each row is a field
//! of [`Stats`] (or of [`Discards`]) with its docs, its exported help text and kind, its
//! terminal-table heading, and the [`Event`] that counts it, if one does; the macro
//! writes the types, the tallies, the mapping from events to tallies, the sums, the
//! additions and the `STATISTICS` table that monitors export from. Rows without an
//! event are derived from the counts, in `stats_from_sums`.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Weak};

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicU64, Ordering, PerThread};

/// Writes everything that follows from the list of statistics; see the module docs.
///
/// A row of `Discards` names its `Discard` reason; a row of `Stats` has its type
/// (`u64`, or `Discards` for the counts by reason), its export `kind` and `help`, an
/// optional terminal-table `column` and an optional `event` that counts it.
macro_rules! statistics {
    (
        $(#[$discard_attr:meta])*
        pub enum Discard;

        $(#[$discards_attr:meta])*
        pub struct Discards {
            $(
                $(#[$reason_field_doc:meta])*
                $reason_field:ident {
                    $(#[$reason_doc:meta])*
                    reason: $Reason:ident,
                }
            )*
        }

        $(#[$event_attr:meta])*
        pub enum Event {
            $(#[$discard_event_doc:meta])*
            Discard(Discard),
        }

        $(#[$stats_attr:meta])*
        pub struct Stats {
            $(
                $(#[$field_doc:meta])*
                $field:ident: $Type:ident {
                    kind: $kind:ident,
                    help: $help:literal,
                    $(column: $column:literal,)?
                    $(
                        $(#[$event_doc:meta])*
                        event: $Event:ident,
                    )?
                }
            )*
        }
    ) => {
        $(#[$discard_attr])*
        pub enum Discard {
            $($(#[$reason_doc])* $Reason,)*
        }

        $(#[$discards_attr])*
        pub struct Discards {
            $($(#[$reason_field_doc])* pub $reason_field: u64,)*
        }

        impl Discards {
            /// All discards, whatever the reason.
            pub fn total(&self) -> u64 {
                0 $(+ self.$reason_field)*
            }
        }

        /// Adds another pool's discards, reason by reason.
        impl std::ops::AddAssign for Discards {
            fn add_assign(&mut self, other: Discards) {
                $(self.$reason_field += other.$reason_field;)*
            }
        }

        impl Field for Discards {
            const BY_REASON: &'static [(&'static str, Read)] =
                &[$((stringify!($reason_field), |s| s.discards.$reason_field),)*];

            fn total(&self) -> u64 {
                Discards::total(self)
            }

            fn since(&self, earlier: &Discards) -> Discards {
                Discards {
                    $($reason_field: self.$reason_field.saturating_sub(earlier.$reason_field),)*
                }
            }
        }

        $(#[$event_attr])*
        pub enum Event {
            $($($(#[$event_doc])* $Event,)?)*
            $(#[$discard_event_doc])*
            Discard(Discard),
        }

        $(#[$stats_attr])*
        pub struct Stats {
            $($(#[$field_doc])* pub $field: $Type,)*
        }

        /// Adds another pool's statistics, for a family of pools reported as one (the size
        /// classes of a buffer pool, say). Counters and gauges add up; `high_water` adds up
        /// too, which bounds the family's peak from above (the members' peaks need not
        /// have come at once).
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
                $(self.$field += other.$field;)*
            }
        }

        impl Stats {
            /// What happened between `earlier` and this snapshot of the same pool: each
            /// counter's growth (0 where it went down, as when a pool was replaced), and
            /// each gauge as it is now.
            ///
            /// ```
            /// use poolside_core::Stats;
            ///
            /// let mut then = Stats::default();
            /// then.gets = 3;
            /// then.idle_objects = 5;
            /// let mut now = then;
            /// now.gets = 10;
            /// now.idle_objects = 2;
            /// let delta = now.since(&then);
            /// assert_eq!((delta.gets, delta.idle_objects), (7, 2));
            /// assert_eq!(then.since(&now).gets, 0);
            /// ```
            pub fn since(&self, earlier: &Stats) -> Stats {
                Stats {
                    $($field: statistics!(@since $kind, self.$field, earlier.$field),)*
                }
            }
        }

        /// Where [`LocalCounters`] keeps each count: one tally per event and per discard
        /// reason, then the idle bytes.
        #[derive(Clone, Copy)]
        enum Tally {
            $($($Event,)?)*
            $($Reason,)*
            IdleBytes,
        }

        #[inline]
        fn index_of(event: Event) -> usize {
            let slot = match event {
                $($(Event::$Event => Tally::$Event,)?)*
                $(Event::Discard(Discard::$Reason) => Tally::$Reason,)*
            };
            slot as usize
        }

        /// A snapshot with the fields that events count read from the tallies, and the
        /// others at 0.
        fn counted(c: &[u64; TALLIES]) -> Stats {
            let mut s = Stats::default();
            $($(s.$field = c[Tally::$Event as usize];)?)*
            $(s.discards.$reason_field = c[Tally::$Reason as usize];)*
            s
        }

        /// Every field of [`Stats`], in order, for monitors to export.
        #[doc(hidden)]
        pub const STATISTICS: &[Statistic] = &[$(
            Statistic {
                name: stringify!($field),
                help: $help,
                kind: MetricKind::$kind,
                column: statistics!(@some $($column)?),
                read: |s| Field::total(&s.$field),
                by_reason: <$Type as Field>::BY_REASON,
            },
        )*];
    };
    (@since Counter, $now:expr, $then:expr) => { Field::since(&$now, &$then) };
    (@since Gauge, $now:expr, $then:expr) => { $now };
    (@some) => { None };
    (@some $value:literal) => { Some($value) };
}

statistics! {
    /// Why a pool dropped an object instead of keeping it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum Discard;

    /// Discards, by reason.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
    #[cfg_attr(feature = "serde", derive(serde::Serialize))]
    #[non_exhaustive]
    pub struct Discards {
        /// Dropped because every tier was full.
        pool_full {
            /// Every tier was full.
            reason: PoolFull,
        }
        /// Dropped because it kept more memory than the pool retains.
        oversized {
            /// The object kept more memory than the pool retains.
            reason: Oversized,
        }
        /// Dropped because the recycle policy refused it.
        rejected {
            /// The recycle policy refused it.
            reason: Rejected,
        }
        /// Dropped because its reset panicked.
        reset_panicked {
            /// Its reset or recycle step panicked.
            reason: ResetPanicked,
        }
        /// Dropped unreset because its holder panicked.
        holder_panicked {
            /// Its holder panicked: the guard was dropped during unwinding, when running a
            /// reset (user code that might panic again) is not safe, so the object was
            /// dropped as it was.
            reason: HolderPanicked,
        }
    }

    /// Something a pool counts. Pools pass it to a [`Recorder`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum Event {
        /// A returned object dropped, and why.
        Discard(Discard),
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
    /// # As a pool's type parameter
    ///
    /// A pool's last type parameter says whether it keeps statistics: `Stats` (the
    /// default) or [`NoStats`]. With `Stats`, each thread counts in counters of its own,
    /// so two threads never contend, and a snapshot sums every thread's, so it is meant
    /// for monitoring, not the hot path. Counts of a thread that has exited are kept.
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
        gets: u64 {
            kind: Counter,
            help: "Objects handed out.",
            column: "gets",
        }
        /// Gets served by an idle object (reuses).
        hits: u64 {
            kind: Counter,
            help: "Gets served by an idle object.",
            column: "hits",
            /// A get served by an idle object.
            event: Hit,
        }
        /// Gets that made a new object (news).
        misses: u64 {
            kind: Counter,
            help: "Gets that made a new object.",
            column: "misses",
            /// A get that made a new object.
            event: Miss,
        }
        /// Objects made ahead of time, when the pool was built.
        prewarmed: u64 {
            kind: Counter,
            help: "Objects made ahead of time.",
            /// An object made ahead of time.
            event: Prewarm,
        }
        /// Objects given back (kept or discarded).
        puts: u64 {
            kind: Counter,
            help: "Objects given back.",
            column: "puts",
            /// An object given back.
            event: Put,
        }
        /// Returned objects that were dropped, by reason.
        discards: Discards {
            kind: Counter,
            help: "Returned objects dropped instead of kept, by reason.",
            column: "discards",
        }
        /// Objects taken out of the pool for good with `detach`, or handed to another pool
        /// of the same family.
        detached: u64 {
            kind: Counter,
            help: "Objects taken out of the pool for good.",
            /// An object taken out for good.
            event: Detach,
        }
        /// Objects that joined from another pool of the same family (the object pool's
        /// `return_to`).
        adopted: u64 {
            kind: Counter,
            help: "Objects that joined from another pool of the same family.",
            /// An object that joined from another pool of the same family (the object
            /// pool's `return_to`), where it was counted as detached.
            event: Adopt,
        }
        /// Calls to `trim` or `decay` that released anything.
        trims: u64 {
            kind: Counter,
            help: "Trim or decay calls that released something.",
            /// A `trim` or `decay` call that released something.
            event: Trim,
        }
        /// Idle objects released by `trim` or `decay`.
        trimmed: u64 {
            kind: Counter,
            help: "Idle objects released by trim or decay.",
            /// An idle object released by `trim` or `decay`.
            event: Trimmed,
        }
        /// Objects idle in the pool now.
        idle_objects: u64 {
            kind: Gauge,
            help: "Objects idle in the pool.",
            column: "idle",
        }
        /// Retained bytes of the idle objects, as the pool's policy reports them.
        idle_bytes: u64 {
            kind: Gauge,
            help: "Retained bytes of the idle objects.",
            column: "idle bytes",
        }
        /// Objects handed out and not yet given back or detached.
        in_use: u64 {
            kind: Gauge,
            help: "Objects handed out and not yet given back.",
            column: "in use",
        }
        /// The most objects in use at once, from pools that count live objects exactly
        /// (the object pool under a live limit). Pools that do not (counting them costs
        /// a shared atomic on every get and put) leave it at 0 rather than guess from a
        /// snapshot, whose `in_use` may be off while threads run.
        high_water: u64 {
            kind: Gauge,
            help: "The most objects in use at once, where the pool counts them.",
        }
    }
}

impl Stats {
    /// The share of gets served by an idle object, or `None` before the first get.
    pub fn hit_rate(&self) -> Option<f64> {
        (self.gets > 0).then(|| self.hits as f64 / self.gets as f64)
    }
}

/// How to read one statistic from a snapshot.
type Read = fn(&Stats) -> u64;

/// One field of [`Stats`] as monitors export it. The monitor crate's exporters iterate
/// [`STATISTICS`] instead of naming the fields, so a new statistic is exported, summed
/// and shown without a change there.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Statistic {
    /// The field's name, which is also its exported name: `"gets"`.
    pub name: &'static str,
    /// One line saying what it measures, for an exporter's help text.
    pub help: &'static str,
    /// Whether it only grows or goes up and down.
    pub kind: MetricKind,
    /// Its heading in a terminal table, or `None` where the table leaves it out to stay
    /// narrow.
    pub column: Option<&'static str>,
    /// Its value in a snapshot; for one split by reason, the total.
    pub read: Read,
    /// The reasons it is split by, each with its value (none for a single count).
    pub by_reason: &'static [(&'static str, Read)],
}

/// A field of [`Stats`]: one count, or counts by reason.
trait Field {
    /// The reasons and how to read each, as [`Statistic::by_reason`] gives them.
    const BY_REASON: &'static [(&'static str, Read)];

    /// The count, or the sum over the reasons.
    fn total(&self) -> u64;

    /// The growth since `earlier`, 0 where it went down.
    fn since(&self, earlier: &Self) -> Self;
}

impl Field for u64 {
    const BY_REASON: &'static [(&'static str, Read)] = &[];

    fn total(&self) -> u64 {
        *self
    }

    fn since(&self, earlier: &u64) -> u64 {
        self.saturating_sub(*earlier)
    }
}

/// How many tallies a [`LocalCounters`] keeps.
const TALLIES: usize = Tally::IdleBytes as usize + 1;
/// Idle bytes, as a wrapping sum of signed deltas.
const IDLE_BYTES: usize = Tally::IdleBytes as usize;

/// A snapshot from summed tallies: the counted fields as they are, and the derived ones
/// from them (`high_water` is left at 0 for the recorder to fill in).
fn stats_from_sums(c: &[u64; TALLIES]) -> Stats {
    let mut s = counted(c);
    s.gets = s.hits + s.misses;
    s.in_use = s.gets.saturating_sub(s.puts + s.detached);
    let made = s.misses + s.prewarmed + s.adopted;
    let gone = s.in_use + s.detached + s.discards.total() + s.trimmed;
    s.idle_objects = made.saturating_sub(gone);
    s.idle_bytes = (c[IDLE_BYTES] as i64).max(0) as u64;
    s
}

mod sealed {
    #[allow(unreachable_pub)]
    pub trait Sealed {}
}

/// How a pool keeps its statistics, chosen by type: [`Stats`] or [`NoStats`].
///
/// Every pool records the same way. Each thread writes counts of its own
/// ([`Local`](Recorder::Local)), kept in the pool's per-thread state where it has one, or
/// found through a thread-local lookup where it does not; the pool keeps one
/// [`Shared`](Recorder::Shared) set beside them for the counts of threads that have
/// exited and for events recorded with no thread's counts at hand. A snapshot sums them
/// all ([`stats`](Recorder::stats)).
///
/// It is a type parameter, not a cargo feature, so that [`NoStats`] compiles to nothing
/// in one pool and not in another: features unify across a build. The trait is sealed;
/// its methods are the pools' business.
pub trait Recorder: sealed::Sealed + Send + Sync + Sized + 'static {
    /// Whether this recorder records anything. Pools may skip work that only feeds it,
    /// such as measuring an object's retained bytes.
    const ENABLED: bool;

    /// One thread's counts. Only that thread writes them (a plain load and store); any
    /// thread may read them.
    type Local: Send + Sync + fmt::Debug + 'static;

    /// The counts any thread may add to (a read-modify-write).
    type Shared: Send + Sync + Default + fmt::Debug + 'static;

    /// One thread's counts, at zero.
    fn new_local() -> Self::Local;

    /// Counts `n` occurrences of `event` in the calling thread's own counts.
    fn add(local: &Self::Local, event: Event, n: u64);

    /// Adds `delta` to the retained bytes of idle objects (negative when they leave), in
    /// the calling thread's own counts.
    fn add_idle_bytes(local: &Self::Local, delta: i64);

    /// Counts `n` occurrences of `event` in the shared counts, from any thread.
    fn add_shared(shared: &Self::Shared, event: Event, n: u64);

    /// Adds `delta` to the retained bytes of idle objects in the shared counts.
    fn add_shared_idle_bytes(shared: &Self::Shared, delta: i64);

    /// Moves a thread's counts into the shared ones, for a thread whose counts are about
    /// to go. The caller stops reading `local` in the same step (under one lock), or a
    /// snapshot counts it twice.
    fn retire(shared: &Self::Shared, local: &Self::Local);

    /// Sums the shared counts and every live thread's into a snapshot (`high_water` is
    /// left at 0 for a pool that counts live objects to fill in).
    fn stats<'a>(shared: &Self::Shared, live: impl IntoIterator<Item = &'a Self::Local>) -> Stats;
}

impl sealed::Sealed for Stats {}

/// Per-thread counters, summed when read: how a pool keeps its statistics by default.
impl Recorder for Stats {
    const ENABLED: bool = true;
    type Local = LocalCounters;
    type Shared = LocalCounters;

    #[inline]
    fn new_local() -> LocalCounters {
        LocalCounters::new()
    }

    #[inline(always)]
    fn add(local: &LocalCounters, event: Event, n: u64) {
        local.add(event, n);
    }

    #[inline(always)]
    fn add_idle_bytes(local: &LocalCounters, delta: i64) {
        local.add_idle_bytes(delta);
    }

    #[inline]
    fn add_shared(shared: &LocalCounters, event: Event, n: u64) {
        shared.bump_shared(index_of(event), n);
    }

    #[inline]
    fn add_shared_idle_bytes(shared: &LocalCounters, delta: i64) {
        shared.bump_shared(IDLE_BYTES, delta as u64);
    }

    fn retire(shared: &LocalCounters, local: &LocalCounters) {
        for (index, cell) in local.counts.iter().enumerate() {
            shared.bump_shared(index, cell.load(Ordering::Relaxed));
        }
    }

    fn stats<'a>(
        shared: &LocalCounters,
        live: impl IntoIterator<Item = &'a LocalCounters>,
    ) -> Stats {
        let mut sums = [0u64; TALLIES];
        for local in live {
            local.add_into(&mut sums);
        }
        shared.add_into(&mut sums);
        stats_from_sums(&sums)
    }
}

/// A recorder that records nothing and costs nothing; its snapshots are all zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct NoStats;

impl sealed::Sealed for NoStats {}

impl Recorder for NoStats {
    const ENABLED: bool = false;
    type Local = ();
    type Shared = ();

    #[inline(always)]
    fn new_local() {}

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

    fn stats<'a>(_: &(), _: impl IntoIterator<Item = &'a ()>) -> Stats {
        Stats::default()
    }
}

/// One thread's counts: [`Stats`]' [`Local`](Recorder::Local) (and its
/// [`Shared`](Recorder::Shared), where every update is an atomic add).
///
/// A pool with per-thread state of its own embeds one in it, so an update is a plain
/// load and store with no lookup; [`ThreadCounters`] finds one per thread for pools
/// without. Only its own thread should write it through [`add`](LocalCounters::add): two
/// threads doing so at once could lose counts (never memory safety). Any thread may read
/// it. Keep each on its own cache line (the pool's per-thread struct is padded, or wrap it
/// in `crossbeam_utils::CachePadded`).
///
/// ```
/// use poolside_core::internals::{Event, LocalCounters};
///
/// let mine = LocalCounters::new();
/// let theirs = LocalCounters::new();
/// mine.record(Event::Miss);
/// theirs.record(Event::Put);
/// let stats = LocalCounters::stats([&mine, &theirs]);
/// assert_eq!((stats.gets, stats.puts, stats.in_use), (1, 1, 0));
/// ```
pub struct LocalCounters {
    counts: [AtomicU64; TALLIES],
}

impl LocalCounters {
    /// Counters at zero.
    #[cfg(not(poolside_loom))]
    pub const fn new() -> Self {
        LocalCounters {
            counts: [const { AtomicU64::new(0) }; TALLIES],
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
        let mut sums = [0u64; TALLIES];
        for local in all {
            local.add_into(&mut sums);
        }
        stats_from_sums(&sums)
    }

    /// Adds `n` from any thread: a read-modify-write, for counters that several threads
    /// share.
    #[inline]
    fn bump_shared(&self, index: usize, n: u64) {
        self.counts[index].fetch_add(n, Ordering::Relaxed);
    }

    fn add_into(&self, sums: &mut [u64; TALLIES]) {
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

/// A [`Recorder`]'s counts for a pool with no per-thread state of its own: each update
/// finds the calling thread's counts through a thread-local lookup.
///
/// Each update pays for the lookup; a pool that keeps per-thread state embeds
/// [`Recorder::Local`] there instead and pays none (the `counter_update_*` benchmark
/// groups compare them). A thread that records while it tears down (a
/// guard kept in a `thread_local!`, dropped by its destructor) can no longer reach its
/// own counts; its updates go to the shared ones with an atomic add, so they are neither
/// lost nor a cause of a panic.
///
/// ```
/// use poolside_core::internals::{Event, ThreadCounters};
///
/// let counters = ThreadCounters::new();
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
pub struct ThreadCounters<R: Recorder = Stats> {
    slots: PerThread<CachePadded<R::Local>>,
    /// The counts of threads that recorded during their teardown.
    shared: R::Shared,
}

impl ThreadCounters {
    /// Counts at zero; `const`, so the counts can be a `static`. (For [`NoStats`], use
    /// `Default`.)
    #[cfg(not(poolside_loom))]
    pub const fn new() -> Self {
        ThreadCounters {
            slots: PerThread::new(),
            shared: LocalCounters::new(),
        }
    }

    /// Counts at zero.
    #[cfg(poolside_loom)]
    pub fn new() -> Self {
        Self::default()
    }
}

impl<R: Recorder> ThreadCounters<R> {
    /// Counts `n` occurrences of `event`.
    #[inline]
    pub fn add(&self, event: Event, n: u64) {
        self.update(
            |local| R::add(local, event, n),
            |shared| R::add_shared(shared, event, n),
        );
    }

    /// Counts one `event`.
    #[inline]
    pub fn record(&self, event: Event) {
        self.add(event, 1);
    }

    /// Adds `delta` to the retained bytes of idle objects (negative when they leave).
    #[inline]
    pub fn add_idle_bytes(&self, delta: i64) {
        self.update(
            |local| R::add_idle_bytes(local, delta),
            |shared| R::add_shared_idle_bytes(shared, delta),
        );
    }

    /// Runs `own` on the calling thread's counts, or `shared` on the shared ones while
    /// this thread tears down and cannot reach its own.
    #[inline]
    fn update(&self, own: impl FnOnce(&R::Local), shared: impl FnOnce(&R::Shared)) {
        if R::ENABLED
            && self
                .slots
                .try_with(|| CachePadded::new(R::new_local()), |local| own(local))
                .is_none()
        {
            shared(&self.shared);
        }
    }

    /// Sums every thread's counts into a snapshot.
    pub fn stats(&self) -> Stats {
        let live = self.slots.values();
        R::stats(&self.shared, live.iter().map(|local| &***local))
    }
}

impl<R: Recorder> Default for ThreadCounters<R> {
    fn default() -> Self {
        ThreadCounters {
            slots: PerThread::new(),
            shared: R::Shared::default(),
        }
    }
}

impl<R: Recorder> fmt::Debug for ThreadCounters<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadCounters")
            .field("stats", &self.stats())
            .finish()
    }
}

/// One extra metric that a pool reports beyond [`Stats`], for [`Observe::visit_metrics`],
/// and as a monitor's snapshot keeps it.
///
/// Its strings are usually `'static` and borrowed; a name made at run time (one per size
/// class, say) is owned.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Metric {
    /// A snake_case name, unique within the pool, such as `"tasks_panicked"`.
    pub name: Cow<'static, str>,
    /// One line saying what it measures.
    pub help: Cow<'static, str>,
    /// Whether it only grows, or goes up and down.
    pub kind: MetricKind,
    /// The value now.
    pub value: f64,
}

impl Metric {
    /// A counter: it only grows, from 0 when the pool was made.
    pub fn counter(
        name: impl Into<Cow<'static, str>>,
        help: impl Into<Cow<'static, str>>,
        value: f64,
    ) -> Self {
        Self::of_kind(MetricKind::Counter, name.into(), help.into(), value)
    }

    /// A gauge: it goes up and down.
    pub fn gauge(
        name: impl Into<Cow<'static, str>>,
        help: impl Into<Cow<'static, str>>,
        value: f64,
    ) -> Self {
        Self::of_kind(MetricKind::Gauge, name.into(), help.into(), value)
    }

    fn of_kind(
        kind: MetricKind,
        name: Cow<'static, str>,
        help: Cow<'static, str>,
        value: f64,
    ) -> Self {
        Metric {
            name,
            help,
            kind,
            value,
        }
    }
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
/// use poolside_core::{Metric, Observe, Stats};
///
/// struct Mine;
///
/// impl Observe for Mine {
///     fn stats(&self) -> Stats {
///         let mut s = Stats::default();
///         s.gets = 1;
///         s
///     }
///     fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
///         visit(Metric::gauge("queue_depth", "tasks waiting", 3.0));
///     }
/// }
///
/// let pools: Vec<Box<dyn Observe>> = vec![Box::new(Mine)];
/// let mut names = Vec::new();
/// pools[0].visit_metrics(&mut |m| names.push(m.name.into_owned()));
/// assert_eq!(names, ["queue_depth"]);
/// assert_eq!(pools[0].trim(), 0);
/// ```
pub trait Observe: Send + Sync {
    /// A snapshot of the core statistics.
    fn stats(&self) -> Stats;

    /// Calls `visit` with each metric this pool has beyond [`Stats`]. The default has none.
    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
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

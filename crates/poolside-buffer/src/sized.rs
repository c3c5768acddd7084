//! `SizedPool`: byte buffers in size classes, on the byte pools' engine.

use std::collections::TryReserveError;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::{Arc, Weak};

use poolside_core::internals::PoolConfig;
use poolside_core::internals::{Discard, Event};
use poolside_core::{ConfigError, Metric, Observable, Observe, Stats};
use poolside_local::Tag;

use crate::engine::{
    put_hot, take_hot, with_last, Class, Engine, Idle, Mags, Shape, MAG, MAX_CLASSES,
};
use crate::guard::PooledBuf;
use crate::held::{GiveBack, Held};

/// How a [`SizedPool`] is made: its size classes and its limits.
///
/// The default classes are the powers of two from 64 B to 1 MiB. `quarters` gives
/// jemalloc's four classes per doubling, which waste less capacity per buffer (at most a
/// quarter instead of a half) for more classes to keep warm.
///
/// ```
/// use poolside_buffer::SizedPool;
///
/// let pool = SizedPool::builder()
///     .quarters(256, 64 * 1024)
///     .max_idle_bytes(16 << 20)
///     .build()?;
/// assert_eq!(&pool.classes()[..5], [256, 320, 384, 448, 512]);
/// # Ok::<(), poolside_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct SizedPoolBuilder<L: ClassLayout = PowersOfTwo> {
    classes: Vec<usize>,
    max_idle_bytes: usize,
    max_idle: usize,
    /// Set, or the default (8, or `max_idle` if smaller).
    thread_cache: Option<usize>,
    layout: PhantomData<L>,
}

/// The default budget of idle bytes over all classes: 64 MiB.
const DEFAULT_MAX_IDLE_BYTES: usize = 64 << 20;

impl<L: ClassLayout> SizedPoolBuilder<L> {
    /// Classes at each power of two from `min` to `max` (rounded up to powers of two).
    pub fn powers_of_two(self, min: usize, max: usize) -> SizedPoolBuilder<PowersOfTwo> {
        let (min, max) = (min.max(1), max.max(1));
        let first = min.checked_next_power_of_two().unwrap_or(min);
        let classes = std::iter::successors(Some(first), |&c| c.checked_mul(2))
            .take_while(|&c| c <= max.max(first))
            .collect();
        self.with_classes(classes)
    }

    /// Four classes per doubling from `min` to `max`, as jemalloc spaces them: between
    /// 2^k and 2^(k+1), steps of 2^k / 4.
    pub fn quarters(self, min: usize, max: usize) -> SizedPoolBuilder<Quarters> {
        let (min, max) = (min.max(4), max.max(4));
        let mut classes = Vec::new();
        let mut base = min.checked_next_power_of_two().unwrap_or(min) / 2;
        while base <= max {
            for step in 1..=4 {
                let Some(c) = base.checked_add(base / 4 * step) else {
                    break;
                };
                if c >= min && c <= max {
                    classes.push(c);
                }
            }
            let Some(next) = base.checked_mul(2) else {
                break;
            };
            base = next;
        }
        self.with_classes(classes)
    }

    /// Exactly these classes (sorted and deduplicated when the pool is made). A list of
    /// consecutive powers of two or quarter classes still finds a class by counting
    /// bits, with a few more instructions than [`powers_of_two`](Self::powers_of_two)
    /// or [`quarters`](Self::quarters) take; any other list searches.
    pub fn classes(self, classes: Vec<usize>) -> SizedPoolBuilder<Listed> {
        self.with_classes(classes)
    }

    fn with_classes<M: ClassLayout>(self, classes: Vec<usize>) -> SizedPoolBuilder<M> {
        SizedPoolBuilder {
            classes,
            max_idle_bytes: self.max_idle_bytes,
            max_idle: self.max_idle,
            thread_cache: self.thread_cache,
            layout: PhantomData,
        }
    }

    /// The most retained bytes all idle buffers together may hold. It is split evenly
    /// between the classes, so each class holds at most `max_idle_bytes / classes`, and
    /// it holds however many threads use the pool.
    pub fn max_idle_bytes(mut self, bytes: usize) -> Self {
        self.max_idle_bytes = bytes;
        self
    }

    /// Idle buffers each class's shared tier may hold.
    pub fn max_idle(mut self, n: usize) -> Self {
        self.max_idle = n;
        self
    }

    /// Idle buffers each thread may keep per class, at most 16; 0 turns the per-thread
    /// tier off.
    pub fn thread_cache(mut self, n: usize) -> Self {
        self.thread_cache = Some(n);
        self
    }
}

/// Byte buffers in size classes: `get(n)` returns an empty `Vec<u8>` with capacity of at
/// least `n`, from the smallest class that fits, and a returned buffer goes to the
/// largest class its capacity fills, so a buffer that grew still comes home.
///
/// - A buffer that grew past the largest class is dropped, not kept, and counted as
///   `oversized`.
/// - A request above the largest class gets a plain allocation of its own that is never
///   pooled (counted as a miss, and as `oversized` when it comes back).
/// - `get(0)` works (the smallest class); a request the allocator refuses, such as
///   `usize::MAX` bytes, is an error, not a panic or an abort.
/// - Idle bytes stay within [`SizedPoolBuilder::max_idle_bytes`] overall and within its
///   share per class, whatever the number of threads.
///
/// Each thread keeps one block per pool with a small stack of idle buffers for every
/// class, over a bounded lock-free queue per class that all threads share, so a hit
/// touches no shared cache line: it finds its class by counting bits (for powers of two
/// and quarter classes), and reaches its block through a per-thread shortcut.
///
/// ```
/// use std::io::Write;
/// use poolside_buffer::SizedPool;
///
/// let pool = SizedPool::new();
/// let mut body = pool.get(3000)?; // from the 4 KiB class
/// assert!(body.capacity() >= 3000 && body.is_empty());
/// body.extend_from_slice(b"hello");
/// write!(body, ", {}", "world")?;
/// assert_eq!(&body[..], b"hello, world");
/// drop(body); // cleared and kept in the 4 KiB class
///
/// let again = pool.get(4096)?;
/// assert_eq!(pool.stats().hits, 1);
/// # drop(again);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SizedPool<L: ClassLayout = PowersOfTwo> {
    /// The hot path's fields first: the tag it looks for in the thread's shortcut, how a
    /// size finds its class, and the largest capacity any class keeps (a capacity below
    /// the smallest class has no home class: its index falls past the last).
    tag: Tag<Mags<()>>,
    bits: Bits,
    top: usize,
    /// The smallest class.
    min: usize,
    lookup: Lookup,
    engine: Arc<Engine<()>>,
    layout: PhantomData<L>,
}

/// How a [`SizedPool`]'s classes are spaced, chosen by type so that the hit path's class
/// arithmetic is compiled for that spacing: [`PowersOfTwo`] (the default), [`Quarters`],
/// or [`Listed`] for a list of one's own. Sealed: these three are all there is.
///
/// ```
/// use poolside_buffer::{Quarters, SizedPool};
///
/// let pool: SizedPool<Quarters> = SizedPool::builder().quarters(64, 4096).build()?;
/// assert!(pool.get(65)?.capacity() == 80);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait ClassLayout:
    layout::Sealed + fmt::Debug + Copy + Default + Eq + std::hash::Hash + Send + Sync + 'static
{
}

/// Classes at consecutive powers of two ([`SizedPoolBuilder::powers_of_two`]): a request's
/// class is its bit count. A pool whose smallest class is 1 byte finds its classes on the
/// slow path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PowersOfTwo;

/// Four classes per doubling ([`SizedPoolBuilder::quarters`]): a bit count and a shift.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Quarters;

/// Any list of classes ([`SizedPoolBuilder::classes`]): counted bits when the list allows it,
/// else a search on the slow path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Listed;

impl ClassLayout for PowersOfTwo {}
impl ClassLayout for Quarters {}
impl ClassLayout for Listed {}

mod layout {
    /// The hit path's class arithmetic of each layout (see `Bits`): fixed for the two
    /// spacings, so that the compiler folds it, and a list's own shift for a list.
    pub trait Sealed {
        /// How far below the general formula's code this layout's code lies: its biases
        /// are the general ones less this.
        const BELOW: usize = 0;

        /// Whether this arithmetic counts a list whose formula has `shift`, with `low`
        /// its smallest class less one.
        fn counts(shift: u32, low: usize) -> bool;

        /// `n - 1` raised to `low`.
        #[inline(always)]
        fn raise(m: usize, low: usize) -> usize {
            m.max(low)
        }

        /// The code of `m` (see `Bits`), for a list this arithmetic counts.
        fn code(m: usize, shift: u32) -> usize;
    }

    /// The top bit of `m`, 0 for 0: `m | 1` lets the compiler drop the zero case.
    #[inline(always)]
    fn top_bit(m: usize) -> u32 {
        (m | 1).leading_zeros() ^ (usize::BITS - 1)
    }

    /// `(e << shift) + (m >> (e - shift))` with `e` the top bit of `m` (0 for 0).
    #[inline(always)]
    fn shifted(m: usize, shift: u32) -> usize {
        let e = top_bit(m);
        (e as usize)
            .wrapping_shl(shift)
            .wrapping_add(m.wrapping_shr(e.wrapping_sub(shift)))
    }

    impl Sealed for super::PowersOfTwo {
        /// `e`, not `e + 1`: with the one folded into the biases, the compiler turns the
        /// bit count and the bias into a `bsr` and a `sub`.
        const BELOW: usize = 1;

        /// The smallest class is at least 2 (`low` at least 1), so `m` is never 0.
        fn counts(shift: u32, low: usize) -> bool {
            shift == 0 && low >= 1
        }

        /// `low` is `2^k - 1`: its bits below the top one are all set, so or-ing it in
        /// leaves `m`'s top bit where `max` would.
        #[inline(always)]
        fn raise(m: usize, low: usize) -> usize {
            m | low
        }

        /// `e`: `shifted` with `shift` 0 gives `e + 1` for any `m` but 0.
        #[inline(always)]
        fn code(m: usize, _: u32) -> usize {
            top_bit(m) as usize
        }
    }

    impl Sealed for super::Quarters {
        /// The eight of `4e = 4s + 8`.
        const BELOW: usize = 8;

        fn counts(shift: u32, _: usize) -> bool {
            shift == 2
        }

        /// `shifted(m, 2) - 8` for `m` from 4 up, with `s = e - 2` counted from `m >> 2`,
        /// so that the shift needs no subtraction; below 4, a code below every class's.
        #[inline(always)]
        fn code(m: usize, _: u32) -> usize {
            let s = top_bit(m >> 2);
            ((s as usize) << 2) + (m >> s)
        }
    }

    impl Sealed for super::Listed {
        fn counts(_: u32, _: usize) -> bool {
            true
        }

        #[inline(always)]
        fn code(m: usize, shift: u32) -> usize {
            shifted(m, shift)
        }
    }
}

/// The hot path's class arithmetic: one formula for powers of two and quarter classes
/// (a list that needs a search always lands past the last class, so takes the slow
/// path). With `e` the top bit of `m` (0 for 0), class codes are `(e << shift) + (m >>
/// (e - shift))`: for `shift` 0 that is `e + 1` (powers of two); for `shift` 2 it is
/// `4e` plus the top three bits of `m`, which is a quarter class's code (see
/// [`quarter_code`]) plus 3. The biases turn codes into indices. Each [`ClassLayout`]
/// compiles the formula for its own spacing.
#[derive(Debug, Clone, Copy)]
struct Bits {
    /// The smallest class's size less one: `n - 1` is raised to it, so that requests
    /// below the smallest class land in it.
    low: usize,
    shift: u32,
    /// Subtracted from the code of `n - 1` to give the class of a request `n`.
    class_bias: usize,
    /// Subtracted from the code of a capacity to give its home class.
    home_bias: usize,
}

impl Bits {
    fn for_lookup(lookup: Lookup) -> Bits {
        match lookup {
            Lookup::Pow2 { from, low } => Bits {
                low,
                shift: 0,
                class_bias: from as usize,
                home_bias: from as usize + 1,
            },
            Lookup::Quarters { first, from } => Bits {
                low: first - 1,
                shift: 2,
                class_bias: from + 3,
                home_bias: from + 4,
            },
            // Codes are at most 4 * 63 + 7 (with `shift` 2): a negative bias puts every
            // index past the last class.
            Lookup::Search => Bits {
                low: 0,
                shift: 0,
                class_bias: (MAX_CLASSES + 1).wrapping_neg(),
                home_bias: (MAX_CLASSES + 1).wrapping_neg(),
            },
        }
    }

    /// The bits of a pool of layout `L`: those of `lookup` if `L`'s arithmetic counts
    /// the list, else those of a search, so that a list the layout cannot count always
    /// takes the slow path.
    fn for_layout<L: ClassLayout>(lookup: Lookup) -> Bits {
        let mut bits = Bits::for_lookup(lookup);
        if L::counts(bits.shift, bits.low) {
            bits.class_bias = bits.class_bias.wrapping_sub(L::BELOW);
            bits.home_bias = bits.home_bias.wrapping_sub(L::BELOW);
            bits
        } else {
            Bits::for_lookup(Lookup::Search)
        }
    }

    /// The index of the smallest class that holds `n`, or an index past the last, which
    /// the slow path serves ([`Lookup::find`]): `n` above the largest class, 0, or any
    /// `n` for a list that needs a search.
    #[inline(always)]
    fn class_for<L: ClassLayout>(self, n: usize) -> usize {
        L::code(L::raise(n.wrapping_sub(1), self.low), self.shift).wrapping_sub(self.class_bias)
    }

    /// The index of the largest class of at most `capacity`, for a capacity that some
    /// class keeps, past the last for one below the smallest class or for a list that
    /// needs a search.
    #[inline(always)]
    fn home<L: ClassLayout>(self, capacity: usize) -> usize {
        L::code(capacity, self.shift).wrapping_sub(self.home_bias)
    }
}

/// How [`SizedPool`] finds a size's class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// Consecutive powers of two from `2^from` (`low` is `2^from - 1`): a bit count.
    Pow2 { from: u32, low: usize },
    /// Consecutive quarter classes (jemalloc's spacing, see [`quarter_code`]), the
    /// smallest `first` with code `from`: a bit count and a shift.
    Quarters { first: usize, from: usize },
    /// Any other list: a binary search.
    Search,
}

impl Lookup {
    /// The fastest lookup that finds the right class in `sizes` (sorted, deduplicated,
    /// not empty).
    fn for_classes(sizes: &[usize]) -> Lookup {
        let first = sizes[0];
        if first.is_power_of_two() && sizes.windows(2).all(|w| w[1] == w[0] * 2) {
            return Lookup::Pow2 {
                from: first.trailing_zeros(),
                low: first - 1,
            };
        }
        // Codes are defined from 5 up; each class must be a quarter class, one code
        // after the one before.
        let from = if first > 4 { quarter_code(first) } else { 0 };
        let consecutive = first > 4
            && sizes
                .iter()
                .enumerate()
                .all(|(i, &c)| quarter_size(from + i) == Some(c));
        if consecutive {
            Lookup::Quarters { first, from }
        } else {
            Lookup::Search
        }
    }

    /// The smallest class that holds `n` (`n = 0` too), or past the last, for any list:
    /// the slow path's lookup.
    fn find(self, n: usize, classes: &[Class]) -> usize {
        match self {
            Lookup::Pow2 { from, .. } => {
                let bits = usize::BITS - n.saturating_sub(1).leading_zeros();
                bits.saturating_sub(from) as usize
            }
            Lookup::Quarters { first, from } => quarter_index(n, first, from),
            Lookup::Search => classes.partition_point(|c| c.size < n),
        }
    }

    /// The largest class of at most `capacity`, for a capacity that some class keeps,
    /// for any list: the slow path's lookup.
    fn find_home(self, capacity: usize, classes: &[Class]) -> usize {
        match self {
            Lookup::Pow2 { from, .. } => {
                (usize::BITS - 1 - capacity.leading_zeros()).saturating_sub(from) as usize
            }
            Lookup::Quarters { first, from } => {
                quarter_index(capacity + 1, first, from).saturating_sub(1)
            }
            Lookup::Search => classes
                .partition_point(|c| c.size <= capacity)
                .saturating_sub(1),
        }
    }
}

/// The position, among all quarter classes, of the smallest one that holds `n` (from 5
/// up). Between 2^e and 2^(e+1) the classes are 2^e + q * 2^(e-2) for q = 1 to 4, and
/// class (e, q) has code 4e + q, so codes grow by one from class to class.
#[inline]
fn quarter_code(n: usize) -> usize {
    debug_assert!(n > 4);
    let m = n - 1;
    // 2^e < n <= 2^(e+1), with e >= 2.
    let e = (usize::BITS - 1 - m.leading_zeros()) as usize;
    let q = ((m - (1 << e)) >> (e - 2)) + 1;
    4 * e + q
}

/// The index of the smallest class that holds `n`, in consecutive quarter classes from
/// `first`, whose code is `from` (past the end for `n` above the largest).
#[inline]
fn quarter_index(n: usize, first: usize, from: usize) -> usize {
    if n <= first {
        0
    } else {
        quarter_code(n) - from
    }
}

/// The size of the quarter class with `code`, or `None` if it overflows.
fn quarter_size(code: usize) -> Option<usize> {
    let (e, q) = ((code.checked_sub(1)?) / 4, (code.checked_sub(1)?) % 4 + 1);
    if e < 2 {
        return None;
    }
    let base = 1usize.checked_shl(e as u32)?;
    base.checked_add((base >> 2).checked_mul(q)?)
}

impl Default for SizedPool {
    fn default() -> Self {
        Self::new()
    }
}

impl SizedPool {
    /// Powers of two from 64 B to 1 MiB, 64 MiB of idle bytes at most.
    pub fn new() -> Self {
        Self::builder()
            .build()
            .expect("the default configuration is valid")
    }

    /// A builder with the defaults: powers of two from 64 B to 1 MiB, 64 MiB of idle
    /// bytes over all classes, 256 idle buffers per class shared, 8 per thread.
    pub fn builder() -> SizedPoolBuilder {
        let defaults: SizedPoolBuilder = SizedPoolBuilder {
            classes: Vec::new(),
            max_idle_bytes: DEFAULT_MAX_IDLE_BYTES,
            max_idle: 256,
            thread_cache: None,
            layout: PhantomData,
        };
        defaults.powers_of_two(64, 1 << 20)
    }
}

impl<L: ClassLayout> SizedPoolBuilder<L> {
    /// The pool, or what is wrong with its classes or limits.
    pub fn build(self) -> Result<SizedPool<L>, ConfigError> {
        let config = self;
        let mut sizes = config.classes;
        sizes.sort_unstable();
        sizes.dedup();
        match sizes.first() {
            None => return Err(ConfigError::NoClasses),
            Some(0) => return Err(ConfigError::ZeroClass),
            Some(_) => {}
        }
        if let Some(&size) = sizes.iter().find(|&&c| c > isize::MAX as usize) {
            return Err(ConfigError::ClassTooLarge { size });
        }
        if sizes.len() > MAX_CLASSES {
            return Err(ConfigError::TooManyClasses {
                count: sizes.len(),
                limit: MAX_CLASSES,
            });
        }
        if let Some(thread_cache) = config.thread_cache.filter(|&n| n > MAG) {
            return Err(ConfigError::ThreadCacheTooLarge {
                thread_cache,
                limit: MAG,
            });
        }
        let share = config.max_idle_bytes / sizes.len();
        if config.max_idle_bytes > 0 && share == 0 {
            return Err(ConfigError::MaxIdleBytesBelowClasses {
                max_idle_bytes: config.max_idle_bytes,
                classes: sizes.len(),
            });
        }
        // The per-class limits, checked as an object pool's would be.
        let per_class = PoolConfig::builder()
            .max_idle(config.max_idle)
            .thread_cache(config.thread_cache.unwrap_or(8.min(config.max_idle)))
            .max_idle_bytes(Some(share))
            .build()?;
        let (min, top) = (sizes[0], *sizes.last().expect("not empty"));
        let lookup = Lookup::for_classes(&sizes);
        let engine = Engine::new(
            Shape {
                classes: sizes,
                class_budget: share,
                max_idle: per_class.max_idle(),
                thread_cache: per_class.thread_cache(),
                top_keep: top,
            },
            (),
            (),
        );
        Ok(SizedPool {
            tag: engine.tag(),
            bits: Bits::for_layout::<L>(lookup),
            lookup,
            min,
            top,
            engine,
            layout: PhantomData,
        })
    }
}

impl<L: ClassLayout> SizedPool<L> {
    /// The class sizes, smallest first.
    pub fn classes(&self) -> Vec<usize> {
        self.engine.classes.iter().map(|c| c.size).collect()
    }

    /// An empty buffer with capacity of at least `n`. Fails only if the allocator refuses
    /// the memory (`usize::MAX` bytes, say).
    #[inline]
    pub fn get(&self, n: usize) -> Result<SizedBuf<'_, L>, TryReserveError> {
        match self.take_hot(n) {
            Some(buf) => Ok(PooledBuf(Held::new(self, buf))),
            None => self.get_slow(n),
        }
    }

    #[cold]
    #[inline(never)]
    fn get_slow(&self, n: usize) -> Result<SizedBuf<'_, L>, TryReserveError> {
        let buf = self.take_slow(n)?;
        Ok(PooledBuf(Held::new(self, buf)))
    }

    /// [`get`](Self::get) for a pool held by an `Arc`: the buffer holds a handle to the
    /// pool instead of borrowing it, so it is `'static` (and, with the `bytes` feature,
    /// can `freeze`). Costs a reference count increment and decrement per use.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use poolside_buffer::SizedPool;
    ///
    /// let pool = Arc::new(SizedPool::new());
    /// let buf = pool.get_owned(100)?;
    /// let worker = std::thread::spawn(move || buf.capacity()); // it outlives this scope
    /// assert_eq!(worker.join().unwrap(), 128);
    /// assert_eq!(pool.stats().puts, 1, "back from the other thread");
    /// # Ok::<(), std::collections::TryReserveError>(())
    /// ```
    pub fn get_owned(self: &Arc<Self>, n: usize) -> Result<OwnedSizedBuf<L>, TryReserveError> {
        let buf = match self.take_hot(n) {
            Some(buf) => buf,
            None => self.take_slow(n)?,
        };
        Ok(PooledBuf(Held::new(self.clone(), buf)))
    }

    /// The hit in the thread's magazine, if it is one.
    #[inline(always)]
    fn take_hot(&self, n: usize) -> Option<Idle> {
        let class = self.bits.class_for::<L>(n);
        match with_last(self.tag, class, take_hot) {
            Ok(Some(buf)) => Some(buf),
            _ => None,
        }
    }

    /// Every get that is not a hit in the thread's magazine: a first use, a trim or decay
    /// to act on, an empty magazine, a request of 0 or above the largest class.
    #[cold]
    #[inline(never)]
    fn take_slow(&self, n: usize) -> Result<Idle, TryReserveError> {
        let class = self.lookup.find(n, &self.engine.classes);
        let buf = if class < self.engine.classes.len() {
            self.engine.take(class)?
        } else {
            // Above the largest class: a plain allocation, never pooled.
            let mut buf = Vec::new();
            buf.try_reserve_exact(n)?;
            self.engine.count_miss();
            Box::new(buf)
        };
        Ok(buf)
    }

    /// The statistics of all classes as one pool.
    pub fn stats(&self) -> Stats {
        self.engine.stats().0
    }

    /// Releases every idle buffer (each thread's cached ones at its next use); returns
    /// how many were released now.
    pub fn trim(&self) -> u64 {
        self.engine.trim()
    }

    /// Releases the idle buffers not used since the previous call; returns how many were
    /// released now.
    pub fn decay(&self) -> u64 {
        self.engine.decay()
    }

    /// Every put that is not a hit in the thread's magazine: a first use, a trim or decay
    /// to act on, a full magazine or lease, a capacity no class keeps.
    #[cold]
    #[inline(never)]
    fn put_slow(&self, buf: Idle) {
        let cap = buf.capacity();
        if cap < self.min || cap > self.top {
            let reason = if cap < self.min {
                // Too small to serve any class (its allocation failed, or it was shrunk).
                Discard::Rejected
            } else {
                Discard::Oversized
            };
            self.engine.discard(buf, reason, ());
            return;
        }
        let class = self.lookup.find_home(cap, &self.engine.classes);
        self.engine.put(class, buf, ());
    }
}

impl<L: ClassLayout> crate::held::sealed::Sealed for SizedPool<L> {}

impl<L: ClassLayout> GiveBack for SizedPool<L> {
    fn detached(&self) {
        self.engine.record(Event::Detach);
    }

    #[inline(always)]
    fn give_back(&self, mut buf: Idle) {
        let cap = buf.capacity();
        if cap <= self.top {
            buf.clear();
            let class = self.bits.home::<L>(cap);
            match with_last(self.tag, (class, buf, ()), put_hot) {
                Ok(Ok(_)) => return,
                Ok(Err(back)) | Err((_, back, ())) => buf = back,
            }
        }
        self.put_slow(buf);
    }
}

/// The statistics of all classes as one pool, and each class's idle bytes, as
/// `class_<size>_idle_bytes`.
impl<L: ClassLayout> Observe for SizedPool<L> {
    fn stats(&self) -> Stats {
        SizedPool::stats(self)
    }

    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
        self.engine.visit_metrics(visit);
    }

    fn trim(&self) -> u64 {
        SizedPool::trim(self)
    }

    fn decay(&self) -> u64 {
        SizedPool::decay(self)
    }
}

/// Registers by reference, as every pool does: the monitor holds the pool's engine
/// weakly, so it does not keep the pool's memory alive.
impl<L: ClassLayout> Observable for SizedPool<L> {
    fn observer(&self) -> Weak<dyn Observe> {
        let weak: Weak<Engine<()>> = Arc::downgrade(&self.engine);
        weak
    }
}

impl<L: ClassLayout> fmt::Debug for SizedPool<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SizedPool")
            .field("classes", &self.classes())
            .finish_non_exhaustive()
    }
}

/// A buffer from a [`SizedPool`], returned when dropped to the class its capacity
/// fills.
pub type SizedBuf<'a, L = PowersOfTwo> = PooledBuf<&'a SizedPool<L>>;

/// A [`SizedBuf`] from [`SizedPool::get_owned`]: it holds its pool, so it is `'static`.
pub type OwnedSizedBuf<L = PowersOfTwo> = PooledBuf<Arc<SizedPool<L>>>;

impl<L: ClassLayout, H: Deref<Target = SizedPool<L>>> PooledBuf<H> {
    /// Whether its capacity is above the largest class, so that it will not go back to
    /// the pool: a plain allocation for a request above the largest class, or a buffer
    /// that grew past it.
    pub fn is_plain(&self) -> bool {
        let pool = self.0.pool();
        self.0.capacity() > pool.top
    }
}

#[cfg(test)]
mod tests {
    use super::{
        quarter_code, quarter_size, Bits, ClassLayout, Listed, Lookup, PowersOfTwo, Quarters,
        SizedPool, SizedPoolBuilder,
    };

    /// The hot path's formula agrees with the slow path's lookup for every request from 1
    /// to the largest class and every capacity a class keeps, at each class boundary, with
    /// the layout's own shift and with a list's; a list that needs a search always takes
    /// the slow path.
    #[test]
    fn the_hot_formula_finds_what_the_slow_lookup_finds() {
        agrees(SizedPool::builder());
        agrees(SizedPool::builder().powers_of_two(1, 64));
        agrees(SizedPool::builder().quarters(64, 1 << 20));
        agrees(SizedPool::builder().quarters(100, 5000));
        agrees(SizedPool::builder().quarters(5, 64));
        agrees(SizedPool::builder().classes(vec![100, 250, 4000]));
        for list in [vec![64, 128, 256], vec![80, 96, 112, 128, 160]] {
            agrees(SizedPool::builder().classes(list));
        }
    }

    fn agrees<L: ClassLayout>(config: SizedPoolBuilder<L>) {
        let sizes = config.classes;
        agrees_as::<L>(&sizes);
        agrees_as::<Listed>(&sizes);
    }

    fn agrees_as<L: ClassLayout>(sizes: &[usize]) {
        let lookup = Lookup::for_classes(sizes);
        let bits = Bits::for_layout::<L>(lookup);
        let listed = Bits::for_lookup(lookup);
        // A list the layout cannot count searches (powers of two from 1 B, say).
        let searches = matches!(lookup, Lookup::Search) || !L::counts(listed.shift, listed.low);
        let classes: Vec<super::Class> = Vec::new();
        let (min, top) = (sizes[0], *sizes.last().unwrap());
        let probes = sizes.iter().flat_map(|&c| [c - 1, c, c + 1]).chain([1, 2]);
        for n in probes.filter(|&n| n >= 1) {
            let hot = bits.class_for::<L>(n);
            let want = sizes.iter().position(|&c| c >= n).unwrap_or(sizes.len());
            if searches {
                assert!(hot >= sizes.len(), "{sizes:?}: get({n}) searches");
                assert!(bits.home::<L>(n) >= sizes.len(), "{sizes:?}: home of {n}");
                if lookup != Lookup::Search {
                    assert_eq!(lookup.find(n, &classes), want, "{sizes:?}: find({n})");
                }
                continue;
            }
            if want < sizes.len() {
                assert_eq!(hot, want, "{sizes:?}: get({n})");
            } else {
                assert!(hot >= sizes.len(), "{sizes:?}: get({n}) is above");
            }
            assert_eq!(lookup.find(n, &classes), want, "{sizes:?}: find({n})");
            if (min..=top).contains(&n) {
                let home = sizes.iter().rposition(|&c| c <= n).unwrap();
                assert_eq!(bits.home::<L>(n), home, "{sizes:?}: home of {n}");
                assert_eq!(lookup.find_home(n, &classes), home);
            }
        }
        assert!(
            bits.class_for::<L>(0) >= sizes.len(),
            "0 takes the slow path"
        );
        for cap in [0, 1, min / 2, min - 1] {
            if cap < min {
                assert!(
                    bits.home::<L>(cap) >= sizes.len(),
                    "{sizes:?}: {cap} has no home"
                );
            }
        }
    }

    /// A layout whose spacing is not the list's counts nothing on the hit path: every
    /// request and return goes to the slow path, which searches.
    #[test]
    fn a_layout_that_cannot_count_a_list_always_takes_the_slow_path() {
        let quarters = SizedPool::builder().quarters(64, 4096).classes;
        let bits = Bits::for_layout::<PowersOfTwo>(Lookup::for_classes(&quarters));
        for n in quarters.iter().flat_map(|&c| [c - 1, c, c + 1]) {
            assert!(bits.class_for::<PowersOfTwo>(n) >= quarters.len());
            assert!(bits.home::<PowersOfTwo>(n) >= quarters.len());
        }
        let pow2 = SizedPool::builder().classes;
        let bits = Bits::for_layout::<Quarters>(Lookup::for_classes(&pow2));
        for n in pow2.iter().flat_map(|&c| [c - 1, c, c + 1]) {
            assert!(bits.class_for::<Quarters>(n) >= pow2.len());
            assert!(bits.home::<Quarters>(n) >= pow2.len());
        }
    }

    #[test]
    fn quarter_codes_and_sizes_agree() {
        // Every quarter class from 5 up to the last that fits a usize.
        let mut code = quarter_code(5);
        while let Some(size) = quarter_size(code) {
            assert_eq!(quarter_code(size), code, "the class holds itself: {size}");
            let below = quarter_size(code - 1).unwrap_or(4);
            if size - below > 1 {
                assert_eq!(
                    quarter_code(below + 1),
                    code,
                    "{size} is the smallest for {below} + 1"
                );
            }
            if let Some(above) = size.checked_add(1) {
                assert_eq!(
                    quarter_code(above),
                    code + 1,
                    "{size} + 1 needs the next class"
                );
            }
            code += 1;
        }
        assert!(code > 4 * 63, "codes reach the top of usize");
    }

    #[test]
    fn quarter_lists_are_found_by_counting_bits() {
        for (min, max) in [(64, 1 << 20), (100, 5000), (5, 64)] {
            let sizes = SizedPool::builder().quarters(min, max).classes;
            assert!(
                matches!(Lookup::for_classes(&sizes), Lookup::Quarters { .. }),
                "{min}..{max}"
            );
        }
        assert!(matches!(
            Lookup::for_classes(&SizedPool::builder().classes),
            Lookup::Pow2 { from: 6, low: 63 }
        ));
        assert_eq!(Lookup::for_classes(&[100, 250, 4000]), Lookup::Search);
        assert_eq!(Lookup::for_classes(&[3, 5, 6]), Lookup::Search);
    }
}

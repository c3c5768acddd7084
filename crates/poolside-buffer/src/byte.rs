//! `BytePool`: a byte buffer pool that learns from the buffers it sees which capacity to
//! make new buffers with and which to keep.

use std::fmt;
use std::sync::{Arc, Mutex, Weak};

use poolside_core::internals::PoolConfig;
use poolside_core::internals::{Discard, Event};
use poolside_core::{ConfigError, Metric, Observable, Observe, Stats};
use poolside_local::Tag;

use crate::engine::{put_hot, take_hot, with_last, Engine, Extra, Idle, Mags, Shape, MAG};
use crate::guard::PooledBuf;
use crate::held::{GiveBack, Held};
use crate::sync::{AtomicU64, AtomicUsize, Ordering};

/// Capacity buckets: bucket `i` holds capacities in `(2^(i+5), 2^(i+6)]`, bucket 0
/// everything up to 64 bytes, the last everything above 1 GiB.
const BUCKETS: usize = 25;

/// The bucket of `capacity`, as [`Hist`] and [`bucket_of_bit`] find it (the tests check
/// that they agree).
#[cfg(test)]
fn bucket(capacity: usize) -> usize {
    let bits = usize::BITS - capacity.saturating_sub(1).leading_zeros();
    (bits.saturating_sub(6) as usize).min(BUCKETS - 1)
}

/// The largest capacity in bucket `i`.
fn bucket_size(i: usize) -> usize {
    64usize << i
}

/// Builds a [`BytePool`]: how it learns and what it keeps. [`BytePool::builder`], then
/// the setters, then [`build`](Self::build), which checks them.
///
/// ```
/// use poolside_buffer::BytePool;
///
/// let pool = BytePool::builder().initial_max(16 * 1024).percentile(0.99).build()?;
/// assert_eq!(pool.max_capacity(), 16 * 1024);
/// # Ok::<(), poolside_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct BytePoolBuilder {
    initial_default: usize,
    initial_max: usize,
    hard_max: usize,
    percentile: f64,
    calibrate_every: u64,
    max_idle_bytes: usize,
    thread_cache: usize,
}

impl BytePool {
    /// A builder with the defaults: new buffers of 1 KiB, keep up to 64 KiB until the
    /// first calibration, never learn a maximum above 16 MiB, keep the 95th percentile,
    /// calibrate every 4096 returns per thread, 32 MiB of idle bytes, 16 buffers per
    /// thread.
    pub fn builder() -> BytePoolBuilder {
        BytePoolBuilder {
            initial_default: 1024,
            initial_max: 64 * 1024,
            hard_max: 16 << 20,
            percentile: 0.95,
            calibrate_every: 4096,
            max_idle_bytes: 32 << 20,
            thread_cache: 16,
        }
    }
}

impl BytePoolBuilder {
    /// The capacity of new buffers until the first calibration.
    pub fn initial_default(mut self, bytes: usize) -> Self {
        self.initial_default = bytes;
        self
    }

    /// The largest capacity kept until the first calibration: the pool starts safe, not
    /// accepting everything until it has learned.
    pub fn initial_max(mut self, bytes: usize) -> Self {
        self.initial_max = bytes;
        self
    }

    /// The largest capacity calibration may ever choose to keep.
    pub fn hard_max(mut self, bytes: usize) -> Self {
        self.hard_max = bytes;
        self
    }

    /// The share of returned buffers, by count, whose capacity the learned maximum covers
    /// (0.95 keeps all but the largest 5%).
    pub fn percentile(mut self, share: f64) -> Self {
        self.percentile = share;
        self
    }

    /// Returns on one thread between calibrations.
    pub fn calibrate_every(mut self, returns: u64) -> Self {
        self.calibrate_every = returns;
        self
    }

    /// The most retained bytes all idle buffers together may hold.
    pub fn max_idle_bytes(mut self, bytes: usize) -> Self {
        self.max_idle_bytes = bytes;
        self
    }

    /// Idle buffers each thread may keep, at most 16; 0 turns the per-thread tier off.
    pub fn thread_cache(mut self, n: usize) -> Self {
        self.thread_cache = n;
        self
    }
}

/// One thread's returns by capacity, in its block's counts, at bit granularity (index `b`
/// for capacities in `(2^b, 2^(b+1)]`, from 64 bytes: [`bucket_of_bit`] maps them to
/// buckets): written by that thread, read (and `seen` written) by whichever thread
/// calibrates.
pub(crate) struct Hist {
    counts: [AtomicU64; 64],
    /// `counts` at the last calibration.
    seen: [AtomicU64; 64],
    /// In the pool's own histogram (the one exited threads fold into), the returns since
    /// the last calibration that they carried away, for the next thread to start from.
    carried: AtomicU64,
}

/// Restarts a thread's countdown to its next calibration, which is due now.
#[cold]
fn restart(left: &mut u64, every: u64) -> bool {
    *left = every;
    true
}

/// The bucket of a histogram index ([`Hist`]).
fn bucket_of_bit(bit: usize) -> usize {
    bit.saturating_sub(5).min(BUCKETS - 1)
}

impl Extra for Hist {
    /// Returns per thread between calibrations.
    type Param = u64;

    /// Its one class holds every capacity up to the maximum kept.
    const EXACT_SIZE: bool = false;

    /// Returns left before this thread triggers a calibration.
    type Own = u64;

    fn empty() -> Hist {
        Hist {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            seen: std::array::from_fn(|_| AtomicU64::new(0)),
            carried: AtomicU64::new(0),
        }
    }

    /// A thread's countdown, going on from what exited threads carried away: threads
    /// that each return fewer buffers than a calibration period still calibrate the
    /// pool together.
    fn own(every: u64, retired: &Hist) -> u64 {
        every - retired.carried.swap(0, Ordering::Relaxed).min(every - 1)
    }

    /// Folds what the last calibration has not seen, and the countdown's progress, into
    /// the pool's own histogram.
    fn retire(&self, left: &u64, retired: &Hist, every: u64) {
        for bit in 0..64 {
            let unseen = self.counts[bit]
                .load(Ordering::Relaxed)
                .wrapping_sub(self.seen[bit].load(Ordering::Relaxed));
            retired.counts[bit].fetch_add(unseen, Ordering::Relaxed);
        }
        let done = every.saturating_sub(*left);
        retired.carried.fetch_add(done, Ordering::Relaxed);
    }

    #[inline(always)]
    fn returned(&self, left: &mut u64, capacity: usize, every: u64) -> bool {
        // This thread is the only writer of its counts: a load and a store suffice. The
        // index is the top bit of `capacity - 1`, from bit 5 (capacities up to 64).
        let bit = (usize::BITS - 1 - (capacity.saturating_sub(1) | 63).leading_zeros()) as usize;
        let cell = &self.counts[bit % 64];
        cell.store(cell.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        // At least 1 here: it starts at 1 or more and is reset to `every` (at least 1).
        *left = left.wrapping_sub(1);
        if *left == 0 {
            return restart(left, every);
        }
        false
    }

    type Shared = Tuning;

    fn visit_metrics(engine: &Engine<Hist>, visit: &mut dyn FnMut(Metric)) {
        let tuning = &engine.shared_extra;
        visit(Metric::gauge(
            "default_capacity_bytes",
            "The capacity new buffers are made with, as learned.",
            tuning.default_capacity.load(Ordering::Relaxed) as f64,
        ));
        visit(Metric::gauge(
            "max_capacity_bytes",
            "The largest capacity kept, as learned.",
            tuning.max_capacity.load(Ordering::Relaxed) as f64,
        ));
        visit(Metric::counter(
            "calibrations",
            "Calibrations so far.",
            tuning.calibrations.load(Ordering::Relaxed) as f64,
        ));
    }
}

/// A byte buffer pool that tunes itself, in the spirit of valyala/bytebufferpool but
/// without its gaps: it learns from the capacity of returned buffers (not their
/// length), from a histogram that decays (halved at each calibration) rather than one
/// reset each time, starts from a safe maximum instead of accepting everything until it
/// first calibrates, and picks the maximum it keeps as a true percentile of what comes
/// back.
///
/// It learns two things: the capacity to make new buffers with (the most common one) and
/// the largest capacity to keep (the percentile, 95% by default). Both are visible in
/// [`default_capacity`](Self::default_capacity), [`max_capacity`](Self::max_capacity)
/// and its metrics.
///
/// It runs on the same engine as [`SizedPool`](crate::SizedPool), with one class: each
/// thread keeps a small stack of idle buffers and its histogram in one block, over a
/// bounded lock-free queue that all threads share. A thread returning buffers during its
/// own teardown cannot reach its block; those returns are not learned from.
///
/// ```
/// use poolside_buffer::BytePool;
///
/// let pool = BytePool::builder().calibrate_every(20).build()?;
/// for i in 0..200 {
///     let mut buf = pool.get();
///     // Mostly 3 KiB messages, now and then (2%) a 100 KiB one.
///     let size = if i % 50 == 49 { 100 * 1024 } else { 3000 };
///     buf.resize(size, 0);
/// }
/// assert_eq!(pool.default_capacity(), 4096);
/// assert_eq!(pool.max_capacity(), 4096, "the 2% of 100 KiB buffers are not kept");
/// # Ok::<(), poolside_core::ConfigError>(())
/// ```
pub struct BytePool {
    /// The hot path's fields first: the tag it looks for in the thread's shortcut, the
    /// largest capacity kept, and the calibration period.
    tag: Tag<Mags<Hist>>,
    max_capacity: AtomicUsize,
    calibrate_every: u64,
    /// The engine, and what the pool has learned in it ([`Tuning`]), where a monitor
    /// holding it weakly sees both.
    engine: Arc<Engine<Hist>>,
}

/// What the pool has learned, and how it learns: off the hot path, beside the engine.
pub(crate) struct Tuning {
    default_capacity: AtomicUsize,
    /// The pool's `max_capacity`, as last calibrated, for observers that hold only the
    /// engine.
    max_capacity: AtomicUsize,
    calibrations: AtomicU64,
    /// The decaying histogram: each calibration halves it and adds the returns since.
    decayed: Mutex<[f64; BUCKETS]>,
    config: BytePoolBuilder,
}

impl Default for BytePool {
    fn default() -> Self {
        Self::new()
    }
}

impl BytePool {
    /// A pool with the defaults of [`BytePool::builder`].
    pub fn new() -> Self {
        Self::builder()
            .build()
            .expect("the default configuration is valid")
    }
}

impl BytePoolBuilder {
    /// The pool, or what is wrong with its limits.
    pub fn build(self) -> Result<BytePool, ConfigError> {
        let config = self;
        if !(config.percentile > 0.0 && config.percentile <= 1.0) {
            return Err(ConfigError::PercentileOutOfRange);
        }
        if config.calibrate_every == 0 {
            return Err(ConfigError::ZeroCalibration);
        }
        let sizes_ok = config.initial_default > 0
            && config.initial_default <= config.initial_max
            && config.initial_max <= config.hard_max
            && config.hard_max <= isize::MAX as usize;
        if !sizes_ok {
            return Err(ConfigError::CapacitiesOutOfOrder);
        }
        if config.thread_cache > MAG {
            return Err(ConfigError::ThreadCacheTooLarge {
                thread_cache: config.thread_cache,
                limit: MAG,
            });
        }
        let limits = PoolConfig::builder()
            .thread_cache(config.thread_cache)
            .max_idle_bytes(Some(config.max_idle_bytes))
            .build()?;
        let engine = Engine::new(
            Shape {
                // One class: a new buffer's capacity is the learned default, not the class's.
                classes: vec![config.initial_default],
                class_budget: config.max_idle_bytes,
                max_idle: limits.max_idle(),
                thread_cache: limits.thread_cache(),
                // It keeps what it learned to keep, up to the hard maximum.
                top_keep: config.hard_max,
            },
            config.calibrate_every,
            Tuning {
                default_capacity: AtomicUsize::new(config.initial_default),
                max_capacity: AtomicUsize::new(config.initial_max),
                calibrations: AtomicU64::new(0),
                decayed: Mutex::new([0.0; BUCKETS]),
                config,
            },
        );
        Ok(BytePool {
            tag: engine.tag(),
            max_capacity: AtomicUsize::new(config.initial_max),
            calibrate_every: config.calibrate_every,
            engine,
        })
    }
}

impl BytePool {
    /// An empty buffer: a reused one, or a new one of the learned default capacity (or of
    /// none, growing as it is written, if the allocator refuses that capacity).
    #[inline]
    pub fn get(&self) -> ByteBuf<'_> {
        PooledBuf(Held::new(self, self.take()))
    }

    /// [`get`](Self::get) for a pool held by an `Arc`: the buffer holds a handle to the
    /// pool instead of borrowing it, so it is `'static` (and, with the `bytes` feature,
    /// can `freeze`). Costs a reference count increment and decrement per use.
    pub fn get_owned(self: &Arc<Self>) -> OwnedByteBuf {
        PooledBuf(Held::new(self.clone(), self.take()))
    }

    /// A buffer for `get`: the hit in the thread's magazine inline, the rest out of line.
    #[inline(always)]
    fn take(&self) -> Idle {
        if let Ok(Some(buf)) = with_last(self.tag, 0, take_hot) {
            return buf;
        }
        self.take_slow()
    }

    /// Every get that is not a hit in the thread's magazine.
    #[cold]
    #[inline(never)]
    fn take_slow(&self) -> Idle {
        self.engine.take_idle(0).unwrap_or_else(|| {
            let mut buf = Vec::new();
            // A capacity the allocator refuses leaves the buffer empty, to grow as it is
            // written, rather than aborting the process.
            let _ = buf.try_reserve_exact(self.default_capacity());
            self.engine.count_miss();
            Box::new(buf)
        })
    }

    fn tuning(&self) -> &Tuning {
        &self.engine.shared_extra
    }

    /// The capacity new buffers are made with now.
    pub fn default_capacity(&self) -> usize {
        self.tuning().default_capacity.load(Ordering::Relaxed)
    }

    /// The largest capacity the pool keeps now; larger buffers are dropped when they
    /// come back, and counted as `oversized`.
    pub fn max_capacity(&self) -> usize {
        self.max_capacity.load(Ordering::Relaxed)
    }

    /// Calibrations so far.
    pub fn calibrations(&self) -> u64 {
        self.tuning().calibrations.load(Ordering::Relaxed)
    }

    /// A snapshot of the pool's statistics.
    pub fn stats(&self) -> Stats {
        self.engine.stats().0
    }

    /// Releases every idle buffer (each thread's cached ones at its next use).
    pub fn trim(&self) -> u64 {
        self.engine.trim()
    }

    /// Releases the idle buffers not used since the previous call.
    pub fn decay(&self) -> u64 {
        self.engine.decay()
    }

    /// Every put that is not a hit in the thread's magazine (a first use, a trim or decay
    /// to act on, a full magazine or lease, a buffer above the maximum kept), and a hit
    /// that made a calibration due (`None`).
    #[cold]
    #[inline(never)]
    fn put_slow(&self, buf: Option<Idle>) {
        let Some(buf) = buf else {
            return self.calibrate();
        };
        let due = if buf.capacity() > self.max_capacity() {
            self.engine
                .discard(buf, Discard::Oversized, self.calibrate_every)
        } else {
            self.engine.put(0, buf, self.calibrate_every)
        };
        if due {
            self.calibrate();
        }
    }

    /// Folds every thread's returns since the last calibration into the decaying
    /// histogram and learns from it: the default capacity is the most common bucket, the
    /// maximum the bucket where the cumulative share reaches the percentile. Skipped if
    /// another thread is calibrating.
    fn calibrate(&self) {
        let Ok(mut decayed) = self.tuning().decayed.try_lock() else {
            return;
        };
        for h in decayed.iter_mut() {
            *h /= 2.0;
        }
        self.engine.read_extra(|live| {
            for hist in live {
                for bit in 0..64 {
                    // Only a calibration writes `seen`, under the lock held here.
                    let now = hist.counts[bit].load(Ordering::Relaxed);
                    let then = hist.seen[bit].load(Ordering::Relaxed);
                    hist.seen[bit].store(now, Ordering::Relaxed);
                    decayed[bucket_of_bit(bit)] += now.wrapping_sub(then) as f64;
                }
            }
        });
        let total: f64 = decayed.iter().sum();
        if total <= 0.0 {
            return;
        }
        let config = &self.tuning().config;
        let most = (0..BUCKETS).fold(
            0,
            |best, i| if decayed[i] > decayed[best] { i } else { best },
        );
        let mut cumulative = 0.0;
        let reach = (0..BUCKETS)
            .find(|&i| {
                cumulative += decayed[i];
                cumulative >= config.percentile * total
            })
            .unwrap_or(BUCKETS - 1);
        let max = bucket_size(reach).min(config.hard_max);
        let default = bucket_size(most).min(max);
        self.max_capacity.store(max, Ordering::Relaxed);
        self.tuning().max_capacity.store(max, Ordering::Relaxed);
        self.tuning()
            .default_capacity
            .store(default, Ordering::Relaxed);
        self.tuning().calibrations.fetch_add(1, Ordering::Relaxed);
    }
}

impl crate::held::sealed::Sealed for BytePool {}

impl GiveBack for BytePool {
    fn detached(&self) {
        self.engine.record(Event::Detach);
    }

    #[inline(always)]
    fn give_back(&self, mut buf: Idle) {
        // Every way off the hot path ends in the one call below: with a call per way,
        // the optimizer stops inlining the guard's drop.
        let slow = 'hot: {
            if buf.capacity() <= self.max_capacity.load(Ordering::Relaxed) {
                buf.clear();
                match with_last(self.tag, (0, buf, self.calibrate_every), put_hot) {
                    Ok(Ok(false)) => return,
                    // Kept, and a calibration is due.
                    Ok(Ok(true)) => break 'hot None,
                    Ok(Err(back)) | Err((_, back, _)) => buf = back,
                }
            }
            Some(buf)
        };
        self.put_slow(slow);
    }
}

/// The statistics, and the calibration state: `default_capacity_bytes`,
/// `max_capacity_bytes`, `calibrations`.
impl Observe for BytePool {
    fn stats(&self) -> Stats {
        BytePool::stats(self)
    }

    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
        self.engine.visit_metrics(visit);
    }

    fn trim(&self) -> u64 {
        BytePool::trim(self)
    }

    fn decay(&self) -> u64 {
        BytePool::decay(self)
    }
}

/// Registers by reference, as every pool does: the monitor holds the pool's engine
/// weakly, with what the pool learned in it.
impl Observable for BytePool {
    fn observer(&self) -> Weak<dyn Observe> {
        let weak: Weak<Engine<Hist>> = Arc::downgrade(&self.engine);
        weak
    }
}

impl fmt::Debug for BytePool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BytePool")
            .field("default_capacity", &self.default_capacity())
            .field("max_capacity", &self.max_capacity())
            .field("calibrations", &self.calibrations())
            .finish_non_exhaustive()
    }
}

/// A buffer from a [`BytePool`], returned (and counted for calibration) when dropped.
pub type ByteBuf<'a> = PooledBuf<&'a BytePool>;

/// A [`ByteBuf`] from [`BytePool::get_owned`]: it holds its pool, so it is `'static`.
pub type OwnedByteBuf = PooledBuf<Arc<BytePool>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_powers_of_two() {
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(64), 0);
        assert_eq!(bucket(65), 1);
        assert_eq!(bucket(128), 1);
        assert_eq!(bucket(4096), 6);
        assert_eq!(bucket_size(6), 4096);
        assert_eq!(bucket(usize::MAX), BUCKETS - 1);
        for i in 0..BUCKETS - 1 {
            assert_eq!(bucket(bucket_size(i)), i);
            assert_eq!(bucket(bucket_size(i) + 1), i + 1);
        }
    }

    /// A thread's histogram counts by bit, and the calibration maps bits to the same
    /// buckets as `bucket` does; every tenth return is due.
    #[test]
    fn the_histogram_by_bit_agrees_with_the_buckets() {
        let hist = Hist::empty();
        let mut left = Hist::own(10, &Hist::empty());
        let caps = [0, 1, 63, 64, 65, 128, 129, 4096, 4097, 1 << 40, usize::MAX];
        let mut due = 0;
        for _ in 0..10 {
            for &cap in &caps {
                due += u32::from(hist.returned(&mut left, cap, 10));
            }
        }
        assert_eq!(due, 11, "110 returns, one due in ten");
        let mut by_bucket = [0u64; BUCKETS];
        for (bit, count) in hist.counts.iter().enumerate() {
            by_bucket[bucket_of_bit(bit)] += count.load(Ordering::Relaxed);
        }
        let mut want = [0u64; BUCKETS];
        for &cap in &caps {
            want[bucket(cap)] += 10;
        }
        assert_eq!(by_bucket, want);
    }
}

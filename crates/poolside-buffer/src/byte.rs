//! `BytePool`: a byte buffer pool that learns from the buffers it sees which capacity to
//! make new buffers with and which to keep.

use std::fmt;
use std::sync::Arc;

use poolside_core::{
    ConfigError, Metric, MetricKind, Observe, PerThread, PoolConfig, Recycle, Stats, Verdict,
};
use poolside_object::{ObjectPool, Pooled};

use crate::guard::vec_guard;
use crate::sync::{AtomicU64, AtomicUsize, Mutex, Ordering};

/// Capacity buckets: bucket `i` holds capacities in `(2^(i+5), 2^(i+6)]`, bucket 0
/// everything up to 64 bytes, the last everything above 1 GiB.
const BUCKETS: usize = 25;

fn bucket(capacity: usize) -> usize {
    let bits = usize::BITS - capacity.saturating_sub(1).leading_zeros();
    (bits.saturating_sub(6) as usize).min(BUCKETS - 1)
}

/// The largest capacity in bucket `i`.
fn bucket_size(i: usize) -> usize {
    64usize << i
}

/// How a [`BytePool`] learns and what it keeps.
///
/// ```
/// use poolside_buffer::{BytePool, BytePoolConfig};
///
/// let config = BytePoolConfig::default().initial_max(16 * 1024).percentile(0.99);
/// let pool = BytePool::with_config(config)?;
/// assert_eq!(pool.max_capacity(), 16 * 1024);
/// # Ok::<(), poolside_buffer::BytePoolError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BytePoolConfig {
    initial_default: usize,
    initial_max: usize,
    hard_max: usize,
    percentile: f64,
    calibrate_every: u64,
    max_idle_bytes: usize,
    thread_cache: usize,
}

impl Default for BytePoolConfig {
    /// New buffers of 1 KiB, keep up to 64 KiB until the first calibration, never learn
    /// a maximum above 16 MiB, keep the 95th percentile, calibrate every 4096 returns
    /// per thread, 32 MiB of idle bytes, 16 buffers per thread.
    fn default() -> Self {
        BytePoolConfig {
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

impl BytePoolConfig {
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

    /// Idle buffers each thread may keep; 0 turns the per-thread tier off.
    pub fn thread_cache(mut self, n: usize) -> Self {
        self.thread_cache = n;
        self
    }
}

/// Why a [`BytePool`] could not be made.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BytePoolError {
    /// The percentile is not in `(0, 1]`.
    Percentile(f64),
    /// `calibrate_every` is 0.
    ZeroCalibration,
    /// A size limit is 0, above `isize::MAX`, or the maximums contradict each other
    /// (`initial_default <= initial_max <= hard_max` must hold).
    Sizes,
    /// The pool's limits were refused.
    Config(ConfigError),
}

impl fmt::Display for BytePoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BytePoolError::Percentile(p) => write!(f, "the percentile {p} is not in (0, 1]"),
            BytePoolError::ZeroCalibration => f.write_str("calibrate_every must be above 0"),
            BytePoolError::Sizes => f.write_str(
                "sizes must be above 0 and within isize::MAX, with initial_default <= initial_max <= hard_max",
            ),
            BytePoolError::Config(e) => write!(f, "invalid pool limits: {e}"),
        }
    }
}

impl std::error::Error for BytePoolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BytePoolError::Config(e) => Some(e),
            _ => None,
        }
    }
}

/// One thread's returns by capacity bucket: written by that thread, read (and `seen`
/// written) by whichever thread calibrates.
struct Local {
    counts: [AtomicU64; BUCKETS],
    /// `counts` at the last calibration.
    seen: [AtomicU64; BUCKETS],
    /// Returns since this thread last triggered a calibration.
    since: AtomicU64,
}

impl Default for Local {
    fn default() -> Self {
        Local {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            seen: std::array::from_fn(|_| AtomicU64::new(0)),
            since: AtomicU64::new(0),
        }
    }
}

/// What the pool has learned, shared by its policy and its handle.
struct Tuning {
    config: BytePoolConfig,
    default_capacity: AtomicUsize,
    max_capacity: AtomicUsize,
    calibrations: AtomicU64,
    /// Each thread's returns. A thread returning buffers during its own teardown cannot
    /// reach its entry; those returns are not learned from.
    locals: PerThread<Local>,
    /// The decaying histogram: each calibration halves it and adds the returns since.
    decayed: Mutex<[f64; BUCKETS]>,
}

impl Tuning {
    /// Counts a returned buffer, calibrating every `calibrate_every` returns per thread.
    fn record(&self, capacity: usize) {
        let due = self.locals.try_with(Local::default, |local| {
            let cell = &local.counts[bucket(capacity)];
            // This thread is the only writer of its counts: a load and a store suffice.
            cell.store(cell.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            let since = local.since.load(Ordering::Relaxed) + 1;
            let due = since >= self.config.calibrate_every;
            local
                .since
                .store(if due { 0 } else { since }, Ordering::Relaxed);
            due
        });
        if due == Some(true) {
            self.calibrate();
        }
    }

    /// Folds every thread's returns since the last calibration into the decaying
    /// histogram and learns from it: the default capacity is the most common bucket, the
    /// maximum the bucket where the cumulative share reaches the percentile. Skipped if
    /// another thread is calibrating.
    fn calibrate(&self) {
        let Ok(mut decayed) = self.decayed.try_lock() else {
            return;
        };
        for h in decayed.iter_mut() {
            *h /= 2.0;
        }
        self.locals.for_each(|local| {
            for i in 0..BUCKETS {
                let now = local.counts[i].load(Ordering::Relaxed);
                let then = local.seen[i].swap(now, Ordering::Relaxed);
                decayed[i] += now.wrapping_sub(then) as f64;
            }
        });
        let total: f64 = decayed.iter().sum();
        if total <= 0.0 {
            return;
        }
        let config = &self.config;
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
        self.default_capacity.store(default, Ordering::Relaxed);
        self.calibrations.fetch_add(1, Ordering::Relaxed);
    }
}

/// The pool's policy: new buffers at the learned default capacity; returned ones counted
/// for calibration, kept if within the learned maximum, cleared.
struct Tuner(Arc<Tuning>);

impl Recycle<Vec<u8>> for Tuner {
    fn create(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        // A capacity the allocator refuses leaves the buffer empty, to grow as it is
        // written, rather than aborting the process.
        let _ = buf.try_reserve_exact(self.0.default_capacity.load(Ordering::Relaxed));
        buf
    }

    fn recycle(&self, buf: &mut Vec<u8>) -> Verdict {
        let capacity = buf.capacity();
        self.0.record(capacity);
        if capacity > self.0.max_capacity.load(Ordering::Relaxed) {
            return Verdict::Oversized;
        }
        buf.clear();
        Verdict::Keep
    }

    fn retained_bytes(&self, buf: &Vec<u8>) -> usize {
        buf.capacity()
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
/// ```
/// use poolside_buffer::{BytePool, BytePoolConfig};
///
/// let pool = BytePool::with_config(BytePoolConfig::default().calibrate_every(20))?;
/// for i in 0..200 {
///     let mut buf = pool.get();
///     // Mostly 3 KiB messages, now and then (2%) a 100 KiB one.
///     let size = if i % 50 == 49 { 100 * 1024 } else { 3000 };
///     buf.resize(size, 0);
/// }
/// assert_eq!(pool.default_capacity(), 4096);
/// assert_eq!(pool.max_capacity(), 4096, "the 2% of 100 KiB buffers are not kept");
/// # Ok::<(), poolside_buffer::BytePoolError>(())
/// ```
pub struct BytePool {
    pool: ObjectPool<Vec<u8>, Tuner>,
    tuning: Arc<Tuning>,
}

impl Default for BytePool {
    fn default() -> Self {
        Self::new()
    }
}

impl BytePool {
    /// A pool with [`BytePoolConfig::default`].
    pub fn new() -> Self {
        Self::with_config(BytePoolConfig::default()).expect("the default configuration is valid")
    }

    /// A pool made as `config` says.
    pub fn with_config(config: BytePoolConfig) -> Result<Self, BytePoolError> {
        if !(config.percentile > 0.0 && config.percentile <= 1.0) {
            return Err(BytePoolError::Percentile(config.percentile));
        }
        if config.calibrate_every == 0 {
            return Err(BytePoolError::ZeroCalibration);
        }
        let sizes_ok = config.initial_default > 0
            && config.initial_default <= config.initial_max
            && config.initial_max <= config.hard_max
            && config.hard_max <= isize::MAX as usize;
        if !sizes_ok {
            return Err(BytePoolError::Sizes);
        }
        let limits = PoolConfig::builder()
            .thread_cache(config.thread_cache)
            .max_idle_bytes(Some(config.max_idle_bytes))
            .build()
            .map_err(BytePoolError::Config)?;
        let tuning = Arc::new(Tuning {
            config,
            default_capacity: AtomicUsize::new(config.initial_default),
            max_capacity: AtomicUsize::new(config.initial_max),
            calibrations: AtomicU64::new(0),
            locals: PerThread::new(),
            decayed: Mutex::new([0.0; BUCKETS]),
        });
        Ok(BytePool {
            pool: ObjectPool::with_policy(Tuner(tuning.clone()), limits),
            tuning,
        })
    }

    /// An empty buffer: a reused one, or a new one of the learned default capacity (or of
    /// none, growing as it is written, if the allocator refuses that capacity).
    #[inline]
    pub fn get(&self) -> ByteBuf<'_> {
        ByteBuf(self.pool.get())
    }

    /// The capacity new buffers are made with now.
    pub fn default_capacity(&self) -> usize {
        self.tuning.default_capacity.load(Ordering::Relaxed)
    }

    /// The largest capacity the pool keeps now; larger buffers are dropped when they
    /// come back, and counted as `oversized`.
    pub fn max_capacity(&self) -> usize {
        self.tuning.max_capacity.load(Ordering::Relaxed)
    }

    /// Calibrations so far.
    pub fn calibrations(&self) -> u64 {
        self.tuning.calibrations.load(Ordering::Relaxed)
    }

    /// A snapshot of the pool's statistics.
    pub fn stats(&self) -> Stats {
        self.pool.stats()
    }

    /// Releases every idle buffer (each thread's cached ones at its next use).
    pub fn trim(&self) -> u64 {
        self.pool.trim()
    }

    /// Releases the idle buffers not used since the previous call.
    pub fn decay(&self) -> u64 {
        self.pool.decay()
    }
}

impl Observe for BytePool {
    fn stats(&self) -> Stats {
        BytePool::stats(self)
    }

    /// The calibration state: `default_capacity_bytes`, `max_capacity_bytes`,
    /// `calibrations`.
    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric<'_>)) {
        visit(Metric {
            name: "default_capacity_bytes",
            help: "The capacity new buffers are made with, as learned.",
            kind: MetricKind::Gauge,
            value: self.default_capacity() as f64,
        });
        visit(Metric {
            name: "max_capacity_bytes",
            help: "The largest capacity kept, as learned.",
            kind: MetricKind::Gauge,
            value: self.max_capacity() as f64,
        });
        visit(Metric {
            name: "calibrations",
            help: "Calibrations so far.",
            kind: MetricKind::Counter,
            value: self.calibrations() as f64,
        });
    }

    fn trim(&self) -> u64 {
        BytePool::trim(self)
    }

    fn decay(&self) -> u64 {
        BytePool::decay(self)
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
pub struct ByteBuf<'a>(Pooled<'a, Vec<u8>, Tuner>);

impl ByteBuf<'_> {
    /// Takes the buffer out of the pool for good (counted as detached).
    pub fn detach(self) -> Vec<u8> {
        self.0.detach()
    }

    #[inline]
    fn vec(&self) -> &Vec<u8> {
        &self.0
    }

    #[inline]
    fn vec_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

vec_guard!(ByteBuf, vec, vec_mut);

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
}

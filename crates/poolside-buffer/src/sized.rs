//! `SizedPool`: byte buffers in size classes, over one object pool per class.

use std::collections::TryReserveError;
use std::fmt;

use poolside_core::{
    ConfigError, Discard, Event, Metric, MetricKind, Observe, PoolConfig, Recycle, Stats,
    ThreadCounters, Verdict,
};
use poolside_object::{ObjectPool, Pooled};

use crate::guard::vec_guard;

/// How a [`SizedPool`] is made: its size classes and its limits.
///
/// The default classes are the powers of two from 64 B to 1 MiB. `quarters` gives
/// jemalloc's four classes per doubling, which waste less capacity per buffer (at most a
/// quarter instead of a half) for more classes to keep warm.
///
/// ```
/// use poolside_buffer::{SizedConfig, SizedPool};
///
/// let config = SizedConfig::quarters(256, 64 * 1024).max_idle_bytes(16 << 20);
/// let pool = SizedPool::with_config(config)?;
/// assert_eq!(&pool.classes()[..5], [256, 320, 384, 448, 512]);
/// # Ok::<(), poolside_buffer::SizedError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizedConfig {
    classes: Vec<usize>,
    max_idle_bytes: usize,
    max_idle: usize,
    thread_cache: usize,
}

impl Default for SizedConfig {
    fn default() -> Self {
        SizedConfig::powers_of_two(64, 1 << 20)
    }
}

impl SizedConfig {
    /// The default budget of idle bytes over all classes: 64 MiB.
    pub const DEFAULT_MAX_IDLE_BYTES: usize = 64 << 20;

    /// Classes at each power of two from `min` to `max` (rounded up to powers of two).
    pub fn powers_of_two(min: usize, max: usize) -> Self {
        let (min, max) = (min.max(1), max.max(1));
        let first = min.checked_next_power_of_two().unwrap_or(min);
        let classes = std::iter::successors(Some(first), |&c| c.checked_mul(2))
            .take_while(|&c| c <= max.max(first))
            .collect();
        Self::classes(classes)
    }

    /// Four classes per doubling from `min` to `max`, as jemalloc spaces them: between
    /// 2^k and 2^(k+1), steps of 2^k / 4.
    pub fn quarters(min: usize, max: usize) -> Self {
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
        Self::classes(classes)
    }

    /// Exactly these classes (sorted and deduplicated when the pool is made).
    pub fn classes(classes: Vec<usize>) -> Self {
        SizedConfig {
            classes,
            max_idle_bytes: Self::DEFAULT_MAX_IDLE_BYTES,
            max_idle: 256,
            thread_cache: 8,
        }
    }

    /// The most retained bytes all idle buffers together may hold. It is split evenly
    /// between the classes, so each class holds at most `max_idle_bytes / classes`, and
    /// it holds however many threads use the pool (see `PoolConfig::max_idle_bytes`).
    pub fn max_idle_bytes(mut self, bytes: usize) -> Self {
        self.max_idle_bytes = bytes;
        self
    }

    /// Idle buffers each class's shared tier may hold.
    pub fn max_idle(mut self, n: usize) -> Self {
        self.max_idle = n;
        self
    }

    /// Idle buffers each thread may keep per class; 0 turns the per-thread tier off.
    pub fn thread_cache(mut self, n: usize) -> Self {
        self.thread_cache = n;
        self
    }
}

/// Why a [`SizedPool`] could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SizedError {
    /// No size class was given.
    NoClasses,
    /// A size class of 0 bytes.
    ZeroClass,
    /// A size class above `isize::MAX` bytes, which no allocation can have.
    ClassTooLarge(usize),
    /// The per-class configuration was refused.
    Config(ConfigError),
}

impl fmt::Display for SizedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizedError::NoClasses => f.write_str("a sized pool needs at least one size class"),
            SizedError::ZeroClass => f.write_str("a size class must be above 0 bytes"),
            SizedError::ClassTooLarge(c) => {
                write!(f, "a size class of {c} bytes exceeds isize::MAX")
            }
            SizedError::Config(e) => write!(f, "invalid per-class limits: {e}"),
        }
    }
}

impl std::error::Error for SizedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SizedError::Config(e) => Some(e),
            _ => None,
        }
    }
}

/// One class's policy: buffers start empty (the get reserves the class size, so a
/// refused allocation is an error, not an abort), come back cleared, and are kept only
/// if their capacity belongs in the class.
#[derive(Debug)]
struct ClassPolicy {
    size: usize,
    /// The largest capacity this class keeps: the top class keeps none above its size.
    keep_max: usize,
}

impl Recycle<Vec<u8>> for ClassPolicy {
    fn create(&self) -> Vec<u8> {
        Vec::new()
    }

    fn recycle(&self, buf: &mut Vec<u8>) -> Verdict {
        let capacity = buf.capacity();
        if capacity > self.keep_max {
            return Verdict::Oversized;
        }
        if capacity < self.size {
            // Too small to serve this class (its allocation failed, or it was shrunk).
            return Verdict::Reject;
        }
        buf.clear();
        Verdict::Keep
    }

    fn retained_bytes(&self, buf: &Vec<u8>) -> usize {
        buf.capacity()
    }
}

struct Class {
    size: usize,
    pool: ObjectPool<Vec<u8>, ClassPolicy>,
}

/// Byte buffers in size classes: `get(n)` returns an empty `Vec<u8>` with capacity of at
/// least `n`, from the smallest class that fits, and a returned buffer goes to the
/// largest class its capacity fills, so a buffer that grew still comes home (the Go
/// sized pool in the seed took back only exact sizes).
///
/// - A buffer that grew past the largest class is dropped, not kept, and counted as
///   `oversized`.
/// - A request above the largest class gets a plain allocation of its own that is never
///   pooled (counted as a miss, and as `oversized` when it comes back).
/// - `get(0)` works (the smallest class); a request the allocator refuses, such as
///   `usize::MAX` bytes, is an error, not a panic or an abort.
/// - Idle bytes stay within [`SizedConfig::max_idle_bytes`] overall and within its
///   share per class, whatever the number of threads.
///
/// Each class is a `poolside_object::ObjectPool`, with its per-thread caches over a
/// lock-free shared tier, so a hit touches no shared cache line.
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
pub struct SizedPool {
    classes: Box<[Class]>,
    /// How a size finds its class: by counting bits where the classes allow it.
    lookup: Lookup,
    /// Requests above the largest class, and hand-overs between classes.
    own: ThreadCounters,
}

/// How [`SizedPool`] finds a size's class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// Consecutive powers of two from `2^from`: a bit count.
    Pow2 { from: u32 },
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
        Self::with_config(SizedConfig::default()).expect("the default configuration is valid")
    }

    /// A pool made as `config` says.
    pub fn with_config(config: SizedConfig) -> Result<Self, SizedError> {
        let mut sizes = config.classes;
        sizes.sort_unstable();
        sizes.dedup();
        match sizes.first() {
            None => return Err(SizedError::NoClasses),
            Some(0) => return Err(SizedError::ZeroClass),
            Some(_) => {}
        }
        if let Some(&c) = sizes.iter().find(|&&c| c > isize::MAX as usize) {
            return Err(SizedError::ClassTooLarge(c));
        }
        let share = config.max_idle_bytes / sizes.len();
        let per_class = PoolConfig::builder()
            .max_idle(config.max_idle)
            .thread_cache(config.thread_cache)
            .max_idle_bytes(Some(share))
            .build()
            .map_err(SizedError::Config)?;
        let classes = sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| {
                let keep_max = sizes.get(i + 1).map_or(size, |next| next - 1);
                Class {
                    size,
                    pool: ObjectPool::with_policy(ClassPolicy { size, keep_max }, per_class),
                }
            })
            .collect();
        Ok(SizedPool {
            classes,
            lookup: Lookup::for_classes(&sizes),
            own: ThreadCounters::new(),
        })
    }

    /// The class sizes, smallest first.
    pub fn classes(&self) -> Vec<usize> {
        self.classes.iter().map(|c| c.size).collect()
    }

    /// The smallest class of at least `n` bytes.
    #[inline]
    fn class_for(&self, n: usize) -> Option<&Class> {
        let i = match self.lookup {
            // The smallest power of two >= n is 2^bits(n - 1).
            Lookup::Pow2 { from } => {
                let bits = usize::BITS - n.saturating_sub(1).leading_zeros();
                bits.saturating_sub(from) as usize
            }
            Lookup::Quarters { first, from } => quarter_index(n, first, from),
            Lookup::Search => self.classes.partition_point(|c| c.size < n),
        };
        self.classes.get(i)
    }

    /// The largest class of at most `capacity` bytes, or the smallest if none is (its
    /// policy then refuses the buffer).
    #[inline]
    fn class_home(&self, capacity: usize) -> &Class {
        let i = match self.lookup {
            // The largest power of two <= capacity is 2^(bits(capacity) - 1).
            Lookup::Pow2 { from } => {
                let bits = usize::BITS - capacity.leading_zeros();
                (bits.saturating_sub(from + 1) as usize).min(self.classes.len() - 1)
            }
            // The class below the smallest one that holds capacity + 1.
            Lookup::Quarters { first, from } => {
                quarter_index(capacity.saturating_add(1), first, from)
                    .saturating_sub(1)
                    .min(self.classes.len() - 1)
            }
            Lookup::Search => self
                .classes
                .partition_point(|c| c.size <= capacity)
                .saturating_sub(1),
        };
        &self.classes[i]
    }

    /// An empty buffer with capacity of at least `n`. Fails only if the allocator refuses
    /// the memory (`usize::MAX` bytes, say).
    #[inline]
    pub fn get(&self, n: usize) -> Result<SizedBuf<'_>, TryReserveError> {
        let Some(class) = self.class_for(n) else {
            let mut buf = Vec::new();
            buf.try_reserve_exact(n)?;
            self.own.record(Event::Miss);
            return Ok(SizedBuf {
                pool: self,
                buf: Buf::Plain(buf),
            });
        };
        let mut buf = class.pool.get();
        if buf.capacity() < class.size {
            // A new buffer: on failure the guard goes back and the class refuses it.
            buf.try_reserve_exact(class.size)?;
        }
        Ok(SizedBuf {
            pool: self,
            buf: Buf::Pooled(buf),
        })
    }

    /// [`get`](Self::get), or `None` if the allocator refuses.
    pub fn try_get(&self, n: usize) -> Option<SizedBuf<'_>> {
        self.get(n).ok()
    }

    /// The statistics of all classes as one pool. A buffer handed from one class to
    /// another counts as a put, not as detached and adopted.
    pub fn stats(&self) -> Stats {
        let mut total = self.own.stats();
        for class in self.classes.iter() {
            total += class.pool.stats();
        }
        // Hand-overs between classes: each class counts them as detached and adopted.
        let handed = total.adopted;
        total.puts += handed;
        total.detached -= handed.min(total.detached);
        total.adopted = 0;
        total
    }

    /// Releases every idle buffer (each thread's cached ones at its next use); returns
    /// how many were released now.
    pub fn trim(&self) -> u64 {
        self.classes.iter().map(|c| c.pool.trim()).sum()
    }

    /// Releases the idle buffers not used since the previous call; returns how many were
    /// released now.
    pub fn decay(&self) -> u64 {
        self.classes.iter().map(|c| c.pool.decay()).sum()
    }
}

impl Observe for SizedPool {
    fn stats(&self) -> Stats {
        SizedPool::stats(self)
    }

    /// Each class's idle bytes, as `class_<size>_idle_bytes`.
    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric<'_>)) {
        for class in self.classes.iter() {
            let name = format!("class_{}_idle_bytes", class.size);
            visit(Metric {
                name: &name,
                help: "Retained bytes of the idle buffers in one size class.",
                kind: MetricKind::Gauge,
                value: class.pool.stats().idle_bytes as f64,
            });
        }
    }

    fn trim(&self) -> u64 {
        SizedPool::trim(self)
    }

    fn decay(&self) -> u64 {
        SizedPool::decay(self)
    }
}

impl fmt::Debug for SizedPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SizedPool")
            .field("classes", &self.classes())
            .finish_non_exhaustive()
    }
}

enum Buf<'a> {
    Pooled(Pooled<'a, Vec<u8>, ClassPolicy>),
    Plain(Vec<u8>),
    /// Only while being dropped or detached.
    Gone,
}

/// A buffer from a [`SizedPool`], returned when dropped to the class its capacity
/// fills. It derefs to its `Vec<u8>`, so it can grow; [`std::io::Write`] appends.
///
/// Cannot outlive its pool:
///
/// ```compile_fail
/// use poolside_buffer::{SizedBuf, SizedPool};
///
/// fn escape() -> SizedBuf<'static> {
///     let pool = SizedPool::new();
///     pool.get(10).unwrap() // error: returns a value referencing the local `pool`
/// }
/// ```
pub struct SizedBuf<'a> {
    pool: &'a SizedPool,
    buf: Buf<'a>,
}

impl SizedBuf<'_> {
    /// Takes the buffer out of the pool for good (counted as detached).
    pub fn detach(mut self) -> Vec<u8> {
        match std::mem::replace(&mut self.buf, Buf::Gone) {
            Buf::Pooled(buf) => buf.detach(),
            Buf::Plain(buf) => {
                self.pool.own.record(Event::Detach);
                buf
            }
            Buf::Gone => Vec::new(),
        }
    }

    /// Whether it is a plain allocation for a request above the largest class, never
    /// pooled.
    pub fn is_plain(&self) -> bool {
        matches!(self.buf, Buf::Plain(_))
    }
}

impl Drop for SizedBuf<'_> {
    #[inline]
    fn drop(&mut self) {
        match &self.buf {
            Buf::Pooled(buf) => {
                let home = self.pool.class_home(buf.capacity());
                // Most buffers go back to the class they came from: the field's own drop
                // does that. Only one that grew (or shrank) across classes is moved.
                if !std::ptr::eq(buf.pool(), &home.pool) {
                    if let Buf::Pooled(buf) = std::mem::replace(&mut self.buf, Buf::Gone) {
                        buf.return_to(&home.pool);
                    }
                }
            }
            Buf::Plain(_) => {
                // Never pooled: the vector drops with the field.
                self.pool.own.record(Event::Put);
                self.pool.own.record(Event::Discard(Discard::Oversized));
            }
            Buf::Gone => {}
        }
    }
}

impl SizedBuf<'_> {
    #[inline]
    fn vec(&self) -> &Vec<u8> {
        match &self.buf {
            Buf::Pooled(buf) => buf,
            Buf::Plain(buf) => buf,
            Buf::Gone => unreachable!("a live guard holds its buffer"),
        }
    }

    #[inline]
    fn vec_mut(&mut self) -> &mut Vec<u8> {
        match &mut self.buf {
            Buf::Pooled(buf) => buf,
            Buf::Plain(buf) => buf,
            Buf::Gone => unreachable!("a live guard holds its buffer"),
        }
    }
}

vec_guard!(SizedBuf, vec, vec_mut);

#[cfg(test)]
mod tests {
    use super::{quarter_code, quarter_size, Lookup, SizedConfig};

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
            let sizes = SizedConfig::quarters(min, max).classes;
            assert!(
                matches!(Lookup::for_classes(&sizes), Lookup::Quarters { .. }),
                "{min}..{max}"
            );
        }
        assert!(matches!(
            Lookup::for_classes(&SizedConfig::default().classes),
            Lookup::Pow2 { from: 6 }
        ));
        assert_eq!(Lookup::for_classes(&[100, 250, 4000]), Lookup::Search);
        assert_eq!(Lookup::for_classes(&[3, 5, 6]), Lookup::Search);
    }
}

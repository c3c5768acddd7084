//! `RingPool`: a fixed number of fixed-size byte buffers in one allocation, handed out
//! lock-free, allocating after construction only the heap buffers `get` lends when every
//! slot is taken.

mod slots;

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::ptr::{self, NonNull};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use poolside_core::internals::Recorder;
use poolside_core::internals::{Discard, Event, LocalCounters};
use poolside_core::{ConfigError, LimitReached, Metric, Observable, Observe, Stats};

use slots::{Claim, Returned, Slots};

use crate::sync::{AtomicUsize, Condvar, Mutex, Ordering};

/// Builds a [`RingPool`]: [`RingPool::builder`], then the setters, then
/// [`build`](Self::build), which allocates the ring.
///
/// ```
/// use poolside_buffer::RingPool;
///
/// let ring = RingPool::builder(64, 4096).zero_on_return(true).build()?;
/// assert_eq!((ring.slots(), ring.slot_size()), (64, 4096));
/// # Ok::<(), poolside_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct RingPoolBuilder {
    slots: usize,
    slot_size: usize,
    zero_on_return: bool,
}

impl RingPoolBuilder {
    /// Whether a returned slot is zeroed, so that no holder can see the bytes of the one
    /// before (costs a write of the whole slot per return). Off by default.
    pub fn zero_on_return(mut self, zero: bool) -> Self {
        self.zero_on_return = zero;
        self
    }

    /// The ring, allocated whole and zeroed. Fails for 0 slots, a 0 size, a total size
    /// that overflows, or memory the allocator refuses.
    pub fn build(self) -> Result<RingPool, ConfigError> {
        Ok(RingPool {
            ring: Arc::new(Ring::new(self)?),
        })
    }
}

/// A fixed number of fixed-size byte buffers, carved from one zeroed allocation when the
/// pool is made. Buffers are handed out lock-free and no slot is ever held by two
/// holders, however the index wraps.
/// After construction the pool allocates nothing, except the temporary heap buffers that
/// [`get`](Self::get) hands out when every slot is taken.
///
/// Its three ways to take a buffer are every pool's with a limit:
/// [`get`](Self::get) never waits, and goes past the limit when it is reached (a heap
/// buffer of the slot size, counted as a miss); [`try_get`](Self::try_get) never waits
/// and never goes past it (`None`); [`get_timeout`](Self::get_timeout) waits for a slot
/// to come back.
///
/// Slots are handed out most recently returned first, so a busy ring reuses warm cache
/// lines.
///
/// A `RingPool` is a handle: clones share one ring, and
/// [`get_owned`](Self::get_owned) gives a buffer that holds one.
///
/// # Old bytes
///
/// A slot keeps the bytes its previous holder wrote unless the pool zeroes returned
/// slots ([`RingPoolBuilder::zero_on_return`]). A new holder's filled part starts empty, so
/// it sees old bytes only if it asks for the whole slot ([`RingBuf::slot_mut`]).
///
/// ```
/// use std::io::Write;
/// use poolside_buffer::RingPool;
///
/// let ring = RingPool::new(8, 1024)?;
/// let mut buf = ring.try_get().expect("a free slot");
/// write!(buf, "hello {}", 42).unwrap();
/// assert_eq!(&buf[..], b"hello 42");
/// assert_eq!(buf.capacity(), 1024);
/// drop(buf); // the slot is free again
/// assert_eq!(ring.free(), 8);
/// # Ok::<(), poolside_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct RingPool {
    ring: Arc<Ring>,
}

/// The ring itself, shared by its handle and, weakly, by monitors; guards borrow it.
pub(crate) struct Ring {
    slots: Slots,
    zero_on_return: bool,
    /// Threads in `get_timeout` waiting for a slot, for the `waiters` metric; the free list's `WAITING` bit is what wakes them.
    waiters: AtomicUsize,
    lock: Mutex<()>,
    freed: Condvar,
    /// The counts of what does not happen to a slot's holder: the slots made, heap
    /// buffers, detaches. Claims and returns are counted per slot (`Slots::counts`).
    stats: LocalCounters,
}

impl RingPool {
    /// `slots` zeroed buffers of `slot_size` bytes. Fails for 0 slots, a 0 size, a
    /// total size that overflows, or memory the allocator refuses.
    pub fn new(slots: usize, slot_size: usize) -> Result<Self, ConfigError> {
        Self::builder(slots, slot_size).build()
    }

    /// A builder of `slots` buffers of `slot_size` bytes, not zeroed on return.
    pub fn builder(slots: usize, slot_size: usize) -> RingPoolBuilder {
        RingPoolBuilder {
            slots,
            slot_size,
            zero_on_return: false,
        }
    }

    /// A free slot, or `None` when every slot is taken. Lock-free; never allocates.
    #[inline]
    pub fn try_get(&self) -> Option<RingBuf<'_>> {
        self.ring.try_get()
    }

    /// A free slot, or, when every slot is taken, a temporary heap buffer of the slot
    /// size (counted as a miss, and freed when it comes back). Never waits; lock-free
    /// while a slot is free.
    ///
    /// # Aborts
    ///
    /// If every slot is taken and the allocator refuses the heap buffer, the process
    /// aborts, as `vec!` does. [`try_get`](Self::try_get) and
    /// [`get_timeout`](Self::get_timeout) never allocate.
    #[inline]
    pub fn get(&self) -> RingBuf<'_> {
        self.ring.take(())
    }

    /// As [`get`](Self::get), but the buffer holds a handle to the ring, so it is
    /// `'static` and keeps the ring alive: for a buffer that outlives the scope that took
    /// it, handed to another thread or frozen into `bytes::Bytes` (feature `bytes`). It
    /// costs a reference count on the way out and back.
    ///
    /// ```
    /// use poolside_buffer::RingPool;
    ///
    /// let ring = RingPool::new(2, 64)?;
    /// let mut buf = ring.get_owned();
    /// buf.set_len(3).unwrap();
    /// drop(ring); // the buffer keeps the ring
    /// let len = std::thread::spawn(move || buf.len()).join().unwrap();
    /// assert_eq!(len, 3);
    /// # Ok::<(), poolside_core::ConfigError>(())
    /// ```
    pub fn get_owned(&self) -> OwnedRingBuf {
        let keep = self.clone();
        // SAFETY: the guard holds `keep`, a handle to this ring, and drops it only after
        // its last use of this reference (its claim goes back first; see `RingBuf`'s
        // `Drop` and `detach`), so the ring outlives every use. The guard never hands
        // the reference out: its API lends borrows bounded by the guard's own.
        #[allow(unsafe_code)]
        let ring: &'static Ring = unsafe { &*Arc::as_ptr(&keep.ring) };
        ring.take(keep)
    }

    /// A free slot, waiting up to `timeout` for one to come back when every slot is
    /// taken; [`LimitReached`] if none does.
    pub fn get_timeout(&self, timeout: Duration) -> Result<RingBuf<'_>, LimitReached> {
        match self.ring.try_get() {
            Some(buf) => Ok(buf),
            None => self.ring.wait(timeout),
        }
    }

    /// The number of slots.
    pub fn slots(&self) -> usize {
        self.ring.slots.count()
    }

    /// Bytes per slot.
    pub fn slot_size(&self) -> usize {
        self.ring.slots.size()
    }

    /// Slots free now (approximate while other threads get and return buffers).
    pub fn free(&self) -> usize {
        self.stats().idle_objects as usize
    }

    /// A snapshot of the pool's statistics. The slots count as prewarmed objects;
    /// temporary heap buffers as misses, and as `pool_full` discards when they come back.
    pub fn stats(&self) -> Stats {
        self.ring.stats()
    }
}

impl Ring {
    fn new(config: RingPoolBuilder) -> Result<Self, ConfigError> {
        let slots = Slots::new(config.slots, config.slot_size)?;
        let stats = LocalCounters::new();
        <Stats as Recorder>::add_shared(&stats, Event::Prewarm, slots.count() as u64);
        Ok(Ring {
            slots,
            zero_on_return: config.zero_on_return,
            waiters: AtomicUsize::new(0),
            lock: Mutex::new(()),
            freed: Condvar::new(),
            stats,
        })
    }

    /// A free slot, or `None` when every slot is taken. Lock-free; never allocates.
    #[inline]
    pub(crate) fn try_get(&self) -> Option<RingBuf<'_>> {
        Some(self.lend(self.slots.claim()?, ()))
    }

    /// A free slot, or a heap buffer when every slot is taken. `keep` goes into the
    /// guard: what keeps the ring alive besides the borrow.
    #[inline]
    fn take<H>(&self, keep: H) -> RingBuf<'_, H> {
        match self.slots.claim() {
            Some(claim) => self.lend(claim, keep),
            None => self.heap(keep),
        }
    }

    #[cold]
    #[inline(never)]
    fn heap<H>(&self, keep: H) -> RingBuf<'_, H> {
        self.count(Event::Miss);
        self.lend(Claim::heap(&self.slots), keep)
    }

    /// The guard of `claim`.
    #[inline(always)]
    fn lend<'a, H>(&'a self, claim: Claim<'a>, keep: H) -> RingBuf<'a, H> {
        RingBuf {
            pool: NonNull::from(self),
            claim: ManuallyDrop::new(claim),
            len: 0,
            keep,
            ring: PhantomData,
        }
    }

    #[cold]
    fn wait(&self, timeout: Duration) -> Result<RingBuf<'_>, LimitReached> {
        let start = Instant::now();
        let deadline = start.checked_add(timeout);
        self.waiters.fetch_add(1, Ordering::Relaxed);
        // Held from each failed claim until the wait releases it, so a returning holder,
        // which takes it to wake waiters, cannot wake them in between.
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let result = loop {
            if let Some(buf) = self.try_get() {
                break Ok(buf);
            }
            if !self.slots.announce_waiter() {
                // A slot came free since the claim.
                continue;
            }
            let left = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => break Err(LimitReached::new(self.slots.count(), start.elapsed())),
                },
                // A timeout too long to add to now: wait a day at a time.
                None => Duration::from_secs(86_400),
            };
            guard = match self.freed.wait_timeout(guard, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        };
        drop(guard);
        self.waiters.fetch_sub(1, Ordering::Relaxed);
        result
    }

    /// Wakes every waiter after a return that found the free list marked as waited on.
    /// All of them: the mark is cleared once, and a waiter left asleep would sleep
    /// through free slots until its timeout. Those that find no slot mark it again.
    #[cold]
    fn wake_waiters(&self) {
        drop(self.lock.lock().unwrap_or_else(|e| e.into_inner()));
        self.freed.notify_all();
    }

    /// Counts what does not happen to a slot's holder.
    #[cold]
    fn count(&self, event: Event) {
        <Stats as Recorder>::add_shared(&self.stats, event, 1);
    }

    pub(crate) fn stats(&self) -> Stats {
        let (claims, puts) = self.slots.counts();
        let held = LocalCounters::new();
        held.add(Event::Hit, claims);
        held.add(Event::Put, puts);
        let mut stats = <Stats as Recorder>::stats(&self.stats, [&held]);
        // Idle objects are free slots (a heap buffer is never idle), each a slot's bytes.
        stats.idle_bytes = stats.idle_objects.saturating_mul(self.slots.size() as u64);
        stats
    }
}

/// The statistics, and one metric beyond them: `waiters`, the threads in `get` waiting
/// for a slot now (in `get_timeout`; approximate while threads come and go).
impl Observe for RingPool {
    fn stats(&self) -> Stats {
        self.ring.stats()
    }

    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
        self.ring.visit_metrics(visit);
    }
}

/// Registers by reference, as every pool does: the monitor holds the ring weakly.
impl Observable for RingPool {
    fn observer(&self) -> Weak<dyn Observe> {
        let weak: Weak<Ring> = Arc::downgrade(&self.ring);
        weak
    }
}

impl Observe for Ring {
    fn stats(&self) -> Stats {
        Ring::stats(self)
    }

    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
        visit(Metric::gauge(
            "waiters",
            "threads in get_timeout waiting for a slot",
            self.waiters.load(Ordering::Relaxed) as f64,
        ));
    }
}

impl fmt::Debug for RingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingPool")
            .field("slots", &self.slots())
            .field("slot_size", &self.slot_size())
            .field("zero_on_return", &self.ring.zero_on_return)
            .finish_non_exhaustive()
    }
}

/// A buffer from a [`RingPool`]: a slot (or a temporary heap buffer when the ring was
/// full), returned when dropped.
///
/// It has a fixed capacity (the slot size) and a filled length. It derefs to the
/// filled bytes, and [`io::Write`] appends to them; a write that does not fit is cut
/// short, as for `&mut [u8]`, so `write_all` of too much fails with
/// [`io::ErrorKind::WriteZero`]. [`slot_mut`](Self::slot_mut) gives the whole slot, to
/// fill directly, with [`set_len`](Self::set_len) after.
///
/// Cannot be used after it went back:
///
/// ```compile_fail
/// use poolside_buffer::RingPool;
///
/// let ring = RingPool::new(1, 16).unwrap();
/// let buf = ring.try_get().unwrap();
/// let filled: &[u8] = &buf;
/// drop(buf);
/// filled.len(); // error: `buf` was moved while borrowed
/// ```
///
/// nor outlive its pool, unless it holds it ([`RingPool::get_owned`]):
///
/// ```compile_fail
/// use poolside_buffer::{RingBuf, RingPool};
///
/// fn escape() -> RingBuf<'static> {
///     let ring = RingPool::new(1, 16).unwrap();
///     ring.try_get().unwrap() // error: returns a value referencing the local `ring`
/// }
/// ```
///
/// `H` is what keeps the ring alive besides the borrow: nothing (`()`) for a buffer that
/// borrows its ring, a handle to the ring for one from `get_owned` ([`OwnedRingBuf`]).
pub struct RingBuf<'a, H = ()> {
    /// The ring, valid for `'a`: a pointer, not a reference, for the reason `Claim` gives
    /// (`detach` may drop the last handle to the ring).
    pool: NonNull<Ring>,
    /// The slot or the temporary heap buffer, taken out once: by `Drop`, or by `detach`,
    /// which forgets the guard.
    claim: ManuallyDrop<Claim<'a>>,
    len: usize,
    /// Dropped after the claim went back: by `Drop`'s field drops, or in `detach`.
    keep: H,
    ring: PhantomData<&'a Ring>,
}

// The guard's `Send` and `Sync` below rest on this.
const _: () = {
    const fn sync<T: Sync>() {}
    sync::<Ring>();
};

// SAFETY: the guard behaves as a `&'a Ring` (`Ring` is `Sync`, checked above), a `Claim`
// (`Send`) and an `H`, so it may go to another thread when `H` may.
#[allow(unsafe_code)]
unsafe impl<H: Send> Send for RingBuf<'_, H> {}

// SAFETY: as for `Send`: a shared guard lends only shared access to the ring, the claim
// (`Sync`) and `H`.
#[allow(unsafe_code)]
unsafe impl<H: Sync> Sync for RingBuf<'_, H> {}

/// A [`RingBuf`] from [`RingPool::get_owned`]: it holds its ring, so it is `'static`.
pub type OwnedRingBuf = RingBuf<'static, RingPool>;

impl<H> RingBuf<'_, H> {
    /// The ring it came from, for no longer than a borrow of the guard: an owned guard's
    /// ring lives only as long as its `keep`, so a reference for `'a` (`'static`) would
    /// not be sound to hand out.
    #[inline(always)]
    fn pool(&self) -> &Ring {
        // SAFETY: the ring outlives the guard (`'a`, or the handle in `keep`, which the
        // guard drops only after its last use of the ring), and so this borrow.
        #[allow(unsafe_code)]
        unsafe {
            self.pool.as_ref()
        }
    }

    /// The slot's size: the most this buffer holds.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.pool().slots.size()
    }

    /// Whether it is a temporary heap buffer, handed out because the ring was full.
    pub fn is_heap(&self) -> bool {
        self.claim.is_heap()
    }

    /// The whole slot, filled part first; bytes past the filled length may be a
    /// previous holder's (see "Old bytes" on [`RingPool`]).
    #[inline]
    pub fn slot_mut(&mut self) -> &mut [u8] {
        self.claim.bytes_mut()
    }

    #[inline]
    fn slot(&self) -> &[u8] {
        self.claim.bytes()
    }

    /// Sets the filled length, after writing through [`slot_mut`](Self::slot_mut). A
    /// length above the capacity is refused with the capacity as the error.
    pub fn set_len(&mut self, len: usize) -> Result<(), usize> {
        if len > self.capacity() {
            return Err(self.capacity());
        }
        self.len = len;
        Ok(())
    }

    /// Empties the filled part.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Free room after the filled part.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.capacity() - self.len
    }

    /// Copies the filled bytes out into a `Vec` and frees the slot at once (counted as
    /// detached): the slot cannot leave the ring's memory, so its bytes do.
    pub fn detach(self) -> Vec<u8> {
        let out = self.to_vec();
        self.pool().count(Event::Detach);
        if !self.claim.is_heap() {
            // The slot itself goes back, as a new idle slot; only the copy is detached.
            self.pool().count(Event::Prewarm);
        }
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so `Drop` never takes the claim nor drops
        // `keep`; each is taken here once, `keep` after the claim went back, and nothing
        // reads the fields after.
        #[allow(unsafe_code)]
        let (claim, keep) = unsafe { (ManuallyDrop::take(&mut this.claim), ptr::read(&this.keep)) };
        this.pool().finish(claim, false);
        drop(keep);
        out
    }
}

impl Ring {
    /// Gives the slot back, or frees the heap buffer, counting the put when `put`.
    #[inline(always)]
    fn finish(&self, claim: Claim<'_>, put: bool) {
        // Every way off the common one (a slot back on a list that no waiter marked) ends
        // in the one cold call below: with a call per way, the optimizer stops inlining
        // the guard's drop.
        let slow = 'hot: {
            if self.zero_on_return || claim.is_heap() {
                break 'hot Some(claim);
            }
            match claim.give_back(put) {
                Returned::Slot => return,
                // A slot back on a list a waiter marked.
                _ => None,
            }
        };
        self.finish_slow(slow, put);
    }

    /// `finish` for a claim to zero or a heap buffer, or, with no claim, the wake-up
    /// after a return to a list a waiter marked.
    #[cold]
    #[inline(never)]
    fn finish_slow(&self, claim: Option<Claim<'_>>, put: bool) {
        let Some(mut claim) = claim else {
            return self.wake_waiters();
        };
        if self.zero_on_return {
            zero(&mut claim);
        }
        match claim.give_back(put) {
            Returned::Slot => {}
            Returned::SlotWaitedOn => self.wake_waiters(),
            Returned::Heap => {
                if put {
                    self.count(Event::Put);
                    self.count(Event::Discard(Discard::PoolFull));
                }
            }
        }
    }
}

/// Zeroes a returned slot ([`RingPoolBuilder::zero_on_return`]).
#[cold]
fn zero(claim: &mut Claim<'_>) {
    claim.bytes_mut().fill(0);
}

impl<H> Drop for RingBuf<'_, H> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `drop` runs once, and `detach` forgets the guard instead of dropping it,
        // so the claim is taken once; nothing reads the field after.
        #[allow(unsafe_code)]
        let claim = unsafe { ManuallyDrop::take(&mut self.claim) };
        self.pool().finish(claim, true);
    }
}

impl<H> Deref for RingBuf<'_, H> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        &self.slot()[..self.len]
    }
}

impl<H> DerefMut for RingBuf<'_, H> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        let len = self.len;
        &mut self.slot_mut()[..len]
    }
}

impl<H> AsRef<[u8]> for RingBuf<'_, H> {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl<H> AsMut<[u8]> for RingBuf<'_, H> {
    #[inline]
    fn as_mut(&mut self) -> &mut [u8] {
        self
    }
}

impl<H> io::Write for RingBuf<'_, H> {
    #[inline]
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let len = self.len;
        let n = data.len().min(self.remaining());
        self.slot_mut()[len..len + n].copy_from_slice(&data[..n]);
        self.len += n;
        Ok(n)
    }

    /// Appends all of `data`, or as much as fits and then fails with
    /// [`io::ErrorKind::WriteZero`], as the provided method does, in one copy.
    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        if data.len() <= self.remaining() {
            // All of it: a copy of `data`'s length, which the compiler knows when the
            // caller's data has a fixed size.
            let len = self.len;
            self.slot_mut()[len..len + data.len()].copy_from_slice(data);
            self.len += data.len();
            return Ok(());
        }
        io::Write::write(self, data)?;
        Err(io::ErrorKind::WriteZero.into())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<H> fmt::Debug for RingBuf<'_, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingBuf")
            .field("len", &self.len)
            .field("capacity", &self.capacity())
            .field("heap", &self.is_heap())
            .finish_non_exhaustive()
    }
}

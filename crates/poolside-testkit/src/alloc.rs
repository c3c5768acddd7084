//! A counting global allocator.
//!
//! Counts live in two places. Per-thread counters (a `const` thread-local of plain
//! `Cell`s, which needs no allocation and no destructor) let a test count only its own
//! thread, so libtest's other threads do not pollute it. Process-wide atomic counters
//! count every thread, for `harness = false` binaries that run one test at a time and
//! measure work spread over threads.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ops::Sub;
use std::sync::atomic::{AtomicU64, Ordering};

/// Allocation counts over some span.
///
/// A `realloc` counts as one allocation of the new size (and one deallocation), the way
/// Go's allocs/op and B/op count a grown slice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AllocCounts {
    /// Allocations, including reallocations.
    pub allocs: u64,
    /// Deallocations, including the old block of each reallocation.
    pub deallocs: u64,
    /// Of `allocs`, how many were reallocations.
    pub reallocs: u64,
    /// Bytes requested by those allocations.
    pub bytes: u64,
}

impl Sub for AllocCounts {
    type Output = AllocCounts;

    fn sub(self, earlier: AllocCounts) -> AllocCounts {
        AllocCounts {
            allocs: self.allocs.wrapping_sub(earlier.allocs),
            deallocs: self.deallocs.wrapping_sub(earlier.deallocs),
            reallocs: self.reallocs.wrapping_sub(earlier.reallocs),
            bytes: self.bytes.wrapping_sub(earlier.bytes),
        }
    }
}

thread_local! {
    static LOCAL: [Cell<u64>; 4] = const { [Cell::new(0), Cell::new(0), Cell::new(0), Cell::new(0)] };
}

static GLOBAL: [AtomicU64; 4] = [
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
];

const ALLOCS: usize = 0;
const DEALLOCS: usize = 1;
const REALLOCS: usize = 2;
const BYTES: usize = 3;

fn count(index: usize, n: u64) {
    GLOBAL[index].fetch_add(n, Ordering::Relaxed);
    // `try_with`: during thread teardown the thread-local may be gone; the global
    // counter still has the event.
    let _ = LOCAL.try_with(|cells| cells[index].set(cells[index].get().wrapping_add(n)));
}

/// A global allocator that counts, then forwards to `A` (the system allocator by default).
///
/// ```
/// use poolside_testkit::{measure, CountingAlloc};
///
/// #[global_allocator]
/// static ALLOC: CountingAlloc = CountingAlloc::system();
///
/// let mut buf: Vec<u8> = Vec::with_capacity(1024);
/// let ((), reuse) = measure(|| {
///     buf.clear();
///     buf.extend_from_slice(&[1; 1024]);
/// });
/// assert_eq!(reuse.allocs, 0);
///
/// let (fresh, new) = measure(|| vec![1u8; 1024]);
/// assert_eq!((new.allocs, new.bytes), (1, 1024));
/// # drop(fresh);
/// ```
#[derive(Debug, Default)]
pub struct CountingAlloc<A = System> {
    inner: A,
}

impl CountingAlloc<System> {
    /// Counts, over the system allocator.
    pub const fn system() -> Self {
        CountingAlloc { inner: System }
    }
}

impl<A> CountingAlloc<A> {
    /// Counts, over `inner`.
    pub const fn new(inner: A) -> Self {
        CountingAlloc { inner }
    }
}

// SAFETY: every method forwards to `inner` with the caller's arguments unchanged, so
// `inner`'s guarantees are ours; counting touches only atomics and a const thread-local
// of `Cell`s, which neither allocate nor unwind.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(ALLOCS, 1);
        count(BYTES, layout.size() as u64);
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { self.inner.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(ALLOCS, 1);
        count(BYTES, layout.size() as u64);
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { self.inner.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(DEALLOCS, 1);
        // SAFETY: forwarded unchanged; the caller upholds `dealloc`'s contract.
        unsafe { self.inner.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(ALLOCS, 1);
        count(REALLOCS, 1);
        count(DEALLOCS, 1);
        count(BYTES, new_size as u64);
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        unsafe { self.inner.realloc(ptr, layout, new_size) }
    }
}

/// The counts of the calling thread so far.
pub fn thread_counts() -> AllocCounts {
    LOCAL
        .try_with(|c| AllocCounts {
            allocs: c[ALLOCS].get(),
            deallocs: c[DEALLOCS].get(),
            reallocs: c[REALLOCS].get(),
            bytes: c[BYTES].get(),
        })
        .unwrap_or_default()
}

/// The counts of every thread so far.
pub fn global_counts() -> AllocCounts {
    AllocCounts {
        allocs: GLOBAL[ALLOCS].load(Ordering::Relaxed),
        deallocs: GLOBAL[DEALLOCS].load(Ordering::Relaxed),
        reallocs: GLOBAL[REALLOCS].load(Ordering::Relaxed),
        bytes: GLOBAL[BYTES].load(Ordering::Relaxed),
    }
}

/// Whether a [`CountingAlloc`] is this program's global allocator: it allocates once and
/// looks for the count.
pub fn installed() -> bool {
    let before = thread_counts().allocs;
    drop(std::hint::black_box(Box::new(0u64)));
    thread_counts().allocs != before
}

fn assert_installed() {
    assert!(
        installed(),
        "poolside_testkit::CountingAlloc is not the global allocator, so every count would read 0"
    );
}

/// Runs `f` and returns what it allocated on the calling thread.
///
/// Allocations by other threads, including threads `f` spawns, are not counted.
///
/// # Panics
///
/// If [`CountingAlloc`] is not the global allocator: a count of 0 would then prove
/// nothing.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, AllocCounts) {
    assert_installed();
    let before = thread_counts();
    let result = f();
    let after = thread_counts();
    (result, after - before)
}

/// Runs `f` and returns what every thread allocated meanwhile.
///
/// Only meaningful where nothing else runs: in a `harness = false` binary (see
/// [`serial`](crate::serial)), not under libtest, whose other threads would be counted.
///
/// # Panics
///
/// If [`CountingAlloc`] is not the global allocator.
pub fn measure_global<R>(f: impl FnOnce() -> R) -> (R, AllocCounts) {
    assert_installed();
    let before = global_counts();
    let result = f();
    let after = global_counts();
    (result, after - before)
}

/// Runs `warm_up` and then `measured` on each of `threads` threads at once, and returns
/// every thread's allocations during the measured part only: thread start-up and
/// warm-up happen before it, thread teardown after it. The closures get the thread's
/// index.
///
/// Like [`measure_global`], only meaningful where nothing else runs (a
/// [`serial`](crate::serial) binary).
///
/// # Panics
///
/// If [`CountingAlloc`] is not the global allocator, or a thread panics.
pub fn measure_threads<W, M>(threads: usize, warm_up: W, measured: M) -> AllocCounts
where
    W: Fn(usize) + Sync,
    M: Fn(usize) + Sync,
{
    use std::sync::Barrier;
    // ready: warmed up; start/done: the measured span; exit: teardown waits for the read.
    let [ready, start, done, exit] = [(); 4].map(|()| Barrier::new(threads + 1));
    std::thread::scope(|s| {
        for t in 0..threads {
            let (warm_up, measured) = (&warm_up, &measured);
            let (ready, start, done, exit) = (&ready, &start, &done, &exit);
            s.spawn(move || {
                warm_up(t);
                ready.wait();
                start.wait();
                measured(t);
                done.wait();
                exit.wait();
            });
        }
        ready.wait();
        let ((), counts) = measure_global(|| {
            start.wait();
            done.wait();
        });
        exit.wait();
        counts
    })
}

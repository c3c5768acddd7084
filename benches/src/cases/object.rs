//! The object pool against allocating afresh, a hand-written thread-local stack, and the
//! pools on crates.io that people reach for.
//!
//! One operation is get, use (touch or write), put (drop the guard). Every group's
//! baseline is `new`: make the object with the system allocator, use it, drop it.
//! Every pooled object starts with the capacity the group names (a factory of
//! `Vec::with_capacity`), so a pool and `new` hand out the same buffer, and every pool
//! is warmed before timing: `make` runs the operation a few times (`WARM`), so the
//! timed loop sees the pool's steady state, a hit.
//!
//! # Groups
//!
//! - `object_hit_touch_1k`: a 1 KiB-capacity `Vec<u8>`, one byte pushed (it lands at
//!   index 0, the value through `black_box`). The cost of the pool's round trip itself.
//! - `object_hit_touch_4k`: the same at 4 KiB, zeropool's smallest size class (it
//!   rounds any smaller request up to a 4 KiB buffer, so it is compared here, where the
//!   buffers match). zeropool's `alloc(1)` gives a one-byte (zeroed) view of a 4 KiB
//!   buffer, and the byte is written.
//! - `object_hit_write_1k`: the same buffer, filled with 1 KiB (`extend_from_slice`),
//!   so the round trip is set against a realistic use.
//! - `object_miss_1k`: every get is a miss. poolside's guard is `detach`ed each time,
//!   so nothing comes back and the pool must make (and the caller drop) a new buffer:
//!   what a miss costs over a plain allocation (the thread-cache lookup, the empty
//!   shared tier, the detach count).
//! - `object_cross_thread_1k`: taken on this thread, given back on another. A
//!   persistent helper thread receives owned guards over a bounded std channel
//!   (`sync_channel(CHANNEL)`: std's array flavour, preallocated, so the channel does
//!   not allocate per message) and drops them; the timing ends when the helper has
//!   dropped them all. `new` sends fresh buffers for the helper to free. The channel's
//!   cost is in every case. Warm-up first sends `2 × CHANNEL` objects at once, more
//!   than can ever be in flight, so no pool misses later when the helper falls behind.
//! - `object_2t_hit_1k`: two threads at once on one shared pool, each doing its own
//!   get/touch/put ([`two_threads`]): contention. ns/op is per thread; the counting
//!   pass counts both threads, so its B/op and allocs/op cover two operations.
//! - `object_hit_work_1k`: the touch of `object_hit_touch_1k` plus about 60 cycles of
//!   dependent arithmetic (12 xorshift-multiply rounds), as real work between round trips. `reuse` keeps one buffer
//!   with no pool at all, so `poolside − reuse` is what a pooled hit adds to real work.
//! - `object_hit_touch_1k/poolside_no_stats`: the pool with `NoStats`, so the difference
//!   to `poolside` is what statistics cost on the hit path; `poolside_owned` uses the
//!   owned guard (an `Arc` clone per get); `poolside_live_limit` counts live objects
//!   under a limit it never reaches (two shared read-modify-writes per round trip).
//! - `object_hit_response`: the seed's HTTP response (status, header map, body). An op
//!   sets the status, inserts 4 headers and writes a 512-byte body. The header keys and
//!   values are owned `String`s, made from `&'static str` each time, so even a pooled
//!   response allocates 8 times per op: a pool keeps the map's table and the body, not
//!   the strings.
//!
//! # Cases
//!
//! - `new`: the baseline, above.
//! - `poolside`: `ObjectPool` with the default limits (a `FnPolicy` factory for
//!   the capacity, `Reset` on return; the response uses `ObjectPool::new()`).
//! - `thread_local_stack`: what one writes by hand: a `thread_local!`
//!   `RefCell<Vec<T>>` of up to `STACK_DEPTH` idle objects, popped (or made) and pushed
//!   back cleared. In the two-thread group it is the no-sharing reference point.
//! - `object_pool`: object-pool's `Pool` (a `parking_lot` mutex around a `Vec`);
//!   it does not clean returned objects, so the op clears the buffer after `pull`.
//! - `lockfree_linear`, `lockfree_spinlock`: lockfree-object-pool's
//!   `LinearObjectPool` (pages of 32 slots and an atomic free mask) and
//!   `SpinLockObjectPool` (a spin lock around a `Vec`), cleaning with a reset closure.
//! - `opool`, `opool_local`: opool's `Pool` (a crossbeam `ArrayQueue`) and `LocalPool`
//!   (a `VecDeque`, `!Send`: a same-thread reference point only), cleaning on get
//!   through their `PoolAllocator`.
//! - `sharded_slab`: sharded-slab's `Pool`, used as it intends: `create` a slot, use
//!   it, drop the guard, then `clear(key)` to hand the slot back; the value is cleaned
//!   with sharded-slab's `Clear` and keeps its allocation.
//! - `zeropool`: zeropool's byte-buffer pool, 4 KiB only (above).
//!
//! Which case is in which group: the same-thread 1 KiB groups have every case but
//! `zeropool`; `object_hit_touch_4k` has `new`, `poolside`, `zeropool`;
//! `object_miss_1k` has `new`, `poolside`; the cross-thread and two-thread groups have
//! `new`, `poolside` and every peer but `opool_local` (`!Sync`) and `zeropool` (4 KiB
//! only; its `Buf` also borrows the pool, so there is no owned guard to send), and the
//! two-thread group `thread_local_stack` too; `object_hit_response` has `new`,
//! `poolside`, `thread_local_stack`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lockfree_object_pool::{LinearObjectPool, SpinLockObjectPool};
use opool::{LocalPool, PoolAllocator};
use poolside_core::{FnCreate, Reset};
use poolside_object::ObjectPool;
use zeropool::ZeroPool;

use super::{baseline, case, warmed, warmed_loop};
use crate::{single, two_threads, Case, Routine};

/// Idle objects a peer's pool may hold, where it takes a bound: poolside's default
/// `max_idle`.
pub(crate) const POOL_SIZE: usize = 1024;

/// Objects a peer's pool makes up front, where its constructor does.
pub(crate) const PREFILL: usize = 32;

/// Guards in flight between the threads of the cross-thread group.
const CHANNEL: usize = 256;

const TOUCH: u8 = 0x5a;
static BODY_1K: [u8; 1024] = [0xa5; 1024];

/// What an operation does with its buffer, and the capacity it is made with.
trait Work: 'static {
    const CAP: usize;

    /// Uses an empty buffer.
    fn apply(v: &mut Vec<u8>);

    /// A new buffer, as `new` makes it and every pool's factory does.
    fn fresh() -> Vec<u8> {
        Vec::with_capacity(Self::CAP)
    }
}

/// One byte into a 1 KiB buffer.
struct Touch1k;
/// One byte into a 4 KiB buffer.
struct Touch4k;
/// 1 KiB into a 1 KiB buffer.
struct Write1k;

impl Work for Touch1k {
    const CAP: usize = 1024;

    #[inline]
    fn apply(v: &mut Vec<u8>) {
        v.push(black_box(TOUCH));
        black_box(&*v);
    }
}

impl Work for Touch4k {
    const CAP: usize = 4096;

    #[inline]
    fn apply(v: &mut Vec<u8>) {
        Touch1k::apply(v);
    }
}

/// The 1 KiB touch plus about 60 cycles of work: 12 rounds of a dependent
/// xorshift-multiply, which the compiler cannot fold into fewer operations.
struct Busy1k;

impl Work for Busy1k {
    const CAP: usize = 1024;

    #[inline]
    fn apply(v: &mut Vec<u8>) {
        Touch1k::apply(v);
        let mut x = black_box(v.len() as u64);
        for _ in 0..12 {
            x ^= x >> 29;
            x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        }
        black_box(x);
    }
}

impl Work for Write1k {
    const CAP: usize = 1024;

    #[inline]
    fn apply(v: &mut Vec<u8>) {
        v.extend_from_slice(black_box(&BODY_1K));
        black_box(&*v);
    }
}

// ---------------------------------------------------------------------------------------
// The buffer cases, one function per case, generic over the work.

fn new_vec<W: Work>() -> Box<dyn Routine> {
    single(|| {
        let mut v = W::fresh();
        W::apply(&mut v);
    })
}

/// poolside's pool of buffers, made by `Work::fresh`.
type BufPool = ObjectPool<Vec<u8>, FnCreate<Vec<u8>>>;

/// One buffer reused with no pool: the work alone.
fn reuse_vec<W: Work>() -> Box<dyn Routine> {
    let mut v = W::fresh();
    warmed(move || {
        W::apply(&mut v);
        v.clear();
    })
}

/// The owned guard: a handle (an `Arc` clone) per get.
fn poolside_owned<W: Work>() -> Box<dyn Routine> {
    let pool = poolside_pool::<W>();
    warmed(move || {
        let mut guard = pool.get_owned();
        W::apply(&mut guard);
    })
}

/// The pool under a live-object limit it never reaches: the price of counting.
fn poolside_live_limit<W: Work>() -> Box<dyn Routine> {
    let pool = ObjectPool::builder()
        .create(W::fresh)
        .max_live(1 << 20)
        .build()
        .unwrap();
    warmed(move || {
        let mut guard = pool.get();
        W::apply(&mut guard);
    })
}

/// The pool with statistics off.
fn poolside_no_stats<W: Work>() -> Box<dyn Routine> {
    let pool = ObjectPool::builder()
        .create(W::fresh)
        .no_stats()
        .build()
        .unwrap();
    warmed(move || {
        let mut guard = pool.get();
        W::apply(&mut guard);
    })
}

fn poolside_pool<W: Work>() -> BufPool {
    ObjectPool::builder().create(W::fresh).build().unwrap()
}

fn poolside_vec<W: Work>() -> Box<dyn Routine> {
    let pool = poolside_pool::<W>();
    warmed(move || {
        let mut v = pool.get();
        W::apply(&mut v);
    })
}

/// Nothing comes back: every get misses, and the caller drops the detached buffer.
fn poolside_miss() -> Box<dyn Routine> {
    let pool = poolside_pool::<Touch1k>();
    warmed(move || {
        let mut v = pool.get();
        Touch1k::apply(&mut v);
        drop(black_box(v.detach()));
    })
}

thread_local! {
    static VEC_STACK: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// The hand-written stack keeps up to this many idle objects per thread.
const STACK_DEPTH: usize = 32;

fn tls_take() -> Option<Vec<u8>> {
    VEC_STACK.with(|s| s.borrow_mut().pop())
}

fn tls_give(mut v: Vec<u8>) {
    v.clear();
    VEC_STACK.with(|s| {
        let mut s = s.borrow_mut();
        if s.len() < STACK_DEPTH {
            s.push(v);
        }
    });
}

fn tls_op<W: Work>() {
    let mut v = tls_take().unwrap_or_else(W::fresh);
    W::apply(&mut v);
    tls_give(v);
}

fn tls_vec<W: Work>() -> Box<dyn Routine> {
    warmed(tls_op::<W>)
}

fn object_pool_vec<W: Work>() -> Box<dyn Routine> {
    let pool = object_pool::Pool::new(PREFILL, W::fresh);
    warmed(move || {
        let mut v = pool.pull(W::fresh);
        v.clear();
        W::apply(&mut v);
    })
}

pub(crate) fn clear_vec(v: &mut Vec<u8>) {
    v.clear();
}

fn lockfree_linear_pool<W: Work>() -> LinearObjectPool<Vec<u8>> {
    LinearObjectPool::new(W::fresh, clear_vec)
}

fn lockfree_linear_vec<W: Work>() -> Box<dyn Routine> {
    let pool = lockfree_linear_pool::<W>();
    warmed(move || {
        let mut v = pool.pull();
        W::apply(&mut v);
    })
}

fn lockfree_spinlock_pool<W: Work>() -> SpinLockObjectPool<Vec<u8>> {
    SpinLockObjectPool::new(W::fresh, clear_vec)
}

fn lockfree_spinlock_vec<W: Work>() -> Box<dyn Routine> {
    let pool = lockfree_spinlock_pool::<W>();
    warmed(move || {
        let mut v = pool.pull();
        W::apply(&mut v);
    })
}

/// opool's factory and cleaner for buffers of one capacity.
pub(crate) struct VecAllocator {
    pub(crate) cap: usize,
}

impl PoolAllocator<Vec<u8>> for VecAllocator {
    #[inline]
    fn allocate(&self) -> Vec<u8> {
        Vec::with_capacity(self.cap)
    }

    #[inline]
    fn reset(&self, v: &mut Vec<u8>) {
        v.clear();
    }
}

fn opool_pool<W: Work>() -> opool::Pool<VecAllocator, Vec<u8>> {
    opool::Pool::new(POOL_SIZE, VecAllocator { cap: W::CAP })
}

fn opool_vec<W: Work>() -> Box<dyn Routine> {
    let pool = opool_pool::<W>();
    warmed(move || {
        let mut v = pool.get();
        W::apply(&mut v);
    })
}

fn opool_local_vec<W: Work>() -> Box<dyn Routine> {
    let pool = LocalPool::new(POOL_SIZE, VecAllocator { cap: W::CAP });
    warmed(move || {
        let mut v = pool.get();
        W::apply(&mut v);
    })
}

/// A 1 KiB buffer for sharded-slab, whose pools make values with `Default`.
pub(crate) struct SlabBuf(pub(crate) Vec<u8>);

impl Default for SlabBuf {
    fn default() -> Self {
        SlabBuf(Vec::with_capacity(1024))
    }
}

impl sharded_slab::Clear for SlabBuf {
    fn clear(&mut self) {
        self.0.clear();
    }
}

/// One sharded-slab operation: a slot, used, released, and cleared for reuse.
#[inline]
fn slab_op<W: Work>(pool: &sharded_slab::Pool<SlabBuf>) {
    let mut slot = pool.create().expect("the shard has room");
    let key = slot.key();
    W::apply(&mut slot.0);
    drop(slot);
    pool.clear(key);
}

fn sharded_slab_vec<W: Work>() -> Box<dyn Routine> {
    assert_eq!(W::CAP, 1024, "SlabBuf is a 1 KiB buffer");
    let pool = sharded_slab::Pool::new();
    warmed(move || slab_op::<W>(&pool))
}

// ---------------------------------------------------------------------------------------
// Two threads on one pool.

fn new_2t<W: Work>() -> Box<dyn Routine> {
    two_threads(|| {
        move |n| {
            for _ in 0..n {
                let mut v = W::fresh();
                W::apply(&mut v);
            }
        }
    })
}

fn poolside_2t<W: Work>() -> Box<dyn Routine> {
    let pool = poolside_pool::<W>();
    two_threads(move || {
        let pool = pool.clone();
        warmed_loop(move || {
            let mut v = pool.get();
            W::apply(&mut v);
        })
    })
}

fn tls_2t<W: Work>() -> Box<dyn Routine> {
    two_threads(|| warmed_loop(tls_op::<W>))
}

fn object_pool_2t<W: Work>() -> Box<dyn Routine> {
    let pool = Arc::new(object_pool::Pool::new(PREFILL, W::fresh));
    two_threads(move || {
        let pool = pool.clone();
        warmed_loop(move || {
            let mut v = pool.pull(W::fresh);
            v.clear();
            W::apply(&mut v);
        })
    })
}

fn lockfree_linear_2t<W: Work>() -> Box<dyn Routine> {
    let pool = Arc::new(lockfree_linear_pool::<W>());
    two_threads(move || {
        let pool = pool.clone();
        warmed_loop(move || {
            let mut v = pool.pull();
            W::apply(&mut v);
        })
    })
}

fn lockfree_spinlock_2t<W: Work>() -> Box<dyn Routine> {
    let pool = Arc::new(lockfree_spinlock_pool::<W>());
    two_threads(move || {
        let pool = pool.clone();
        warmed_loop(move || {
            let mut v = pool.pull();
            W::apply(&mut v);
        })
    })
}

fn opool_2t<W: Work>() -> Box<dyn Routine> {
    let pool = Arc::new(opool_pool::<W>());
    two_threads(move || {
        let pool = pool.clone();
        warmed_loop(move || {
            let mut v = pool.get();
            W::apply(&mut v);
        })
    })
}

fn sharded_slab_2t<W: Work>() -> Box<dyn Routine> {
    assert_eq!(W::CAP, 1024, "SlabBuf is a 1 KiB buffer");
    let pool = Arc::new(sharded_slab::Pool::<SlabBuf>::new());
    two_threads(move || {
        let pool = pool.clone();
        warmed_loop(move || slab_op::<W>(&pool))
    })
}

// ---------------------------------------------------------------------------------------
// Taken on one thread, given back on another.

enum Msg<M> {
    Item(M),
    /// Asks the helper to say when it has consumed everything sent before.
    Flush,
}

/// The routine behind the cross-thread cases: this thread makes items and sends them;
/// a persistent helper thread consumes them (drops the guard, giving the object back
/// there).
struct CrossThread<P, M> {
    produce: P,
    /// `Some` until dropped, which tells the helper to exit.
    to_helper: Option<SyncSender<Msg<M>>>,
    flushed: Receiver<()>,
    helper: Option<JoinHandle<()>>,
}

fn cross_thread<P, M, C>(produce: P, mut consume: C) -> Box<dyn Routine>
where
    P: FnMut() -> M + 'static,
    M: Send + 'static,
    C: FnMut(M) + Send + 'static,
{
    let (to_helper, from_main) = sync_channel::<Msg<M>>(CHANNEL);
    let (to_main, flushed) = sync_channel::<()>(1);
    let helper = std::thread::Builder::new()
        .name("bench-helper".into())
        .spawn(move || {
            for msg in from_main {
                match msg {
                    Msg::Item(item) => consume(item),
                    Msg::Flush => {
                        if to_main.send(()).is_err() {
                            return;
                        }
                    }
                }
            }
        })
        .expect("spawn the helper thread");
    let mut routine = CrossThread {
        produce,
        to_helper: Some(to_helper),
        flushed,
        helper: Some(helper),
    };
    // Warm up with more objects out at once than the timed loop can ever have (the
    // channel's worth, plus one in each thread's hands), so that a pool which keeps
    // them all never misses later, however far the helper falls behind; then a few
    // round trips to settle both threads' sides of the pool.
    let held: Vec<M> = (0..2 * CHANNEL).map(|_| (routine.produce)()).collect();
    let tx = routine.to_helper.as_ref().expect("the helper runs");
    for item in held {
        tx.send(Msg::Item(item))
            .expect("the helper thread panicked");
    }
    routine.run((4 * CHANNEL) as u64);
    Box::new(routine)
}

impl<P, M> Routine for CrossThread<P, M>
where
    P: FnMut() -> M,
    M: Send + 'static,
{
    fn run(&mut self, iters: u64) -> Duration {
        let tx = self.to_helper.as_ref().expect("the helper runs until drop");
        let start = Instant::now();
        for _ in 0..iters {
            let item = (self.produce)();
            tx.send(Msg::Item(item))
                .expect("the helper thread panicked");
        }
        tx.send(Msg::Flush).expect("the helper thread panicked");
        self.flushed.recv().expect("the helper thread panicked");
        start.elapsed()
    }
}

impl<P, M> Drop for CrossThread<P, M> {
    fn drop(&mut self) {
        self.to_helper = None;
        if let Some(helper) = self.helper.take() {
            let _ = helper.join();
        }
    }
}

fn new_cross() -> Box<dyn Routine> {
    cross_thread(
        || {
            let mut v = Touch1k::fresh();
            Touch1k::apply(&mut v);
            v
        },
        drop,
    )
}

fn poolside_cross() -> Box<dyn Routine> {
    let pool = poolside_pool::<Touch1k>();
    cross_thread(
        move || {
            let mut v = pool.get_owned();
            Touch1k::apply(&mut v);
            v
        },
        drop,
    )
}

fn object_pool_cross() -> Box<dyn Routine> {
    let pool = Arc::new(object_pool::Pool::new(PREFILL, Touch1k::fresh));
    cross_thread(
        move || {
            let mut v = pool.pull_owned(Touch1k::fresh);
            v.clear();
            Touch1k::apply(&mut v);
            v
        },
        drop,
    )
}

fn lockfree_linear_cross() -> Box<dyn Routine> {
    let pool = Arc::new(lockfree_linear_pool::<Touch1k>());
    cross_thread(
        move || {
            let mut v = pool.pull_owned();
            Touch1k::apply(&mut v);
            v
        },
        drop,
    )
}

fn lockfree_spinlock_cross() -> Box<dyn Routine> {
    let pool = Arc::new(lockfree_spinlock_pool::<Touch1k>());
    cross_thread(
        move || {
            let mut v = pool.pull_owned();
            Touch1k::apply(&mut v);
            v
        },
        drop,
    )
}

fn opool_cross() -> Box<dyn Routine> {
    let pool = Arc::new(opool_pool::<Touch1k>());
    cross_thread(
        move || {
            let mut v = pool.clone().get_rc();
            Touch1k::apply(&mut v);
            v
        },
        drop,
    )
}

fn sharded_slab_cross() -> Box<dyn Routine> {
    let pool = Arc::new(sharded_slab::Pool::<SlabBuf>::new());
    let helper_pool = pool.clone();
    cross_thread(
        move || {
            let mut slot = pool.clone().create_owned().expect("the shard has room");
            Touch1k::apply(&mut slot.0);
            slot
        },
        move |slot| {
            let key = slot.key();
            drop(slot);
            helper_pool.clear(key);
        },
    )
}

// ---------------------------------------------------------------------------------------
// zeropool, at 4 KiB.

fn zeropool_4k() -> Box<dyn Routine> {
    let pool = ZeroPool::new();
    warmed(move || {
        let mut buf = pool.alloc(1);
        buf[0] = black_box(TOUCH);
        black_box(&*buf);
    })
}

// ---------------------------------------------------------------------------------------
// The HTTP response.

/// The seed's HTTP response.
#[derive(Reset, Default)]
struct HttpResponse {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

const RESPONSE_HEADERS: [(&str, &str); 4] = [
    ("content-type", "application/json"),
    ("content-length", "512"),
    ("cache-control", "no-store"),
    ("server", "poolside-bench"),
];

fn fill_response(r: &mut HttpResponse) {
    r.status = black_box(200);
    for (k, v) in RESPONSE_HEADERS {
        r.headers.insert(k.to_owned(), v.to_owned());
    }
    r.body.extend_from_slice(black_box(&BODY_1K[..512]));
    black_box((&r.status, &r.headers, &r.body));
}

thread_local! {
    static RESPONSE_STACK: RefCell<Vec<HttpResponse>> = const { RefCell::new(Vec::new()) };
}

fn new_response() -> Box<dyn Routine> {
    single(|| {
        let mut r = HttpResponse::default();
        fill_response(&mut r);
    })
}

fn poolside_response() -> Box<dyn Routine> {
    let pool = ObjectPool::<HttpResponse>::new();
    warmed(move || fill_response(&mut pool.get()))
}

fn tls_response() -> Box<dyn Routine> {
    warmed(|| {
        let mut r = RESPONSE_STACK
            .with(|s| s.borrow_mut().pop())
            .unwrap_or_default();
        fill_response(&mut r);
        r.reset();
        RESPONSE_STACK.with(|s| {
            let mut s = s.borrow_mut();
            if s.len() < STACK_DEPTH {
                s.push(r);
            }
        });
    })
}

// ---------------------------------------------------------------------------------------

pub(crate) fn register(all: &mut Vec<Case>) {
    const TOUCH_1K: &str = "object_hit_touch_1k";
    const TOUCH_4K: &str = "object_hit_touch_4k";
    const WORK_1K: &str = "object_hit_work_1k";
    const WRITE_1K: &str = "object_hit_write_1k";
    const MISS_1K: &str = "object_miss_1k";
    const CROSS_1K: &str = "object_cross_thread_1k";
    const TWO_1K: &str = "object_2t_hit_1k";
    const RESPONSE: &str = "object_hit_response";
    const STATS: &str = "stats_hit_touch_1k";
    all.extend([
        baseline(TOUCH_1K, true, new_vec::<Touch1k>),
        case(TOUCH_1K, "poolside", true, poolside_vec::<Touch1k>),
        case(
            TOUCH_1K,
            "poolside_no_stats",
            false,
            poolside_no_stats::<Touch1k>,
        ),
        case(TOUCH_1K, "poolside_owned", false, poolside_owned::<Touch1k>),
        case(
            TOUCH_1K,
            "poolside_live_limit",
            false,
            poolside_live_limit::<Touch1k>,
        ),
        case(TOUCH_1K, "thread_local_stack", true, tls_vec::<Touch1k>),
        case(TOUCH_1K, "object_pool", true, object_pool_vec::<Touch1k>),
        case(
            TOUCH_1K,
            "lockfree_linear",
            true,
            lockfree_linear_vec::<Touch1k>,
        ),
        case(
            TOUCH_1K,
            "lockfree_spinlock",
            true,
            lockfree_spinlock_vec::<Touch1k>,
        ),
        case(TOUCH_1K, "opool", true, opool_vec::<Touch1k>),
        case(TOUCH_1K, "opool_local", true, opool_local_vec::<Touch1k>),
        case(TOUCH_1K, "sharded_slab", true, sharded_slab_vec::<Touch1k>),
        //
        baseline(WORK_1K, false, new_vec::<Busy1k>),
        case(WORK_1K, "reuse", false, reuse_vec::<Busy1k>),
        case(WORK_1K, "poolside", false, poolside_vec::<Busy1k>),
        //
        baseline(TOUCH_4K, false, new_vec::<Touch4k>),
        case(TOUCH_4K, "poolside", false, poolside_vec::<Touch4k>),
        case(TOUCH_4K, "zeropool", false, zeropool_4k),
        //
        baseline(WRITE_1K, true, new_vec::<Write1k>),
        case(WRITE_1K, "poolside", true, poolside_vec::<Write1k>),
        case(WRITE_1K, "thread_local_stack", false, tls_vec::<Write1k>),
        case(WRITE_1K, "object_pool", false, object_pool_vec::<Write1k>),
        case(
            WRITE_1K,
            "lockfree_linear",
            false,
            lockfree_linear_vec::<Write1k>,
        ),
        case(
            WRITE_1K,
            "lockfree_spinlock",
            false,
            lockfree_spinlock_vec::<Write1k>,
        ),
        case(WRITE_1K, "opool", false, opool_vec::<Write1k>),
        case(WRITE_1K, "opool_local", false, opool_local_vec::<Write1k>),
        case(WRITE_1K, "sharded_slab", false, sharded_slab_vec::<Write1k>),
        //
        baseline(MISS_1K, false, new_vec::<Touch1k>),
        case(MISS_1K, "poolside", false, poolside_miss),
        //
        baseline(CROSS_1K, false, new_cross),
        case(CROSS_1K, "poolside", false, poolside_cross),
        case(CROSS_1K, "object_pool", false, object_pool_cross),
        case(CROSS_1K, "lockfree_linear", false, lockfree_linear_cross),
        case(
            CROSS_1K,
            "lockfree_spinlock",
            false,
            lockfree_spinlock_cross,
        ),
        case(CROSS_1K, "opool", false, opool_cross),
        case(CROSS_1K, "sharded_slab", false, sharded_slab_cross),
        //
        baseline(TWO_1K, true, new_2t::<Touch1k>),
        case(TWO_1K, "poolside", true, poolside_2t::<Touch1k>),
        case(TWO_1K, "thread_local_stack", false, tls_2t::<Touch1k>),
        case(TWO_1K, "object_pool", true, object_pool_2t::<Touch1k>),
        case(
            TWO_1K,
            "lockfree_linear",
            true,
            lockfree_linear_2t::<Touch1k>,
        ),
        case(
            TWO_1K,
            "lockfree_spinlock",
            false,
            lockfree_spinlock_2t::<Touch1k>,
        ),
        case(TWO_1K, "opool", false, opool_2t::<Touch1k>),
        case(TWO_1K, "sharded_slab", false, sharded_slab_2t::<Touch1k>),
        //
        baseline(RESPONSE, true, new_response),
        case(RESPONSE, "poolside", true, poolside_response),
        case(RESPONSE, "thread_local_stack", false, tls_response),
        // What recording statistics costs on a hit: the same pool without and with.
        Case {
            group: STATS,
            name: "no_stats",
            baseline: true,
            quick: true,
            make: poolside_no_stats::<Touch1k>,
        },
        case(STATS, "counters", true, poolside_vec::<Touch1k>),
    ]);
}

//! Behaviour of one pool: tiers, limits, trimming, panics, reentrancy and thread exit.

use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::LazyLock;
use std::sync::{Arc, Barrier};

use poolside_core::{
    CapPolicy, ConfigError, DefaultPolicy, FnPolicy, NoStats, Observable, Observe, Recycle, Reset,
    Verdict,
};
use poolside_object::ObjectPool;
use poolside_testkit::quietly;

#[derive(Default, Reset, Debug)]
struct Response {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

#[test]
fn a_returned_object_comes_back_clean_with_its_allocations() {
    let pool: ObjectPool<Response> = ObjectPool::new();
    let body_ptr;
    {
        let mut r = pool.get();
        r.status = 404;
        r.headers.insert("a".into(), "b".into());
        r.body.extend_from_slice(&[7; 1000]);
        body_ptr = r.body.as_ptr();
    }
    let r = pool.get();
    assert_eq!(r.status, 0);
    assert!(r.headers.is_empty() && r.body.is_empty());
    assert!(r.body.capacity() >= 1000);
    assert_eq!(r.body.as_ptr(), body_ptr, "the same allocation came back");
    let s = pool.stats();
    assert_eq!(
        (s.gets, s.hits, s.misses, s.puts, s.in_use),
        (2, 1, 1, 1, 1)
    );
    assert!(format!("{r:?}").contains("status: 0"));
}

#[test]
fn a_factory_state_is_restored_by_the_policy() {
    let policy = FnPolicy::new(|| Response {
        status: 200,
        ..Response::default()
    })
    .with_recycle(|r: &mut Response| {
        r.reset();
        r.status = 200;
        Verdict::Keep
    });
    let pool = ObjectPool::builder().policy(policy).build().unwrap();
    pool.get().status = 500;
    assert_eq!(pool.get().status, 200);
}

#[test]
fn every_tier_full_drops_and_counts() {
    // One shared slot and a one-object thread cache hold two objects; a third is dropped.
    let pool: ObjectPool<Vec<u8>> = ObjectPool::builder()
        .max_idle(1)
        .thread_cache(1)
        .build()
        .unwrap();
    let guards: Vec<_> = (0..3).map(|_| pool.get()).collect();
    drop(guards);
    let s = pool.stats();
    assert_eq!(s.discards.pool_full, 1);
    assert_eq!(s.idle_objects, 2);
    assert_eq!(pool.shared_idle(), 1);
}

#[test]
fn without_a_thread_cache_everything_goes_through_the_shared_tier() {
    let pool: ObjectPool<Vec<u8>> = ObjectPool::builder()
        .max_idle(4)
        .thread_cache(0)
        .build()
        .unwrap();
    drop(pool.get());
    assert_eq!(pool.shared_idle(), 1);
    drop(pool.get());
    let s = pool.stats();
    assert_eq!((s.hits, s.misses, s.idle_objects), (1, 1, 1));
}

#[test]
fn prewarmed_objects_are_hits() {
    let made = AtomicUsize::new(0);
    let pool = ObjectPool::builder()
        .policy(FnPolicy::new(|| {
            made.fetch_add(1, Ordering::Relaxed);
            Vec::<u8>::with_capacity(64)
        }))
        .max_idle(8)
        .prewarm(8)
        .build()
        .unwrap();
    assert_eq!(made.load(Ordering::Relaxed), 8);
    let held: Vec<_> = (0..8).map(|_| pool.get()).collect();
    assert_eq!(made.load(Ordering::Relaxed), 8, "no new object was needed");
    let s = pool.stats();
    assert_eq!((s.prewarmed, s.hits, s.misses), (8, 8, 0));
    drop(held);
}

#[test]
fn bad_configs_are_errors_not_panics() {
    let zero = ObjectPool::<Vec<u8>>::builder().max_idle(0).build();
    assert_eq!(zero.unwrap_err(), ConfigError::ZeroMaxIdle);
    let huge = ObjectPool::<Vec<u8>>::builder()
        .max_idle(usize::MAX)
        .build();
    assert!(matches!(huge, Err(ConfigError::MaxIdleTooLarge { .. })));
    let bytes = ObjectPool::<Vec<u8>>::builder().max_idle_bytes(0).build();
    assert_eq!(bytes.unwrap_err(), ConfigError::ZeroMaxIdleBytes);
    let cache = ObjectPool::<Vec<u8>>::builder()
        .max_idle(4)
        .thread_cache(8)
        .build();
    assert!(matches!(
        cache,
        Err(ConfigError::ThreadCacheAboveMaxIdle { .. })
    ));
    let live = ObjectPool::<Vec<u8>>::builder().max_live(0).build();
    assert_eq!(live.unwrap_err(), ConfigError::ZeroMaxLive);
}

#[test]
fn zero_sized_objects_pool_like_any_other() {
    let pool: ObjectPool<()> = ObjectPool::new();
    for _ in 0..100 {
        drop(pool.get());
    }
    let s = pool.stats();
    assert_eq!((s.gets, s.misses, s.hits), (100, 1, 99));
}

#[test]
fn detach_takes_the_object_out_and_counts_it() {
    let pool: ObjectPool<String> = ObjectPool::new();
    let mut g = pool.get();
    g.push_str("mine");
    let s = g.detach();
    assert_eq!(s, "mine");
    let owned = pool.get_owned();
    assert_eq!(owned.detach(), "");
    let st = pool.stats();
    assert_eq!(
        (st.detached, st.in_use, st.idle_objects, st.puts),
        (2, 0, 0, 0)
    );
}

#[test]
fn a_panicking_reset_discards_and_the_pool_lives_on() {
    let policy = FnPolicy::new(Vec::<u8>::new).with_recycle(|v: &mut Vec<u8>| {
        assert!(v.len() != 13, "unlucky length");
        v.clear();
        Verdict::Keep
    });
    let pool = ObjectPool::builder().policy(policy).build().unwrap();
    quietly(|| pool.get().resize(13, 0));
    pool.get().resize(12, 0);
    let s = pool.stats();
    assert_eq!(s.discards.reset_panicked, 1);
    assert_eq!(s.idle_objects, 1);
    assert!(pool.get().is_empty());
}

#[test]
fn a_panic_while_holding_drops_the_object_unreset() {
    let resets = AtomicUsize::new(0);
    let policy = FnPolicy::new(Vec::<u8>::new).with_recycle(|v: &mut Vec<u8>| {
        resets.fetch_add(1, Ordering::Relaxed);
        v.clear();
        Verdict::Keep
    });
    let pool = ObjectPool::builder().policy(policy).build().unwrap();
    let outcome = quietly(|| {
        catch_unwind(AssertUnwindSafe(|| {
            let mut g = pool.get();
            g.push(1);
            panic!("while holding");
        }))
    });
    assert!(outcome.is_err());
    assert_eq!(
        resets.load(Ordering::Relaxed),
        0,
        "no user code ran during unwinding"
    );
    let s = pool.stats();
    assert_eq!(
        (s.discards.holder_panicked, s.in_use, s.idle_objects),
        (1, 0, 0)
    );
    drop(pool.get());
    assert_eq!(pool.stats().idle_objects, 1, "the pool still works");
}

#[test]
fn an_oversized_object_is_dropped_and_a_byte_budget_holds() {
    let pool: ObjectPool<Vec<u8>, _> = ObjectPool::builder()
        .policy(CapPolicy::drop_above(DefaultPolicy, 1024))
        .max_idle(16)
        .thread_cache(0)
        .max_idle_bytes(2048)
        .build()
        .unwrap();
    pool.get().reserve_exact(4096);
    let s = pool.stats();
    assert_eq!(s.discards.oversized, 1);

    let held: Vec<_> = (0..3)
        .map(|_| {
            let mut g = pool.get();
            g.reserve_exact(1000);
            g
        })
        .collect();
    drop(held);
    let s = pool.stats();
    // Two 1000-byte buffers fit in 2048 bytes; the third does not.
    assert_eq!(pool.shared_idle(), 2);
    assert_eq!(s.discards.pool_full, 1);
    assert_eq!(s.idle_bytes, 2000);
}

#[test]
fn trim_releases_the_shared_tier_now_and_thread_caches_at_their_next_use() {
    let pool: ObjectPool<Vec<u8>> = ObjectPool::builder()
        .max_idle(8)
        .thread_cache(4)
        .build()
        .unwrap();
    drop((0..8).map(|_| pool.get()).collect::<Vec<_>>());
    assert_eq!(
        pool.shared_idle(),
        4,
        "4 in this thread's cache, 4 moved on"
    );
    assert_eq!(pool.trim(), 4);
    assert_eq!(pool.shared_idle(), 0);
    // This thread's next get releases its cached objects first, then makes a new one.
    drop(pool.get());
    let s = pool.stats();
    assert_eq!(s.trimmed, 8);
    assert_eq!((s.idle_objects, s.misses), (1, 9));
    assert_eq!(s.trims, 1);
}

#[test]
fn decay_releases_only_what_went_unused() {
    let pool: ObjectPool<Vec<u8>> = ObjectPool::builder()
        .max_idle(16)
        .thread_cache(8)
        .build()
        .unwrap();
    // Eight objects idle in this thread's cache.
    drop((0..8).map(|_| pool.get()).collect::<Vec<_>>());
    pool.decay(); // starts a period
                  // Use two at a time during the period: six were never needed.
    for _ in 0..10 {
        let a = pool.get();
        let b = pool.get();
        drop((a, b));
    }
    pool.decay();
    drop(pool.get()); // this thread acts on the decay
    let s = pool.stats();
    assert_eq!(s.trimmed, 6);
    assert_eq!(s.idle_objects, 2);
}

#[test]
fn an_object_returned_on_another_thread_is_reused() {
    let pool: ObjectPool<Vec<u8>> = ObjectPool::builder()
        .max_idle(64)
        .thread_cache(2)
        .build()
        .unwrap();
    let guards: Vec<_> = (0..8).map(|_| pool.get_owned()).collect();
    // A joined thread, not a scoped one: a scope may end before the thread's
    // thread-local destructors (which hand its cache back) have run; a join may not.
    std::thread::spawn(move || drop(guards)).join().unwrap();
    // The other thread has exited: its cache went back to the shared tier.
    assert_eq!(pool.shared_idle(), 8);
    let again: Vec<_> = (0..8).map(|_| pool.get()).collect();
    let s = pool.stats();
    assert_eq!((s.misses, s.hits), (8, 8));
    drop(again);
}

/// Counts its drops in a counter its test owns, so tests that run at once do not mix.
struct Dropped {
    drops: Arc<AtomicUsize>,
    data: Vec<u8>,
}

impl Drop for Dropped {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn dropped_pool(
    thread_cache: usize,
) -> (
    ObjectPool<Dropped, impl Recycle<Dropped> + Send + Sync + 'static>,
    Arc<AtomicUsize>,
) {
    let drops = Arc::new(AtomicUsize::new(0));
    let made = drops.clone();
    let make = move || Dropped {
        drops: made.clone(),
        data: Vec::new(),
    };
    let policy = FnPolicy::new(make).with_recycle(|d: &mut Dropped| {
        d.data.clear();
        Verdict::Keep
    });
    (
        ObjectPool::builder()
            .policy(policy)
            .max_idle(8)
            .thread_cache(thread_cache)
            .build()
            .unwrap(),
        drops,
    )
}

#[test]
fn the_pool_may_go_before_its_owned_guards() {
    // Without a thread cache, returned objects wait in the shared tier, which goes with
    // the pool: when the last guard goes.
    let (pool, drops) = dropped_pool(0);
    // A monitor's weak handle: it sees whether the pool lives without keeping it alive.
    let watch = Observable::observer(&pool);
    let mut a = pool.get_owned();
    let b = pool.get_owned();
    drop(pool);
    assert!(watch.upgrade().is_some(), "the guards keep the pool alive");
    a.data.push(1);
    assert_eq!(a.data, [1]);
    assert_eq!(a.pool().stats().gets, 2, "a guard still reaches its pool");
    drop(a);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "the first went back, not away"
    );
    assert_eq!(b.pool().stats().idle_objects, 1);
    assert!(
        b.pool().get().data.is_empty(),
        "and comes out again, cleaned"
    );
    drop(b);
    assert!(
        watch.upgrade().is_none(),
        "the last guard took the pool with it"
    );
    assert_eq!(
        drops.load(Ordering::SeqCst),
        2,
        "each object dropped once, with the pool"
    );

    // With a thread cache, they wait in this thread's cache of the dead pool until the
    // thread's next use of any pool (or its exit), which frees them.
    let (pool, drops) = dropped_pool(4);
    let watch = Observable::observer(&pool);
    let guards = (pool.get_owned(), pool.get_owned());
    drop(pool);
    drop(guards);
    assert!(
        watch.upgrade().is_none(),
        "the last guard took the pool with it"
    );
    let other: ObjectPool<Vec<u8>> = ObjectPool::new();
    drop(other.get());
    assert_eq!(
        drops.load(Ordering::SeqCst),
        2,
        "each object dropped once, with its cache"
    );
}

#[test]
fn no_stats_counts_nothing() {
    // Nothing is counted, but objects are still reused, through the thread cache and
    // through the shared tier alike: the same heap buffer comes back, cleaned.
    for thread_cache in [4, 0] {
        let pool: ObjectPool<Vec<u8>, DefaultPolicy, NoStats> = ObjectPool::builder()
            .max_idle(8)
            .thread_cache(thread_cache)
            .no_stats()
            .build()
            .unwrap();
        let mut first = pool.get();
        first.extend_from_slice(b"marked");
        let buffer = first.as_ptr();
        drop(first);
        let again = pool.get();
        assert_eq!(
            again.as_ptr(),
            buffer,
            "the same object came back (thread cache {thread_cache})"
        );
        assert!(
            again.is_empty() && again.capacity() >= 6,
            "cleaned, allocation kept"
        );
        drop(again);
        let owned = pool.get_owned();
        assert_eq!(owned.as_ptr(), buffer, "and again through an owned guard");
        drop(owned);
        assert_eq!(pool.stats(), Default::default());
    }
}

#[test]
fn observe_sees_the_pool() {
    let pool: ObjectPool<Vec<u8>> = ObjectPool::builder()
        .max_idle(8)
        .thread_cache(0)
        .build()
        .unwrap();
    drop(pool.get());
    let observed: Box<dyn Observe> = Box::new(pool.clone());
    assert_eq!(observed.stats().gets, 1);
    let mut metrics = Vec::new();
    observed.visit_metrics(&mut |m| metrics.push((m.name.into_owned(), m.value)));
    assert_eq!(metrics, [("shared_idle_objects".to_owned(), 1.0)]);
    assert_eq!(observed.trim(), 1);
    assert_eq!(observed.decay(), 0);
    assert!(format!("{pool:?}").contains("ObjectPool"));
}

/// An object whose `Drop` and reset use the same pool: reentrancy must neither deadlock
/// nor panic.
#[derive(Default)]
struct Reentrant {
    payload: Vec<u8>,
}

static REENTRANT: LazyLock<ObjectPool<Reentrant>> = LazyLock::new(|| {
    ObjectPool::builder()
        .max_idle(1)
        .thread_cache(1)
        .build()
        .unwrap()
});

thread_local! {
    /// Reentry depth: one level of reentry is the point; more would recurse forever,
    /// since the inner object's reset and drop reenter too.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

fn reenter() {
    if DEPTH.with(Cell::get) == 0 {
        DEPTH.with(|d| d.set(1));
        let mut other = REENTRANT.get();
        other.payload.push(1);
        let extra = REENTRANT.get();
        drop((other, extra));
        DEPTH.with(|d| d.set(0));
    }
}

impl Reset for Reentrant {
    fn reset(&mut self) {
        self.payload.clear();
        // Takes and returns other objects of the same pool while being returned.
        reenter();
    }
}

impl Drop for Reentrant {
    fn drop(&mut self) {
        reenter();
    }
}

#[test]
fn reset_and_drop_may_use_the_same_pool() {
    let many: Vec<_> = (0..4).map(|_| REENTRANT.get()).collect();
    drop(many); // some are kept, some dropped: both run user code that reenters
    REENTRANT.trim();
    drop(REENTRANT.get());
    let s = REENTRANT.stats();
    assert_eq!(s.in_use, 0);
    assert!(s.discards.pool_full > 0 && s.trimmed > 0);
}

/// A guard dropped while its thread exits, from another thread-local's destructor.
static EXITING: LazyLock<ObjectPool<Vec<u8>>> = LazyLock::new(ObjectPool::new);

struct HoldsAGuard(Option<poolside_object::Pooled<'static, Vec<u8>>>);

impl Drop for HoldsAGuard {
    fn drop(&mut self) {
        drop(self.0.take());
    }
}

thread_local! {
    static HELD: std::cell::RefCell<Option<HoldsAGuard>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn a_guard_dropped_during_thread_exit_is_neither_lost_nor_fatal() {
    std::thread::spawn(|| {
        // Use the pool first, so its cache is made before the holder: thread-locals are
        // destroyed in reverse order, and either order must be safe.
        drop(EXITING.get());
        HELD.with(|h| *h.borrow_mut() = Some(HoldsAGuard(Some(EXITING.get()))));
    })
    .join()
    .expect("the thread exits cleanly");
    std::thread::spawn(|| {
        HELD.with(|h| *h.borrow_mut() = Some(HoldsAGuard(Some(EXITING.get()))));
        drop(EXITING.get());
    })
    .join()
    .expect("the thread exits cleanly");
    let s = EXITING.stats();
    assert_eq!(s.in_use, 0);
    assert_eq!(s.gets, s.puts);
}

#[test]
fn alternating_pools_keep_their_own_objects() {
    // Two pools on one thread: the shortcut to the last-used cache must switch with them.
    let bytes: ObjectPool<Vec<u8>> = ObjectPool::new();
    let text: ObjectPool<String> = ObjectPool::new();
    for round in 0..50 {
        let mut b = bytes.get();
        let mut t = text.get();
        b.reserve(100 + round);
        t.reserve(10 + round);
        drop(b);
        drop(t);
    }
    assert_eq!(bytes.stats().misses, 1);
    assert_eq!(text.stats().misses, 1);
    assert!(bytes.get().capacity() >= 149);
    assert!(text.get().capacity() >= 59);
}

#[test]
fn a_new_pool_at_a_reused_index_never_sees_the_old_cache() {
    // A dropped pool's index goes to the next pool made; its stale cache on this thread
    // (of another type) must be dropped, never used.
    for _ in 0..20 {
        let old: ObjectPool<Vec<u64>> = ObjectPool::new();
        old.get().extend_from_slice(&[1, 2, 3]);
        drop(old);
        let new: ObjectPool<String> = ObjectPool::new();
        let mut s = new.get();
        s.push_str("fresh");
        drop(s);
        assert_eq!(new.get().as_str(), "");
        assert_eq!(new.stats().hits, 1);
    }
}

/// Counts drops, to see when idle objects are freed.
static FREED: AtomicUsize = AtomicUsize::new(0);

#[derive(Default)]
struct Counted;

impl Reset for Counted {
    fn reset(&mut self) {}
}

impl Drop for Counted {
    fn drop(&mut self) {
        FREED.fetch_add(1, Ordering::SeqCst);
    }
}

enum Command {
    Fill,
    DropHandle,
    UseOther,
}

#[test]
fn a_dropped_pools_caches_are_freed_at_each_threads_next_use() {
    use std::sync::mpsc;
    let (to_worker, commands) = mpsc::channel::<Command>();
    let (to_main, done) = mpsc::channel::<usize>();
    let doomed: ObjectPool<Counted> = ObjectPool::new();
    let other: ObjectPool<Vec<u8>> = ObjectPool::new();
    let mut doomed_in_worker = Some(doomed.clone());
    let other_in_worker = other.clone();
    let worker = std::thread::spawn(move || {
        for command in commands {
            match command {
                // Leaves three objects idle in this thread's cache of `doomed`.
                Command::Fill => {
                    let pool = doomed_in_worker.as_ref().unwrap();
                    let held: Vec<_> = (0..3).map(|_| pool.get()).collect();
                    drop(held);
                }
                Command::DropHandle => doomed_in_worker = None,
                // Any use of any pool lets this thread sweep its table.
                Command::UseOther => drop(other_in_worker.get()),
            }
            to_main.send(FREED.load(Ordering::SeqCst)).unwrap();
        }
    });
    to_worker.send(Command::Fill).unwrap();
    let filled = done.recv().unwrap();
    drop(doomed);
    to_worker.send(Command::DropHandle).unwrap();
    // The pool is gone, but its three idle objects sit in the worker's cache.
    assert_eq!(done.recv().unwrap(), filled);
    to_worker.send(Command::UseOther).unwrap();
    assert_eq!(
        done.recv().unwrap(),
        filled + 3,
        "freed at the worker's next use"
    );
    drop(to_worker);
    worker.join().unwrap();
    drop(other);
}

#[test]
fn a_put_after_a_trim_releases_the_cached_objects_and_keeps_the_returned_one() {
    let pool: ObjectPool<Vec<u8>> = ObjectPool::builder()
        .max_idle(8)
        .thread_cache(4)
        .build()
        .unwrap();
    let held = pool.get();
    drop((0..4).map(|_| pool.get()).collect::<Vec<_>>()); // 4 idle in this thread's cache
    pool.trim();
    drop(held); // acts on the trim first, then keeps this one
    let s = pool.stats();
    assert_eq!((s.trimmed, s.idle_objects), (4, 1));
}

#[test]
fn a_panicking_factory_gives_its_live_place_back() {
    let policy = FnPolicy::new(|| -> Vec<u8> { panic!("cannot make one") });
    let pool = ObjectPool::builder()
        .policy(policy)
        .max_live(1)
        .build()
        .unwrap();
    for _ in 0..3 {
        assert!(quietly(|| catch_unwind(AssertUnwindSafe(|| drop(pool.try_get())))).is_err());
    }
    assert_eq!(pool.live(), Some(0));
}

#[test]
fn a_byte_budget_holds_across_thread_caches() {
    const THREADS: usize = 4;
    const BUDGET: usize = 64 * 1024;
    let pool: ObjectPool<Vec<u8>, _> = ObjectPool::builder()
        .policy(CapPolicy::drop_above(DefaultPolicy, 1 << 20))
        .max_idle(64)
        .thread_cache(16)
        .max_idle_bytes(BUDGET)
        .build()
        .unwrap();
    let (filled, checked) = (Barrier::new(THREADS + 1), Barrier::new(THREADS + 1));
    let mut most = 0;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (pool, filled, checked) = (&pool, &filled, &checked);
            s.spawn(move || {
                for round in 0..20 {
                    // Each thread alone could fill the budget: 12 buffers of 4 to 8 KiB.
                    let held: Vec<_> = (0..12)
                        .map(|i| {
                            let mut b = pool.get();
                            b.reserve_exact(4096 + 256 * ((t + i + round) % 16));
                            b
                        })
                        .collect();
                    drop(held);
                    filled.wait();
                    checked.wait();
                }
            });
        }
        for _ in 0..20 {
            filled.wait();
            // Every thread is parked between rounds, its cache full: the counts are exact.
            // (Asserted after the threads are joined: a panic here would leave them
            // waiting at the barrier for ever.)
            most = most.max(pool.stats().idle_bytes);
            checked.wait();
        }
    });
    assert!(most <= BUDGET as u64, "{most} idle bytes");
    assert!(most > 0);
    let s = pool.stats();
    assert!(s.idle_bytes <= BUDGET as u64);
    assert!(s.discards.pool_full > 0, "the budget turned buffers away");
    assert_eq!(s.in_use, 0);
}

#[test]
fn a_trim_gives_a_cache_lease_back() {
    let pool: ObjectPool<Vec<u8>, _> = ObjectPool::builder()
        .policy(CapPolicy::drop_above(DefaultPolicy, 8192))
        .max_idle(8)
        .thread_cache(8)
        .max_idle_bytes(8192)
        .build()
        .unwrap();
    let mut a = pool.get();
    a.reserve_exact(8000);
    drop(a); // this thread's cache leases the whole budget
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut b = pool.get(); // a miss: the buffer is in the other thread's cache
            b.reserve_exact(4000);
            drop(b);
            assert_eq!(pool.stats().discards.pool_full, 1, "no budget left for it");
        });
    });
    pool.trim();
    drop(pool.get()); // this thread acts on the trim: its buffer and its lease go back
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut b = pool.get();
            b.reserve_exact(4000);
            drop(b);
            assert_eq!(
                pool.stats().discards.pool_full,
                1,
                "the budget had room again"
            );
        });
    });
}

/// A thread on the hot path of one pool still acts on changes made elsewhere: a trim of
/// that pool, and the drop of another pool whose caches it holds. Each turns its shortcut
/// off, so its next get takes the table, releases and sweeps.
#[test]
fn a_thread_on_the_hot_path_acts_on_trims_and_drops_made_by_others() {
    use std::sync::mpsc;
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    #[derive(Default)]
    struct Marked;
    impl Drop for Marked {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }
    impl Reset for Marked {
        fn reset(&mut self) {}
    }
    let hot: ObjectPool<Vec<u8>> = ObjectPool::new();
    let doomed: ObjectPool<Marked> = ObjectPool::new();
    let (to_worker, commands) = mpsc::channel::<u8>();
    let (to_main, done) = mpsc::channel::<()>();
    let (hot_in_worker, mut doomed_in_worker) = (hot.clone(), Some(doomed.clone()));
    let worker = std::thread::spawn(move || {
        for command in commands {
            match command {
                // Three idle objects in this thread's cache of `doomed`.
                0 => drop(
                    (0..3)
                        .map(|_| doomed_in_worker.as_ref().unwrap().get())
                        .collect::<Vec<_>>(),
                ),
                1 => doomed_in_worker = None,
                // Two round trips: the first arms the shortcut, the second hits it.
                _ => {
                    drop(hot_in_worker.get());
                    drop(hot_in_worker.get());
                }
            }
            to_main.send(()).unwrap();
        }
    });
    let run = |command| {
        to_worker.send(command).unwrap();
        done.recv().unwrap();
    };
    run(0);
    run(1);
    run(2);
    assert_eq!(hot.stats().hits, 1);
    // A trim of the hot pool, here: the worker's next get releases its cached buffer.
    hot.trim();
    run(2);
    let s = hot.stats();
    assert_eq!(
        (s.trimmed, s.misses),
        (1, 2),
        "the worker acted on the trim"
    );
    // The drop of the other pool, here: the worker's next get sweeps its cache of it.
    assert_eq!(DROPS.load(Ordering::SeqCst), 0);
    drop(doomed);
    run(2);
    assert_eq!(
        DROPS.load(Ordering::SeqCst),
        3,
        "the worker swept the dropped pool"
    );
    drop(to_worker);
    worker.join().unwrap();
}

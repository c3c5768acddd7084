//! Loom models of the tier hand-off. Run with `cargo xtask ci loom`
//! (`RUSTFLAGS="--cfg poolside_loom" cargo test --release --test loom`).
//!
//! Under loom the crate's `sync` shim swaps in loom's thread-local storage, atomics and
//! mutex, and a loom-visible bounded queue for crossbeam's `ArrayQueue`, so these
//! models explore the interleavings of the pool's own logic: per-thread caches, the
//! moves between tiers and the trim epoch.
#![cfg(poolside_loom)]

use loom::thread;
use std::sync::Arc;

use poolside_core::{FnPolicy, PoolConfig, Verdict};
use poolside_object::ObjectPool;
use poolside_testkit::OwnershipChecker;

struct Tracked {
    id: usize,
}

type Policy = FnPolicy<Box<dyn Fn() -> Tracked + Send + Sync>, fn(&mut Tracked) -> Verdict>;

fn keep(_: &mut Tracked) -> Verdict {
    Verdict::Keep
}

fn pool(
    max_idle: usize,
    thread_cache: usize,
) -> (ObjectPool<Tracked, Policy>, Arc<OwnershipChecker>) {
    let checker = Arc::new(OwnershipChecker::new(64));
    let registering = checker.clone();
    let policy: Policy = FnPolicy::new(Box::new(move || Tracked {
        id: registering.register(),
    }) as Box<dyn Fn() -> Tracked + Send + Sync>)
    .with_recycle(keep as fn(&mut Tracked) -> Verdict);
    let config = PoolConfig::builder()
        .max_idle(max_idle)
        .thread_cache(thread_cache)
        .build()
        .unwrap();
    (ObjectPool::with_policy(policy, config), checker)
}

/// Two threads take and return objects through one small pool: no object is ever held
/// by both, and every object made is accounted for after join.
#[test]
fn two_threads_never_share_an_object() {
    loom::model(|| {
        let (pool, checker) = pool(1, 1);
        let worker = {
            let (pool, checker) = (pool.clone(), checker.clone());
            thread::spawn(move || {
                for _ in 0..2 {
                    let g = pool.get();
                    let _hold = checker.hold(g.id);
                }
            })
        };
        {
            let g = pool.get();
            let _hold = checker.hold(g.id);
        }
        worker.join().unwrap();
        let s = pool.stats();
        assert_eq!((s.gets, s.puts, s.in_use), (3, 3, 0));
        assert_eq!(s.misses + s.prewarmed, checker.registered() as u64);
        assert_eq!(
            s.misses,
            s.idle_objects + s.discards.total() + s.trimmed + s.detached
        );
    });
}

/// Objects returned on another thread spill from that thread's full cache to the
/// shared tier, where the first thread finds them again, while it keeps taking.
/// (What happens at thread exit is tested with real threads in `pool.rs` and
/// `stress.rs`: loom runs thread-local destructors at the end of the model, not at join.)
#[test]
fn objects_returned_elsewhere_come_back_through_the_shared_tier() {
    loom::model(|| {
        let (pool, checker) = pool(2, 1);
        let guards = (pool.get_owned(), pool.get_owned());
        let worker = thread::spawn(move || drop(guards));
        let g = pool.get();
        let hold = checker.hold(g.id);
        drop(hold);
        drop(g);
        worker.join().unwrap();
        let s = pool.stats();
        assert_eq!((s.gets, s.puts, s.in_use), (3, 3, 0));
        // The worker's second return spilled one object to the shared tier.
        let again = pool.get();
        let _hold = checker.hold(again.id);
        assert!(pool.stats().hits >= 1);
    });
}

/// A trim racing with gets and puts loses nothing: afterwards every object made is idle,
/// trimmed or discarded, and none is counted twice.
#[test]
fn trim_races_with_use() {
    loom::model(|| {
        let (pool, checker) = pool(2, 1);
        let worker = {
            let pool = pool.clone();
            thread::spawn(move || {
                drop(pool.get());
                drop(pool.get());
            })
        };
        pool.trim();
        drop(pool.get());
        worker.join().unwrap();
        let s = pool.stats();
        assert_eq!(s.in_use, 0);
        let made = checker.registered() as u64;
        assert_eq!(s.misses, made);
        assert_eq!(made, s.idle_objects + s.discards.total() + s.trimmed);
    });
}

/// Two threads' caches lease from one byte budget while objects move between the caches
/// and the shared tier: the idle objects never retain more than the budget.
#[test]
fn a_byte_budget_holds_across_caches() {
    use poolside_core::{CapPolicy, DefaultPolicy};
    const BUDGET: usize = 96;
    loom::model(|| {
        let config = PoolConfig::builder()
            .max_idle(2)
            .thread_cache(1)
            .max_idle_bytes(Some(BUDGET))
            .build()
            .unwrap();
        let pool: ObjectPool<Vec<u8>, _> =
            ObjectPool::with_policy(CapPolicy::drop_above(DefaultPolicy, 1024), config);
        let fill = |pool: &ObjectPool<Vec<u8>, CapPolicy<DefaultPolicy>>| {
            let mut a = pool.get();
            let mut b = pool.get();
            a.reserve_exact(40);
            b.reserve_exact(40);
        };
        let worker = {
            let pool = pool.clone();
            thread::spawn(move || fill(&pool))
        };
        fill(&pool);
        worker.join().unwrap();
        let s = pool.stats();
        assert!(s.idle_bytes <= BUDGET as u64, "{} idle bytes", s.idle_bytes);
        assert_eq!(s.in_use, 0);
        assert_eq!(s.misses, s.idle_objects + s.discards.total() + s.trimmed);
    });
}

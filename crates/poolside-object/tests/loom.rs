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

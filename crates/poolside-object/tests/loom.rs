//! Loom models of the tier hand-off and of the live limit's waiters. Run with
//! `cargo xtask ci loom`
//! (`RUSTFLAGS="--cfg poolside_loom" cargo test --release --test loom`).
//!
//! Under loom the crate's `sync` shim swaps in loom's thread-local storage, atomics,
//! mutex and condition variable, and a loom-visible bounded queue for crossbeam's
//! `ArrayQueue`, so these models explore the interleavings of the pool's own logic:
//! per-thread caches, the moves between tiers, the trim epoch, and the live limit's
//! waiting and waking.
#![cfg(poolside_loom)]

use loom::thread;
use std::sync::Arc;
use std::time::Duration;

use poolside_core::{FnPolicy, Recycle, Verdict};
use poolside_object::ObjectPool;
use poolside_testkit::OwnershipChecker;

struct Tracked {
    id: usize,
}

fn keep(_: &mut Tracked) -> Verdict {
    Verdict::Keep
}

fn pool(
    max_idle: usize,
    thread_cache: usize,
) -> (
    ObjectPool<Tracked, impl Recycle<Tracked> + Send + Sync + 'static>,
    Arc<OwnershipChecker>,
) {
    let checker = Arc::new(OwnershipChecker::new(64));
    let registering = checker.clone();
    let policy = FnPolicy::new(move || Tracked {
        id: registering.register(),
    })
    .with_recycle(keep);
    (
        ObjectPool::builder()
            .policy(policy)
            .max_idle(max_idle)
            .thread_cache(thread_cache)
            .build()
            .unwrap(),
        checker,
    )
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
        let pool: ObjectPool<Vec<u8>, _> = ObjectPool::builder()
            .policy(CapPolicy::drop_above(DefaultPolicy, 1024))
            .max_idle(2)
            .thread_cache(1)
            .max_idle_bytes(BUDGET)
            .build()
            .unwrap();
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

/// A pool capped at `max` live objects, without thread caches: the limit is the subject,
/// and the shared tier alone keeps the models small.
fn capped(max: usize) -> ObjectPool<Vec<u8>> {
    ObjectPool::builder()
        .max_idle(2)
        .thread_cache(0)
        .max_live(max)
        .build()
        .unwrap()
}

/// A timeout no model reaches. (Loom's timed wait never times out in any case: it waits
/// for a notification, so a wake-up that is lost leaves the waiter asleep, and loom
/// reports the deadlock.)
const FOREVER: Duration = Duration::from_secs(3600);

/// Takes an object within `timeout` and gives it back at once; whether it got one.
fn take_and_return(pool: &ObjectPool<Vec<u8>>, timeout: Duration) -> bool {
    pool.get_timeout(timeout).map(drop).is_ok()
}

/// At a cap of 1, a thread waits in `get_timeout` while another holds the object: the
/// return wakes it, however the two interleave (the waiter may also find the place free
/// before it ever sleeps).
#[test]
fn a_waiter_at_the_live_limit_gets_the_returned_object() {
    loom::model(|| {
        let pool = capped(1);
        let held = pool.get_owned();
        let waiter = {
            let pool = pool.clone();
            thread::spawn(move || take_and_return(&pool, FOREVER))
        };
        drop(held);
        assert!(waiter.join().unwrap(), "the waiter got the object");
        assert_eq!(pool.live(), Some(0));
    });
}

/// Two waiters and one return: the first woken takes the object and returns it, and that
/// return wakes the second. No wake-up is lost, and both get the object in turn.
#[test]
fn two_waiters_at_the_live_limit_both_get_the_object_in_turn() {
    loom::model(|| {
        let pool = capped(1);
        let held = pool.get_owned();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let pool = pool.clone();
                thread::spawn(move || take_and_return(&pool, FOREVER))
            })
            .collect();
        drop(held);
        for waiter in waiters {
            assert!(waiter.join().unwrap(), "every waiter got the object");
        }
        assert_eq!(pool.live(), Some(0));
        assert_eq!(pool.stats().high_water, 1, "never over the cap");
    });
}

/// One waiter gives up at once (a zero timeout) while another waits for good: the one
/// that gives up may or may not get the object, but it takes no place and no wake-up
/// with it, so the other always gets the object.
#[test]
fn a_waiter_that_gives_up_leaves_the_wake_up_to_the_other() {
    loom::model(|| {
        let pool = capped(1);
        let held = pool.get_owned();
        let quitter = {
            let pool = pool.clone();
            thread::spawn(move || take_and_return(&pool, Duration::ZERO))
        };
        let waiter = {
            let pool = pool.clone();
            thread::spawn(move || take_and_return(&pool, FOREVER))
        };
        drop(held);
        let _either = quitter.join().unwrap();
        assert!(waiter.join().unwrap(), "the patient waiter got the object");
        assert_eq!(pool.live(), Some(0));
    });
}

//! Many threads hammer one pool, returning objects on other threads too. No object is
//! ever held twice, and after join the accounting is exact.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use poolside_core::{FnPolicy, Recycle, Reset, Verdict};
use poolside_object::{ObjectPool, OwnedPooled};
use poolside_testkit::OwnershipChecker;

const THREADS: usize = 4;
const ROUNDS: usize = if cfg!(miri) { 50 } else { 20_000 };
/// Every object ever made fits here: at most what can be held or idle at once.
const MAX_OBJECTS: usize = 100_000;

struct Tracked {
    id: usize,
    scratch: Vec<u8>,
}

/// Makes objects that register with an ownership checker, and keeps every one back.
fn tracked(register: impl Fn() -> usize) -> impl Recycle<Tracked> {
    FnPolicy::new(move || Tracked {
        id: register(),
        scratch: Vec::new(),
    })
    .with_recycle(keep)
}

fn keep(t: &mut Tracked) -> Verdict {
    t.scratch.reset();
    Verdict::Keep
}

#[test]
fn no_double_hand_out_and_exact_accounting() {
    // The factory must be `'static`, so it shares the checker through an `Arc`.
    let checker = Arc::new(OwnershipChecker::new(MAX_OBJECTS));
    let registering = Arc::clone(&checker);
    let pool = ObjectPool::builder()
        .policy(tracked(move || registering.register()))
        .max_idle(64)
        .thread_cache(8)
        .build()
        .unwrap();

    // Each thread hands every fourth object to the next thread, which returns it.
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..THREADS)
        .map(|_| mpsc::channel::<OwnedPooled<Tracked, _>>())
        .unzip();
    let mut detached = 0u64;
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        for (t, inbox) in receivers.into_iter().enumerate() {
            let next = senders[(t + 1) % THREADS].clone();
            let (pool, checker) = (&pool, &checker);
            handles.push(s.spawn(move || {
                let mut detached = 0u64;
                for round in 0..ROUNDS {
                    if round % 4 == 0 {
                        let mut guard = pool.get_owned();
                        let hold = checker.hold(guard.id);
                        guard.scratch.push(t as u8);
                        drop(hold);
                        next.send(guard).unwrap();
                    } else {
                        let mut guard = pool.get();
                        let hold = checker.hold(guard.id);
                        guard.scratch.extend_from_slice(&[1, 2, 3]);
                        drop(hold);
                        if round % 1000 == 999 {
                            drop(guard.detach());
                            detached += 1;
                        }
                    }
                    // Return what the previous thread sent, on this thread.
                    while let Ok(guard) = inbox.try_recv() {
                        let hold = checker.hold(guard.id);
                        drop(hold);
                        drop(guard);
                    }
                }
                drop(next);
                // Drain what is still in flight once every sender is gone.
                for guard in inbox {
                    drop(guard);
                }
                detached
            }));
        }
        drop(senders);
        for h in handles {
            detached += h.join().unwrap();
        }
    });

    let s = pool.stats();
    let gets = (THREADS * ROUNDS) as u64;
    assert_eq!(s.gets, gets);
    assert_eq!(s.detached, detached);
    assert_eq!(
        s.puts + s.detached,
        gets,
        "every object came back or was detached"
    );
    assert_eq!(s.in_use, 0);
    assert_eq!(checker.held(), 0);
    // Objects made = objects registered with the checker.
    assert_eq!(s.misses + s.prewarmed, checker.registered() as u64);
    // created = idle + in use + detached + discarded + trimmed, with idle seen directly:
    // the worker threads have exited, so their caches went back to the shared tier.
    let made = s.misses + s.prewarmed;
    let idle = made - s.detached - s.discards.total() - s.trimmed;
    assert_eq!(idle, s.idle_objects);
    assert_eq!(
        idle,
        pool.shared_idle() as u64,
        "all idle objects are in the shared tier"
    );
    assert!(s.hits > s.misses, "the pool was reused: {s:?}");
}

/// Waves of threads that come and go, for the tests below: few waves in debug builds,
/// which valgrind runs one thread at a time.
const WAVES: usize = if cfg!(miri) {
    3
} else if cfg!(debug_assertions) {
    20
} else {
    200
};
/// Round trips each thread of a wave makes.
const OPS: u64 = if cfg!(miri) { 5 } else { 50 };

/// Runs `round_trip` `OPS` times on each of two threads, `WAVES` times over, each wave's
/// threads exiting before the next starts, while `beside` runs on another thread until
/// they are done (it is given the flag that says so). Returns the round trips made.
fn in_waves_beside(round_trip: impl Fn() + Sync, beside: impl Fn(&AtomicBool) + Send) -> u64 {
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let done = &done;
        let other = s.spawn(move || beside(done));
        for _ in 0..WAVES {
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        for _ in 0..OPS {
                            round_trip();
                        }
                    })
                })
                .collect();
            for worker in workers {
                worker.join().unwrap();
            }
        }
        done.store(true, Ordering::Relaxed);
        other.join().unwrap();
    });
    WAVES as u64 * 2 * OPS
}

/// Threads that use a pool and exit, while another thread reads its statistics: each
/// exiting thread's block leaves the registry before it is freed (Miri checks the reads),
/// and no thread's counts are lost or counted twice on the way.
#[test]
fn statistics_read_while_threads_come_and_go_stay_exact() {
    let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
    let ops = in_waves_beside(
        || pool.get().push(1),
        |done| {
            let mut last = 0;
            while !done.load(Ordering::Relaxed) {
                let gets = pool.stats().gets;
                assert!(gets >= last, "gets went back from {last} to {gets}");
                last = gets;
                // Leaves the core to the workers when there is one core to share.
                std::thread::yield_now();
            }
        },
    );
    let s = pool.stats();
    assert_eq!((s.gets, s.puts, s.in_use), (ops, ops, 0));
}

/// Threads that use a pool and exit while another thread trims and decays it and drops
/// pools: every change turns every live thread's shortcut off, reaching their words
/// through a registry that exiting threads leave (Miri checks no word is reached after
/// its thread is gone). The books stay exact, and nothing is held twice.
#[test]
fn trims_and_drops_racing_threads_that_come_and_go_keep_the_books() {
    let checker = OwnershipChecker::new(MAX_OBJECTS);
    let pool = ObjectPool::builder()
        .policy(tracked(|| checker.register()))
        .thread_cache(4)
        .build()
        .unwrap();
    let ops = in_waves_beside(
        || {
            let mut guard = pool.get();
            let hold = checker.hold(guard.id);
            guard.scratch.push(1);
            drop(hold);
        },
        |done| {
            let mut round = 0u64;
            while !done.load(Ordering::Relaxed) {
                match round % 3 {
                    0 => drop(pool.trim()),
                    1 => drop(pool.decay()),
                    _ => drop(ObjectPool::<Vec<u8>>::new()),
                }
                round += 1;
                std::thread::yield_now();
            }
        },
    );
    let s = pool.stats();
    assert_eq!((s.gets, s.puts, s.in_use), (ops, ops, 0));
    assert_eq!(s.hits + s.misses, ops);
}

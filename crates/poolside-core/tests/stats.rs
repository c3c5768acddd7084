//! Counter accuracy: exact totals after threads join, derived gauges, and `NoStats`,
//! through `ThreadCounters` (the lookup) and through `Recorder` on embedded counts.

use rayon::prelude::*;

use poolside_core::internals::Recorder;
use poolside_core::internals::{Discard, Event, LocalCounters, ThreadCounters};
use poolside_core::{NoStats, Observe, Stats};

const THREADS: usize = 8;
const UPDATES: u64 = if cfg!(miri) { 100 } else { 100_000 };

#[test]
fn totals_are_exact_after_join() {
    let counters = ThreadCounters::new();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let counters = &counters;
            s.spawn(move || {
                for i in 0..UPDATES {
                    // Each get is a hit or a miss, each is returned, every tenth discarded.
                    counters.record(if (i + t as u64) % 4 == 0 {
                        Event::Miss
                    } else {
                        Event::Hit
                    });
                    counters.record(Event::Put);
                    if i % 10 == 0 {
                        counters.record(Event::Discard(Discard::PoolFull));
                    }
                }
            });
        }
    });
    let s = counters.stats();
    let total = THREADS as u64 * UPDATES;
    assert_eq!(s.gets, total);
    assert_eq!(s.hits + s.misses, total);
    assert_eq!(s.misses, total / 4);
    assert_eq!(s.puts, total);
    assert_eq!(s.discards.pool_full, THREADS as u64 * UPDATES.div_ceil(10));
    assert_eq!(s.in_use, 0);
    assert_eq!(s.idle_objects, s.misses - s.discards.total());
}

#[test]
fn embedded_local_counters_sum_exactly_after_join() {
    let locals: Vec<LocalCounters> = (0..THREADS).map(|_| LocalCounters::new()).collect();
    std::thread::scope(|s| {
        for local in &locals {
            s.spawn(move || {
                for _ in 0..UPDATES {
                    local.record(Event::Miss);
                    local.add_idle_bytes(8);
                }
                local.add(Event::Put, UPDATES);
            });
        }
    });
    let s = LocalCounters::stats(&locals);
    let total = THREADS as u64 * UPDATES;
    assert_eq!((s.misses, s.puts, s.in_use), (total, total, 0));
    assert_eq!((s.idle_objects, s.idle_bytes), (total, 8 * total));
    assert!(format!("{:?}", locals[0]).contains("LocalCounters"));

    // Retiring every thread's counts into the shared ones keeps every count, and a
    // snapshot of the shared counts with the live ones adds both.
    let shared = LocalCounters::new();
    for local in &locals {
        <Stats as Recorder>::retire(&shared, local);
    }
    assert_eq!(<Stats as Recorder>::stats(&shared, []), s);
    <Stats as Recorder>::add_shared(&shared, Event::Hit, 2);
    <Stats as Recorder>::add_shared_idle_bytes(&shared, -8);
    let both = <Stats as Recorder>::stats(&shared, &locals[..1]);
    assert_eq!(both.hits, 2);
    assert_eq!(both.misses, total + UPDATES);
    assert_eq!(both.idle_bytes, 8 * (total + UPDATES) - 8);
}

#[test]
fn totals_are_exact_across_a_rayon_pool() {
    // Rayon reuses its threads across calls, so this checks that a slot reused by later
    // work keeps earlier counts.
    let counters = ThreadCounters::new();
    for _ in 0..3 {
        (0..10_000u64)
            .into_par_iter()
            .for_each(|_| counters.record(Event::Hit));
    }
    counters.add(Event::Trimmed, 5);
    let s = counters.stats();
    assert_eq!(s.hits, 30_000);
    assert_eq!(s.trimmed, 5);
}

#[test]
fn gauges_follow_the_object_lifecycle() {
    let c = ThreadCounters::new();
    c.add(Event::Prewarm, 4);
    c.add_idle_bytes(4 * 100);
    c.add(Event::Hit, 3);
    c.add_idle_bytes(-300);
    c.record(Event::Miss);
    c.record(Event::Detach);
    let s = c.stats();
    assert_eq!(
        (s.gets, s.in_use, s.idle_objects, s.idle_bytes),
        (4, 3, 1, 100)
    );
    assert_eq!(
        s.high_water, 0,
        "a snapshot's in_use is not an exact live count, so it is not folded in"
    );

    c.add(Event::Put, 3);
    c.record(Event::Discard(Discard::Oversized));
    c.add_idle_bytes(200);
    let s = c.stats();
    assert_eq!((s.in_use, s.idle_objects, s.idle_bytes), (0, 3, 300));

    c.record(Event::Trim);
    c.add(Event::Trimmed, 3);
    c.add_idle_bytes(-300);
    let s = c.stats();
    assert_eq!((s.idle_objects, s.idle_bytes, s.trims), (0, 0, 1));
    // made = in use + idle + detached + discarded + trimmed
    assert_eq!(
        s.prewarmed + s.misses,
        s.in_use + s.idle_objects + s.detached + s.discards.total() + s.trimmed
    );
}

#[test]
fn every_discard_reason_has_its_own_count() {
    let c = ThreadCounters::new();
    let reasons = [
        Discard::PoolFull,
        Discard::Oversized,
        Discard::Rejected,
        Discard::ResetPanicked,
        Discard::HolderPanicked,
    ];
    for (n, reason) in reasons.into_iter().enumerate() {
        c.add(Event::Discard(reason), n as u64 + 1);
    }
    let d = c.stats().discards;
    assert_eq!(
        (
            d.pool_full,
            d.oversized,
            d.rejected,
            d.reset_panicked,
            d.holder_panicked
        ),
        (1, 2, 3, 4, 5)
    );
    assert_eq!(d.total(), 15);
}

#[test]
fn a_panicking_reset_is_counted_as_such() {
    use poolside_core::internals::recycle_guarded;
    use poolside_core::{FnPolicy, Verdict};
    let policy = FnPolicy::new(Vec::<u8>::new).with_recycle(|v: &mut Vec<u8>| {
        if v.is_empty() {
            std::panic::resume_unwind(Box::new("reset failed"));
        }
        Verdict::Keep
    });
    let c = ThreadCounters::new();
    for mut v in [vec![], vec![1], vec![]] {
        c.record(Event::Put);
        if let Err(reason) = recycle_guarded(&policy, &mut v) {
            c.record(Event::Discard(reason));
        }
    }
    let d = c.stats().discards;
    assert_eq!((d.reset_panicked, d.total()), (2, 2));
}

#[test]
fn gauges_never_go_below_zero() {
    // A reader can see a put before the get it pairs with, from another thread's slot.
    let c = ThreadCounters::new();
    c.record(Event::Put);
    c.add_idle_bytes(-10);
    let s = c.stats();
    assert_eq!((s.in_use, s.idle_objects, s.idle_bytes), (0, 0, 0));
}

#[test]
fn hit_rate_with_known_counts() {
    let c = ThreadCounters::new();
    c.add(Event::Hit, 9);
    c.record(Event::Miss);
    assert_eq!(c.stats().hit_rate(), Some(0.9));
    assert_eq!(Stats::default().hit_rate(), None);
}

#[test]
fn no_stats_records_nothing() {
    let n = ThreadCounters::<NoStats>::default();
    n.add(Event::Hit, 100);
    n.add_idle_bytes(5);
    assert_eq!(n.stats(), Stats::default());
    NoStats::add(&NoStats::new_local(), Event::Miss, 1);
    NoStats::add_shared(&(), Event::Miss, 1);
    assert_eq!(NoStats::stats(&(), [&()]), Stats::default());
    const { assert!(!NoStats::ENABLED && <Stats as Recorder>::ENABLED) };
}

#[test]
fn counters_are_send_sync_and_usable_as_a_static() {
    static COUNTERS: ThreadCounters = ThreadCounters::new();
    COUNTERS.record(Event::Hit);
    assert!(COUNTERS.stats().hits >= 1);
    fn send_sync<T: Send + Sync>() {}
    send_sync::<ThreadCounters>();
    send_sync::<ThreadCounters<NoStats>>();
    assert!(format!("{:?}", ThreadCounters::new()).contains("ThreadCounters"));
}

#[test]
fn observe_is_object_safe_with_defaults() {
    struct Fixed;
    impl Observe for Fixed {
        fn stats(&self) -> Stats {
            let mut s = Stats::default();
            s.gets = 2;
            s.hits = 1;
            s
        }
    }
    let pools: Vec<Box<dyn Observe>> = vec![Box::new(Fixed)];
    let mut seen = 0;
    pools[0].visit_metrics(&mut |_| seen += 1);
    assert_eq!(seen, 0);
    assert_eq!((pools[0].trim(), pools[0].decay()), (0, 0));
    assert_eq!(pools[0].stats().hit_rate(), Some(0.5));
}

/// A guard kept in a thread-local records its return from that thread-local's
/// destructor, possibly after the other thread-locals are gone: the count must land, and
/// the process must not abort.
#[test]
#[cfg_attr(miri, ignore)] // Miri cannot start the child process.
fn counters_record_from_a_thread_locals_destructor() {
    poolside_testkit::in_child("counters_record_from_a_thread_locals_destructor", || {
        static COUNTERS: ThreadCounters = ThreadCounters::new();
        struct Returns;
        impl Drop for Returns {
            fn drop(&mut self) {
                COUNTERS.record(Event::Put);
            }
        }
        thread_local! {
            static HOLD: std::cell::RefCell<Option<Returns>> = const { std::cell::RefCell::new(None) };
        }
        std::thread::spawn(|| {
            HOLD.with(|h| {
                COUNTERS.record(Event::Hit);
                *h.borrow_mut() = Some(Returns);
            })
        })
        .join()
        .unwrap();
        let stats = COUNTERS.stats();
        assert_eq!((stats.gets, stats.puts, stats.in_use), (1, 1, 0));
    });
}

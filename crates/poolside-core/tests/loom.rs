//! Loom models for core's concurrent pieces. Run with
//! `RUSTFLAGS="--cfg poolside_loom" cargo test --release --test loom` (`cargo xtask ci loom`).
//!
//! What is modelled is the shipped `ThreadCounters` code: each thread's owner-only load and
//! store, readers summing while threads run, and the shared counters that threads in
//! teardown add to with an atomic add (`poolside_core::internals::exiting_for_loom` puts a model
//! thread on that path). What is not: the `thread_local` crate's lookup of a thread's
//! slot, which loom cannot see into; under loom `PerThread` keys slots by loom's thread id
//! instead (see `src/sync.rs`). The counters use no `unsafe`; these models guard the
//! accounting.
#![cfg(poolside_loom)]

use loom::sync::Arc;
use loom::thread;

use poolside_core::internals::{exiting_for_loom, Event, ThreadCounters};

/// Two threads count into their own slots while a third reads: a read mid-run sees at
/// most what was counted, and the totals are exact once both have joined.
#[test]
fn per_thread_counters_sum_exactly_after_join() {
    loom::model(|| {
        let counters = Arc::new(ThreadCounters::new());
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let counters = counters.clone();
                thread::spawn(move || {
                    counters.record(Event::Hit);
                    counters.record(Event::Put);
                })
            })
            .collect();
        // Mid-run a reader may see any subset of the updates, never more than were made.
        let mid = counters.stats();
        assert!(mid.hits <= 2 && mid.puts <= 2);
        for w in writers {
            w.join().unwrap();
        }
        let end = counters.stats();
        assert_eq!((end.hits, end.puts, end.in_use), (2, 2, 0));
    });
}

/// Counts recorded on one thread are never lost when another thread starts counting
/// into the same recorder.
#[test]
fn a_new_thread_does_not_disturb_existing_counts() {
    loom::model(|| {
        let counters = Arc::new(ThreadCounters::new());
        counters.add(Event::Miss, 3);
        let c2 = counters.clone();
        let t = thread::spawn(move || c2.record(Event::Miss));
        counters.record(Event::Miss);
        t.join().unwrap();
        assert_eq!(counters.stats().misses, 5);
    });
}

/// Two threads in teardown record into the shared counters at once, beside a live one:
/// no update is lost (a load and a store there would lose one).
#[test]
fn threads_in_teardown_share_counters_without_losing_counts() {
    loom::model(|| {
        let counters = Arc::new(ThreadCounters::new());
        let exiting: Vec<_> = (0..2)
            .map(|_| {
                let counters = counters.clone();
                thread::spawn(move || {
                    counters.record(Event::Hit);
                    exiting_for_loom();
                    counters.record(Event::Put);
                })
            })
            .collect();
        counters.record(Event::Miss);
        for t in exiting {
            t.join().unwrap();
        }
        let end = counters.stats();
        assert_eq!((end.hits, end.misses, end.puts), (2, 1, 2));
    });
}

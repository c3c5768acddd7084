//! The cost of one statistics update, on one thread and on two.
//!
//! - `shared_atomic`: one `AtomicU64::fetch_add` that every thread hits, as the seed's
//!   `MonitoredPool` does. The baseline.
//! - `per_thread`: poolside's [`ThreadCounters`]: a per-thread, padded slot found by a
//!   thread-local lookup, plain load and store.
//! - `local`: a [`LocalCounters`] that the thread already holds, as a pool embeds it in
//!   its per-thread cache: the update without the thread-local lookup.
//! - `no_stats`: [`NoStats`], which compiles to nothing: the loop's own cost.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_utils::CachePadded;
use poolside_core::internals::Recorder;
use poolside_core::internals::{Event, LocalCounters, ThreadCounters};
use poolside_core::NoStats;

use crate::{looped, two_threads, Case};

fn updates<R: Recorder>(counters: &ThreadCounters<R>, n: u64) {
    for _ in 0..n {
        black_box(counters).record(Event::Hit);
    }
}

fn local_updates(local: &LocalCounters, n: u64) {
    for _ in 0..n {
        black_box(local).record(Event::Hit);
    }
}

fn fetch_adds(counter: &AtomicU64, n: u64) {
    for _ in 0..n {
        black_box(counter).fetch_add(1, Ordering::Relaxed);
    }
}

pub(crate) fn register(all: &mut Vec<Case>) {
    all.extend([
        Case {
            group: "counter_update_1t",
            name: "shared_atomic",
            baseline: true,
            quick: true,
            make: || {
                let counter = AtomicU64::new(0);
                looped(move |n| fetch_adds(&counter, n))
            },
        },
        Case {
            group: "counter_update_1t",
            name: "per_thread",
            baseline: false,
            quick: true,
            make: || {
                let counters = ThreadCounters::new();
                looped(move |n| updates(&counters, n))
            },
        },
        Case {
            group: "counter_update_1t",
            name: "local",
            baseline: false,
            quick: true,
            make: || {
                let local = LocalCounters::new();
                looped(move |n| local_updates(&local, n))
            },
        },
        Case {
            group: "counter_update_1t",
            name: "no_stats",
            baseline: false,
            quick: false,
            make: || {
                let counters = ThreadCounters::<NoStats>::default();
                looped(move |n| updates(&counters, n))
            },
        },
        Case {
            group: "counter_update_2t",
            name: "shared_atomic",
            baseline: true,
            quick: true,
            make: || {
                let counter = Arc::new(AtomicU64::new(0));
                two_threads(move || {
                    let counter = counter.clone();
                    move |n| fetch_adds(&counter, n)
                })
            },
        },
        Case {
            group: "counter_update_2t",
            name: "per_thread",
            baseline: false,
            quick: true,
            make: || {
                let counters = Arc::new(ThreadCounters::new());
                two_threads(move || {
                    let counters = counters.clone();
                    move |n| updates(&*counters, n)
                })
            },
        },
        Case {
            group: "counter_update_2t",
            name: "local",
            baseline: false,
            quick: true,
            make: || {
                two_threads(|| {
                    let local = CachePadded::new(LocalCounters::new());
                    move |n| local_updates(&local, n)
                })
            },
        },
        Case {
            group: "counter_update_2t",
            name: "no_stats",
            baseline: false,
            quick: false,
            make: || {
                let counters = Arc::new(ThreadCounters::<NoStats>::default());
                two_threads(move || {
                    let counters = counters.clone();
                    move |n| updates(&counters, n)
                })
            },
        },
    ]);
}

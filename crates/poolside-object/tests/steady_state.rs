//! After warm-up, get/put cycles allocate nothing: on one thread, and on several at once.
//! A serial binary (`harness = false`) with a counting global allocator, so the counts
//! cover every thread and nothing else runs meanwhile.

use std::collections::HashMap;
use std::sync::Arc;

use poolside_core::Reset;
use poolside_object::ObjectPool;
use poolside_testkit::{measure_global, measure_threads, serial, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

const CYCLES: usize = if cfg!(miri) { 200 } else { 100_000 };

#[derive(Default, Reset)]
struct Response {
    status: u16,
    headers: HashMap<&'static str, &'static str>,
    body: Vec<u8>,
}

fn cycle(pool: &ObjectPool<Response>) {
    let mut r = pool.get();
    r.status = 200;
    r.headers.insert("content-type", "application/json");
    r.headers.insert("cache-control", "no-cache");
    r.body.extend_from_slice(&[b'x'; 512]);
}

fn one_thread_allocates_nothing() {
    let pool: ObjectPool<Response> = ObjectPool::new();
    for _ in 0..100 {
        cycle(&pool);
    }
    let ((), counts) = measure_global(|| {
        for _ in 0..CYCLES {
            cycle(&pool);
        }
    });
    assert_eq!(counts.allocs, 0, "{counts:?}");
    assert_eq!(pool.stats().misses, 1);
}

fn several_threads_allocate_nothing() {
    const THREADS: usize = 3;
    let pool: ObjectPool<Response> = ObjectPool::new();
    let counts = measure_threads(
        THREADS,
        |_| {
            for _ in 0..100 {
                cycle(&pool);
            }
        },
        |_| {
            for _ in 0..CYCLES {
                cycle(&pool);
            }
        },
    );
    assert_eq!(counts.allocs, 0, "{counts:?}");
    assert_eq!(pool.stats().gets, (THREADS * (CYCLES + 100)) as u64);
}

fn a_pool_with_a_cold_thread_allocates_once_per_thread() {
    // The first use on a thread makes its cache: the thread's table, the cache, its
    // object buffer and its counters, once. Spawning a thread allocates too, so compare
    // with a thread that does nothing.
    let pool: Arc<ObjectPool<Vec<u8>>> = Arc::new(ObjectPool::new());
    drop(pool.get());
    let spawn = |cycles: usize| {
        let p = pool.clone();
        measure_global(move || {
            std::thread::scope(|s| {
                s.spawn(|| {
                    for _ in 0..cycles {
                        drop(p.get());
                    }
                });
            })
        })
        .1
    };
    let idle = spawn(0);
    let busy = spawn(1000);
    let extra = busy.allocs - idle.allocs;
    assert!(
        (1..=5).contains(&extra),
        "1000 cycles on a new thread cost {extra} allocations ({idle:?} vs {busy:?})"
    );
}

fn main() {
    serial::run(&[
        ("one_thread_allocates_nothing", one_thread_allocates_nothing),
        (
            "several_threads_allocate_nothing",
            several_threads_allocate_nothing,
        ),
        (
            "a_pool_with_a_cold_thread_allocates_once_per_thread",
            a_pool_with_a_cold_thread_allocates_once_per_thread,
        ),
    ]);
}

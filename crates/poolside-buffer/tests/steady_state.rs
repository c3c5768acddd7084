//! Steady state allocates nothing: after warm-up, 100k get/put cycles of each pool, on
//! one thread and on several, counted with a counting global allocator. A binary of its
//! own (`harness = false`), so no other test's allocations are counted.

use std::io::Write;

use poolside_buffer::RingPool;
use poolside_testkit::{measure_threads, serial, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

const CYCLES: usize = if cfg!(miri) { 20 } else { 100_000 };

fn ring_cycles(ring: &RingPool) {
    for i in 0..CYCLES {
        let mut buf = ring.try_get().expect("more slots than threads");
        buf.write_all(&(i as u64).to_le_bytes()).unwrap();
    }
}

fn ring_allocates_nothing_on(threads: usize) {
    let ring = RingPool::new(8, 1024).unwrap();
    let counts = measure_threads(threads, |_| ring_cycles(&ring), |_| ring_cycles(&ring));
    assert_eq!(counts.allocs, 0, "{counts:?}");
}

fn ring_one_thread() {
    ring_allocates_nothing_on(1);
}

fn ring_three_threads() {
    ring_allocates_nothing_on(3);
}

fn main() {
    serial::run(&[
        ("ring_allocates_nothing_on_one_thread", ring_one_thread),
        (
            "ring_allocates_nothing_on_three_threads",
            ring_three_threads,
        ),
    ]);
}

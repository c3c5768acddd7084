//! Steady state allocates nothing: after warm-up, 20k get/put cycles of each pool, on
//! one thread and on several, counted with a counting global allocator. A binary of its
//! own (`harness = false`), so no other test's allocations are counted.

use std::io::Write;

use poolside_buffer::{BytePool, RingPool, SizedPool};
use poolside_testkit::{measure_threads, serial, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

/// Enough to show that nothing allocates once warm (valgrind runs this too, so not more).
const CYCLES: usize = if cfg!(miri) { 20 } else { 20_000 };

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

/// A request-shaped mix: mostly small, some large, two buffers held at once.
fn sized_cycles(pool: &SizedPool) {
    const SIZES: [usize; 8] = [100, 1500, 64, 4000, 300, 16_000, 900, 65_536];
    for i in 0..CYCLES {
        let mut a = pool.get(SIZES[i % 8]).unwrap();
        let mut b = pool.get(SIZES[(i + 3) % 8]).unwrap();
        a.extend_from_slice(b"request");
        b.extend_from_slice(&(i as u64).to_le_bytes());
    }
}

fn sized_allocates_nothing_on(threads: usize) {
    let pool = SizedPool::new();
    let counts = measure_threads(threads, |_| sized_cycles(&pool), |_| sized_cycles(&pool));
    assert_eq!(counts.allocs, 0, "{counts:?}");
}

fn sized_one_thread() {
    sized_allocates_nothing_on(1);
}

fn sized_three_threads() {
    sized_allocates_nothing_on(3);
}

/// Mixed message sizes, calibrating often: learning allocates nothing either.
fn byte_cycles(pool: &BytePool) {
    for i in 0..CYCLES {
        let mut buf = pool.get();
        buf.resize(500 + 700 * (i % 5), 1);
    }
}

fn byte_allocates_nothing_on(threads: usize) {
    let every = if cfg!(miri) { 4 } else { 64 };
    let pool = BytePool::builder().calibrate_every(every).build().unwrap();
    let counts = measure_threads(threads, |_| byte_cycles(&pool), |_| byte_cycles(&pool));
    assert_eq!(counts.allocs, 0, "{counts:?}");
    assert!(pool.calibrations() > 0);
}

fn byte_one_thread() {
    byte_allocates_nothing_on(1);
}

fn byte_three_threads() {
    byte_allocates_nothing_on(3);
}

fn main() {
    serial::run(&[
        ("byte_allocates_nothing_on_one_thread", byte_one_thread),
        (
            "byte_allocates_nothing_on_three_threads",
            byte_three_threads,
        ),
        ("sized_allocates_nothing_on_one_thread", sized_one_thread),
        (
            "sized_allocates_nothing_on_three_threads",
            sized_three_threads,
        ),
        ("ring_allocates_nothing_on_one_thread", ring_one_thread),
        (
            "ring_allocates_nothing_on_three_threads",
            ring_three_threads,
        ),
    ]);
}

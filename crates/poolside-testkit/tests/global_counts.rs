//! Process-wide counts, in a serial (`harness = false`) binary: work spread over threads
//! is counted exactly when nothing else runs.

use poolside_testkit::{measure_global, measure_threads, serial, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

fn counts_other_threads_exactly() {
    const PER_THREAD: u64 = 10;
    let counts = measure_threads(
        2,
        // Warm-up allocates; it must not be counted.
        |t| drop(std::hint::black_box(vec![t as u8; 100])),
        |_| {
            for i in 0..PER_THREAD {
                drop(std::hint::black_box(Box::new(i)));
            }
        },
    );
    assert_eq!(counts.allocs, 2 * PER_THREAD);
    assert_eq!(counts.deallocs, 2 * PER_THREAD);
    assert_eq!(counts.bytes, 2 * PER_THREAD * 8);
}

fn counts_this_thread_too() {
    let ((), counts) = measure_global(|| drop(std::hint::black_box(vec![0u8; 100])));
    assert_eq!((counts.allocs, counts.bytes), (1, 100));
}

fn main() {
    serial::run(&[
        ("counts_other_threads_exactly", counts_other_threads_exactly),
        ("counts_this_thread_too", counts_this_thread_too),
    ]);
}

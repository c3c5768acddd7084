//! Process-wide counts, in a serial (`harness = false`) binary: work spread over threads
//! is counted exactly when nothing else runs.

use std::sync::{Arc, Barrier};

use poolside_testkit::{measure_global, serial, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

fn counts_other_threads_exactly() {
    const PER_THREAD: u64 = 10;
    // ready: the threads have started (thread start-up allocates); start/done: the
    // measured span; exit: the threads' teardown (which frees) waits until it is read.
    let [ready, start, done, exit] = [(); 4].map(|()| Arc::new(Barrier::new(3)));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let barriers = [&ready, &start, &done, &exit].map(Arc::clone);
            std::thread::spawn(move || {
                let [ready, start, done, exit] = barriers;
                ready.wait();
                start.wait();
                for i in 0..PER_THREAD {
                    drop(std::hint::black_box(Box::new(i)));
                }
                done.wait();
                exit.wait();
            })
        })
        .collect();
    ready.wait();
    let ((), counts) = measure_global(|| {
        start.wait();
        done.wait();
    });
    exit.wait();
    for w in workers {
        w.join().unwrap();
    }
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

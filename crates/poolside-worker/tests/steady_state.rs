//! After warm-up, a steady stream of tasks allocates nothing: not the task, not its
//! buffer, not its completion signal, not its place in the queue, on any thread. A serial
//! binary (`harness = false`) with a counting global allocator, so the counts cover the
//! workers too, and nothing else runs meanwhile.

use poolside_core::Reset;
use poolside_testkit::{measure_global, measure_threads, serial, CountingAlloc};
use poolside_worker::WorkerPool;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

const TASKS: u64 = 100_000;

/// The seed's task: an id and a data buffer.
#[derive(Default, Reset)]
struct Task {
    id: u64,
    data: Vec<u8>,
}

fn checksum(t: &mut Task) -> u64 {
    t.data
        .iter()
        .fold(t.id, |sum, &b| sum.rotate_left(5) ^ u64::from(b))
}

fn pool(
    workers: usize,
    queue: usize,
) -> WorkerPool<Task, impl poolside_worker::Handler<Task, Output = u64>> {
    WorkerPool::builder(checksum)
        .workers(workers)
        .queue(queue)
        .build()
        .unwrap()
}

const INPUT: [u8; 1024] = [7; 1024];

fn submit_allocates_nothing() {
    let pool = pool(2, 4);
    let run = |n: u64| {
        for id in 0..n {
            pool.submit(|t| {
                t.id = id;
                t.data.extend_from_slice(&INPUT);
            })
            .unwrap();
        }
    };
    run(1_000);
    let ((), counts) = measure_global(|| run(TASKS));
    assert_eq!(counts.allocs, 0, "{counts:?} over {TASKS} tasks");
    assert_eq!(pool.completed(), TASKS + 1_000);
}

fn spawned_batches_allocate_nothing() {
    const BATCH: usize = 8;
    let pool = pool(2, BATCH);
    let run = |n: u64| {
        let mut handles = [(); BATCH].map(|()| None);
        for round in 0..n / BATCH as u64 {
            for (i, h) in handles.iter_mut().enumerate() {
                let id = round * BATCH as u64 + i as u64;
                *h = Some(pool.spawn(move |t| t.id = id).unwrap());
            }
            for h in handles.iter_mut() {
                h.take().unwrap().wait().unwrap();
            }
        }
    };
    run(1_000);
    let ((), counts) = measure_global(|| run(TASKS));
    assert_eq!(counts.allocs, 0, "{counts:?} over {TASKS} tasks");
}

fn several_submitters_allocate_nothing() {
    const THREADS: usize = 3;
    let pool = pool(2, 4);
    let run = |n: u64| {
        for id in 0..n {
            pool.submit(|t| {
                t.id = id;
                t.data.extend_from_slice(&INPUT[..256]);
            })
            .unwrap();
        }
    };
    let counts = measure_threads(THREADS, |_| run(1_000), |_| run(TASKS / THREADS as u64));
    assert_eq!(counts.allocs, 0, "{counts:?}");
}

fn main() {
    serial::run(&[
        ("submit_allocates_nothing", submit_allocates_nothing),
        (
            "spawned_batches_allocate_nothing",
            spawned_batches_allocate_nothing,
        ),
        (
            "several_submitters_allocate_nothing",
            several_submitters_allocate_nothing,
        ),
    ]);
}

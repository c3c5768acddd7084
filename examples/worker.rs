//! The worker pool with task reuse: the seed's worker pool, whose `Task` (an id, a data
//! buffer and a completion signal) is taken from a pool and reused.
//!
//! Without reuse, each task is a boxed closure owning a copy of its data, sent to a
//! worker with a channel for its result (what a hand-written pool on `std::sync::mpsc`
//! does). With `poolside::WorkerPool`, the task object, its buffer, its
//! completion signal and its place in the queue are all reused: a steady stream of tasks
//! allocates nothing.
//!
//! `cargo run --release -p poolside-examples --example worker [-- --quick]`

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use poolside::worker::WorkerPool;
use poolside::Reset;
use poolside_examples::{hit_rate, report, scale, Run};

/// The seed's task.
#[derive(Default, Reset)]
struct Task {
    id: u64,
    data: Vec<u8>,
}

fn checksum(id: u64, data: &[u8]) -> u64 {
    data.iter()
        .fold(id, |s, &b| s.rotate_left(5) ^ u64::from(b))
}

type Job = Box<dyn FnOnce() + Send>;

fn main() {
    let tasks = scale(100_000, 1_000);
    let input = vec![7u8; 1024];
    let mut sum = 0u64;

    // Without reuse: a pool of boxed closures over std's mpsc.
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || loop {
                let job = rx.lock().expect("no worker panics").recv();
                match job {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            })
        })
        .collect();
    let without = Run::measure(tasks, || {
        for id in 0..tasks as u64 {
            let (done, result) = mpsc::channel();
            let data = input.clone();
            tx.send(Box::new(move || {
                let _ = done.send(checksum(id, &data));
            }))
            .expect("the workers run");
            sum ^= result.recv().expect("the task replies");
        }
    });
    drop(tx);
    for t in threads {
        t.join().expect("the workers end");
    }

    // With reuse.
    let pool = WorkerPool::builder(|t: &mut Task| checksum(t.id, &t.data))
        .workers(2)
        .queue(4)
        .build()
        .expect("threads start");
    let with = Run::measure(tasks, || {
        for id in 0..tasks as u64 {
            let out = pool.submit(|t| {
                t.id = id;
                t.data.extend_from_slice(&input);
            });
            sum ^= out.map_err(|e| e.without_fill()).expect("the task runs");
        }
    });

    std::hint::black_box(sum);
    report(
        "tasks of 1 KiB, submitted and waited for",
        &without,
        &with,
        hit_rate(&pool.stats()),
    );
    println!(
        "  the workers completed {} tasks, {} panicked, {} were refused",
        pool.completed(),
        pool.panicked(),
        pool.rejected()
    );
}

//! Several submitting threads, 100k tasks: every task runs exactly once, every waiter
//! wakes with its own task's output, no task object is held by two tasks at once, and
//! the counts add up.

use std::sync::atomic::{AtomicU8, Ordering};
use std::thread;

use poolside_core::Reset;
use poolside_worker::{Handler, SubmitError, WorkerPool};

const SUBMITTERS: u64 = 4;
const PER_SUBMITTER: u64 = 25_000;
const TASKS: u64 = SUBMITTERS * PER_SUBMITTER;

#[derive(Default, Reset)]
struct Task {
    id: u64,
    data: Vec<u8>,
}

/// Fills a task with its id, in a buffer whose every byte says the id again, so a task
/// object shared by two tasks shows up as a torn buffer.
fn fill(id: u64) -> impl FnOnce(&mut Task) {
    move |t: &mut Task| {
        assert_eq!(
            (t.id, t.data.len()),
            (0, 0),
            "a task object came back dirty"
        );
        t.id = id;
        t.data.extend_from_slice(&id.to_le_bytes().repeat(8));
    }
}

struct Checker {
    runs: Vec<AtomicU8>,
}

impl Handler<Task> for Checker {
    type Output = u64;

    fn run(&self, t: &mut Task) -> u64 {
        assert_eq!(t.data, t.id.to_le_bytes().repeat(8), "torn task {}", t.id);
        self.runs[t.id as usize].fetch_add(1, Ordering::Relaxed);
        t.id
    }
}

#[test]
fn every_task_runs_once_and_every_waiter_wakes() {
    let checker = Checker {
        runs: (0..TASKS).map(|_| AtomicU8::new(0)).collect(),
    };
    let pool = WorkerPool::builder(checker)
        .workers(2)
        .queue(8)
        .build()
        .unwrap();
    thread::scope(|s| {
        for who in 0..SUBMITTERS {
            let pool = &pool;
            s.spawn(move || {
                let ids = who * PER_SUBMITTER..(who + 1) * PER_SUBMITTER;
                if who % 2 == 0 {
                    // The seed's shape: submit and wait, one at a time.
                    for id in ids {
                        assert_eq!(pool.submit(fill(id)).unwrap(), id);
                    }
                    return;
                }
                // Batches of handles; a full queue gives the fill back to retry with.
                let mut batch = Vec::with_capacity(16);
                for id in ids {
                    let handle = match pool.try_spawn(fill(id)) {
                        Ok(h) => h,
                        Err(SubmitError::Full(again)) => pool.spawn(again).unwrap(),
                        Err(other) => panic!("{other}"),
                    };
                    batch.push((id, handle));
                    if batch.len() == 16 {
                        for (id, h) in batch.drain(..) {
                            assert_eq!(h.wait().unwrap(), id);
                        }
                    }
                }
                for (id, h) in batch.drain(..) {
                    assert_eq!(h.wait().unwrap(), id);
                }
            });
        }
    });
    assert_eq!(pool.completed(), TASKS);
    assert_eq!(pool.panicked(), 0);
    assert_eq!(pool.queued(), 0);
    let stats = pool.stats();
    // A refused `try_spawn` took a task object and gave it back unused.
    assert_eq!(stats.gets, TASKS + pool.rejected(), "{stats:?}");
    assert_eq!(stats.puts, stats.gets, "every task object came back");
    assert!(stats.misses < 200, "task objects are reused: {stats:?}");
    let pool_handler_runs = &pool.handler().runs;
    let wrong: Vec<usize> = (0..TASKS as usize)
        .filter(|&i| pool_handler_runs[i].load(Ordering::Relaxed) != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "tasks not run exactly once: {:?}",
        &wrong[..wrong.len().min(10)]
    );
}

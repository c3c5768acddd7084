//! The worker pool's behaviour: outputs, reuse, panics, full queues, timeouts, shutdown,
//! abandoned handles, configuration errors and metrics.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::thread;
use std::time::Duration;

use poolside_core::{ConfigError, Reset};
use poolside_monitor::Registry;
use poolside_testkit::quietly;
use poolside_worker::{Handler, SubmitError, TaskHandle, WorkerPool, WorkerPoolBuilder};

fn start<T, H>(handler: H, workers: usize, queue: usize) -> WorkerPool<T, H>
where
    T: Default + poolside_core::Reset + Send + 'static,
    H: Handler<T>,
{
    WorkerPool::builder(handler)
        .workers(workers)
        .queue(queue)
        .name("test-worker")
        .build()
        .unwrap()
}

/// Sums the task's bytes; the seed's task shape (an id and a data buffer).
#[derive(Default, Reset)]
struct Task {
    id: u64,
    data: Vec<u8>,
}

fn summer() -> impl Fn(&mut Task) -> (u64, u64) + Send + Sync + 'static {
    |t: &mut Task| (t.id, t.data.iter().map(|&b| u64::from(b)).sum())
}

#[test]
fn submit_returns_the_output_and_reuses_the_task() {
    let pool = start(summer(), 2, 4);
    for id in 0..100u64 {
        let out = pool
            .submit(|t| {
                assert_eq!((t.id, t.data.len()), (0, 0), "the task comes back clean");
                t.id = id;
                t.data.extend_from_slice(&[1; 1024]);
            })
            .unwrap();
        assert_eq!(out, (id, 1024));
    }
    let stats = pool.stats();
    assert_eq!(stats.gets, 100);
    assert_eq!(stats.misses, 1, "one task object, reused: {stats:?}");
    assert_eq!(pool.completed(), 100);
}

#[test]
fn spawned_handles_give_each_task_its_own_output() {
    let pool = start(summer(), 2, 16);
    let handles: Vec<_> = (0..16u64)
        .map(|id| {
            pool.spawn(move |t| {
                t.id = id;
                t.data.push(id as u8);
            })
            .unwrap()
        })
        .collect();
    for (id, h) in (0..16u64).zip(handles) {
        assert_eq!(h.wait().unwrap(), (id, id));
    }
}

/// A handler whose tasks wait for a go-ahead, so tests can hold the workers busy.
struct Gated {
    started: Mutex<Sender<u64>>,
    release: Mutex<Receiver<()>>,
}

impl Handler<u64> for Gated {
    type Output = u64;
    fn run(&self, id: &mut u64) -> u64 {
        self.started.lock().unwrap().send(*id).unwrap();
        self.release.lock().unwrap().recv().unwrap();
        *id
    }
}

fn gated(workers: usize, queue: usize) -> (WorkerPool<u64, Gated>, Receiver<u64>, Sender<()>) {
    let (started_tx, started) = channel();
    let (release, release_rx) = channel();
    let handler = Gated {
        started: Mutex::new(started_tx),
        release: Mutex::new(release_rx),
    };
    (start(handler, workers, queue), started, release)
}

#[test]
fn try_spawn_on_a_full_queue_gives_the_input_back() {
    let (pool, started, release) = gated(1, 1);
    let running = pool.spawn(|id| *id = 1).unwrap();
    assert_eq!(started.recv().unwrap(), 1, "the worker holds task 1");
    let queued = pool.spawn(|id| *id = 2).unwrap();
    assert_eq!(pool.queued(), 1);

    let refused = pool.try_spawn(|id: &mut u64| *id = 3).unwrap_err();
    assert!(matches!(refused, SubmitError::Full(_)), "{refused:?}");
    let mut unrun = 0;
    refused.into_fill().expect("not handed in")(&mut unrun);
    assert_eq!(unrun, 3, "the closure comes back unrun, and still works");
    let refused = pool.try_submit(|id: &mut u64| *id = 4).unwrap_err();
    assert!(matches!(refused, SubmitError::Full(_)));

    release.send(()).unwrap();
    release.send(()).unwrap();
    assert_eq!(running.wait().unwrap(), 1);
    assert_eq!(queued.wait().unwrap(), 2);
    assert_eq!(started.recv().unwrap(), 2);
    assert_eq!(pool.rejected(), 2);
    assert_eq!(pool.completed(), 2);
}

#[test]
fn spawn_timeout_gives_up_on_a_queue_that_stays_full() {
    let (pool, started, release) = gated(1, 1);
    let running = pool.spawn(|id| *id = 1).unwrap();
    started.recv().unwrap();
    let queued = pool.spawn(|id| *id = 2).unwrap();
    let refused = pool
        .spawn_timeout(|id| *id = 3, Duration::from_millis(20))
        .unwrap_err();
    assert!(matches!(refused, SubmitError::Timeout(_)), "{refused:?}");
    let refused = pool
        .submit_timeout(|id| *id = 3, Duration::ZERO)
        .unwrap_err();
    assert!(matches!(refused, SubmitError::Timeout(_)));

    // A timeout too large for the clock means no limit; with room, it goes in at once.
    release.send(()).unwrap();
    assert_eq!(running.wait().unwrap(), 1);
    let third = pool.spawn_timeout(|id| *id = 3, Duration::MAX).unwrap();
    release.send(()).unwrap();
    release.send(()).unwrap();
    assert_eq!(queued.wait().unwrap(), 2);
    assert_eq!(third.wait().unwrap(), 3);
}

#[test]
fn a_full_queue_makes_spawn_wait_for_room() {
    let (pool, started, release) = gated(1, 1);
    let running = pool.spawn(|id| *id = 1).unwrap();
    started.recv().unwrap();
    let queued = pool.spawn(|id| *id = 2).unwrap();
    assert_eq!(pool.blocked(), 0, "the queue took task 2 without a wait");
    thread::scope(|s| {
        let blocked = s.spawn(|| pool.spawn(|id| *id = 3).unwrap());
        // The pool counts a hand-in as blocked once it found the queue full and waits
        // for room; a `spawn` that returns (or panics) instead ends this loop too.
        while pool.blocked() == 0 && !blocked.is_finished() {
            thread::yield_now();
        }
        // Nothing takes from the queue until the worker is released, so a waiting
        // `spawn` is still waiting.
        assert!(!blocked.is_finished(), "spawn returned on a full queue");
        assert_eq!((pool.blocked(), pool.queued()), (1, 1));
        for _ in 0..3 {
            release.send(()).unwrap();
        }
        assert_eq!(blocked.join().unwrap().wait().unwrap(), 3);
    });
    assert_eq!(pool.blocked(), 0);
    assert_eq!(running.wait().unwrap(), 1);
    assert_eq!(queued.wait().unwrap(), 2);
}

#[test]
fn wait_timeout_gives_the_handle_back_until_the_output_is_ready() {
    let (pool, started, release) = gated(1, 1);
    let handle = pool.spawn(|id| *id = 7).unwrap();
    started.recv().unwrap();
    assert!(!handle.is_finished());
    let handle = handle.wait_timeout(Duration::from_millis(5)).unwrap_err();
    release.send(()).unwrap();
    let outcome = match handle.wait_timeout(Duration::MAX) {
        Ok(outcome) => outcome,
        Err(_) => panic!("no limit, so the output came"),
    };
    assert_eq!(outcome.unwrap(), 7);
}

#[test]
fn a_panicking_task_reports_to_its_waiter_and_the_worker_lives_on() {
    let handler = |n: &mut u64| {
        if *n == 13 {
            panic!("unlucky {n}");
        }
        *n * 2
    };
    let pool = start(handler, 1, 2);
    let err = quietly(|| pool.submit(|n| *n = 13)).unwrap_err();
    match &err {
        SubmitError::Panicked(p) => assert_eq!(p.message(), Some("unlucky 13")),
        other => panic!("expected a panic, got {other:?}"),
    }
    assert!(err.to_string().contains("unlucky 13"), "{err}");
    // The single worker survived, and the task's state was not reused.
    for n in 0..10 {
        assert_eq!(pool.submit(|t| *t = n).unwrap(), n * 2);
    }
    assert_eq!((pool.completed(), pool.panicked()), (10, 1));
    assert_eq!(
        pool.stats().discards.rejected,
        1,
        "the panicked task was dropped"
    );
    assert_eq!(pool.stats().misses, 2);
}

#[test]
fn a_panicking_fill_goes_up_to_its_caller_and_cancels_the_task() {
    let ran = Arc::new(AtomicUsize::new(0));
    let seen = ran.clone();
    let handler = move |_: &mut Vec<u8>| {
        seen.fetch_add(1, Ordering::SeqCst);
    };
    let pool = start(handler, 1, 2);
    let caught = quietly(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.submit(|buf| {
                buf.push(1);
                panic!("bad input");
            })
        }))
    });
    assert!(caught.is_err(), "the fill's panic reaches the caller");
    pool.submit(|buf| buf.push(2)).unwrap();
    pool.shutdown();
    assert_eq!(
        ran.load(Ordering::SeqCst),
        1,
        "the cancelled task never ran"
    );
    assert_eq!(pool.completed(), 1);
}

#[test]
fn a_dropped_handle_still_runs_its_task() {
    let (pool, started, release) = gated(1, 2);
    let first = pool.spawn(|id| *id = 1).unwrap();
    started.recv().unwrap();
    drop(pool.spawn(|id| *id = 2).unwrap()); // queued, then abandoned
    drop(first); // running, then abandoned
    release.send(()).unwrap();
    assert_eq!(started.recv().unwrap(), 2, "the abandoned queued task runs");
    release.send(()).unwrap();
    // Both slots were refused by the pool while a worker still had them.
    pool.shutdown();
    assert_eq!(pool.completed(), 2);
    assert_eq!(pool.stats().discards.rejected, 2);
}

#[test]
fn a_handle_dropped_after_its_task_finished_returns_the_slot() {
    let pool = start(summer(), 1, 2);
    let handle = pool.spawn(|t| t.id = 5).unwrap();
    while !handle.is_finished() {
        thread::yield_now();
    }
    drop(handle);
    assert_eq!(pool.submit(|t| t.id = 6).unwrap(), (6, 0));
    assert_eq!(pool.stats().misses, 1, "the finished slot was reused");
}

#[test]
fn shutdown_runs_the_queued_tasks_and_then_refuses_work() {
    let (pool, started, release) = gated(1, 4);
    let handles: Vec<TaskHandle<'_, u64, Gated>> = (1..=3)
        .map(|i| pool.spawn(move |id| *id = i).unwrap())
        .collect();
    assert_eq!(started.recv().unwrap(), 1);
    thread::scope(|s| {
        let stopper = s.spawn(|| pool.shutdown());
        // Shutdown waits for the queue; it closes the gate first.
        while !pool.is_shut_down() {
            thread::yield_now();
        }
        let refused = pool.try_spawn(|id| *id = 9).unwrap_err();
        assert!(matches!(refused, SubmitError::ShutDown(_)), "{refused:?}");
        for _ in 0..3 {
            release.send(()).unwrap();
        }
        stopper.join().unwrap();
    });
    let outputs: Vec<u64> = handles.into_iter().map(|h| h.wait().unwrap()).collect();
    assert_eq!(outputs, [1, 2, 3], "every queued task ran");
    assert_eq!(pool.queued(), 0);
    pool.shutdown(); // a second call returns at once
    let refused = pool.submit(|id| *id = 9).unwrap_err();
    assert!(matches!(refused, SubmitError::ShutDown(_)));
}

#[test]
fn shutdown_while_submissions_are_in_flight_loses_nothing() {
    let pool = start(summer(), 2, 2);
    let accepted = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    thread::scope(|s| {
        for t in 0..3u64 {
            let (pool, accepted, refused) = (&pool, &accepted, &refused);
            s.spawn(move || {
                for i in 0..2_000u64 {
                    let id = t * 10_000 + i;
                    match pool.submit(|task| task.id = id) {
                        Ok((got, _)) => {
                            assert_eq!(got, id);
                            accepted.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => {
                            assert!(matches!(e, SubmitError::ShutDown(_)));
                            refused.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            });
        }
        // Wait until work is flowing, then shut down in the middle of it.
        while pool.completed() < 100 {
            thread::yield_now();
        }
        pool.shutdown();
    });
    let (accepted, refused) = (accepted.into_inner(), refused.into_inner());
    assert_eq!(accepted + refused, 6_000, "every submit returned");
    assert_eq!(
        pool.completed(),
        accepted as u64,
        "every accepted task ran once"
    );
    assert_eq!(pool.rejected(), refused as u64);
    assert!(refused > 0, "shutdown came before the submitters finished");
}

/// A handler that shuts its own pool down from inside a task.
struct Stopper {
    pool: Arc<OnceLock<Weak<WorkerPool<(), Stopper>>>>,
}

impl Handler<()> for Stopper {
    type Output = bool;
    fn run(&self, (): &mut ()) -> bool {
        let pool = self
            .pool
            .get()
            .and_then(Weak::upgrade)
            .expect("set before the task");
        pool.shutdown(); // must not try to join this very thread
        pool.is_shut_down()
    }
}

#[test]
fn shutdown_from_a_worker_closes_the_pool_without_joining_itself() {
    let cell = Arc::new(OnceLock::new());
    let pool = Arc::new(start(Stopper { pool: cell.clone() }, 1, 1));
    cell.set(Arc::downgrade(&pool)).unwrap();
    assert!(pool.submit(|()| ()).unwrap());
    let refused = pool.submit(|()| ()).unwrap_err();
    assert!(matches!(refused, SubmitError::ShutDown(_)));
    drop(pool); // joins, from this thread
}

#[test]
fn bad_configs_are_errors_not_hangs() {
    let builder = || WorkerPool::builder(|n: &mut u64| *n);
    let err = |b: WorkerPoolBuilder<_, _>| b.build().unwrap_err();
    assert_eq!(err(builder().workers(0)), ConfigError::ZeroWorkers);
    assert_eq!(err(builder().queue(0)), ConfigError::ZeroQueue);
    assert_eq!(
        err(builder().queue(usize::MAX)),
        ConfigError::QueueTooLarge {
            queue: usize::MAX,
            limit: 1 << 20
        }
    );
    assert_eq!(
        err(builder().workers(usize::MAX)),
        ConfigError::TooManyWorkers {
            workers: usize::MAX,
            limit: 4096
        }
    );
    assert_eq!(err(builder().name("a\0b")), ConfigError::NameHasNul);
    assert_eq!(err(builder().idle_tasks(0)), ConfigError::ZeroMaxIdle);
    assert_eq!(
        err(builder().idle_tasks(usize::MAX)),
        ConfigError::MaxIdleTooLarge {
            max_idle: usize::MAX,
            limit: 1 << 24
        }
    );
    assert!(builder().idle_tasks(1).build().is_ok());
    assert!(!ConfigError::ZeroQueue.to_string().is_empty());
    let default = builder().build().unwrap();
    assert!(default.workers() >= 1);
    assert_eq!(default.queue_capacity(), default.workers() * 2);
}

#[test]
fn workers_are_named() {
    let pool = start(
        |name: &mut String| {
            name.push_str(thread::current().name().unwrap_or(""));
            name.clone()
        },
        1,
        1,
    );
    assert_eq!(pool.submit(|_| ()).unwrap(), "test-worker-0");
}

/// Keeps nothing that grew past 4 KiB.
struct Capped;

impl Handler<Vec<u8>> for Capped {
    type Output = usize;
    fn run(&self, buf: &mut Vec<u8>) -> usize {
        buf.len()
    }
    fn keep(&self, buf: &Vec<u8>) -> bool {
        buf.capacity() <= 4096
    }
}

#[test]
fn a_task_that_grew_too_large_is_not_kept() {
    let pool = start(Capped, 1, 1);
    assert_eq!(pool.submit(|b| b.resize(100, 0)).unwrap(), 100);
    assert_eq!(pool.submit(|b| b.resize(1 << 20, 0)).unwrap(), 1 << 20);
    assert_eq!(pool.stats().discards.oversized, 1);
    assert_eq!(pool.submit(|b| b.push(1)).unwrap(), 1);
}

#[test]
fn the_monitor_sees_the_task_pool_and_the_workers() {
    let pool = start(summer(), 2, 4);
    let registry = Registry::new();
    registry.register("checksum", &pool).unwrap();
    for id in 0..50 {
        pool.submit(|t| t.id = id).unwrap();
    }
    let snapshot = registry.snapshot();
    let me = snapshot.get("checksum").unwrap();
    assert_eq!(me.stats.gets, 50);
    assert_eq!(me.hit_rate, Some(49.0 / 50.0));
    let metric = |name: &str| me.metrics.iter().find(|m| m.name == name).map(|m| m.value);
    assert_eq!(metric("completed"), Some(50.0));
    assert_eq!(metric("workers"), Some(2.0));
    assert_eq!(metric("panicked"), Some(0.0));
    assert_eq!(metric("rejected"), Some(0.0));
    assert_eq!(metric("queued"), Some(0.0));
    assert_eq!(metric("blocked"), Some(0.0));
    assert!(metric("running").is_some());
    drop(pool);
    assert!(registry.snapshot().get("checksum").is_none(), "held weakly");
}

#[test]
fn pools_and_handles_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<WorkerPool<Vec<u8>, Capped>>();
    send::<TaskHandle<'static, Vec<u8>, Capped>>();
    send_sync::<SubmitError<fn(&mut Vec<u8>)>>();
}

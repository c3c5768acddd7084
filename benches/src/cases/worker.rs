//! The worker pool against rayon, a pool of boxed closures on std's mpsc, and a thread
//! per task.
//!
//! One operation is one task: copy 1 KiB in, checksum it, and give the checksum back to
//! the caller. Every pool runs `WORKERS` threads (this machine has 2 cores), and is
//! warmed before timing.
//!
//! # Groups
//!
//! - `worker_roundtrip_1k`: hand one task in and wait for its result before the next:
//!   the latency of a round trip, the seed's `Submit`.
//! - `worker_batch_1k`: hand `BATCH` tasks in, then wait for all of them: throughput
//!   with the queue busy. ns/op is per task.
//! - `worker_roundtrip_1k_busy` and `worker_batch_1k_busy`: the same, while a child
//!   process spins on one of the cores, as on a machine whose cores are busy, where a
//!   pool whose threads spin before they sleep may take the core from the work.
//!
//! # Cases
//!
//! - `new`: a thread per task (`std::thread::spawn`, then `join` for the result), the
//!   floor of what not to do, and the no-pool baseline.
//! - `poolside`: `WorkerPool`, whose task is a pooled `Vec<u8>` the fill closure copies
//!   the input into; `submit` for the round trip, `spawn` and `wait` for the batch.
//! - `rayon_spawn`: `rayon::ThreadPool::spawn` of a closure that owns a copy of the
//!   input and sends the checksum back on a std channel: a new channel per task in the
//!   round trip, one per batch in the batch.
//! - `rayon_install`: `ThreadPool::install` of a closure that borrows the caller's input
//!   and copies it into a buffer on the worker's stack; install blocks for the result
//!   (round trip only).
//! - `rayon_scope`: `ThreadPool::scope`, spawning one borrowing closure per task of the
//!   batch and writing each checksum into the caller's array (batch only).
//! - `mpsc_boxed`: a hand-written pool: `WORKERS` threads sharing a `Mutex<Receiver>` of
//!   `Box<dyn FnOnce() + Send>` closures, each owning a copy of the input and replying
//!   on a channel, as for `rayon_spawn`.

use std::hint::black_box;
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};

use poolside_worker::{Handler, WorkerPool};

use super::{baseline, case, WARM};
use crate::{looped, Case, Routine};

const WORKERS: usize = 2;
const BATCH: usize = 16;
const SIZE: usize = 1024;

static INPUT: [u8; SIZE] = {
    let mut a = [0u8; SIZE];
    let mut i = 0;
    while i < SIZE {
        a[i] = (i * 31 % 251) as u8;
        i += 1;
    }
    a
};

/// The task's work: a rotate-xor checksum of the bytes.
fn checksum(data: &[u8]) -> u64 {
    data.iter()
        .fold(0u64, |sum, &b| sum.rotate_left(5) ^ u64::from(b))
}

/// The input, copied by value: what a closure that owns its input captures.
fn input_copy() -> [u8; SIZE] {
    *black_box(&INPUT)
}

/// Runs `n` operations as batches of `BATCH` (a shorter last one), each by `batch(k)`.
fn batched(mut batch: impl FnMut(usize) + 'static) -> Box<dyn Routine> {
    for _ in 0..WARM {
        batch(BATCH);
    }
    looped(move |n| {
        let mut left = n as usize;
        while left > 0 {
            let k = left.min(BATCH);
            batch(k);
            left -= k;
        }
    })
}

/// Runs `op` `WARM` times, then returns it as a loop: for operations that return a
/// checksum, which is black-boxed.
fn each(mut op: impl FnMut() -> u64 + 'static) -> Box<dyn Routine> {
    for _ in 0..WARM {
        black_box(op());
    }
    looped(move |n| {
        for _ in 0..n {
            black_box(op());
        }
    })
}

fn poolside(queue: usize) -> WorkerPool<Vec<u8>, impl Handler<Vec<u8>, Output = u64>> {
    WorkerPool::builder(|buf: &mut Vec<u8>| checksum(buf))
        .workers(WORKERS)
        .queue(queue)
        .name("bench-worker")
        .build()
        .expect("threads start")
}

fn rayon_pool() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(WORKERS)
        .build()
        .expect("threads start")
}

/// The hand-written pool of boxed closures.
struct MpscPool {
    tx: Option<mpsc::Sender<Box<dyn FnOnce() + Send>>>,
    threads: Vec<JoinHandle<()>>,
}

impl MpscPool {
    fn new() -> Self {
        let (tx, rx) = mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = (0..WORKERS)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || loop {
                    let job = rx.lock().expect("no panics").recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
            })
            .collect();
        MpscPool {
            tx: Some(tx),
            threads,
        }
    }

    fn execute(&self, job: impl FnOnce() + Send + 'static) {
        if let Some(tx) = &self.tx {
            tx.send(Box::new(job)).expect("workers run");
        }
    }
}

impl Drop for MpscPool {
    fn drop(&mut self) {
        self.tx = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A pool that runs a closure owning its input, with the result sent back on a channel:
/// what `rayon_spawn` and `mpsc_boxed` share. Generic, so each case is its own code.
trait SpawnPool: 'static {
    fn spawn_job(&self, job: impl FnOnce() + Send + 'static);
}

impl SpawnPool for rayon::ThreadPool {
    fn spawn_job(&self, job: impl FnOnce() + Send + 'static) {
        self.spawn(job);
    }
}

impl SpawnPool for MpscPool {
    fn spawn_job(&self, job: impl FnOnce() + Send + 'static) {
        self.execute(job);
    }
}

/// One task at a time, each with its own reply channel.
fn spawn_roundtrip(pool: impl SpawnPool) -> Box<dyn Routine> {
    each(move || {
        let (tx, rx) = mpsc::channel();
        let data = input_copy();
        pool.spawn_job(move || {
            let _ = tx.send(checksum(&data));
        });
        rx.recv().expect("the task replies")
    })
}

/// Batches of tasks, replying on one channel per batch.
fn spawn_batch(pool: impl SpawnPool) -> Box<dyn Routine> {
    batched(move |k| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..k {
            let (tx, data) = (tx.clone(), input_copy());
            pool.spawn_job(move || {
                let _ = tx.send(checksum(&data));
            });
        }
        for _ in 0..k {
            black_box(rx.recv().expect("the task replies"));
        }
    })
}

fn new_roundtrip() -> Box<dyn Routine> {
    each(|| {
        let data = input_copy();
        thread::spawn(move || checksum(&data))
            .join()
            .expect("no panics")
    })
}

fn poolside_roundtrip() -> Box<dyn Routine> {
    let pool = poolside(4);
    each(move || {
        pool.submit(|buf| buf.extend_from_slice(black_box(&INPUT)))
            .expect("the pool runs")
    })
}

fn rayon_spawn_roundtrip() -> Box<dyn Routine> {
    spawn_roundtrip(rayon_pool())
}

fn rayon_install_roundtrip() -> Box<dyn Routine> {
    let pool = rayon_pool();
    each(move || {
        let input = black_box(&INPUT);
        pool.install(|| {
            let mut buf = [0u8; SIZE];
            buf.copy_from_slice(input);
            checksum(&buf)
        })
    })
}

fn mpsc_roundtrip() -> Box<dyn Routine> {
    spawn_roundtrip(MpscPool::new())
}

fn new_batch() -> Box<dyn Routine> {
    batched(|k| {
        let threads: Vec<_> = (0..k)
            .map(|_| {
                let data = input_copy();
                thread::spawn(move || checksum(&data))
            })
            .collect();
        for t in threads {
            black_box(t.join().expect("no panics"));
        }
    })
}

fn poolside_batch() -> Box<dyn Routine> {
    let pool = poolside(BATCH);
    batched(move |k| {
        // Handles borrow the pool, so they live on the stack: no allocation per batch.
        let mut handles = [(); BATCH].map(|()| None);
        for h in handles[..k].iter_mut() {
            *h = Some(pool.spawn(|buf| buf.extend_from_slice(black_box(&INPUT))));
        }
        for h in handles[..k].iter_mut() {
            if let Some(h) = h.take() {
                black_box(h.expect("the pool runs").wait().expect("no panics"));
            }
        }
    })
}

fn rayon_spawn_batch() -> Box<dyn Routine> {
    spawn_batch(rayon_pool())
}

fn rayon_scope_batch() -> Box<dyn Routine> {
    let pool = rayon_pool();
    let mut sums = [0u64; BATCH];
    batched(move |k| {
        let input = black_box(&INPUT);
        pool.scope(|s| {
            for sum in sums[..k].iter_mut() {
                s.spawn(move |_| {
                    let mut buf = [0u8; SIZE];
                    buf.copy_from_slice(input);
                    *sum = checksum(&buf);
                });
            }
        });
        black_box(&sums);
    })
}

fn mpsc_batch() -> Box<dyn Routine> {
    spawn_batch(MpscPool::new())
}

/// Starts, once per process, a child process that spins on one core: the busy machine
/// of the `_busy` groups, where services run. It is a shell loop, so it needs nothing
/// built, and it checks on every turn that this process is alive, so it ends with it,
/// however it ends; its output goes nowhere, so it holds no pipe open. It is not stopped
/// before: the `_busy` groups are timed in processes of their own (one per group), and
/// the counting pass, which runs every case in one, counts allocations, not time.
fn spin_one_core() {
    static SPINNER: OnceLock<()> = OnceLock::new();
    SPINNER.get_or_init(|| {
        use std::process::{Command, Stdio};
        // Never waited for: it outlives this process, and init reaps it then.
        #[allow(clippy::zombie_processes)]
        Command::new("sh")
            .args(["-c", "while kill -0 $PPID 2>/dev/null; do :; done"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the spinning child");
        // Let it start before anything is timed.
        thread::sleep(std::time::Duration::from_millis(50));
    });
}

/// `make`'s routine, on a machine with one core busy ([`spin_one_core`]).
fn busy(make: fn() -> Box<dyn Routine>) -> Box<dyn Routine> {
    spin_one_core();
    make()
}

pub(crate) fn register(all: &mut Vec<Case>) {
    const RT_BUSY: &str = "worker_roundtrip_1k_busy";
    const BT_BUSY: &str = "worker_batch_1k_busy";
    const RT: &str = "worker_roundtrip_1k";
    const BT: &str = "worker_batch_1k";
    all.extend([
        baseline(RT, true, new_roundtrip),
        case(RT, "poolside", true, poolside_roundtrip),
        case(RT, "rayon_spawn", true, rayon_spawn_roundtrip),
        case(RT, "rayon_install", false, rayon_install_roundtrip),
        case(RT, "mpsc_boxed", false, mpsc_roundtrip),
        baseline(BT, true, new_batch),
        case(BT, "poolside", true, poolside_batch),
        case(BT, "rayon_spawn", true, rayon_spawn_batch),
        case(BT, "rayon_scope", false, rayon_scope_batch),
        case(BT, "mpsc_boxed", false, mpsc_batch),
        baseline(RT_BUSY, true, || busy(new_roundtrip)),
        case(RT_BUSY, "poolside", true, || busy(poolside_roundtrip)),
        case(RT_BUSY, "rayon_spawn", true, || busy(rayon_spawn_roundtrip)),
        case(RT_BUSY, "mpsc_boxed", false, || busy(mpsc_roundtrip)),
        baseline(BT_BUSY, true, || busy(new_batch)),
        case(BT_BUSY, "poolside", true, || busy(poolside_batch)),
        case(BT_BUSY, "rayon_spawn", true, || busy(rayon_spawn_batch)),
    ]);
}

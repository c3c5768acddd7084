//! [`WorkerPool`]: the workers, the queue, the task pool, and the ways to hand work in.

use std::cell::Cell;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError, Weak};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crossbeam_channel::{Receiver, SendTimeoutError, Sender, TrySendError};
use crossbeam_utils::CachePadded;
use poolside_core::{Metric, Observable, Observe, Recycle, Reset, Stats, Verdict};
use poolside_object::{ObjectPool, Pooled};

use crate::config::WorkerConfig;
use crate::gate::Gate;
use crate::slot::{Ran, TaskCell};
use crate::{Handler, SubmitError, TaskPanicked};

/// A task slot as the pool holds it.
type TaskSlot<T, H> = Arc<TaskCell<T, <H as Handler<T>>::Output>>;

/// What travels down the queue: a task to run, or `None`, which stops one worker.
type Message<T, H> = Option<TaskSlot<T, H>>;

/// A fixed set of worker threads, a bounded queue, and task objects that are reused with
/// their buffers and their completion signal.
///
/// A [`Handler`] says what a task holds and how to run it. To hand work in, you give a
/// *fill* closure that writes the input into a pooled task (copy the request into its
/// buffer, say). The closure runs on your thread, before `spawn` or `submit` returns,
/// so it may borrow from your stack; nothing of yours has to be `'static` or boxed.
///
/// | call | when the queue is full | gives back |
/// |---|---|---|
/// | [`submit`](Self::submit) | waits for room | the output |
/// | [`submit_timeout`](Self::submit_timeout) | waits up to a timeout | the output |
/// | [`try_submit`](Self::try_submit) | returns [`SubmitError::Full`] | the output |
/// | [`spawn`](Self::spawn) | waits for room | a [`TaskHandle`] |
/// | [`spawn_timeout`](Self::spawn_timeout) | waits up to a timeout | a [`TaskHandle`] |
/// | [`try_spawn`](Self::try_spawn) | returns [`SubmitError::Full`] | a [`TaskHandle`] |
///
/// A rejected call gives the fill closure back, unrun. (So the error of a closure that
/// borrows borrows too; [`SubmitError::without_fill`] drops the closure, for `?` into a
/// `Box<dyn Error>`.) In steady state none of these
/// allocates: the task, its buffers, its completion signal and its place in the queue
/// are all reused (`tests/steady_state.rs` counts).
///
/// ```
/// use poolside_worker::{SubmitError, WorkerPool};
///
/// // Each task copies a request into its own buffer; the worker sums it.
/// let pool = WorkerPool::builder(|buf: &mut Vec<u8>| buf.iter().map(|&b| u64::from(b)).sum::<u64>()).workers(2).queue(8).build()?;
///
/// let request = [1u8; 1024]; // borrowed by the fill closure
/// let sum = pool.submit(|buf| buf.extend_from_slice(&request));
/// assert_eq!(sum.map_err(SubmitError::without_fill)?, 1024);
///
/// let handles: Vec<_> = (0..4u8)
///     .map(|i| pool.spawn(move |buf| buf.push(i)).expect("the pool is running"))
///     .collect();
/// let sums: Vec<u64> = handles.into_iter().map(|h| h.wait().unwrap()).collect();
/// assert_eq!(sums, [0, 1, 2, 3]);
///
/// pool.shutdown(); // runs what is queued, then joins the workers (drop does too)
/// assert!(pool.submit(|buf| buf.push(1)).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Panics, shutdown and backpressure
/// - A handler that panics gives its waiter [`TaskPanicked`]; the worker lives on, the
///   task's state is dropped rather than reused, and the panic is counted. A fill
///   closure that panics cancels the task and the panic goes on up in the caller.
/// - [`shutdown`](Self::shutdown), or dropping the pool, refuses new work with
///   [`SubmitError::ShutDown`], runs every task already queued, and joins the workers.
///   Every handle of a queued task gets its outcome.
/// - A full queue makes `submit` and `spawn` wait: the backpressure reaches the
///   callers, and [`blocked`](Self::blocked) counts them. The `try_` calls shed load
///   instead, the `_timeout` calls bound the wait.
/// - A handler must not submit to its own pool and wait: with every worker doing that,
///   nothing would run the inner tasks.
pub struct WorkerPool<T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    shared: Arc<Shared<T, H>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    config: WorkerConfig,
}

/// What the workers share with the pool.
struct Shared<T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    tasks: ObjectPool<TaskSlot<T, H>, SlotPolicy<H>>,
    tx: Sender<Message<T, H>>,
    rx: Receiver<Message<T, H>>,
    gate: Gate,
    counters: Box<[CachePadded<WorkerCounters>]>,
    rejected: AtomicU64,
    /// Hand-ins waiting for room in the full queue; written only when it is full.
    blocked: AtomicUsize,
}

/// One worker's counts, written by that worker alone.
#[derive(Debug, Default)]
struct WorkerCounters {
    completed: AtomicU64,
    panicked: AtomicU64,
    busy: AtomicBool,
}

/// Makes task slots from `Default`, and cleans returned ones with `Reset` after asking
/// the handler whether to keep them.
struct SlotPolicy<H> {
    handler: Arc<H>,
}

impl<T, H> Recycle<TaskSlot<T, H>> for SlotPolicy<H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    fn create(&self) -> TaskSlot<T, H> {
        Arc::new(TaskCell::new(T::default()))
    }

    fn recycle(&self, slot: &mut TaskSlot<T, H>) -> Verdict {
        slot.recycle(|task| {
            if !self.handler.keep(task) {
                return Verdict::Oversized;
            }
            task.reset();
            Verdict::Keep
        })
    }
}

thread_local! {
    /// On a worker thread, the address of its pool's shared part; 0 elsewhere.
    static WORKER_OF: Cell<usize> = const { Cell::new(0) };
}

impl<T, H> WorkerPool<T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    /// Starts `config.workers` threads running `handler`. The only error is the
    /// operating system refusing a thread; the threads already started are then stopped
    /// and joined.
    pub(crate) fn start(handler: H, config: WorkerConfig) -> io::Result<Self> {
        let (tx, rx) = crossbeam_channel::bounded(config.queue);
        // Room for every worker in the queue's list of waiting receivers.
        prepare_to_block(&rx, config.workers);
        let policy = SlotPolicy {
            handler: Arc::new(handler),
        };
        let shared = Arc::new(Shared {
            tasks: ObjectPool::builder()
                .policy(policy)
                .max_idle(config.idle_tasks())
                .build()
                .expect("the builder checked the task pool's limits"),
            tx,
            rx,
            gate: Gate::new(),
            counters: (0..config.workers)
                .map(|_| CachePadded::default())
                .collect(),
            rejected: AtomicU64::new(0),
            blocked: AtomicUsize::new(0),
        });
        let pool = WorkerPool {
            shared,
            threads: Mutex::new(Vec::with_capacity(config.workers)),
            config,
        };
        let (ready_tx, ready) = mpsc::channel();
        for index in 0..pool.config.workers {
            let mut builder = thread::Builder::new().name(format!("{}-{index}", pool.config.name));
            if let Some(size) = pool.config.stack_size {
                builder = builder.stack_size(size);
            }
            let shared = pool.shared.clone();
            let ready_tx = ready_tx.clone();
            match builder.spawn(move || work(&shared, index, ready_tx)) {
                Ok(thread) => pool.lock_threads().push(thread),
                // Dropping the pool stops and joins the threads already started.
                Err(e) => return Err(e),
            }
        }
        // Returns once every worker is running and primed, so the steady state starts
        // here. A worker that died first drops its sender, so `recv` fails, not hangs.
        drop(ready_tx);
        for _ in 0..pool.config.workers {
            if ready.recv().is_err() {
                break;
            }
        }
        Ok(pool)
    }

    /// Hands a task in, waiting for room in the queue, and waits for its output.
    ///
    /// `fill` writes the input into the pooled task; it runs on this thread before the
    /// task can run. Errors: [`SubmitError::ShutDown`] (with `fill` back), or
    /// [`SubmitError::Panicked`] if the handler panicked.
    pub fn submit<F>(&self, fill: F) -> Result<H::Output, SubmitError<F>>
    where
        F: FnOnce(&mut T),
    {
        Ok(self.spawn(fill)?.wait()?)
    }

    /// Like [`submit`](Self::submit), but waits at most `timeout` for room in the queue
    /// ([`SubmitError::Timeout`] after that). Once queued, it waits for the output.
    pub fn submit_timeout<F>(&self, fill: F, timeout: Duration) -> Result<H::Output, SubmitError<F>>
    where
        F: FnOnce(&mut T),
    {
        Ok(self.spawn_timeout(fill, timeout)?.wait()?)
    }

    /// Like [`submit`](Self::submit), but returns [`SubmitError::Full`] at once, with `fill`
    /// unrun, if the queue is full: the caller sheds the load.
    pub fn try_submit<F>(&self, fill: F) -> Result<H::Output, SubmitError<F>>
    where
        F: FnOnce(&mut T),
    {
        Ok(self.try_spawn(fill)?.wait()?)
    }

    /// Hands a task in, waiting for room in the queue, and returns a handle to wait on
    /// later, or to drop (the task still runs).
    pub fn spawn<F>(&self, fill: F) -> Result<TaskHandle<'_, T, H>, SubmitError<F>>
    where
        F: FnOnce(&mut T),
    {
        self.hand_in(fill, |tx, msg| {
            self.shared.send_or_wait(msg, |msg| {
                tx.send(msg)
                    .map_err(|e| (e.into_inner(), Refusal::ShutDown))
            })
        })
    }

    /// Like [`spawn`](Self::spawn), but waits at most `timeout` for room in the queue.
    pub fn spawn_timeout<F>(
        &self,
        fill: F,
        timeout: Duration,
    ) -> Result<TaskHandle<'_, T, H>, SubmitError<F>>
    where
        F: FnOnce(&mut T),
    {
        self.hand_in(fill, |tx, msg| {
            self.shared.send_or_wait(msg, |msg| {
                tx.send_timeout(msg, timeout).map_err(|e| match e {
                    SendTimeoutError::Timeout(msg) => (msg, Refusal::Timeout),
                    SendTimeoutError::Disconnected(msg) => (msg, Refusal::ShutDown),
                })
            })
        })
    }

    /// Like [`spawn`](Self::spawn), but returns [`SubmitError::Full`] at once if the queue
    /// is full.
    pub fn try_spawn<F>(&self, fill: F) -> Result<TaskHandle<'_, T, H>, SubmitError<F>>
    where
        F: FnOnce(&mut T),
    {
        self.hand_in(fill, |tx, msg| {
            tx.try_send(msg).map_err(|e| match e {
                TrySendError::Full(msg) => (msg, Refusal::Full),
                TrySendError::Disconnected(msg) => (msg, Refusal::ShutDown),
            })
        })
    }

    /// The one hand-in path: pass the gate, take a slot, lock it, queue it with `send`,
    /// then fill it. The slot stays locked from before it is queued until it is filled,
    /// so a worker that receives it early waits for the fill, and a refused hand-in
    /// gives `fill` back unrun.
    fn hand_in<F>(
        &self,
        fill: F,
        send: impl FnOnce(&Sender<Message<T, H>>, Message<T, H>) -> Result<(), (Message<T, H>, Refusal)>,
    ) -> Result<TaskHandle<'_, T, H>, SubmitError<F>>
    where
        F: FnOnce(&mut T),
    {
        let shared = &*self.shared;
        let Some(pass) = shared.gate.enter() else {
            return Err(self.refuse(Refusal::ShutDown, fill));
        };
        let slot = shared.tasks.get();
        let filling = slot.begin();
        let sent = send(&shared.tx, Some(TaskSlot::<T, H>::clone(&slot)));
        drop(pass);
        if let Err((_message, refusal)) = sent {
            filling.abandon();
            return Err(self.refuse(refusal, fill));
        }
        filling.fill(fill);
        Ok(TaskHandle { slot })
    }

    #[cold]
    fn refuse<F>(&self, refusal: Refusal, fill: F) -> SubmitError<F> {
        self.shared.rejected.fetch_add(1, Ordering::Relaxed);
        match refusal {
            Refusal::Full => SubmitError::Full(fill),
            Refusal::Timeout => SubmitError::Timeout(fill),
            Refusal::ShutDown => SubmitError::ShutDown(fill),
        }
    }

    /// Stops taking work, runs every task already queued, and joins the workers.
    ///
    /// Calls after the first return at once; a call racing the first waits for it. New
    /// submissions get [`SubmitError::ShutDown`]; callers blocked on a full queue get in
    /// (the workers are draining it) and their tasks run.
    ///
    /// Called from one of the pool's own workers, it only closes the pool to new work:
    /// a worker cannot join itself. Shut down, or drop, the pool from another thread.
    pub fn shutdown(&self) {
        let shared = &*self.shared;
        shared.gate.close();
        if self.on_own_worker() {
            return;
        }
        let mut threads = self.lock_threads();
        if threads.is_empty() {
            return;
        }
        // Once nobody is inside the gate, nothing more can enter the queue: the stops
        // come after every task, and each worker takes one after the tasks are taken.
        shared.gate.wait_empty();
        for _ in 0..threads.len() {
            // The pool holds the receiver, so the channel cannot be disconnected.
            let _ = shared.tx.send(None);
        }
        for thread in threads.drain(..) {
            // Handler panics are caught inside the worker; a join error would mean a
            // bug in the worker loop itself, and there is nobody to report it to.
            let _ = thread.join();
        }
    }

    /// Whether [`shutdown`](Self::shutdown) has been called.
    pub fn is_shut_down(&self) -> bool {
        self.shared.gate.is_closed()
    }

    /// The number of worker threads.
    pub fn workers(&self) -> usize {
        self.config.workers
    }

    /// How many tasks can wait in the queue before `submit` blocks.
    pub fn queue_capacity(&self) -> usize {
        self.config.queue
    }

    /// The handler the workers run.
    pub fn handler(&self) -> &H {
        &self.shared.tasks.policy().handler
    }

    /// Tasks waiting in the queue now.
    pub fn queued(&self) -> usize {
        self.shared.rx.len()
    }

    /// Workers running a task now.
    pub fn running(&self) -> usize {
        self.shared.running()
    }

    /// Callers waiting now for room in the full queue: in `submit`, `spawn` or their
    /// `_timeout` variants (the backpressure).
    pub fn blocked(&self) -> usize {
        self.shared.blocked.load(Ordering::Relaxed)
    }

    /// The task pool's statistics: `hits` are tasks that reused a slot, `misses` made one.
    pub fn stats(&self) -> Stats {
        self.shared.tasks.stats()
    }

    /// Tasks that ran to an output so far. A task is counted before its waiter gets
    /// the output, so a caller that has an output sees it counted.
    pub fn completed(&self) -> u64 {
        self.shared.completed()
    }

    /// Tasks whose handler panicked so far.
    pub fn panicked(&self) -> u64 {
        self.shared.panicked()
    }

    /// Hand-ins refused so far: a full queue, a timeout, or a pool shut down.
    pub fn rejected(&self) -> u64 {
        self.shared.rejected.load(Ordering::Relaxed)
    }

    fn on_own_worker(&self) -> bool {
        let me = Arc::as_ptr(&self.shared) as *const () as usize;
        WORKER_OF.with(|w| w.get() == me)
    }

    fn lock_threads(&self) -> std::sync::MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.threads.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Why a hand-in was refused, before the fill closure is put back into a [`SubmitError`].
enum Refusal {
    Full,
    Timeout,
    ShutDown,
}

/// A worker: runs tasks until it receives a stop.
fn work<T, H>(shared: &Arc<Shared<T, H>>, index: usize, ready: mpsc::Sender<()>)
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    WORKER_OF.with(|w| w.set(Arc::as_ptr(shared) as *const () as usize));
    // This thread's wait context (see `prepare_to_block`).
    prepare_to_block(&crossbeam_channel::bounded::<()>(1).1, 1);
    let _ = ready.send(());
    drop(ready);
    let handler = &*shared.tasks.policy().handler;
    let counters = &shared.counters[index];
    while let Ok(Some(slot)) = shared.rx.recv() {
        counters.busy.store(true, Ordering::Relaxed);
        slot.run(
            |task| handler.run(task),
            |ran| {
                let counter = match ran {
                    Ran::Completed => &counters.completed,
                    Ran::Panicked => &counters.panicked,
                    Ran::Cancelled => return, // not run, so never counted
                };
                // This worker is the counter's only writer: no read-modify-write needed.
                counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            },
        );
        counters.busy.store(false, Ordering::Relaxed);
    }
}

/// crossbeam-channel allocates in two places the first time something blocks, and
/// keeps the memory after: a thread's wait context, once per thread, and the list of
/// waiting receivers, which grows to the most receivers that ever waited at once. Both
/// would otherwise happen in the middle of the steady state, whenever a worker first
/// blocked or the workers first all slept together, so the pool makes them at start-up.
///
/// A `try_select` prepares to block (makes the context and registers its operations)
/// without spinning or waiting first, so both are deterministic. (A plain
/// `recv_timeout` spins before it prepares, and a short timeout can run out during the
/// spin.) `tests/steady_state.rs` would catch a crossbeam version where this changed.
fn prepare_to_block<T>(rx: &Receiver<T>, waiters: usize) {
    let mut select = crossbeam_channel::Select::new();
    for _ in 0..waiters {
        select.recv(rx);
    }
    let _ = select.try_select();
}

impl<T, H> Drop for WorkerPool<T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    /// Shuts the pool down: see [`shutdown`](WorkerPool::shutdown).
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl<T, H> fmt::Debug for WorkerPool<T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("workers", &self.config.workers)
            .field("queue", &self.config.queue)
            .field("queued", &self.queued())
            .field("shut_down", &self.is_shut_down())
            .finish_non_exhaustive()
    }
}

impl<T, H> Shared<T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    /// Queues `msg` if the queue has room. If it is full, the caller counts as blocked
    /// while `wait` queues it, so the count costs nothing while the queue has room.
    fn send_or_wait(
        &self,
        msg: Message<T, H>,
        wait: impl FnOnce(Message<T, H>) -> Result<(), (Message<T, H>, Refusal)>,
    ) -> Result<(), (Message<T, H>, Refusal)> {
        match self.tx.try_send(msg) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(msg)) => self.wait_for_room(msg, wait),
            Err(TrySendError::Disconnected(msg)) => Err((msg, Refusal::ShutDown)),
        }
    }

    #[cold]
    fn wait_for_room(
        &self,
        msg: Message<T, H>,
        wait: impl FnOnce(Message<T, H>) -> Result<(), (Message<T, H>, Refusal)>,
    ) -> Result<(), (Message<T, H>, Refusal)> {
        self.blocked.fetch_add(1, Ordering::Relaxed);
        let sent = wait(msg);
        self.blocked.fetch_sub(1, Ordering::Relaxed);
        sent
    }

    fn running(&self) -> usize {
        self.counters
            .iter()
            .filter(|c| c.busy.load(Ordering::Relaxed))
            .count()
    }

    fn completed(&self) -> u64 {
        self.counters
            .iter()
            .map(|c| c.completed.load(Ordering::Relaxed))
            .sum()
    }

    fn panicked(&self) -> u64 {
        self.counters
            .iter()
            .map(|c| c.panicked.load(Ordering::Relaxed))
            .sum()
    }
}

/// The task pool's statistics, plus the workers' own metrics: `workers`, `queued`,
/// `running`, `blocked`, `completed`, `panicked` and `rejected`.
impl<T, H> Observe for Shared<T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    fn stats(&self) -> Stats {
        self.tasks.stats()
    }

    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
        let gauge = |name: &'static str, help: &'static str, value: usize| {
            Metric::gauge(name, help, value as f64)
        };
        let counter = |name: &'static str, help: &'static str, value: u64| {
            Metric::counter(name, help, value as f64)
        };
        visit(gauge("workers", "worker threads", self.counters.len()));
        visit(gauge("queued", "tasks waiting in the queue", self.rx.len()));
        visit(gauge("running", "workers running a task", self.running()));
        visit(gauge(
            "blocked",
            "hand-ins waiting for room in the full queue",
            self.blocked.load(Ordering::Relaxed),
        ));
        visit(counter(
            "completed",
            "tasks that ran to an output",
            self.completed(),
        ));
        visit(counter(
            "panicked",
            "tasks whose handler panicked",
            self.panicked(),
        ));
        visit(counter(
            "rejected",
            "hand-ins refused: full queue, timeout or shut down",
            self.rejected.load(Ordering::Relaxed),
        ));
        self.tasks.visit_metrics(visit);
    }

    fn trim(&self) -> u64 {
        self.tasks.trim()
    }

    fn decay(&self) -> u64 {
        self.tasks.decay()
    }
}

/// A monitor holds the pool weakly: it does not keep the pool alive.
impl<T, H> Observable for WorkerPool<T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    fn observer(&self) -> Weak<dyn Observe> {
        let weak: Weak<Shared<T, H>> = Arc::downgrade(&self.shared);
        weak
    }
}

/// A task handed in with [`spawn`](WorkerPool::spawn): wait on it for the output, or
/// drop it (the task still runs; its output is dropped).
///
/// Waiting takes the outcome and gives the task's slot back to the pool on this thread,
/// which is what keeps a steady stream allocation-free. A handle dropped before its task
/// finishes leaves the slot to the worker: the pool counts it as a rejected discard and
/// makes a new one later.
#[must_use = "dropping a handle does not cancel the task; wait on it for the output"]
pub struct TaskHandle<'a, T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    slot: Pooled<'a, TaskSlot<T, H>, SlotPolicy<H>>,
}

impl<T, H> TaskHandle<'_, T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    /// Waits for the task's output.
    pub fn wait(self) -> Result<H::Output, TaskPanicked> {
        self.slot.wait()
    }

    /// Waits at most `timeout` for the output; gives the handle back if it is not ready.
    pub fn wait_timeout(self, timeout: Duration) -> Result<Result<H::Output, TaskPanicked>, Self> {
        match self.slot.wait_timeout(timeout) {
            Some(outcome) => Ok(outcome),
            None => Err(self),
        }
    }

    /// Whether the output is ready, so that [`wait`](Self::wait) would not block.
    pub fn is_finished(&self) -> bool {
        self.slot.is_finished()
    }
}

impl<T, H> Drop for TaskHandle<'_, T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    fn drop(&mut self) {
        // Then the guard returns the slot to the pool, whose policy refuses it if a
        // worker still has it (see `TaskCell::recycle`).
        if !self.slot.is_finished() {
            self.slot.abandon();
        }
    }
}

impl<T, H> fmt::Debug for TaskHandle<'_, T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

//! A task's slot: the reusable task state, its outcome, and the completion signal that
//! wakes its waiter. The task pool holds slots in `Arc`s; a queued slot is shared by its
//! handle and, through a clone sent down the queue, by the worker that runs it.
//!
//! The life of a slot, every step under its mutex:
//!
//! 1. `begin`: a submitter takes an idle slot from the pool and locks it (`Filling`). It
//!    keeps the lock while it sends a clone down the queue and fills the task, so a worker
//!    that receives the slot early waits for the fill.
//! 2. `Filling::fill` (`Queued`), or `Filling::abandon` if the queue refused it (`Idle`),
//!    or `Cancelled` if the fill panicked: no worker will run it.
//! 3. `run`: the worker takes the task out (`Running`), runs it unlocked, puts it back
//!    and records the outcome (`Done`), then wakes the waiter. After it unlocks, the
//!    worker only drops its clone of the `Arc`.
//! 4. `wait` takes the outcome (`Taken`), or `abandon` marks a slot whose handle is
//!    dropped before the task finished; the worker then drops the outcome itself.
//! 5. `recycle` resets a `Done`, `Taken` or `Idle` slot for the next task. A slot still
//!    queued or running (its handle was dropped early), or whose task panicked in its
//!    fill or its run, is refused: the pool drops its `Arc`, and the worker's clone is
//!    the last.
//!
//! Loom models of these steps are in `src/tests/loom.rs`.

use std::mem;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use poolside_core::Verdict;

use crate::sync::{spin_until, AtomicBool, Condvar, Mutex, MutexGuard, Ordering};
use crate::TaskPanicked;

/// Where a slot is in its life (see the module docs).
enum Stage<O> {
    Idle,
    Filling,
    Queued,
    Running,
    Cancelled,
    Done(Result<O, TaskPanicked>),
    Taken,
}

struct State<T, O> {
    stage: Stage<O>,
    /// `None` only while a worker runs it.
    task: Option<T>,
    /// The handle was dropped before the outcome: the worker disposes of it.
    abandoned: bool,
    /// The fill or the run panicked, so the task may be half-written: never reuse it.
    tainted: bool,
}

/// One task's reusable state and completion signal.
pub(crate) struct TaskCell<T, O> {
    state: Mutex<State<T, O>>,
    done: Condvar,
    /// Mirrors "the stage is `Done`", for a waiter that spins before it sleeps.
    finished: AtomicBool,
}

/// What a worker did with a slot it received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ran {
    /// Ran to an output.
    Completed,
    /// Ran and panicked.
    Panicked,
    /// Not run: its fill panicked.
    Cancelled,
}

impl<T, O> TaskCell<T, O> {
    /// An idle slot around a fresh task.
    pub(crate) fn new(task: T) -> Self {
        TaskCell {
            state: Mutex::new(State {
                stage: Stage::Idle,
                task: Some(task),
                abandoned: false,
                tainted: false,
            }),
            done: Condvar::new(),
            finished: AtomicBool::new(false),
        }
    }

    /// Locks the state. Nothing panics while holding it except inside `catch_unwind` or
    /// a reset whose slot is then dropped, so a poisoned lock still holds a valid state.
    fn lock(&self) -> MutexGuard<'_, State<T, O>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts handing an idle slot in: the submitter holds the lock until it has queued
    /// the slot and filled its task.
    pub(crate) fn begin(&self) -> Filling<'_, T, O> {
        let mut state = self.lock();
        debug_assert!(matches!(state.stage, Stage::Idle));
        state.stage = Stage::Filling;
        Filling { state }
    }

    /// Runs a queued task with `run`, calls `count` with how it ran, then records the
    /// outcome and wakes the waiter: counted first, so that a waiter that has its output
    /// sees it counted. A cancelled task is not run, nor counted.
    pub(crate) fn run(&self, run: impl FnOnce(&mut T) -> O, count: impl FnOnce(Ran)) -> Ran {
        let mut task = {
            let mut state = self.lock();
            if !matches!(state.stage, Stage::Queued) {
                // Only `Cancelled` reaches a worker otherwise: the submitter holds the
                // lock from `Filling` until `Queued` or `Cancelled`.
                return Ran::Cancelled;
            }
            state.stage = Stage::Running;
            match state.task.take() {
                Some(task) => task,
                None => return Ran::Cancelled,
            }
        };
        let outcome = match catch_unwind(AssertUnwindSafe(|| run(&mut task))) {
            Ok(output) => Ok(output),
            Err(payload) => Err(TaskPanicked::from_payload(payload)),
        };
        let ran = if outcome.is_ok() {
            Ran::Completed
        } else {
            Ran::Panicked
        };
        count(ran);
        let mut state = self.lock();
        state.task = Some(task);
        state.tainted |= ran == Ran::Panicked;
        if state.abandoned {
            state.stage = Stage::Taken;
            drop(state);
            // Nobody will read it. Its `Drop` is user code, so it runs unlocked, and a
            // panic in it must not end the worker.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(outcome)));
            return ran;
        }
        state.stage = Stage::Done(outcome);
        self.finished.store(true, Ordering::Release);
        // Notified under the lock, so that once the lock is released the worker touches
        // nothing of the slot but its `Arc`: the waiter may already be reusing it.
        self.done.notify_one();
        drop(state);
        ran
    }

    /// Whether the outcome is ready; never blocks.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// Waits for the outcome and takes it.
    pub(crate) fn wait(&self) -> Result<O, TaskPanicked> {
        spin_until(|| self.is_finished());
        let mut state = self.lock();
        loop {
            if let Some(outcome) = take_done(&mut state) {
                return outcome;
            }
            state = self
                .done
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Waits at most `timeout` for the outcome; `None` if it is not ready by then.
    pub(crate) fn wait_timeout(&self, timeout: Duration) -> Option<Result<O, TaskPanicked>> {
        // An unrepresentable deadline means "no deadline".
        let deadline = Instant::now().checked_add(timeout);
        spin_until(|| self.is_finished());
        let mut state = self.lock();
        loop {
            if let Some(outcome) = take_done(&mut state) {
                return Some(outcome);
            }
            match deadline {
                None => {
                    state = self
                        .done
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner)
                }
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return None;
                    }
                    state = self
                        .done
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
        }
    }

    /// The handle is going away before its task finished: the worker is to dispose of
    /// the outcome. A slot already `Done` keeps its outcome for `recycle` to drop.
    pub(crate) fn abandon(&self) {
        let mut state = self.lock();
        if matches!(state.stage, Stage::Queued | Stage::Running) {
            state.abandoned = true;
        }
    }

    /// Readies a returned slot for its next task: `reset` cleans the task and says
    /// whether to keep it. A slot still in use, or whose task panicked, is refused.
    pub(crate) fn recycle(&self, reset: impl FnOnce(&mut T) -> Verdict) -> Verdict {
        let mut state = self.lock();
        if state.tainted || !matches!(state.stage, Stage::Done(_) | Stage::Taken | Stage::Idle) {
            return Verdict::Reject;
        }
        // An outcome nobody waited for is dropped here; a panic in its `Drop` discards
        // the slot, like a panic in `reset`.
        state.stage = Stage::Idle;
        let Some(task) = state.task.as_mut() else {
            return Verdict::Reject;
        };
        let verdict = reset(task);
        state.abandoned = false;
        self.finished.store(false, Ordering::Relaxed);
        verdict
    }
}

impl<T, O> std::fmt::Debug for TaskCell<T, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskCell")
            .field("finished", &self.is_finished())
            .finish_non_exhaustive()
    }
}

/// Takes the outcome out of a `Done` state.
fn take_done<T, O>(state: &mut State<T, O>) -> Option<Result<O, TaskPanicked>> {
    if !matches!(state.stage, Stage::Done(_)) {
        return None;
    }
    match mem::replace(&mut state.stage, Stage::Taken) {
        Stage::Done(outcome) => Some(outcome),
        _ => None,
    }
}

/// A slot being handed in: locked, so no worker can run it before it is filled.
pub(crate) struct Filling<'a, T, O> {
    state: MutexGuard<'a, State<T, O>>,
}

impl<T, O> Filling<'_, T, O> {
    /// The queue refused the slot: it goes back to idle, untouched.
    pub(crate) fn abandon(mut self) {
        self.state.stage = Stage::Idle;
    }

    /// Fills the queued task. If `fill` panics, the task is cancelled (no worker runs
    /// it), the lock is released, and the panic goes on up to the submitter.
    pub(crate) fn fill(mut self, fill: impl FnOnce(&mut T)) {
        let state = &mut *self.state;
        let Some(task) = state.task.as_mut() else {
            return;
        };
        match catch_unwind(AssertUnwindSafe(|| fill(task))) {
            Ok(()) => state.stage = Stage::Queued,
            Err(payload) => {
                state.stage = Stage::Cancelled;
                state.tainted = true;
                drop(self);
                resume_unwind(payload);
            }
        }
    }
}

impl<T, O> std::fmt::Debug for Filling<'_, T, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filling").finish_non_exhaustive()
    }
}

impl<T, O> Drop for Filling<'_, T, O> {
    fn drop(&mut self) {
        // Dropped without `fill` or `abandon`: it may be queued, so cancel it.
        if matches!(self.state.stage, Stage::Filling) {
            self.state.stage = Stage::Cancelled;
            self.state.tainted = true;
        }
    }
}

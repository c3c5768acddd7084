//! What the workers run: a [`Handler`] over reusable task state, and [`FnHandler`] for
//! a plain function.

use std::fmt;
use std::marker::PhantomData;

use poolside_core::Reset;

/// The work a [`WorkerPool`](crate::WorkerPool) does, over task state that is reused.
///
/// A submitter fills a `Task` (say, copies its request into the task's buffer); a worker
/// runs it and returns an `Output`; the task is then [`reset`](Reset::reset) and goes
/// back to the pool with its buffers' capacity, so a steady stream of tasks allocates
/// nothing. Return output that owns no pooled memory (a checksum, a status, a count), or
/// one whose allocation you accept.
///
/// ```
/// use poolside_worker::Handler;
///
/// /// Checksums whatever was copied into the task's buffer.
/// struct Checksum;
///
/// impl Handler for Checksum {
///     type Task = Vec<u8>;
///     type Output = u32;
///
///     fn run(&self, data: &mut Vec<u8>) -> u32 {
///         data.iter().fold(0u32, |sum, &b| sum.rotate_left(5) ^ u32::from(b))
///     }
///
///     fn keep(&self, data: &Vec<u8>) -> bool {
///         data.capacity() <= 64 * 1024 // don't keep a buffer a huge task grew
///     }
/// }
/// ```
pub trait Handler: Send + Sync + 'static {
    /// The reusable state of one task: its input buffers and scratch space.
    type Task: Default + Reset + Send + 'static;
    /// What a task gives back to its waiter.
    type Output: Send + 'static;

    /// Runs one task. A panic here is caught: the waiter gets
    /// [`TaskPanicked`](crate::TaskPanicked), the worker lives on, and the task's state
    /// is dropped instead of reused.
    fn run(&self, task: &mut Self::Task) -> Self::Output;

    /// Whether a finished task's state may be kept for another task. The default keeps
    /// everything; refuse state that grew too large, so that one huge task does not pin
    /// its memory in the pool. A refused task counts as an oversized discard.
    fn keep(&self, task: &Self::Task) -> bool {
        let _ = task;
        true
    }
}

/// A [`Handler`] made from a function or closure over `&mut T`.
///
/// ```
/// use poolside_worker::{FnHandler, WorkerPool};
///
/// let pool = WorkerPool::builder(FnHandler::new(|words: &mut Vec<String>| words.len())).workers(2).build()?;
/// let n = pool.submit(|words| words.extend(["a".to_owned(), "b".to_owned()]))?;
/// assert_eq!(n, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FnHandler<F, T, O> {
    run: F,
    _types: PhantomData<fn(&mut T) -> O>,
}

impl<F, T, O> FnHandler<F, T, O>
where
    F: Fn(&mut T) -> O,
{
    /// Wraps `run`.
    pub fn new(run: F) -> Self {
        FnHandler {
            run,
            _types: PhantomData,
        }
    }
}

impl<F, T, O> Handler for FnHandler<F, T, O>
where
    F: Fn(&mut T) -> O + Send + Sync + 'static,
    T: Default + Reset + Send + 'static,
    O: Send + 'static,
{
    type Task = T;
    type Output = O;

    fn run(&self, task: &mut T) -> O {
        (self.run)(task)
    }
}

impl<F, T, O> fmt::Debug for FnHandler<F, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnHandler").finish_non_exhaustive()
    }
}

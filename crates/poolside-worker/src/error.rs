//! What can go wrong: a task that was not handed in, or that panicked.

use std::any::Any;
use std::borrow::Cow;
use std::error::Error;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A task's handler panicked. The worker caught the panic and lives on; the task's
/// state was dropped rather than reused, since the panic may have left it half-written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPanicked {
    message: Option<Cow<'static, str>>,
}

impl TaskPanicked {
    /// Takes the message out of a panic's payload, and drops the rest of it.
    pub(crate) fn from_payload(payload: Box<dyn Any + Send>) -> Self {
        let payload = match payload.downcast::<&'static str>() {
            Ok(s) => {
                return TaskPanicked {
                    message: Some(Cow::Borrowed(*s)),
                }
            }
            Err(other) => other,
        };
        let payload = match payload.downcast::<String>() {
            Ok(s) => {
                return TaskPanicked {
                    message: Some(Cow::Owned(*s)),
                }
            }
            Err(other) => other,
        };
        // A payload of another type is dropped here, and its `Drop` may panic too.
        if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            std::mem::forget(again);
        }
        TaskPanicked { message: None }
    }

    /// The panic's message, if its payload was a string (as `panic!` with a message
    /// makes it).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

impl fmt::Display for TaskPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => write!(f, "the task panicked: {m}"),
            None => f.write_str("the task panicked"),
        }
    }
}

impl Error for TaskPanicked {}

/// Why a task gave no output: it was not handed in (the queue was full, stayed full, or
/// the pool is shut down), and then the fill closure comes back unrun so that the caller
/// can retry, run the work itself, or shed it; or it ran and panicked. The `spawn`
/// methods return it too, never as [`Panicked`](SubmitError::Panicked): their task's
/// panic is the [`TaskHandle`](crate::TaskHandle)'s to report.
///
/// ```
/// use poolside_worker::{SubmitError, WorkerPool};
///
/// let pool = WorkerPool::builder(|n: &mut u64| *n * 2).workers(1).queue(1).build()?;
/// pool.shutdown();
/// match pool.try_submit(|n| *n = 21) {
///     Err(SubmitError::ShutDown(fill)) => drop(fill),
///     other => unreachable!("a shut-down pool takes no work: {other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub enum SubmitError<F> {
    /// The queue was full, and the call was not to wait (`try_spawn`, `try_submit`).
    Full(F),
    /// The queue stayed full for the whole timeout (`spawn_timeout`, `submit_timeout`).
    Timeout(F),
    /// The pool is shut down, or shutting down, and takes no new work.
    ShutDown(F),
    /// The task ran and its handler panicked.
    Panicked(TaskPanicked),
}

impl<F> SubmitError<F> {
    /// The fill closure that was not run, if the task was not handed in.
    pub fn into_fill(self) -> Option<F> {
        match self {
            SubmitError::Full(f) | SubmitError::Timeout(f) | SubmitError::ShutDown(f) => Some(f),
            SubmitError::Panicked(_) => None,
        }
    }

    /// The same error without the fill closure. A closure that borrows from the caller
    /// makes the error borrow too, and `?` into a `Box<dyn Error>` needs `'static`:
    ///
    /// ```
    /// use poolside_worker::{SubmitError, WorkerPool};
    ///
    /// let pool = WorkerPool::builder(|buf: &mut Vec<u8>| buf.len()).workers(1).build()?;
    /// let input = vec![1u8; 100]; // borrowed by the fill closure below
    /// let n = pool
    ///     .submit(|buf| buf.extend_from_slice(&input))
    ///     .map_err(SubmitError::without_fill)?;
    /// assert_eq!(n, 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without_fill(self) -> SubmitError<()> {
        match self {
            SubmitError::Full(_) => SubmitError::Full(()),
            SubmitError::Timeout(_) => SubmitError::Timeout(()),
            SubmitError::ShutDown(_) => SubmitError::ShutDown(()),
            SubmitError::Panicked(p) => SubmitError::Panicked(p),
        }
    }
}

impl<F> From<TaskPanicked> for SubmitError<F> {
    fn from(p: TaskPanicked) -> Self {
        SubmitError::Panicked(p)
    }
}

impl<F> fmt::Debug for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::Full(_) => f.write_str("Full(..)"),
            SubmitError::Timeout(_) => f.write_str("Timeout(..)"),
            SubmitError::ShutDown(_) => f.write_str("ShutDown(..)"),
            SubmitError::Panicked(p) => f.debug_tuple("Panicked").field(p).finish(),
        }
    }
}

impl<F> fmt::Display for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::Full(_) => f.write_str("the worker pool's queue is full"),
            SubmitError::Timeout(_) => {
                f.write_str("the worker pool's queue stayed full until the timeout")
            }
            SubmitError::ShutDown(_) => f.write_str("the worker pool is shut down"),
            SubmitError::Panicked(p) => fmt::Display::fmt(p, f),
        }
    }
}

impl<F> Error for SubmitError<F> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            SubmitError::Panicked(p) => Some(p),
            _ => None,
        }
    }
}

//! What can go wrong: a task that was not handed in, a task that panicked.

use std::any::Any;
use std::borrow::Cow;
use std::error::Error;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Why a task was not handed in. Each variant gives the fill closure back, unrun, so the
/// caller can retry, run the work itself, or shed it.
///
/// ```
/// use poolside_worker::{FnHandler, Rejected, WorkerPool};
///
/// let pool = WorkerPool::builder(FnHandler::new(|n: &mut u64| *n * 2)).workers(1).queue(1).build()?;
/// pool.shutdown();
/// match pool.try_submit(|n| *n = 21) {
///     Err(e) => {
///         assert!(matches!(e.rejected(), Some(Rejected::ShutDown(_))));
///     }
///     Ok(_) => unreachable!("a shut-down pool takes no work"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub enum Rejected<F> {
    /// The queue was full, and the call was not to wait (`try_spawn`, `try_submit`).
    Full(F),
    /// The queue stayed full for the whole timeout (`spawn_timeout`, `submit_timeout`).
    Timeout(F),
    /// The pool is shut down, or shutting down, and takes no new work.
    ShutDown(F),
}

impl<F> Rejected<F> {
    /// The fill closure that was not run.
    pub fn into_inner(self) -> F {
        match self {
            Rejected::Full(f) | Rejected::Timeout(f) | Rejected::ShutDown(f) => f,
        }
    }

    /// The same refusal without the closure: for a fill closure that borrows, whose
    /// error cannot go into a `Box<dyn Error>` (that needs `'static`).
    pub fn without_fill(self) -> Rejected<()> {
        match self {
            Rejected::Full(_) => Rejected::Full(()),
            Rejected::Timeout(_) => Rejected::Timeout(()),
            Rejected::ShutDown(_) => Rejected::ShutDown(()),
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Rejected::Full(_) => "the worker pool's queue is full",
            Rejected::Timeout(_) => "the worker pool's queue stayed full until the timeout",
            Rejected::ShutDown(_) => "the worker pool is shut down",
        }
    }
}

impl<F> fmt::Debug for Rejected<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Rejected::Full(_) => "Full",
            Rejected::Timeout(_) => "Timeout",
            Rejected::ShutDown(_) => "ShutDown",
        };
        write!(f, "{name}(..)")
    }
}

impl<F> fmt::Display for Rejected<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl<F> Error for Rejected<F> {}

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

/// Why [`submit`](crate::WorkerPool::submit) and its variants gave no output.
pub enum SubmitError<F> {
    /// The task was not handed in; the fill closure comes back unrun.
    Rejected(Rejected<F>),
    /// The task ran and panicked.
    Panicked(TaskPanicked),
}

impl<F> SubmitError<F> {
    /// Why the task was not handed in, if it was not.
    pub fn rejected(self) -> Option<Rejected<F>> {
        match self {
            SubmitError::Rejected(r) => Some(r),
            SubmitError::Panicked(_) => None,
        }
    }
}

impl<F> SubmitError<F> {
    /// The same error without the fill closure. A closure that borrows from the caller
    /// makes the error borrow too, and `?` into a `Box<dyn Error>` needs `'static`:
    ///
    /// ```
    /// use poolside_worker::{FnHandler, SubmitError, WorkerPool};
    ///
    /// let pool = WorkerPool::builder(FnHandler::new(|buf: &mut Vec<u8>| buf.len())).workers(1).build()?;
    /// let input = vec![1u8; 100]; // borrowed by the fill closure below
    /// let n = pool
    ///     .submit(|buf| buf.extend_from_slice(&input))
    ///     .map_err(SubmitError::without_fill)?;
    /// assert_eq!(n, 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without_fill(self) -> SubmitError<()> {
        match self {
            SubmitError::Rejected(r) => SubmitError::Rejected(r.without_fill()),
            SubmitError::Panicked(p) => SubmitError::Panicked(p),
        }
    }
}

impl<F> From<Rejected<F>> for SubmitError<F> {
    fn from(r: Rejected<F>) -> Self {
        SubmitError::Rejected(r)
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
            SubmitError::Rejected(r) => f.debug_tuple("Rejected").field(r).finish(),
            SubmitError::Panicked(p) => f.debug_tuple("Panicked").field(p).finish(),
        }
    }
}

impl<F> fmt::Display for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::Rejected(r) => fmt::Display::fmt(r, f),
            SubmitError::Panicked(p) => fmt::Display::fmt(p, f),
        }
    }
}

impl<F> Error for SubmitError<F> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            SubmitError::Rejected(_) => None,
            SubmitError::Panicked(p) => Some(p),
        }
    }
}

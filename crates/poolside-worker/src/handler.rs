//! What the workers run: a [`Handler`] over reusable task state, which any function or
//! closure over `&mut T` is.

/// The work a [`WorkerPool`](crate::WorkerPool) does, over task state `T` that is reused.
///
/// A submitter fills a `T` (say, copies its request into the task's buffer); a worker
/// runs it and returns an `Output`; the task is then [`reset`](poolside_core::Reset::reset)
/// and goes back to the pool with its buffers' capacity, so a steady stream of tasks
/// allocates nothing. Return output that owns no pooled memory (a checksum, a status, a
/// count), or one whose allocation you accept.
///
/// Any `Fn(&mut T) -> O` that may be shared between threads is a handler, that keeps
/// every task:
///
/// ```
/// use poolside_worker::WorkerPool;
///
/// let pool = WorkerPool::builder(|words: &mut Vec<String>| words.len()).workers(2).build()?;
/// let n = pool.submit(|words| words.extend(["a".to_owned(), "b".to_owned()]))?;
/// assert_eq!(n, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A type of your own can also refuse to keep a task's state:
///
/// ```
/// use poolside_worker::Handler;
///
/// /// Checksums whatever was copied into the task's buffer.
/// struct Checksum;
///
/// impl Handler<Vec<u8>> for Checksum {
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
///
/// A pool's type names its handler, so a pool of a function, or of a closure that
/// captures nothing, can be written out with a function pointer, in a `static` say:
///
/// ```
/// use std::sync::LazyLock;
/// use poolside_worker::{SubmitError, WorkerPool};
///
/// fn double(n: &mut u64) -> u64 {
///     *n * 2
/// }
///
/// static DOUBLER: LazyLock<WorkerPool<u64, fn(&mut u64) -> u64>> = LazyLock::new(|| {
///     WorkerPool::builder(double as fn(&mut u64) -> u64).workers(1).build().expect("a thread")
/// });
///
/// assert_eq!(DOUBLER.submit(|n| *n = 21).map_err(SubmitError::without_fill)?, 42);
/// # Ok::<(), poolside_worker::SubmitError<()>>(())
/// ```
pub trait Handler<T>: Send + Sync + 'static {
    /// What a task gives back to its waiter.
    type Output: Send + 'static;

    /// Runs one task. A panic here is caught: the waiter gets
    /// [`TaskPanicked`](crate::TaskPanicked), the worker lives on, and the task's state
    /// is dropped instead of reused.
    fn run(&self, task: &mut T) -> Self::Output;

    /// Whether a finished task's state may be kept for another task. The default keeps
    /// everything; refuse state that grew too large, so that one huge task does not pin
    /// its memory in the pool. A refused task counts as an oversized discard.
    fn keep(&self, task: &T) -> bool {
        let _ = task;
        true
    }
}

impl<T, O, F> Handler<T> for F
where
    F: Fn(&mut T) -> O + Send + Sync + 'static,
    O: Send + 'static,
{
    type Output = O;

    fn run(&self, task: &mut T) -> O {
        self(task)
    }
}

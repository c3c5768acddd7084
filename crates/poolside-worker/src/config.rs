//! [`WorkerPoolBuilder`]: how many workers, how long a queue, what the threads are
//! called, checked when the pool is built.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::thread;

use poolside_core::internals::PoolConfig;
use poolside_core::{ConfigError, Reset};

use crate::{Handler, WorkerPool};

/// The most workers a pool may have.
const MAX_WORKERS: usize = 4096;
/// The longest queue a pool may have; the queue's memory is allocated when the pool
/// starts, so an absurd length would be an absurd allocation.
const MAX_QUEUE: usize = 1 << 20;

/// A worker pool's settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorkerConfig {
    pub(crate) workers: usize,
    pub(crate) queue: usize,
    pub(crate) name: Cow<'static, str>,
    pub(crate) stack_size: Option<usize>,
    idle_tasks: Option<usize>,
}

impl WorkerConfig {
    /// How many idle tasks the task pool keeps. By default one for every place in the
    /// queue and every worker, and at least the object pool's default.
    pub(crate) fn idle_tasks(&self) -> usize {
        self.idle_tasks.unwrap_or_else(|| {
            (self.queue + self.workers)
                .clamp(PoolConfig::DEFAULT_MAX_IDLE, PoolConfig::MAX_IDLE_LIMIT)
        })
    }
}

/// Builds a [`WorkerPool`]: [`WorkerPool::builder`], then the setters, then
/// [`build`](Self::build), which checks them and starts the workers.
///
/// ```
/// use poolside_core::{ConfigError, Reset};
/// use poolside_worker::WorkerPool;
///
/// let double = || |n: &mut u64| *n * 2;
/// let pool = WorkerPool::builder(double()).workers(2).queue(64).name("encoder").build()?;
/// assert_eq!((pool.workers(), pool.queue_capacity()), (2, 64));
///
/// let none = WorkerPool::builder(double()).workers(0).build();
/// assert_eq!(none.unwrap_err(), ConfigError::ZeroWorkers);
/// # Ok::<(), ConfigError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct WorkerPoolBuilder<T, H> {
    handler: H,
    task: PhantomData<fn() -> T>,
    config: WorkerConfig,
}

impl<T, H> WorkerPool<T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    /// A builder of a pool running `handler`, with the defaults: one worker per
    /// available core (1 if unknown), a queue of twice that, threads named
    /// `poolside-worker-{i}`.
    pub fn builder(handler: H) -> WorkerPoolBuilder<T, H> {
        let workers = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        WorkerPoolBuilder {
            handler,
            task: PhantomData,
            config: WorkerConfig {
                workers,
                queue: workers * 2,
                name: Cow::Borrowed("poolside-worker"),
                stack_size: None,
                idle_tasks: None,
            },
        }
    }
}

impl<T, H> WorkerPoolBuilder<T, H>
where
    T: Default + Reset + Send + 'static,
    H: Handler<T>,
{
    /// The number of worker threads, from 1 to 4096.
    pub fn workers(mut self, n: usize) -> Self {
        self.config.workers = n;
        self
    }

    /// How many tasks can wait in the queue before `submit` blocks, from 1 to 2^20.
    pub fn queue(mut self, n: usize) -> Self {
        self.config.queue = n;
        self
    }

    /// The prefix of the worker threads' names: worker `i` is `"{name}-{i}"`.
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.config.name = name.into();
        self
    }

    /// The worker threads' stack size in bytes.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.config.stack_size = Some(bytes);
        self
    }

    /// How many idle tasks, with their buffers, are kept for reuse, from 1 to 2^24 (the
    /// task pool's `max_idle`: a value out of range is [`ConfigError::ZeroMaxIdle`] or
    /// [`ConfigError::MaxIdleTooLarge`]). By default one for every place in the queue and
    /// every worker, and at least 1024.
    pub fn idle_tasks(mut self, n: usize) -> Self {
        self.config.idle_tasks = Some(n);
        self
    }

    /// Checks the settings and starts the workers; returns once every one runs. A
    /// thread the system refuses to start is [`ConfigError::ThreadSpawn`], and the
    /// threads already started are then stopped and joined.
    pub fn build(self) -> Result<WorkerPool<T, H>, ConfigError> {
        let c = &self.config;
        if c.workers == 0 {
            return Err(ConfigError::ZeroWorkers);
        }
        if c.workers > MAX_WORKERS {
            return Err(ConfigError::TooManyWorkers {
                workers: c.workers,
                limit: MAX_WORKERS,
            });
        }
        if c.queue == 0 {
            return Err(ConfigError::ZeroQueue);
        }
        if c.queue > MAX_QUEUE {
            return Err(ConfigError::QueueTooLarge {
                queue: c.queue,
                limit: MAX_QUEUE,
            });
        }
        if c.name.contains('\0') {
            return Err(ConfigError::NameHasNul);
        }
        PoolConfig::builder().max_idle(c.idle_tasks()).build()?;
        WorkerPool::start(self.handler, self.config)
            .map_err(|e| ConfigError::ThreadSpawn { kind: e.kind() })
    }
}

impl<T, H> fmt::Debug for WorkerPoolBuilder<T, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPoolBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

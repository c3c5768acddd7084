//! [`WorkerConfig`]: how many workers, how long a queue, and what the threads are called.

use std::borrow::Cow;
use std::num::NonZeroUsize;
use std::thread;

use poolside_core::PoolConfig;

use crate::ConfigError;

/// A worker pool's configuration, checked when built.
///
/// ```
/// use poolside_worker::{ConfigError, WorkerConfig};
///
/// let config = WorkerConfig::builder().workers(4).queue(64).name("encoder").build()?;
/// assert_eq!((config.workers(), config.queue()), (4, 64));
///
/// assert_eq!(WorkerConfig::builder().workers(0).build(), Err(ConfigError::ZeroWorkers));
/// assert_eq!(WorkerConfig::builder().queue(0).build(), Err(ConfigError::ZeroQueue));
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    workers: usize,
    queue: usize,
    name: Cow<'static, str>,
    stack_size: Option<usize>,
    task_pool: Option<PoolConfig>,
}

impl WorkerConfig {
    /// The most workers a pool may have.
    pub const MAX_WORKERS: usize = 4096;
    /// The longest queue a pool may have; the queue's memory is allocated when the pool
    /// starts, so an absurd length would be an absurd allocation.
    pub const MAX_QUEUE: usize = 1 << 20;

    /// A builder that starts from the [`Default`] values.
    pub fn builder() -> WorkerConfigBuilder {
        WorkerConfigBuilder {
            config: WorkerConfig::default(),
        }
    }

    /// The number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// How many tasks can wait in the queue before `submit` blocks.
    pub fn queue(&self) -> usize {
        self.queue
    }

    /// The prefix of the worker threads' names: worker `i` is `"{name}-{i}"`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The worker threads' stack size, if not the default.
    pub fn stack_size(&self) -> Option<usize> {
        self.stack_size
    }

    /// The task pool's configuration. By default it keeps up to one idle task for every
    /// place in the queue and every worker, and at least the object pool's default.
    pub fn task_pool(&self) -> PoolConfig {
        if let Some(config) = self.task_pool {
            return config;
        }
        let wanted = (self.queue + self.workers)
            .clamp(PoolConfig::DEFAULT_MAX_IDLE, PoolConfig::MAX_IDLE_LIMIT);
        PoolConfig::builder()
            .max_idle(wanted)
            .build()
            .unwrap_or_default()
    }
}

impl Default for WorkerConfig {
    /// One worker per available core (1 if unknown), a queue of twice that (the seed's
    /// shape), threads named `poolside-worker-{i}`.
    fn default() -> Self {
        let workers = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        WorkerConfig {
            workers,
            queue: workers * 2,
            name: Cow::Borrowed("poolside-worker"),
            stack_size: None,
            task_pool: None,
        }
    }
}

/// Builds a [`WorkerConfig`]; [`build`](WorkerConfigBuilder::build) checks it.
#[derive(Debug, Clone)]
pub struct WorkerConfigBuilder {
    config: WorkerConfig,
}

impl WorkerConfigBuilder {
    /// The number of worker threads, from 1 to [`WorkerConfig::MAX_WORKERS`].
    pub fn workers(mut self, n: usize) -> Self {
        self.config.workers = n;
        self
    }

    /// The queue's length, from 1 to [`WorkerConfig::MAX_QUEUE`].
    pub fn queue(mut self, n: usize) -> Self {
        self.config.queue = n;
        self
    }

    /// The prefix of the worker threads' names.
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.config.name = name.into();
        self
    }

    /// The worker threads' stack size in bytes.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.config.stack_size = Some(bytes);
        self
    }

    /// The configuration of the pool that keeps idle tasks.
    pub fn task_pool(mut self, config: PoolConfig) -> Self {
        self.config.task_pool = Some(config);
        self
    }

    /// Checks the configuration.
    pub fn build(self) -> Result<WorkerConfig, ConfigError> {
        let c = self.config;
        if c.workers == 0 {
            return Err(ConfigError::ZeroWorkers);
        }
        if c.workers > WorkerConfig::MAX_WORKERS {
            return Err(ConfigError::TooManyWorkers {
                workers: c.workers,
                limit: WorkerConfig::MAX_WORKERS,
            });
        }
        if c.queue == 0 {
            return Err(ConfigError::ZeroQueue);
        }
        if c.queue > WorkerConfig::MAX_QUEUE {
            return Err(ConfigError::QueueTooLarge {
                queue: c.queue,
                limit: WorkerConfig::MAX_QUEUE,
            });
        }
        if c.name.contains('\0') {
            return Err(ConfigError::NameHasNul);
        }
        Ok(c)
    }
}

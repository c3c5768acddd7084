//! Pool configuration with validated limits.

use std::error::Error;
use std::fmt;

/// The limits that every poolside pool understands, checked when built.
///
/// A pool keeps idle objects in two tiers: a small cache per thread, and one shared tier.
/// The limits bound them like this:
///
/// | limit | what it bounds |
/// |---|---|
/// | [`max_idle`](PoolConfig::max_idle) | idle objects in the shared tier |
/// | [`thread_cache`](PoolConfig::thread_cache) | idle objects in each thread's cache |
/// | [`max_idle_bytes`](PoolConfig::max_idle_bytes) | retained bytes of all idle objects, every tier together |
/// | [`prewarm`](PoolConfig::prewarm) | objects made when the pool is built |
///
/// So the honest bound on idle objects is `max_idle + threads × thread_cache`, where
/// `threads` is the number of threads that have used the pool: a per-thread cache is
/// what makes the fast path free of shared writes, and its price is that idle objects
/// grow with the thread count. A byte budget, when set, holds whatever the thread
/// count: each thread's cache leases bytes from it in chunks, so that most gets and puts
/// still touch no shared counter. `trim()` and `decay()` on a pool give memory back.
///
/// ```
/// use poolside_core::internals::PoolConfig;
/// use poolside_core::ConfigError;
///
/// let config = PoolConfig::builder().max_idle(256).thread_cache(16).prewarm(32).build()?;
/// assert_eq!(config.max_idle(), 256);
///
/// let bad = PoolConfig::builder().max_idle(8).prewarm(9).build();
/// assert_eq!(bad, Err(ConfigError::PrewarmAboveMaxIdle { prewarm: 9, max_idle: 8 }));
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PoolConfig {
    max_idle: usize,
    max_idle_bytes: Option<usize>,
    thread_cache: usize,
    prewarm: usize,
}

impl PoolConfig {
    /// The largest accepted [`max_idle`](PoolConfig::max_idle): 2^24 objects. A shared tier
    /// is allocated up front, so a larger value would be a mistake rather than a limit.
    pub const MAX_IDLE_LIMIT: usize = 1 << 24;

    /// The default [`max_idle`](PoolConfig::max_idle): 1024 objects.
    pub const DEFAULT_MAX_IDLE: usize = 1024;

    /// The default [`thread_cache`](PoolConfig::thread_cache): 32 objects per thread.
    pub const DEFAULT_THREAD_CACHE: usize = 32;

    /// The largest accepted [`thread_cache`](PoolConfig::thread_cache): 64 objects. A
    /// thread's cache of a pool is a fixed array of this many slots in one block with its
    /// counters, so that a get or put finds its slot with no pointer to follow; the
    /// configured `thread_cache` is how many of them it uses. Beyond a few dozen objects a
    /// larger cache saves little: returns past it move to the shared tier in batches.
    pub const MAX_THREAD_CACHE: usize = 64;

    /// A builder that starts from the defaults.
    pub fn builder() -> PoolConfigBuilder {
        PoolConfigBuilder {
            config: PoolConfig::default(),
            thread_cache_set: false,
        }
    }

    /// Idle objects the shared tier may hold; returns beyond it are dropped and counted as
    /// `pool_full` ([`Discards::pool_full`](crate::Discards::pool_full)).
    pub fn max_idle(&self) -> usize {
        self.max_idle
    }

    /// Retained bytes that all idle objects together may hold, in every tier and every
    /// thread's cache, if limited; an object that does not fit is dropped and counted as
    /// `pool_full` ([`Discards::pool_full`](crate::Discards::pool_full)). Sizes come from
    /// the pool's [`Recycle::retained_bytes`](crate::Recycle::retained_bytes): a policy
    /// that does not measure them (`DefaultPolicy` and `FnPolicy` report 0) makes this
    /// limit bind nothing; use [`CapPolicy`](crate::CapPolicy) or your own policy.
    pub fn max_idle_bytes(&self) -> Option<usize> {
        self.max_idle_bytes
    }

    /// Idle objects each thread's cache may hold. 0 turns the per-thread tier off.
    pub fn thread_cache(&self) -> usize {
        self.thread_cache
    }

    /// Objects made and put in the shared tier when the pool is built.
    pub fn prewarm(&self) -> usize {
        self.prewarm
    }

    fn validate(self) -> Result<Self, ConfigError> {
        if self.max_idle == 0 {
            return Err(ConfigError::ZeroMaxIdle);
        }
        if self.max_idle > Self::MAX_IDLE_LIMIT {
            return Err(ConfigError::MaxIdleTooLarge {
                max_idle: self.max_idle,
                limit: Self::MAX_IDLE_LIMIT,
            });
        }
        if self.max_idle_bytes == Some(0) {
            return Err(ConfigError::ZeroMaxIdleBytes);
        }
        if self.thread_cache > Self::MAX_THREAD_CACHE {
            return Err(ConfigError::ThreadCacheTooLarge {
                thread_cache: self.thread_cache,
                limit: Self::MAX_THREAD_CACHE,
            });
        }
        if self.thread_cache > self.max_idle {
            return Err(ConfigError::ThreadCacheAboveMaxIdle {
                thread_cache: self.thread_cache,
                max_idle: self.max_idle,
            });
        }
        if self.prewarm > self.max_idle {
            return Err(ConfigError::PrewarmAboveMaxIdle {
                prewarm: self.prewarm,
                max_idle: self.max_idle,
            });
        }
        Ok(self)
    }
}

impl Default for PoolConfig {
    /// 1024 idle objects shared, 32 per thread, no byte limit, no pre-warm.
    fn default() -> Self {
        PoolConfig {
            max_idle: Self::DEFAULT_MAX_IDLE,
            max_idle_bytes: None,
            thread_cache: Self::DEFAULT_THREAD_CACHE,
            prewarm: 0,
        }
    }
}

/// Builds a [`PoolConfig`]; [`build`](PoolConfigBuilder::build) checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct PoolConfigBuilder {
    config: PoolConfig,
    /// Whether `thread_cache` was set; unset, it follows `max_idle` down.
    thread_cache_set: bool,
}

impl PoolConfigBuilder {
    /// Sets [`PoolConfig::max_idle`]. Must be 1 to [`PoolConfig::MAX_IDLE_LIMIT`].
    pub fn max_idle(mut self, n: usize) -> Self {
        self.config.max_idle = n;
        self
    }

    /// Sets [`PoolConfig::max_idle_bytes`]; `None` for no byte limit. `Some(0)` is an error.
    pub fn max_idle_bytes(mut self, bytes: Option<usize>) -> Self {
        self.config.max_idle_bytes = bytes;
        self
    }

    /// Sets [`PoolConfig::thread_cache`]. Must not exceed `max_idle` or
    /// [`PoolConfig::MAX_THREAD_CACHE`]. Left unset, it is
    /// [`PoolConfig::DEFAULT_THREAD_CACHE`] or `max_idle`, whichever is smaller.
    pub fn thread_cache(mut self, n: usize) -> Self {
        self.config.thread_cache = n;
        self.thread_cache_set = true;
        self
    }

    /// Sets [`PoolConfig::prewarm`]. Must not exceed `max_idle`.
    pub fn prewarm(mut self, n: usize) -> Self {
        self.config.prewarm = n;
        self
    }

    /// Checks the limits against each other and returns the config, or what is wrong.
    pub fn build(mut self) -> Result<PoolConfig, ConfigError> {
        if !self.thread_cache_set {
            self.config.thread_cache = PoolConfig::DEFAULT_THREAD_CACHE.min(self.config.max_idle);
        }
        self.config.validate()
    }
}

/// Why a pool could not be built: what is wrong with its configuration, or, for a pool
/// that allocates or starts threads when built, what the system refused. Every pool's
/// `build` returns it, and so does a monitor's registry for a name it cannot register a
/// pool under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigError {
    /// `max_idle` is 0: the pool could never keep an object.
    ZeroMaxIdle,
    /// `max_idle` is above the largest accepted value, 2^24 objects.
    MaxIdleTooLarge {
        /// The value given.
        max_idle: usize,
        /// The largest accepted value.
        limit: usize,
    },
    /// A byte budget of 0: the pool could never keep an object.
    ZeroMaxIdleBytes,
    /// `thread_cache` is above the pool's limit (64 for the object pool; fewer for the
    /// buffer pools).
    ThreadCacheTooLarge {
        /// The value given.
        thread_cache: usize,
        /// The largest accepted value.
        limit: usize,
    },
    /// A thread's cache would hold more than the whole shared tier.
    ThreadCacheAboveMaxIdle {
        /// The value given.
        thread_cache: usize,
        /// The shared tier's limit.
        max_idle: usize,
    },
    /// Pre-warming would make more objects than the pool may keep idle.
    PrewarmAboveMaxIdle {
        /// The value given.
        prewarm: usize,
        /// The shared tier's limit.
        max_idle: usize,
    },
    /// A cap of 0 live objects: every get would be over it.
    ZeroMaxLive,
    /// A size-class pool's byte budget too small to give each class a byte: it is split
    /// evenly between the classes.
    MaxIdleBytesBelowClasses {
        /// The budget given.
        max_idle_bytes: usize,
        /// The number of classes.
        classes: usize,
    },
    /// A size-class pool with no class.
    NoClasses,
    /// A size class of 0 bytes.
    ZeroClass,
    /// A size class above `isize::MAX` bytes, which no allocation can have.
    ClassTooLarge {
        /// The class given.
        size: usize,
    },
    /// More size classes than a pool keeps.
    TooManyClasses {
        /// The number given.
        count: usize,
        /// The most a pool keeps.
        limit: usize,
    },
    /// A self-tuning pool's percentile outside `(0, 1]`.
    PercentileOutOfRange,
    /// A self-tuning pool told to calibrate every 0 returns.
    ZeroCalibration,
    /// A self-tuning pool's capacities out of order: it needs
    /// `0 < initial_default <= initial_max <= hard_max <= isize::MAX`.
    CapacitiesOutOfOrder,
    /// A ring pool of no slots.
    ZeroSlots,
    /// A ring pool's slots of 0 bytes.
    ZeroSlotSize,
    /// A ring pool too large: more slots than its free list indexes, or a total size
    /// that overflows.
    RingTooLarge,
    /// The allocator refused the memory a pool allocates when built.
    OutOfMemory,
    /// A worker pool of no workers: no task would ever run.
    ZeroWorkers,
    /// More workers than a worker pool may have.
    TooManyWorkers {
        /// The value given.
        workers: usize,
        /// The largest accepted value.
        limit: usize,
    },
    /// A worker pool's queue of 0: a submitted task would have nowhere to wait.
    ZeroQueue,
    /// A worker pool's queue longer than it may be; the queue is allocated whole when the
    /// pool starts.
    QueueTooLarge {
        /// The value given.
        queue: usize,
        /// The largest accepted value.
        limit: usize,
    },
    /// A thread name that holds a NUL byte, which threads cannot be named with.
    NameHasNul,
    /// An interval of zero for a periodic thread, which would make it spin.
    ZeroInterval,
    /// The operating system refused to start a thread the pool needs.
    ThreadSpawn {
        /// What the system said.
        kind: std::io::ErrorKind,
    },
    /// A monitor's registry holds a live pool under this name already; its `replace`
    /// swaps it.
    NameTaken,
    /// A pool's name in a monitor's registry is empty.
    EmptyName,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ConfigError::ZeroMaxIdle => {
                f.write_str("max_idle is 0, so the pool could never keep an object")
            }
            ConfigError::MaxIdleTooLarge { max_idle, limit } => {
                write!(f, "max_idle is {max_idle}, above the limit of {limit}")
            }
            ConfigError::ZeroMaxIdleBytes => f.write_str(
                "max_idle_bytes is 0, so the pool could never keep an object",
            ),
            ConfigError::ThreadCacheTooLarge {
                thread_cache,
                limit,
            } => write!(f, "thread_cache is {thread_cache}, above the limit of {limit}"),
            ConfigError::ThreadCacheAboveMaxIdle {
                thread_cache,
                max_idle,
            } => write!(
                f,
                "thread_cache ({thread_cache}) is above max_idle ({max_idle}): one thread's cache would hold more than the whole pool"
            ),
            ConfigError::PrewarmAboveMaxIdle { prewarm, max_idle } => write!(
                f,
                "prewarm ({prewarm}) is above max_idle ({max_idle}): the extra objects would be dropped at once"
            ),
            ConfigError::ZeroMaxLive => {
                f.write_str("max_live is 0, so every get would be over the cap")
            }
            ConfigError::MaxIdleBytesBelowClasses {
                max_idle_bytes,
                classes,
            } => write!(
                f,
                "max_idle_bytes ({max_idle_bytes}) leaves no byte for each of the {classes} size classes it is split between"
            ),
            ConfigError::NoClasses => f.write_str("a sized pool needs at least one size class"),
            ConfigError::ZeroClass => f.write_str("a size class must be above 0 bytes"),
            ConfigError::ClassTooLarge { size } => {
                write!(f, "a size class of {size} bytes exceeds isize::MAX")
            }
            ConfigError::TooManyClasses { count, limit } => {
                write!(f, "{count} size classes, above the {limit} a pool keeps")
            }
            ConfigError::PercentileOutOfRange => {
                f.write_str("the percentile must be above 0 and at most 1")
            }
            ConfigError::ZeroCalibration => {
                f.write_str("calibrate_every is 0, so the pool would calibrate on no return")
            }
            ConfigError::CapacitiesOutOfOrder => f.write_str(
                "the capacities must satisfy 0 < initial_default <= initial_max <= hard_max <= isize::MAX",
            ),
            ConfigError::ZeroSlots => f.write_str("a ring pool needs at least one slot"),
            ConfigError::ZeroSlotSize => f.write_str("a ring pool's slots need at least one byte"),
            ConfigError::RingTooLarge => f.write_str(
                "the ring pool is too large: too many slots, or a total size that overflows",
            ),
            ConfigError::OutOfMemory => f.write_str("the allocator refused the pool's memory"),
            ConfigError::ZeroWorkers => f.write_str("workers is 0, so no task would ever run"),
            ConfigError::TooManyWorkers { workers, limit } => {
                write!(f, "workers is {workers}, above the limit of {limit}")
            }
            ConfigError::ZeroQueue => {
                f.write_str("queue is 0, so a submitted task would have nowhere to wait")
            }
            ConfigError::QueueTooLarge { queue, limit } => {
                write!(f, "queue is {queue}, above the limit of {limit}")
            }
            ConfigError::NameHasNul => f.write_str("the thread name holds a NUL byte"),
            ConfigError::NameTaken => f.write_str("a pool is registered under this name already"),
            ConfigError::EmptyName => f.write_str("a pool's name must not be empty"),
            ConfigError::ZeroInterval => f.write_str("the interval must be above zero"),
            ConfigError::ThreadSpawn { kind } => {
                write!(f, "the system refused to start a thread: {kind}")
            }
        }
    }
}

impl Error for ConfigError {}

/// A pool's limit stayed reached for the whole of a `get_timeout`: no object (or slot)
/// came back in time. Every pool with a limit returns it from `get_timeout`: the object
/// pool at its live cap, the ring pool with every slot taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LimitReached {
    /// The limit that was reached: live objects, or slots.
    pub max: usize,
    /// How long the call waited.
    pub waited: std::time::Duration,
}

impl LimitReached {
    /// The error of a wait that gave up: for poolside's pools to make.
    #[doc(hidden)]
    pub fn new(max: usize, waited: std::time::Duration) -> Self {
        LimitReached { max, waited }
    }
}

impl fmt::Display for LimitReached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "all {} of the pool's objects stayed in use for {:?}",
            self.max, self.waited
        )
    }
}

impl Error for LimitReached {}

//! `ObjectPoolBuilder`: every way to make an [`ObjectPool`], checked once, in `build`.

use std::fmt;
use std::marker::PhantomData;

use poolside_core::internals::Recorder;
use poolside_core::internals::{PoolConfig, PoolConfigBuilder};
use poolside_core::{
    CapPolicy, ConfigError, DefaultPolicy, FnCreate, FnCreateRecycle, FnPolicy, NoStats, Recycle,
    Stats, Verdict,
};

use crate::ObjectPool;

/// Builds an [`ObjectPool`]: [`ObjectPool::builder`], then any of the setters, then
/// [`build`](Self::build), which checks the limits against each other.
///
/// A pool keeps idle objects in two tiers, a small cache per thread and one shared tier,
/// bounded like this:
///
/// | setter | what it bounds | default | accepted |
/// |---|---|---|---|
/// | [`max_idle`](Self::max_idle) | idle objects in the shared tier | 1024 | 1 to 2^24 |
/// | [`thread_cache`](Self::thread_cache) | idle objects in each thread's cache | 32, or `max_idle` if smaller | 0 to 64, and at most `max_idle` |
/// | [`max_idle_bytes`](Self::max_idle_bytes) | retained bytes of all idle objects, every tier together | none | 1 or more |
/// | [`prewarm`](Self::prewarm) | objects made when the pool is built | 0 | at most `max_idle` |
///
/// So the honest bound on idle objects is `max_idle + threads × thread_cache`, where
/// `threads` is the number of threads that have used the pool: a per-thread cache is what
/// makes the fast path free of shared writes, and its price is that idle objects grow
/// with the thread count. A byte budget, when set, holds whatever the thread count: each
/// thread's cache leases bytes from it in chunks, so that most gets and puts still touch
/// no shared counter. [`trim`](ObjectPool::trim) and [`decay`](ObjectPool::decay) give
/// memory back.
///
/// The choices that shape the hot path are made by type, so a pool pays only for what it
/// asked for: the policy (`P`: [`create`](Self::create), [`recycle`](Self::recycle),
/// [`policy`](Self::policy), [`drop_above`](Self::drop_above)) and the statistics (`S`:
/// [`no_stats`](Self::no_stats)). A live cap ([`max_live`](Self::max_live)) and a byte
/// budget ([`max_idle_bytes`](Self::max_idle_bytes)) move a pool off the shortcut that
/// pools without them take, so they cost nothing where they are not set.
///
/// A factory or recycle step given as a closure that captures nothing is kept as a
/// function pointer, so the pool's type can be written out, in a `static` say:
///
/// ```
/// use std::sync::LazyLock;
/// use poolside_core::FnCreate;
/// use poolside_object::ObjectPool;
///
/// static BODIES: LazyLock<ObjectPool<Vec<u8>, FnCreate<Vec<u8>>>> =
///     LazyLock::new(|| {
///         ObjectPool::builder()
///             .create(|| Vec::with_capacity(4096))
///             .build()
///             .expect("valid limits")
///     });
///
/// assert!(BODIES.get().capacity() >= 4096);
/// ```
///
/// Any combination of options is expressible:
///
/// ```
/// use std::time::Duration;
/// use poolside_core::{ConfigError, Verdict};
/// use poolside_object::ObjectPool;
///
/// let pool = ObjectPool::builder()
///     .create(|| String::with_capacity(256))
///     .recycle(|s: &mut String| {
///         s.clear();
///         if s.capacity() > 4096 { Verdict::Oversized } else { Verdict::Keep }
///     })
///     .max_idle(64)
///     .thread_cache(8)
///     .max_live(2)
///     .no_stats()
///     .build()?;
/// let (a, b) = (pool.get(), pool.get());
/// assert!(pool.get_timeout(Duration::from_millis(1)).is_err(), "2 live at most");
/// # drop((a, b));
///
/// assert_eq!(
///     ObjectPool::<String>::builder().max_live(0).build().unwrap_err(),
///     ConfigError::ZeroMaxLive
/// );
/// # Ok::<(), ConfigError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct ObjectPoolBuilder<T, P = DefaultPolicy, S = Stats> {
    config: PoolConfigBuilder,
    policy: P,
    max_live: Option<usize>,
    kind: PhantomData<fn() -> (T, S)>,
}

impl<T: Send + 'static> ObjectPool<T> {
    /// A builder with the defaults: objects from `Default`, cleaned with
    /// [`Reset`](poolside_core::Reset), counted, no live cap and no byte budget, and the
    /// default limits in the table above.
    pub fn builder() -> ObjectPoolBuilder<T> {
        ObjectPoolBuilder {
            config: PoolConfig::builder(),
            policy: DefaultPolicy,
            max_live: None,
            kind: PhantomData,
        }
    }
}

impl<T, P, S> ObjectPoolBuilder<T, P, S> {
    /// Idle objects the shared tier may hold; returns beyond it are dropped and counted as
    /// `pool_full`.
    pub fn max_idle(mut self, n: usize) -> Self {
        self.config = self.config.max_idle(n);
        self
    }

    /// Idle objects each thread's cache may hold; 0 turns the per-thread tier off. Left
    /// unset, it is 32 or `max_idle`, whichever is smaller.
    pub fn thread_cache(mut self, n: usize) -> Self {
        self.config = self.config.thread_cache(n);
        self
    }

    /// Retained bytes all idle objects together may hold, in every tier and thread; an
    /// object that does not fit is dropped and counted as `pool_full`. Sizes come from the
    /// policy's [`Recycle::retained_bytes`], so give one that measures them
    /// ([`drop_above`](Self::drop_above), or your own): `DefaultPolicy` and `FnPolicy`
    /// report 0, which this limit does not bind.
    pub fn max_idle_bytes(mut self, bytes: usize) -> Self {
        self.config = self.config.max_idle_bytes(Some(bytes));
        self
    }

    /// Objects made and put in the shared tier when the pool is built.
    pub fn prewarm(mut self, n: usize) -> Self {
        self.config = self.config.prewarm(n);
        self
    }

    /// At most `n` objects handed out at once: at the cap [`get`](ObjectPool::get) makes
    /// one anyway (counted as `over_limit`), [`try_get`](ObjectPool::try_get) returns
    /// `None` and [`get_timeout`](ObjectPool::get_timeout) waits. Costs a shared atomic
    /// per get and put. 0 is an error.
    pub fn max_live(mut self, n: usize) -> Self {
        self.max_live = Some(n);
        self
    }

    /// Any [`Recycle`] policy: a [`FnPolicy`] of closures that capture, a
    /// [`CapPolicy`], one of your own. It replaces the policy so far.
    pub fn policy<Q>(self, policy: Q) -> ObjectPoolBuilder<T, Q, S> {
        ObjectPoolBuilder {
            config: self.config,
            policy,
            max_live: self.max_live,
            kind: PhantomData,
        }
    }

    /// Drops a returned object that retains more than `max_bytes` of heap memory instead
    /// of keeping it (counted as `oversized`), and measures what is kept for
    /// [`max_idle_bytes`](Self::max_idle_bytes): [`CapPolicy::drop_above`] over the
    /// policy so far.
    pub fn drop_above(self, max_bytes: usize) -> ObjectPoolBuilder<T, CapPolicy<P>, S> {
        let policy = CapPolicy::drop_above(self.policy, max_bytes);
        ObjectPoolBuilder {
            config: self.config,
            policy,
            max_live: self.max_live,
            kind: PhantomData,
        }
    }

    /// Records no statistics ([`NoStats`]): the hot path without its counts.
    pub fn no_stats(self) -> ObjectPoolBuilder<T, P, NoStats> {
        ObjectPoolBuilder {
            config: self.config,
            policy: self.policy,
            max_live: self.max_live,
            kind: PhantomData,
        }
    }

    /// The pool, or what is wrong with the limits.
    pub fn build(self) -> Result<ObjectPool<T, P, S>, ConfigError>
    where
        T: Send + 'static,
        P: Recycle<T>,
        S: Recorder,
    {
        let config = self.config.build()?;
        if self.max_live == Some(0) {
            return Err(ConfigError::ZeroMaxLive);
        }
        Ok(ObjectPool::build(self.policy, config, self.max_live))
    }
}

impl<T, S> ObjectPoolBuilder<T, DefaultPolicy, S> {
    /// Makes objects with `create` and cleans them with the pool's
    /// [`Reset`](poolside_core::Reset), unless [`recycle`](Self::recycle) says otherwise.
    /// Given before any other policy, so that no policy set earlier is lost.
    pub fn create(self, create: fn() -> T) -> ObjectPoolBuilder<T, FnCreate<T>, S> {
        self.policy(FnPolicy::new(create))
    }
}

impl<T, S> ObjectPoolBuilder<T, FnCreate<T>, S> {
    /// Cleans each returned object with `recycle`, which says whether to keep it, instead
    /// of with [`Reset`](poolside_core::Reset).
    pub fn recycle(
        self,
        recycle: fn(&mut T) -> Verdict,
    ) -> ObjectPoolBuilder<T, FnCreateRecycle<T>, S> {
        let policy = self.policy.with_recycle(recycle);
        ObjectPoolBuilder {
            config: self.config,
            policy,
            max_live: self.max_live,
            kind: PhantomData,
        }
    }
}

impl<T, P: fmt::Debug, S> fmt::Debug for ObjectPoolBuilder<T, P, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectPoolBuilder")
            .field("config", &self.config)
            .field("policy", &self.policy)
            .field("max_live", &self.max_live)
            .finish()
    }
}

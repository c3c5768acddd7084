//! The registry: named pools, held weakly.

use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Instant;

use poolside_core::{ConfigError, Observable, Observe};

use crate::snapshot::{PoolSnapshot, Snapshot};

/// A set of named pools to watch.
///
/// A `Registry` is a handle: clones share one set, so a maintenance thread or an
/// exporter can hold the registry the rest of the program registers into. It holds
/// each pool weakly, so registering never keeps a pool alive: a dropped pool leaves the
/// registry by itself (its entry is pruned at the next call that reads the registry).
/// A [`snapshot`](Self::snapshot), [`decay`](Self::decay) or [`trim`](Self::trim) holds
/// one pool at a time, only while that pool's own code runs, so a pool dropped during
/// one is freed at once and its name is free.
///
/// The process-wide registry is [`Registry::global`]; make your own with
/// [`Registry::new`] where it should be separate, as in tests.
///
/// With the `prometheus` feature a registry is a `prometheus-client` `Collector`: register
/// a clone of it with a `prometheus_client::registry::Registry` (its implementation's
/// docs give the names and the rules); with `metrics`, a snapshot reports itself to the
/// `metrics` facade (`Snapshot::report_metrics`).
///
/// ```
/// use poolside_monitor::Registry;
/// use poolside_object::ObjectPool;
///
/// let registry = Registry::new();
/// let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
/// registry.register("buffers", &pool)?;
///
/// drop(pool.get());
/// drop(pool.get());
/// let snapshot = registry.snapshot();
/// let buffers = snapshot.get("buffers").unwrap();
/// assert_eq!(buffers.stats.gets, 2);
/// assert_eq!(buffers.hit_rate(), Some(0.5));
///
/// drop(pool);
/// assert!(registry.is_empty(), "a dropped pool leaves the registry");
/// # Ok::<(), poolside_core::ConfigError>(())
/// ```
#[derive(Clone, Default)]
pub struct Registry {
    entries: Arc<Mutex<Vec<Entry>>>,
}

struct Entry {
    name: Arc<str>,
    pool: Weak<dyn Observe>,
}

static GLOBAL: LazyLock<Registry> = LazyLock::new(Registry::new);

impl Registry {
    /// An empty registry of its own.
    pub fn new() -> Self {
        Self::default()
    }

    /// The process-wide registry (made on first use).
    pub fn global() -> &'static Registry {
        &GLOBAL
    }

    /// Registers `pool` under `name`. A name is taken while its pool is alive: registering
    /// it again is an error, not a replacement ([`replace`](Self::replace) is that), so two
    /// parts of a program cannot silently overwrite each other's pool. The name of a pool
    /// that was dropped is free again.
    ///
    /// Any non-empty name is accepted; exporters escape it as their format requires.
    pub fn register(
        &self,
        name: impl Into<String>,
        pool: &impl Observable,
    ) -> Result<(), ConfigError> {
        let name = name.into();
        if name.is_empty() {
            return Err(ConfigError::EmptyName);
        }
        let mut entries = self.lock();
        prune(&mut entries);
        if entries.iter().any(|e| *e.name == *name) {
            return Err(ConfigError::NameTaken);
        }
        entries.push(Entry {
            name: name.into(),
            pool: pool.observer(),
        });
        Ok(())
    }

    /// Registers `pool` under `name`, replacing the pool registered under it, if any.
    /// Returns whether a live pool was replaced. An empty name is refused.
    pub fn replace(
        &self,
        name: impl Into<String>,
        pool: &impl Observable,
    ) -> Result<bool, ConfigError> {
        let name = name.into();
        if name.is_empty() {
            return Err(ConfigError::EmptyName);
        }
        let mut entries = self.lock();
        prune(&mut entries);
        let replaced = entries
            .iter()
            .position(|e| *e.name == *name)
            .map(|i| entries.remove(i));
        entries.push(Entry {
            name: name.into(),
            pool: pool.observer(),
        });
        Ok(replaced.is_some())
    }

    /// Removes the pool registered under `name`; returns whether a live one was there.
    pub fn unregister(&self, name: &str) -> bool {
        let mut entries = self.lock();
        prune(&mut entries);
        let before = entries.len();
        entries.retain(|e| *e.name != *name);
        entries.len() != before
    }

    /// The names of the live pools, in the order they were registered.
    pub fn names(&self) -> Vec<String> {
        let mut entries = self.lock();
        prune(&mut entries);
        entries.iter().map(|e| e.name.to_string()).collect()
    }

    /// How many live pools are registered.
    pub fn len(&self) -> usize {
        let mut entries = self.lock();
        prune(&mut entries);
        entries.len()
    }

    /// Whether no live pool is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every live pool's statistics and metrics now, in registration order.
    pub fn snapshot(&self) -> Snapshot {
        let mut pools = Vec::new();
        self.for_each_live(|name, pool| pools.push(PoolSnapshot::of(name, pool)));
        Snapshot::new(Instant::now(), pools)
    }

    /// Calls [`Observe::decay`] on every live pool; returns how many idle objects they
    /// released.
    pub fn decay(&self) -> u64 {
        let mut released = 0;
        self.for_each_live(|_, pool| released += pool.decay());
        released
    }

    /// Calls [`Observe::trim`] on every live pool; returns how many idle objects they
    /// released.
    pub fn trim(&self) -> u64 {
        let mut released = 0;
        self.for_each_live(|_, pool| released += pool.trim());
        released
    }

    /// Calls `f` with each live pool in turn, in registration order.
    ///
    /// The entries are copied (weakly) under the lock, and the lock is released before any
    /// pool's code runs, so a pool may use the registry from there without a deadlock.
    /// Each pool is upgraded only for its own call and let go before the next is
    /// upgraded: a pool that its owner drops during a pass is freed at once, on the
    /// owner's thread, and its name is free again, rather than kept alive until the pass
    /// ends and freed on the pass's thread (the maintenance thread, say).
    fn for_each_live(&self, mut f: impl FnMut(&str, &dyn Observe)) {
        let entries: Vec<(Arc<str>, Weak<dyn Observe>)> = {
            let mut entries = self.lock();
            prune(&mut entries);
            entries
                .iter()
                .map(|e| (e.name.clone(), e.pool.clone()))
                .collect()
        };
        for (name, pool) in entries {
            if let Some(pool) = pool.upgrade() {
                f(&name, &*pool);
            }
        }
    }

    /// The entries. No code of a pool runs under this lock, and every change is one
    /// `Vec` operation, so a poisoned lock still holds a consistent list.
    fn lock(&self) -> MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Drops the entries whose pool is gone. Dropping a `Weak` runs no pool code.
fn prune(entries: &mut Vec<Entry>) {
    entries.retain(|e| e.pool.strong_count() > 0);
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("names", &self.names())
            .finish()
    }
}

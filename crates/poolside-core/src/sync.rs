//! The synchronisation primitives core uses, switched to loom's under `cfg(poolside_loom)`.
//!
//! Loom runs its model threads on one OS thread, so per-thread storage must be swapped
//! too: under loom, [`PerThread`] keys its values by loom's thread id instead of using the
//! `thread_local` crate, which loom cannot see into.

#[cfg(not(poolside_loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(poolside_loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};

/// A value per thread, visible to every thread for reading.
#[cfg(not(poolside_loom))]
pub(crate) struct PerThread<T: Send> {
    inner: thread_local::ThreadLocal<T>,
}

#[cfg(not(poolside_loom))]
impl<T: Send + Sync> PerThread<T> {
    pub(crate) const fn new() -> Self {
        PerThread {
            inner: thread_local::ThreadLocal::new(),
        }
    }

    /// Runs `f` on this thread's value, making it with `make` on first use.
    #[inline]
    pub(crate) fn with<R>(&self, make: impl FnOnce() -> T, f: impl FnOnce(&T) -> R) -> R {
        f(self.inner.get_or(make))
    }

    /// Runs `f` on every thread's value.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&T)) {
        for value in self.inner.iter() {
            f(value);
        }
    }
}

#[cfg(poolside_loom)]
pub(crate) struct PerThread<T: Send> {
    inner: loom::sync::Mutex<Vec<(loom::thread::ThreadId, std::sync::Arc<T>)>>,
}

#[cfg(poolside_loom)]
impl<T: Send + Sync> PerThread<T> {
    pub(crate) fn new() -> Self {
        PerThread {
            inner: loom::sync::Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn with<R>(&self, make: impl FnOnce() -> T, f: impl FnOnce(&T) -> R) -> R {
        let me = loom::thread::current().id();
        let value = {
            let mut slots = self.inner.lock().unwrap();
            match slots.iter().find(|(id, _)| *id == me) {
                Some((_, value)) => value.clone(),
                None => {
                    let value = std::sync::Arc::new(make());
                    slots.push((me, value.clone()));
                    value
                }
            }
        };
        f(&value)
    }

    pub(crate) fn for_each(&self, mut f: impl FnMut(&T)) {
        let slots: Vec<_> = self
            .inner
            .lock()
            .unwrap()
            .iter()
            .map(|(_, v)| v.clone())
            .collect();
        for value in &slots {
            f(value);
        }
    }
}

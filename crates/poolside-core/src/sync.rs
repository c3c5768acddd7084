//! The synchronisation primitives core uses, switched to loom's under `cfg(poolside_loom)`,
//! and [`PerThread`]: a value per thread that is safe to reach during thread teardown.
//!
//! # Thread teardown
//! A guard kept in a `thread_local!` is dropped by that thread-local's destructor, and its
//! drop records the return. By then the `thread_local` crate's own per-thread id may be
//! gone, and its lookup panics, which aborts the process from inside a destructor. So
//! [`PerThread::try_with`] never calls it once this thread has started tearing down: it
//! answers `None`, and the caller falls back to shared state.
//!
//! It knows through a watch of its own: a `thread_local!` with a destructor, first
//! touched right after this thread's first lookup in the crate. Thread-local destructors
//! run in reverse order of registration (glibc's `__cxa_thread_atexit_impl`, and std's
//! own list where that is missing), so the watch's runs before the crate's: while the
//! watch is alive, so is the crate's id. That order is what the platforms do, not a
//! documented std guarantee.
//!
//! The limit: a thread whose first lookup happens during teardown, after the crate's id
//! is already gone (another library on the thread used the crate first), gets the
//! crate's panic caught and a `None`, but the panic's message is printed, and under
//! `panic = "abort"` it aborts. Per-thread storage on std's own thread-locals, which
//! answer `try_with` with an error during teardown (as poolside-object's table does),
//! would remove that case and the watch; it is left to the rework of the recorders.
//!
//! Loom runs its model threads on one OS thread, so under loom [`PerThread`] keys its
//! values by loom's thread id instead of using the `thread_local` crate, which loom cannot
//! see into, and [`exiting_for_loom`] makes the calling model thread take the teardown
//! path, so that models cover what callers do then.

#[cfg(not(poolside_loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(poolside_loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};

/// A value per thread, visible to every thread for reading.
///
/// Public (and hidden) only so that the buffer pools can keep their per-thread histograms
/// in it; not part of the API.
#[doc(hidden)]
pub struct PerThread<T: Send> {
    #[cfg(not(poolside_loom))]
    inner: thread_local::ThreadLocal<T>,
    #[cfg(poolside_loom)]
    inner: loom::sync::Mutex<Vec<(loom::thread::ThreadId, std::sync::Arc<T>)>>,
}

#[cfg(not(poolside_loom))]
mod teardown {
    use std::cell::Cell;

    /// This thread has not used a [`PerThread`](super::PerThread) yet.
    pub(super) const UNSEEN: u8 = 0;
    /// The watch is registered and alive: the `thread_local` crate's id is too.
    pub(super) const LIVE: u8 = 1;
    /// The watch has been dropped: this thread is tearing down.
    pub(super) const EXITING: u8 = 2;

    std::thread_local! {
        /// `Copy` with no destructor, so it can be read at any point of teardown.
        pub(super) static STATE: Cell<u8> = const { Cell::new(UNSEEN) };
        pub(super) static WATCH: Watch = const { Watch };
    }

    pub(super) struct Watch;

    impl Drop for Watch {
        fn drop(&mut self) {
            STATE.set(EXITING);
        }
    }
}

#[cfg(not(poolside_loom))]
impl<T: Send + Sync> PerThread<T> {
    /// An empty set of values.
    pub const fn new() -> Self {
        PerThread {
            inner: thread_local::ThreadLocal::new(),
        }
    }

    /// Runs `f` on this thread's value, making it with `make` on first use; `None` while
    /// this thread tears down (see the module docs).
    #[inline]
    pub fn try_with<R>(&self, make: impl FnOnce() -> T, f: impl FnOnce(&T) -> R) -> Option<R> {
        use teardown::{EXITING, LIVE, STATE, WATCH};
        match STATE.get() {
            LIVE => Some(f(self.inner.get_or(make))),
            EXITING => None,
            _ => self.first_use(make).map(|value| {
                // Registered after the crate's id, so dropped before it.
                let live = WATCH.try_with(|_| ()).is_ok();
                STATE.set(if live { LIVE } else { EXITING });
                f(value)
            }),
        }
    }

    #[cold]
    fn first_use(&self, make: impl FnOnce() -> T) -> Option<&T> {
        use std::panic::{catch_unwind, AssertUnwindSafe};
        // The crate panics if this thread's id was already torn down; `make` is the
        // caller's constructor of a plain value.
        let found = catch_unwind(AssertUnwindSafe(|| self.inner.get_or(make)));
        if found.is_err() {
            teardown::STATE.set(teardown::EXITING);
        }
        found.ok()
    }

    /// Runs `f` on every thread's value.
    pub fn for_each(&self, mut f: impl FnMut(&T)) {
        for value in self.inner.iter() {
            f(value);
        }
    }

    /// Every thread's value.
    pub fn values(&self) -> Vec<Held<'_, T>> {
        self.inner.iter().collect()
    }
}

/// A thread's value, as [`PerThread::values`] lends it.
#[cfg(not(poolside_loom))]
pub(crate) type Held<'a, T> = &'a T;

#[cfg(poolside_loom)]
loom::thread_local! {
    static EXITING: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

/// Makes the calling loom thread behave as a thread in teardown: its
/// [`PerThread::try_with`] answers `None` from now on.
#[cfg(poolside_loom)]
#[doc(hidden)]
pub fn exiting_for_loom() {
    EXITING.with(|e| e.set(true));
}

#[cfg(poolside_loom)]
impl<T: Send + Sync> PerThread<T> {
    /// An empty set of values.
    pub fn new() -> Self {
        PerThread {
            inner: loom::sync::Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on this model thread's value; `None` after [`exiting_for_loom`].
    pub fn try_with<R>(&self, make: impl FnOnce() -> T, f: impl FnOnce(&T) -> R) -> Option<R> {
        if EXITING.with(|e| e.get()) {
            return None;
        }
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
        Some(f(&value))
    }

    /// Runs `f` on every thread's value.
    pub fn for_each(&self, mut f: impl FnMut(&T)) {
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

    /// Every model thread's value.
    pub fn values(&self) -> Vec<Held<'_, T>> {
        let slots = self.inner.lock().unwrap();
        slots.iter().map(|(_, v)| v.clone()).collect()
    }
}

/// A thread's value, as [`PerThread::values`] lends it.
#[cfg(poolside_loom)]
pub(crate) type Held<'a, T> = std::sync::Arc<T>;

impl<T: Send + Sync> Default for PerThread<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send> std::fmt::Debug for PerThread<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerThread").finish_non_exhaustive()
    }
}

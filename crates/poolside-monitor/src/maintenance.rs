//! The maintenance thread: decays the registered pools every interval.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use poolside_core::ConfigError;

use crate::{Registry, Snapshot};

/// A background thread that calls [`Registry::decay`] every interval, so that idle pools
/// give their memory back the way Go's `sync.Pool` does at each garbage collection, and
/// optionally reports a [`Snapshot`] after each pass.
///
/// It starts with [`start`](Self::start) or [`with_report`](Self::with_report) and stops
/// with [`stop`](Self::stop) or when dropped; both wake the thread at once and join it.
/// A panic in a pool's decay (a `Drop` of a pooled type, say) or in the report is caught
/// and counted in [`panics`](Self::panics), and the thread goes on.
///
/// ```
/// use std::time::Duration;
/// use poolside_monitor::{Maintenance, Registry};
/// use poolside_object::ObjectPool;
///
/// let registry = Registry::new();
/// let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
/// registry.register("buffers", &pool)?;
///
/// let maintenance = Maintenance::start(&registry, Duration::from_secs(30))?;
/// // ... serve requests ...
/// maintenance.stop();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Maintenance {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    passes: AtomicU64,
    released: AtomicU64,
    panics: AtomicU64,
}

type Report = Box<dyn FnMut(&Snapshot) + Send>;

impl Maintenance {
    /// Starts a thread (named `poolside-maintenance`) that decays `registry`'s pools every
    /// `interval`. A zero interval is an error, as is a thread the system refuses to
    /// start.
    pub fn start(registry: &Registry, interval: Duration) -> Result<Self, ConfigError> {
        Self::spawn(registry, interval, None)
    }

    /// Like [`start`](Self::start), and calls `report` with a snapshot after each pass,
    /// to log it, say: `|s| eprintln!("{s}")`.
    pub fn with_report<F>(
        registry: &Registry,
        interval: Duration,
        report: F,
    ) -> Result<Self, ConfigError>
    where
        F: FnMut(&Snapshot) + Send + 'static,
    {
        Self::spawn(registry, interval, Some(Box::new(report)))
    }

    fn spawn(
        registry: &Registry,
        interval: Duration,
        mut report: Option<Report>,
    ) -> Result<Self, ConfigError> {
        if interval.is_zero() {
            return Err(ConfigError::ZeroInterval);
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let counts = Arc::new(Counts::default());
        let registry = registry.clone();
        let thread_counts = counts.clone();
        let thread = std::thread::Builder::new()
            .name("poolside-maintenance".into())
            .spawn(move || {
                // A message or a dropped sender both mean stop.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    let pass = catch_unwind(AssertUnwindSafe(|| {
                        let released = registry.decay();
                        if let Some(report) = report.as_mut() {
                            report(&registry.snapshot());
                        }
                        released
                    }));
                    match pass {
                        Ok(released) => {
                            thread_counts
                                .released
                                .fetch_add(released, Ordering::Relaxed);
                        }
                        Err(_) => {
                            thread_counts.panics.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    thread_counts.passes.fetch_add(1, Ordering::Release);
                }
            })
            .map_err(|e| ConfigError::ThreadSpawn { kind: e.kind() })?;
        Ok(Maintenance {
            stop: Some(stop),
            thread: Some(thread),
            counts,
        })
    }

    /// Passes completed so far.
    pub fn passes(&self) -> u64 {
        self.counts.passes.load(Ordering::Acquire)
    }

    /// Idle objects the passes released so far.
    pub fn released(&self) -> u64 {
        self.counts.released.load(Ordering::Relaxed)
    }

    /// Passes that panicked (in a pool's decay or in the report) and were caught.
    pub fn panics(&self) -> u64 {
        self.counts.panics.load(Ordering::Relaxed)
    }

    /// Stops the thread and waits for it: a pass under way finishes first.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        // Dropping the sender wakes the thread at once.
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            // The thread catches every panic of a pass, so it ends normally.
            let _ = thread.join();
        }
    }
}

impl Drop for Maintenance {
    fn drop(&mut self) {
        self.shut_down();
    }
}

impl fmt::Debug for Maintenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Maintenance")
            .field("passes", &self.passes())
            .field("released", &self.released())
            .field("panics", &self.panics())
            .finish_non_exhaustive()
    }
}

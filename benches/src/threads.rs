//! Two-thread cases: a persistent second thread, started together with the caller on a
//! barrier, so the timing covers only the operations.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::Routine;

struct Shared {
    iters: AtomicU64,
    panicked: AtomicBool,
    start: Barrier,
    done: Barrier,
}

/// The routine behind [`two_threads`].
struct TwoThreads {
    shared: Arc<Shared>,
    mine: Box<dyn FnMut(u64)>,
    helper: Option<JoinHandle<()>>,
}

/// `iters` of 0 is not a valid request from criterion, so it tells the helper to exit.
const STOP: u64 = 0;

/// Runs the same operation on the calling thread and one persistent helper thread at
/// once. `run(iters)` has each thread do `iters` operations and returns the wall time,
/// so ns/op is the time per operation per thread: equal to the one-thread figure when
/// the threads do not interfere.
///
/// `make` is called once per thread, on that thread, and returns that thread's loop: a
/// closure that runs `n` operations.
pub fn two_threads<M, L>(make: M) -> Box<dyn Routine>
where
    M: Fn() -> L + Send + Sync + 'static,
    L: FnMut(u64) + 'static,
{
    {
        let shared = Arc::new(Shared {
            iters: AtomicU64::new(STOP),
            panicked: AtomicBool::new(false),
            start: Barrier::new(2),
            done: Barrier::new(2),
        });
        let make = Arc::new(make);
        let helper = {
            let (shared, make) = (shared.clone(), make.clone());
            std::thread::Builder::new()
                .name("bench-helper".into())
                .spawn(move || {
                    let mut work = make();
                    loop {
                        shared.start.wait();
                        let n = shared.iters.load(Ordering::Acquire);
                        if n == STOP {
                            return;
                        }
                        // A panic must not leave the caller waiting at `done` forever:
                        // record it, meet the caller, and let it re-raise.
                        let outcome =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(n)));
                        if outcome.is_err() {
                            shared.panicked.store(true, Ordering::Release);
                        }
                        shared.done.wait();
                    }
                })
                .expect("spawn the helper thread")
        };
        Box::new(TwoThreads {
            shared,
            mine: Box::new(make()),
            helper: Some(helper),
        })
    }
}

impl std::fmt::Debug for TwoThreads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoThreads").finish_non_exhaustive()
    }
}

impl Routine for TwoThreads {
    fn run(&mut self, iters: u64) -> Duration {
        if iters == STOP {
            return Duration::ZERO;
        }
        self.shared.iters.store(iters, Ordering::Release);
        let start = Instant::now();
        self.shared.start.wait();
        (self.mine)(iters);
        self.shared.done.wait();
        let elapsed = start.elapsed();
        assert!(
            !self.shared.panicked.load(Ordering::Acquire),
            "the helper thread panicked"
        );
        elapsed
    }
}

impl Drop for TwoThreads {
    fn drop(&mut self) {
        self.shared.iters.store(STOP, Ordering::Release);
        self.shared.start.wait();
        if let Some(helper) = self.helper.take() {
            let _ = helper.join();
        }
    }
}

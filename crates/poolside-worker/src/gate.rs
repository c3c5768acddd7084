//! The shutdown gate: submitters pass through it while they hand a task in, and
//! shutdown closes it and waits until nobody is inside. After that no task can enter the
//! queue, so the stop messages shutdown sends are the queue's last.
//!
//! It is Dekker's pattern: a submitter announces itself and then reads the flag; the
//! closer sets the flag and then reads the count. `SeqCst` fences between the two steps
//! on each side mean at least one sees the other. Loom models it in `src/tests/loom.rs`.

use crate::sync::{yield_now, AtomicBool, AtomicUsize, Ordering};

/// The gate.
#[derive(Debug)]
pub(crate) struct Gate {
    closed: AtomicBool,
    inside: AtomicUsize,
}

/// Proof of being inside an open gate; leaving is dropping it.
#[derive(Debug)]
pub(crate) struct Pass<'a> {
    gate: &'a Gate,
}

impl Gate {
    /// An open gate.
    pub(crate) fn new() -> Self {
        Gate {
            closed: AtomicBool::new(false),
            inside: AtomicUsize::new(0),
        }
    }

    /// Enters, unless the gate is closed.
    pub(crate) fn enter(&self) -> Option<Pass<'_>> {
        self.inside.fetch_add(1, Ordering::Relaxed);
        crate::sync::fence(Ordering::SeqCst);
        if self.closed.load(Ordering::Relaxed) {
            self.inside.fetch_sub(1, Ordering::Release);
            return None;
        }
        Some(Pass { gate: self })
    }

    /// Closes the gate; from now on `enter` fails.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        crate::sync::fence(Ordering::SeqCst);
    }

    /// Whether the gate is closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// After `close`: waits until everyone who entered before it has left. Everything
    /// they did inside happens before this returns.
    pub(crate) fn wait_empty(&self) {
        let mut spins = 0u32;
        while self.inside.load(Ordering::Acquire) != 0 {
            // Inside means a submitter between two steps of a hand-in, or one waiting
            // for room in a queue that the workers are draining: a short wait.
            if spins < 64 {
                spins += 1;
                yield_now();
            } else {
                #[cfg(not(poolside_loom))]
                std::thread::sleep(std::time::Duration::from_micros(100));
                #[cfg(poolside_loom)]
                yield_now();
            }
        }
    }
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        self.gate.inside.fetch_sub(1, Ordering::Release);
    }
}

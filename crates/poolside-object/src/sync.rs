//! The pieces loom must see, switched under `cfg(poolside_loom)`.
//!
//! Loom runs model threads on one OS thread and sees only its own types, so under loom:
//! atomics, fences, the mutex and the condition variable (the live limit's waiters) are
//! loom's (poolside-local switches its thread-local table the same way), and the shared
//! tier is a bounded queue behind a loom mutex instead of crossbeam's `ArrayQueue` (whose
//! own algorithm crossbeam model-checks). Loom's `Condvar::wait_timeout` never
//! times out: it waits for a notification, so a lost wake-up shows as a deadlock.

#[cfg(not(poolside_loom))]
pub(crate) use std::sync::atomic::{fence, AtomicUsize, Ordering};

#[cfg(poolside_loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicUsize, Ordering};

#[cfg(not(poolside_loom))]
pub(crate) use std::sync::{Condvar, Mutex};

#[cfg(poolside_loom)]
pub(crate) use loom::sync::{Condvar, Mutex};

#[cfg(not(poolside_loom))]
pub(crate) use crossbeam_queue::ArrayQueue as Queue;

/// A bounded FIFO queue with `ArrayQueue`'s interface, visible to loom.
#[cfg(poolside_loom)]
pub(crate) struct Queue<T> {
    items: loom::sync::Mutex<std::collections::VecDeque<T>>,
    capacity: usize,
}

#[cfg(poolside_loom)]
impl<T> Queue<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        Queue {
            items: loom::sync::Mutex::new(std::collections::VecDeque::new()),
            capacity,
        }
    }

    pub(crate) fn push(&self, item: T) -> Result<(), T> {
        let mut items = self.items.lock().unwrap();
        if items.len() == self.capacity {
            return Err(item);
        }
        items.push_back(item);
        Ok(())
    }

    pub(crate) fn pop(&self) -> Option<T> {
        self.items.lock().unwrap().pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.lock().unwrap().len()
    }
}

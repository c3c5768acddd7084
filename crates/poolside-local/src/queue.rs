//! The bounded queue a pool's shared tier keeps idle objects in: crossbeam's lock-free
//! `ArrayQueue`, or, under loom, a stand-in with its interface behind a loom mutex, so
//! that the models explore the pools' own logic around it (crossbeam model-checks its
//! queue itself).

#[cfg(not(poolside_loom))]
pub use crossbeam_queue::ArrayQueue as Queue;

/// A bounded FIFO queue with `ArrayQueue`'s interface, visible to loom.
#[cfg(poolside_loom)]
#[derive(Debug)]
pub struct Queue<T> {
    items: loom::sync::Mutex<std::collections::VecDeque<T>>,
    capacity: usize,
}

#[cfg(poolside_loom)]
impl<T> Queue<T> {
    /// An empty queue of `capacity`.
    pub fn new(capacity: usize) -> Self {
        Queue {
            items: loom::sync::Mutex::new(std::collections::VecDeque::new()),
            capacity,
        }
    }

    /// Adds `item` at the back, or hands it back if the queue is full.
    pub fn push(&self, item: T) -> Result<(), T> {
        let mut items = self.items.lock().unwrap();
        if items.len() == self.capacity {
            return Err(item);
        }
        items.push_back(item);
        Ok(())
    }

    /// Takes the item at the front.
    pub fn pop(&self) -> Option<T> {
        self.items.lock().unwrap().pop_front()
    }

    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.items.lock().unwrap().len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

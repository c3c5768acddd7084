//! Loom models of the completion signal and the shutdown gate. Run with
//! `cargo xtask ci loom` (`RUSTFLAGS="--cfg poolside_loom" cargo test --release --lib`).
//!
//! They live inside the crate, so that the slot and the gate stay private. Under loom
//! the slot's mutex, condition variable and atomics, and the gate's atomics and fences,
//! are loom's. A worker is a loom thread given a clone of the slot's `Arc`, as the queue
//! would give it; a lost wake-up shows as a deadlock, which fails a model.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::gate::Gate;
use crate::slot::{Ran, TaskCell};
use loom::sync::Mutex;
use loom::thread;
use poolside_core::Verdict;

type TestCell = TaskCell<u64, Out>;

/// An output that counts its drops, so a model can check each is dropped exactly once.
#[derive(Debug)]
struct Out(u64, Arc<AtomicUsize>);

impl Drop for Out {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
    }
}

/// Hands `input` in as a submitter does: lock, queue (start a worker), fill.
fn hand_in(slot: &Arc<TestCell>, input: u64, drops: &Arc<AtomicUsize>) -> thread::JoinHandle<Ran> {
    let filling = slot.begin();
    let (queued, drops) = (slot.clone(), drops.clone());
    let worker = thread::spawn(move || queued.run(|n| Out(*n * 2, drops), |_| ()));
    filling.fill(|n| *n = input);
    worker
}

fn reset(n: &mut u64) -> Verdict {
    *n = 0;
    Verdict::Keep
}

#[test]
fn the_waiter_wakes_with_its_output() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(TestCell::new(0));
        let worker = hand_in(&slot, 21, &drops);
        let out = slot.wait().unwrap();
        assert_eq!(out.0, 42);
        assert_eq!(worker.join().unwrap(), Ran::Completed);
        assert_eq!(slot.recycle(reset), Verdict::Keep);
        drop(out);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn an_abandoned_task_is_never_recycled_while_its_worker_has_it() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(TestCell::new(0));
        let worker = hand_in(&slot, 1, &drops);
        if !slot.is_finished() {
            slot.abandon();
        }
        // What the pool does with the handle's slot next.
        let verdict = slot.recycle(reset);
        let ran = worker.join().unwrap();
        assert_eq!(ran, Ran::Completed);
        if verdict == Verdict::Keep {
            // Only a finished slot may be kept; its outcome was dropped by `recycle`.
            assert_eq!(drops.load(Ordering::SeqCst), 1);
            // And it is clean and usable again.
            let again = hand_in(&slot, 2, &drops);
            assert_eq!(slot.wait().unwrap().0, 4);
            again.join().unwrap();
            assert_eq!(drops.load(Ordering::SeqCst), 2);
        } else {
            // The worker dropped the outcome nobody would read.
            assert_eq!(verdict, Verdict::Reject);
            assert_eq!(drops.load(Ordering::SeqCst), 1);
        }
    });
}

#[test]
fn a_slot_reused_while_the_last_worker_still_holds_it_wakes_the_right_waiter() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(TestCell::new(0));
        let first = hand_in(&slot, 1, &drops);
        assert_eq!(slot.wait().unwrap().0, 2);
        // The first worker may not have dropped its clone yet.
        assert_eq!(slot.recycle(reset), Verdict::Keep);
        let second = hand_in(&slot, 5, &drops);
        assert_eq!(slot.wait().unwrap().0, 10);
        first.join().unwrap();
        second.join().unwrap();
    });
}

#[test]
fn a_cancelled_fill_is_never_run() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(TestCell::new(0));
        let filling = slot.begin();
        let (queued, d) = (slot.clone(), drops.clone());
        let worker = thread::spawn(move || queued.run(|n| Out(*n, d), |_| ()));
        drop(filling); // neither filled nor abandoned: what a panicking fill leaves
        assert_eq!(worker.join().unwrap(), Ran::Cancelled);
        assert_eq!(
            slot.recycle(reset),
            Verdict::Reject,
            "a cancelled task is not reused"
        );
        assert_eq!(drops.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn nothing_enters_the_queue_after_shutdown_sends_its_stop() {
    loom::model(|| {
        let gate = Arc::new(Gate::new());
        let queue = Arc::new(Mutex::new(Vec::new()));
        let submitter = {
            let (gate, queue) = (gate.clone(), queue.clone());
            thread::spawn(move || {
                if let Some(pass) = gate.enter() {
                    queue.lock().unwrap().push("task");
                    drop(pass);
                    true
                } else {
                    false
                }
            })
        };
        gate.close();
        gate.wait_empty();
        queue.lock().unwrap().push("stop");
        let entered = submitter.join().unwrap();
        let queue = queue.lock().unwrap();
        let expected: &[&str] = if entered {
            &["task", "stop"]
        } else {
            &["stop"]
        };
        assert_eq!(*queue, expected);
        assert!(gate.enter().is_none());
    });
}

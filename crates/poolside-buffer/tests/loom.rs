//! Loom models of the ring's claim and release, of a waiter's hand-off, and of the sized
//! pool's engine (its blocks, queues, budget and trim, with poolside-local's thread-locals
//! and queue switched to loom's). Run with
//! `cargo xtask ci loom` (`RUSTFLAGS="--cfg poolside_loom" cargo test --release --test loom`).
//!
//! Under loom the ring's atomics, mutex and condition variable are loom's, and every slot
//! carries a loom `UnsafeCell` token that a claim holds mutably: loom fails a model in
//! which two claims of one slot overlap or are not ordered by a release and an acquire.
#![cfg(poolside_loom)]

use std::sync::Arc;
use std::time::Duration;

use loom::thread;
use poolside_buffer::RingPool;

/// Claims a slot (if one is free), writes it, and checks the write stayed.
fn use_slot(ring: &RingPool, mark: u8) -> bool {
    let Some(mut buf) = ring.try_get() else {
        return false;
    };
    buf.slot_mut()[0] = mark;
    assert_eq!(buf.slot_mut()[0], mark);
    true
}

#[test]
fn two_threads_never_share_the_one_slot() {
    loom::model(|| {
        let ring = Arc::new(RingPool::new(1, 4).unwrap());
        let other = ring.clone();
        let t = thread::spawn(move || use_slot(&other, 1));
        let here = use_slot(&ring, 2);
        let there = t.join().unwrap();
        assert!(here || there, "someone got the slot");
        assert_eq!(ring.free(), 1);
    });
}

#[test]
fn claims_and_releases_interleave_over_two_slots() {
    loom::model(|| {
        let ring = Arc::new(RingPool::new(2, 4).unwrap());
        let other = ring.clone();
        let t = thread::spawn(move || {
            for mark in [1, 2] {
                use_slot(&other, mark);
            }
        });
        let held = ring.try_get();
        use_slot(&ring, 3);
        drop(held);
        t.join().unwrap();
        assert_eq!(ring.free(), 2);
        assert_eq!(ring.stats().in_use, 0);
    });
}

#[test]
fn a_waiter_is_woken_by_the_release() {
    loom::model(|| {
        let ring = Arc::new(RingPool::new(1, 4).unwrap());
        let held = ring.try_get().unwrap();
        let other = ring.clone();
        // Loom's condition variable never times out, so a lost wake-up is a deadlock
        // that loom reports.
        let t = thread::spawn(move || {
            other
                .get_timeout(Duration::from_secs(3600))
                .map(|b| b.is_heap())
        });
        drop(held);
        assert_eq!(t.join().unwrap(), Ok(false));
    });
}

/// Two waiters and one slot: the return wakes both (the waiting bit is cleared once),
/// the one that finds no slot marks the list again, and the other's return wakes it. A
/// waiter left asleep while the slot is free deadlocks, which loom reports.
#[test]
fn two_waiters_are_both_served_by_one_slot() {
    loom::model(|| {
        let ring = Arc::new(RingPool::new(1, 4).unwrap());
        let held = ring.try_get().unwrap();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let ring = ring.clone();
                thread::spawn(move || {
                    ring.get_timeout(Duration::from_secs(3600))
                        .map(|b| b.is_heap())
                })
            })
            .collect();
        drop(held);
        for w in waiters {
            assert_eq!(w.join().unwrap(), Ok(false));
        }
        let s = ring.stats();
        assert_eq!((s.hits, s.puts, s.in_use), (3, 3, 0));
    });
}

/// Two threads take and return buffers of one class through a sized pool with a
/// one-buffer queue while a third trims it: no buffer is ever held by both (their
/// addresses, registered while held), and every get and put is counted.
///
/// Under loom a thread's thread-locals, and so its block, go after its join returns, so
/// the end of the model is not a quiescent point for the idle counts: only the events
/// counted before each thread ended are checked exactly, and the idle bytes are bounded
/// by the two buffers that can exist.
#[test]
fn sized_pool_threads_and_a_trim_never_share_a_buffer() {
    use poolside_buffer::SizedPool;
    loom::model(|| {
        let config = SizedPool::builder()
            .powers_of_two(64, 128)
            .max_idle(1)
            .thread_cache(1);
        let pool = Arc::new(config.build().unwrap());
        let held = Arc::new(loom::sync::Mutex::new(Vec::new()));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (pool, held) = (pool.clone(), held.clone());
                thread::spawn(move || {
                    let mut buf = pool.get(100).unwrap();
                    let at = buf.as_ptr() as usize;
                    {
                        let mut held = held.lock().unwrap();
                        assert!(!held.contains(&at), "a buffer held twice");
                        held.push(at);
                    }
                    buf.push(1);
                    assert_eq!(&buf[..], [1], "no one else writes this buffer");
                    held.lock().unwrap().retain(|&h| h != at);
                })
            })
            .collect();
        pool.trim();
        for w in workers {
            w.join().unwrap();
        }
        let s = pool.stats();
        assert_eq!((s.gets, s.puts, s.in_use), (2, 2, 0), "{s:?}");
        assert!(s.idle_bytes <= 2 * 128, "{s:?}");
    });
}

//! RingPool: construction errors, the full-ring behaviours, the guard's byte handling,
//! statistics, and ownership under stress.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use poolside_buffer::{OwnedRingBuf, RingPool};
use poolside_core::{ConfigError, LimitReached};
use poolside_core::{Observable, Observe};
use poolside_testkit::OwnershipChecker;

#[test]
fn bad_shapes_are_errors() {
    assert_eq!(RingPool::new(0, 64).unwrap_err(), ConfigError::ZeroSlots);
    assert_eq!(RingPool::new(4, 0).unwrap_err(), ConfigError::ZeroSlotSize);
    assert_eq!(
        RingPool::new(usize::MAX / 2, 3).unwrap_err(),
        ConfigError::RingTooLarge
    );
    assert_eq!(
        RingPool::new(1 << 40, 1).unwrap_err(),
        ConfigError::RingTooLarge,
        "more slots than the free list indexes"
    );
    assert_eq!(
        RingPool::new(2, usize::MAX).unwrap_err(),
        ConfigError::RingTooLarge
    );
    // Rounded up to whole cache lines, it would not fit an allocation.
    assert_eq!(
        RingPool::new(1, isize::MAX as usize).unwrap_err(),
        ConfigError::RingTooLarge
    );
    // Miri stops at an allocation this large instead of failing it.
    if !cfg!(miri) {
        assert_eq!(
            RingPool::new(1, isize::MAX as usize - 64).unwrap_err(),
            ConfigError::OutOfMemory
        );
    }
    assert!(ConfigError::ZeroSlots.to_string().contains("slot"));
}

#[test]
fn try_get_is_none_when_every_slot_is_taken() {
    let ring = RingPool::new(2, 8).unwrap();
    let a = ring.try_get().unwrap();
    let b = ring.try_get().unwrap();
    assert!(ring.try_get().is_none());
    assert_eq!(ring.free(), 0);
    drop(a);
    let c = ring.try_get().expect("a slot came back");
    drop((b, c));
    assert_eq!(ring.free(), 2);
}

#[test]
fn a_full_ring_lends_a_counted_heap_buffer() {
    let ring = RingPool::new(1, 8).unwrap();
    let slot = ring.get();
    let mut heap = ring.get();
    assert!(!slot.is_heap() && heap.is_heap());
    assert_eq!(heap.capacity(), 8);
    heap.write_all(b"12345678").unwrap();
    drop((slot, heap));
    let s = ring.stats();
    assert_eq!((s.hits, s.misses, s.puts), (1, 1, 2));
    assert_eq!(
        s.discards.pool_full, 1,
        "the heap buffer is freed, not kept"
    );
    assert_eq!((s.idle_objects, s.in_use), (1, 0));
    assert_eq!(s.idle_bytes, 8);
}

#[test]
fn a_full_ring_can_wait_and_time_out() {
    let ring = RingPool::new(1, 8).unwrap();
    let wait = Duration::from_millis(20);
    let held = ring.get_timeout(wait).unwrap();
    let err = ring.get_timeout(wait).unwrap_err();
    assert_eq!(err.max, 1);
    assert!(err.waited >= wait, "{err:?}");
    assert!(
        ring.try_get().is_none(),
        "full: try_get never goes past the limit"
    );
    drop(held);
    assert!(!ring.get_timeout(wait).unwrap().is_heap());
}

/// The ring's `waiters` gauge: threads in `get_timeout` waiting for a slot.
fn waiters(ring: &RingPool) -> f64 {
    let mut waiters = None;
    ring.visit_metrics(&mut |m| {
        if m.name == "waiters" {
            waiters = Some(m.value);
        }
    });
    waiters.expect("the ring reports its waiters")
}

/// Takes the ring's only slot, lets another thread `get` one, and frees the slot only
/// once that thread counts as a waiter: it has found every slot taken and set its
/// deadline, so it gets the slot through the wait path, never through `get_timeout`'s
/// first claim. Returns what the waiter got (`true`: a ring slot, not a heap buffer); a panic
/// in the waiter goes on up as it was.
fn hand_the_slot_to_a_waiter(ring: &RingPool, wait: Duration) -> Result<bool, LimitReached> {
    let held = ring.try_get().expect("the ring starts with a free slot");
    let got = std::thread::scope(|s| {
        let waiter = s.spawn(|| ring.get_timeout(wait).map(|buf| !buf.is_heap()));
        // A waiter that fails before it counts itself (an error, a panic) ends the wait
        // too, and its outcome fails the test below.
        while waiters(ring) == 0.0 && !waiter.is_finished() {
            std::thread::yield_now();
        }
        drop(held);
        waiter
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    assert_eq!(waiters(ring), 0.0, "the waiter has left");
    got
}

#[test]
fn a_waiter_gets_the_slot_another_thread_frees() {
    let ring = RingPool::new(1, 8).unwrap();
    assert_eq!(
        hand_the_slot_to_a_waiter(&ring, Duration::from_secs(3600)),
        Ok(true)
    );
    let s = ring.stats();
    assert_eq!((s.hits, s.misses, s.in_use), (2, 0, 0), "{s:?}");
}

#[test]
fn a_waiter_that_gave_up_leaves_the_ring_as_it_was() {
    // The waiter marks the free list as waited on and times out: the mark must not stop
    // the next return from freeing the slot, nor the next claim from taking it.
    let ring = RingPool::new(1, 8).unwrap();
    let held = ring.try_get().unwrap();
    assert!(ring.get_timeout(Duration::from_millis(1)).is_err());
    drop(held);
    assert_eq!(ring.free(), 1);
    let again = ring.try_get().expect("the slot is free");
    assert!(!again.is_heap());
    drop(again);
    let s = ring.stats();
    assert_eq!((s.hits, s.puts, s.in_use, s.idle_bytes), (2, 2, 0, 8));
}

/// More threads than slots, each getting with a wait and giving back, round after
/// round: no waiter sleeps through a free slot (each wait is bounded, and a timeout
/// fails the test), no slot has two holders, and every get and put is counted.
#[test]
fn waiters_outnumbering_the_slots_are_all_served() {
    const THREADS: usize = 4;
    const SLOTS: usize = 2;
    const ROUNDS: usize = if cfg!(miri) { 20 } else { 5_000 };
    let ring = RingPool::new(SLOTS, 16).unwrap();
    let checker = OwnershipChecker::new(SLOTS);
    let ids: Vec<usize> = (0..SLOTS).map(|_| checker.register()).collect();
    let all: Vec<_> = (0..SLOTS).map(|_| ring.try_get().unwrap()).collect();
    for (id, mut buf) in all.into_iter().enumerate() {
        buf.slot_mut()[0] = id as u8;
    }
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            let (ring, checker, ids) = (&ring, &checker, &ids);
            s.spawn(move || {
                for _ in 0..ROUNDS {
                    let mut buf = ring
                        .get_timeout(Duration::from_secs(60))
                        .expect("served within the wait");
                    assert!(!buf.is_heap(), "a waiting ring lends no heap buffer");
                    let _hold = checker.hold(ids[usize::from(buf.slot_mut()[0])]);
                    std::hint::spin_loop();
                }
            });
        }
    });
    let s = ring.stats();
    let gets = (THREADS * ROUNDS + SLOTS) as u64;
    assert_eq!((s.gets, s.hits, s.misses, s.puts), (gets, gets, 0, gets));
    assert_eq!(
        (s.in_use, s.idle_objects, s.idle_bytes),
        (0, SLOTS as u64, 32)
    );
    assert_eq!(waiters(&ring), 0.0);
}

#[test]
fn a_huge_wait_does_not_overflow() {
    // `now + Duration::MAX` overflows the clock: the wait must mean "no deadline".
    let ring = RingPool::new(1, 8).unwrap();
    assert_eq!(hand_the_slot_to_a_waiter(&ring, Duration::MAX), Ok(true));
}

#[test]
fn writes_fill_up_to_the_slot_and_no_further() {
    let ring = RingPool::new(1, 8).unwrap();
    let mut buf = ring.try_get().unwrap();
    assert!(buf.is_empty());
    buf.write_all(b"hello").unwrap();
    assert_eq!(&buf[..], b"hello");
    assert_eq!(buf.remaining(), 3);
    assert_eq!(buf.write(b"world").unwrap(), 3, "cut short");
    assert_eq!(&buf[..], b"hellowor");
    let err = buf.write_all(b"!").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::WriteZero);
    buf[0] = b'H';
    assert_eq!(buf.as_ref(), b"Hellowor");
    buf.clear();
    assert!(buf.is_empty());
    buf.slot_mut()[..3].copy_from_slice(b"abc");
    buf.set_len(3).unwrap();
    assert_eq!(&buf[..], b"abc");
    assert_eq!(buf.set_len(9), Err(8));
    assert!(format!("{buf:?}").contains("len: 3"));
}

#[test]
fn old_bytes_stay_unless_zeroed_on_return() {
    for zero in [false, true] {
        let ring = RingPool::builder(1, 4)
            .zero_on_return(zero)
            .build()
            .unwrap();
        ring.try_get().unwrap().write_all(b"old!").unwrap();
        let mut next = ring.try_get().unwrap();
        assert!(next.is_empty(), "the filled part starts empty");
        let expect: &[u8] = if zero { &[0; 4] } else { b"old!" };
        assert_eq!(next.slot_mut(), expect);
    }
}

#[test]
fn detach_copies_the_bytes_out_and_frees_the_slot() {
    let ring = RingPool::new(1, 16).unwrap();
    let mut buf = ring.try_get().unwrap();
    buf.write_all(b"keep me").unwrap();
    let out: Vec<u8> = buf.detach();
    assert_eq!(out, b"keep me");
    assert_eq!(ring.free(), 1, "the slot is back");
    let s = ring.stats();
    assert_eq!((s.detached, s.in_use, s.idle_objects), (1, 0, 1));
}

#[test]
fn an_owned_buffer_keeps_its_ring_and_goes_back_to_it() {
    let ring = RingPool::builder(1, 16)
        .zero_on_return(true)
        .build()
        .unwrap();
    let watch = ring.observer();
    let mut buf = ring.get_owned();
    buf.write_all(b"owned").unwrap();
    let heap = ring.get_owned(); // the one slot is taken
    assert!(heap.is_heap() && !buf.is_heap());
    let other = ring.clone();
    drop(ring);
    let (buf, heap) = std::thread::spawn(move || (buf, heap)).join().unwrap();
    assert_eq!(&buf[..], b"owned");
    drop(heap);
    drop(buf);
    assert_eq!(other.free(), 1);
    let mut again = other.try_get().unwrap();
    assert!(again.slot_mut().iter().all(|&b| b == 0), "zeroed on return");
    drop(again);
    let s = other.stats();
    assert_eq!((s.gets, s.hits, s.misses, s.puts), (3, 2, 1, 3));

    let detached = other.get_owned();
    drop(other);
    assert!(watch.upgrade().is_some(), "the buffer holds the ring");
    assert!(detached.detach().is_empty());
    assert!(
        watch.upgrade().is_none(),
        "and detaching it lets the ring go"
    );
}

#[test]
fn stats_account_for_every_slot() {
    let ring = RingPool::new(4, 32).unwrap();
    let s = ring.stats();
    assert_eq!((s.prewarmed, s.idle_objects, s.idle_bytes), (4, 4, 128));
    let held: Vec<_> = (0..3).map(|_| ring.try_get().unwrap()).collect();
    let s = ring.stats();
    assert_eq!(
        (s.gets, s.hits, s.in_use, s.idle_objects, s.idle_bytes),
        (3, 3, 3, 1, 32)
    );
    drop(held);
    assert_eq!(ring.stats().idle_objects, 4);
}

#[test]
fn guards_and_the_pool_cross_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let ring = RingPool::new(2, 8).unwrap();
    send_sync(&ring);
    let buf = ring.try_get().unwrap();
    send_sync(&buf);
    std::thread::scope(|s| {
        s.spawn(move || drop(buf));
    });
    assert_eq!(ring.free(), 2);
}

#[test]
fn no_slot_is_ever_held_twice() {
    const THREADS: usize = 4;
    const ROUNDS: usize = if cfg!(miri) { 50 } else { 20_000 };
    const SLOTS: usize = 3;
    let ring = RingPool::new(SLOTS, 64).unwrap();
    let checker = OwnershipChecker::new(SLOTS);
    let ids: Vec<usize> = (0..SLOTS).map(|_| checker.register()).collect();
    // Each slot's first byte names it, for the checker; holders write only after it.
    let all: Vec<_> = (0..SLOTS).map(|_| ring.try_get().unwrap()).collect();
    for (id, mut buf) in all.into_iter().enumerate() {
        buf.slot_mut()[0] = id as u8;
    }
    let got = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (ring, checker, ids, got) = (&ring, &checker, &ids, &got);
            s.spawn(move || {
                for round in 0..ROUNDS {
                    let Some(mut buf) = ring.try_get() else {
                        continue;
                    };
                    got.fetch_add(1, Ordering::Relaxed);
                    let slot = buf.slot_mut();
                    let _hold = checker.hold(ids[usize::from(slot[0])]);
                    // Fill the slot with this thread's mark and check nobody else wrote.
                    let mark = (t * 31 + round) as u8;
                    slot[1..62].fill(mark);
                    std::hint::spin_loop();
                    assert!(
                        slot[1..62].iter().all(|&b| b == mark),
                        "another holder wrote this slot"
                    );
                }
            });
        }
    });
    assert!(got.load(Ordering::Relaxed) > 0);
    let s = ring.stats();
    assert_eq!(s.gets, got.load(Ordering::Relaxed) as u64 + SLOTS as u64);
    assert_eq!(
        (s.puts, s.in_use, s.idle_objects),
        (s.gets, 0, SLOTS as u64)
    );
    assert_eq!(ring.free(), SLOTS);
}

#[test]
fn owned_buffers_handed_to_other_threads_are_each_held_once() {
    const SLOTS: usize = 2;
    const ROUNDS: usize = if cfg!(miri) { 30 } else { 5_000 };
    let ring = RingPool::new(SLOTS, 8).unwrap();
    let checker = OwnershipChecker::new(SLOTS);
    let ids: Vec<usize> = (0..SLOTS).map(|_| checker.register()).collect();
    let all: Vec<_> = (0..SLOTS).map(|_| ring.try_get().unwrap()).collect();
    for (id, mut buf) in all.into_iter().enumerate() {
        buf.slot_mut()[0] = id as u8;
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<OwnedRingBuf>(1);
    let heap = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let (checker, ids, heap) = (&checker, &ids, &heap);
        let producer = ring.clone();
        s.spawn(move || {
            for _ in 0..ROUNDS {
                let mut buf = producer.get_owned();
                if buf.is_heap() {
                    heap.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                // Held from here on this thread, then on the consumer's.
                let id = ids[usize::from(buf.slot_mut()[0])];
                drop(checker.hold(id));
                tx.send(buf).unwrap();
            }
        });
        s.spawn(move || {
            for mut buf in rx {
                let _hold = checker.hold(ids[usize::from(buf.slot_mut()[0])]);
                buf.slot_mut()[1..].fill(0xAB);
                assert!(buf.slot_mut()[1..].iter().all(|&b| b == 0xAB));
            }
        });
    });
    let s = ring.stats();
    let slots_taken = (ROUNDS - heap.load(Ordering::Relaxed)) as u64;
    assert_eq!(s.hits, slots_taken + SLOTS as u64);
    assert_eq!(
        (s.puts, s.in_use, s.idle_objects),
        (s.gets, 0, SLOTS as u64)
    );
    assert_eq!(ring.free(), SLOTS);
}

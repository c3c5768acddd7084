//! SizedPool: class choice, buffers that grew or shrank, requests the allocator refuses,
//! configuration errors, exact statistics, the byte budget under an adversarial mix of
//! sizes on several threads, and ownership under stress.

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Barrier, Mutex};

use poolside_buffer::internals::ClassLayout;
use poolside_buffer::{SizedPool, SizedPoolBuilder};
use poolside_core::ConfigError;

#[test]
fn a_get_gets_at_least_what_it_asks_for() {
    let pool = SizedPool::new();
    for n in [0, 1, 63, 64, 65, 1000, 4096, 4097, (1 << 20) - 1, 1 << 20] {
        let buf = pool.get(n).unwrap();
        assert!(
            buf.capacity() >= n && buf.is_empty() && !buf.is_plain(),
            "{n}"
        );
        assert!(
            buf.capacity() < 2 * n.max(64),
            "{n}: from the smallest class that fits"
        );
    }
}

#[test]
fn a_request_above_the_largest_class_is_a_plain_allocation() {
    let pool = SizedPool::new();
    let big = pool.get((1 << 20) + 1).unwrap();
    assert!(big.is_plain() && big.capacity() > 1 << 20);
    drop(big);
    let s = pool.stats();
    assert_eq!(
        (s.misses, s.puts, s.discards.oversized, s.idle_objects),
        (1, 1, 1, 0)
    );
}

#[test]
fn what_the_allocator_refuses_is_an_error_not_an_abort() {
    let pool = SizedPool::new();
    assert!(pool.get(usize::MAX).is_err());
    // Miri stops at an allocation this large instead of failing it.
    if !cfg!(miri) {
        assert!(pool.get(isize::MAX as usize).is_err());
    }
    let shared = std::sync::Arc::new(SizedPool::new());
    assert!(shared.get_owned(usize::MAX).is_err());
    assert_eq!(shared.stats().in_use, 0);
    assert_eq!(
        std::sync::Arc::strong_count(&shared),
        1,
        "no handle kept by the failure"
    );
    assert_eq!(pool.stats().in_use, 0);
    // A class as large as an allocation can be: the pool is made, its buffers refused.
    let huge = SizedPool::builder()
        .classes(vec![64, isize::MAX as usize])
        .build();
    let huge = huge.unwrap();
    if !cfg!(miri) {
        assert!(huge.get(1 << 40).is_err());
    }
    assert_eq!(huge.get(10).unwrap().capacity(), 64);
}

#[test]
fn a_buffer_that_grew_goes_home_to_the_class_it_fills() {
    let pool = SizedPool::new();
    let mut buf = pool.get(100).unwrap(); // the 128 B class
    buf.extend_from_slice(&[7; 5000]);
    let capacity = buf.capacity();
    drop(buf);
    let home = pool
        .classes()
        .into_iter()
        .filter(|&c| c <= capacity)
        .max()
        .unwrap();
    let again = pool.get(home).unwrap();
    assert_eq!(again.capacity(), capacity, "the grown buffer came back");
    assert!(again.is_empty(), "cleared on the way back");
    let s = pool.stats();
    assert_eq!(
        (s.gets, s.hits, s.puts, s.detached, s.adopted),
        (2, 1, 1, 0, 0)
    );
}

#[test]
fn a_buffer_that_grew_past_the_largest_class_is_dropped_and_counted() {
    let pool = SizedPool::builder()
        .powers_of_two(64, 4096)
        .build()
        .unwrap();
    let mut buf = pool.get(4096).unwrap();
    buf.reserve(10_000);
    drop(buf);
    let s = pool.stats();
    assert_eq!(
        (s.discards.oversized, s.idle_objects, s.idle_bytes),
        (1, 0, 0)
    );
}

#[test]
fn a_buffer_shrunk_below_its_class_is_refused() {
    let pool = SizedPool::new();
    let mut buf = pool.get(4096).unwrap();
    buf.shrink_to_fit();
    drop(buf);
    let s = pool.stats();
    assert_eq!((s.discards.rejected, s.idle_objects), (1, 0));
}

#[test]
fn class_lists() {
    let pool = SizedPool::new();
    let classes = pool.classes();
    assert_eq!(
        (classes[0], *classes.last().unwrap(), classes.len()),
        (64, 1 << 20, 15)
    );
    let config = SizedPool::builder().quarters(64, 1024);
    let pool = config.build().unwrap();
    assert_eq!(
        pool.classes(),
        [64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024]
    );
    let pool = SizedPool::builder()
        .classes(vec![300, 100, 300, 200])
        .build()
        .unwrap();
    assert_eq!(pool.classes(), [100, 200, 300]);
    assert!(pool.get(250).unwrap().capacity() >= 300);
}

/// Powers of two and quarter classes find their class by counting bits, any other list
/// by searching: each must give the smallest class that holds a request, and send a
/// returned buffer to the largest class it fills, at every class boundary.
#[test]
fn every_class_layout_finds_the_right_class() {
    finds_the_right_class(SizedPool::builder());
    finds_the_right_class(SizedPool::builder().quarters(64, 1 << 20));
    finds_the_right_class(SizedPool::builder().quarters(100, 5000));
    finds_the_right_class(SizedPool::builder().quarters(5, 64));
    finds_the_right_class(SizedPool::builder().classes(vec![100, 250, 4000]));
    // Lists that count bits without a layout of their own.
    finds_the_right_class(SizedPool::builder().classes(vec![64, 128, 256, 512]));
    finds_the_right_class(SizedPool::builder().classes(vec![80, 96, 112, 128, 160]));
}

fn finds_the_right_class<L: ClassLayout>(config: SizedPoolBuilder<L>) {
    // A budget that keeps every buffer, so that where one goes is all that is tested.
    let config = config.max_idle_bytes(1 << 40);
    let pool = config.clone().build().unwrap();
    let classes = pool.classes();
    let last = *classes.last().unwrap();
    let probes = classes
        .iter()
        .flat_map(|&c| [c - 1, c, c + 1])
        .chain([0, 1]);
    for n in probes {
        let buf = pool.get(n).unwrap();
        match classes.iter().find(|&&c| c >= n) {
            Some(&class) => assert_eq!(buf.capacity(), class, "{config:?}: get({n})"),
            None => assert!(n > last && buf.is_plain(), "{config:?}: get({n})"),
        }
    }
    // A buffer that grew goes to the largest class it fills (past the largest class it
    // is dropped: tested above).
    for &c in &classes[..classes.len() - 1] {
        let mut buf = pool.get(1).unwrap();
        buf.reserve_exact(c + 1);
        let capacity = buf.capacity();
        drop(buf);
        let Some(&home) = classes.iter().rev().find(|&&h| h <= capacity) else {
            continue;
        };
        let again = pool.get(home).unwrap();
        assert_eq!(again.capacity(), capacity, "{config:?}: home of {capacity}");
    }
}

#[test]
fn bad_configurations_are_errors() {
    fn err<L: ClassLayout>(c: SizedPoolBuilder<L>) -> ConfigError {
        c.build().unwrap_err()
    }
    assert_eq!(
        err(SizedPool::builder().classes(vec![])),
        ConfigError::NoClasses
    );
    assert_eq!(
        err(SizedPool::builder().classes(vec![0, 64])),
        ConfigError::ZeroClass
    );
    assert_eq!(
        err(SizedPool::builder().classes(vec![64, usize::MAX])),
        ConfigError::ClassTooLarge { size: usize::MAX }
    );
    // 3 bytes over 15 classes leave each class a budget of 0.
    assert_eq!(
        err(SizedPool::builder().max_idle_bytes(3)),
        ConfigError::MaxIdleBytesBelowClasses {
            max_idle_bytes: 3,
            classes: 15
        }
    );
    assert_eq!(
        err(SizedPool::builder().max_idle_bytes(0)),
        ConfigError::ZeroMaxIdleBytes
    );
    assert_eq!(
        err(SizedPool::builder().thread_cache(100)),
        ConfigError::ThreadCacheTooLarge {
            thread_cache: 100,
            limit: 16
        },
        "the buffer pools' own limit, not the object pool's"
    );
    // An unset thread cache follows a small shared tier down, as the object pool's does.
    assert!(SizedPool::builder().max_idle(4).build().is_ok());
    assert_eq!(
        err(SizedPool::builder().max_idle(0)),
        ConfigError::ZeroMaxIdle
    );
    assert_eq!(
        err(SizedPool::builder().thread_cache(17)),
        ConfigError::ThreadCacheTooLarge {
            thread_cache: 17,
            limit: 16
        }
    );
    assert!(ConfigError::NoClasses.to_string().contains("class"));
}

#[test]
fn the_guard_writes_detaches_and_debugs() {
    let pool = SizedPool::new();
    let mut buf = pool.get(10).unwrap();
    write!(buf, "{}-{}", 1, 2).unwrap();
    assert_eq!(buf.as_ref(), b"1-2");
    buf.as_mut()[0] = b'9';
    assert!(format!("{buf:?}").contains("len: 3"));
    let out: Vec<u8> = buf.detach();
    assert_eq!(out, b"9-2");
    let s = pool.stats();
    assert_eq!((s.detached, s.in_use), (1, 0));
}

#[test]
fn statistics_add_up_across_classes() {
    let pool = SizedPool::new();
    for round in 0..3 {
        let held: Vec<_> = [10, 100, 1000, 10_000, 100_000]
            .iter()
            .map(|&n| pool.get(n + round).unwrap())
            .collect();
        drop(held);
    }
    let s = pool.stats();
    assert_eq!((s.gets, s.puts, s.in_use), (15, 15, 0));
    assert_eq!((s.misses, s.hits), (5, 10));
    assert_eq!(
        s.misses,
        s.idle_objects + s.discards.total() + s.trimmed + s.detached
    );
    assert_eq!(pool.trim(), 0, "all five sit in this thread's caches");
}

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// Mostly small sizes, a tail of large ones: 1 in 64 up to 64 MiB.
    fn size(&mut self) -> usize {
        let r = self.next();
        let bits = if r % 64 == 0 { 27 } else { 17 };
        (self.next() % (1 << (self.next() % bits))) as usize
    }
}

#[test]
fn idle_bytes_never_exceed_the_budget_under_an_adversarial_mix() {
    const THREADS: usize = 4;
    const ROUNDS: usize = if cfg!(miri) { 2 } else { 40 };
    const BUDGET: usize = 8 << 20;
    let config = SizedPool::builder()
        .powers_of_two(64, 4 << 20)
        .max_idle_bytes(BUDGET);
    let pool = config.build().unwrap();
    let class_budget = BUDGET / pool.classes().len();
    let (done, checked) = (Barrier::new(THREADS + 1), Barrier::new(THREADS + 1));
    let mut most = 0;
    let mut most_in_a_class = 0;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (pool, done, checked) = (&pool, &done, &checked);
            s.spawn(move || {
                let mut rng = Lcg(t as u64 + 1);
                for _ in 0..ROUNDS {
                    for _ in 0..if cfg!(miri) { 3 } else { 50 } {
                        let n = rng.size();
                        let mut buf = pool.get(n).unwrap();
                        assert!(buf.capacity() >= n, "{} < {n}", buf.capacity());
                        // Some grow past what they asked for.
                        if rng.next() % 8 == 0 {
                            buf.reserve(n);
                        }
                        buf.push(1);
                    }
                    done.wait();
                    checked.wait();
                }
            });
        }
        for _ in 0..ROUNDS {
            done.wait();
            // Every thread is parked with its caches full: the counts are exact.
            most = most.max(pool.stats().idle_bytes);
            let mut classes = Vec::new();
            poolside_core::Observe::visit_metrics(&pool, &mut |m| classes.push(m.value as usize));
            most_in_a_class = most_in_a_class.max(classes.into_iter().max().unwrap());
            checked.wait();
        }
    });
    assert!(most <= BUDGET as u64, "{most} idle bytes against {BUDGET}");
    assert!(
        most_in_a_class <= class_budget,
        "{most_in_a_class} in one class"
    );
    assert!(most > 0);
    let s = pool.stats();
    assert_eq!(s.in_use, 0);
    if !cfg!(miri) {
        // Too few rounds under Miri to reach the limits.
        assert!(
            s.discards.total() > 0,
            "the budget and the largest class turned buffers away"
        );
    }
}

/// A hit takes a buffer of the class's size, and a buffer that grew within its class may
/// come back in its place: only a put of the class's own size rides the hit path, so
/// swapping small for large can never creep past the class's share, and buffers of the
/// class's size still use all of it.
#[test]
fn grown_buffers_cannot_creep_past_a_class_share_on_the_hit_path() {
    const SHARE: usize = 8 * 1024;
    let config = SizedPool::builder()
        .powers_of_two(1024, 2048)
        .max_idle_bytes(2 * SHARE)
        .max_idle(8);
    let pool = config.build().unwrap();
    let idle_of_1k = || {
        let mut bytes = None;
        poolside_core::Observe::visit_metrics(&pool, &mut |m| {
            if m.name == "class_1024_idle_bytes" {
                bytes = Some(m.value as usize);
            }
        });
        bytes.unwrap()
    };
    let bufs: Vec<_> = (0..8).map(|_| pool.get(1024).unwrap()).collect();
    drop(bufs);
    assert_eq!(
        idle_of_1k(),
        SHARE,
        "eight of the class's size fill its share"
    );
    for round in 0..40 {
        let mut buf = pool.get(1000).unwrap();
        buf.reserve_exact(1500);
        assert!(buf.capacity() < 2048, "still in the 1 KiB class");
        drop(buf);
        // And one of the class's size, which would fit the room the first one left.
        drop(pool.get(1024).unwrap());
        assert!(
            idle_of_1k() <= SHARE,
            "round {round}: {} idle",
            idle_of_1k()
        );
    }
    assert!(
        pool.stats().discards.total() > 0,
        "the share turned buffers away"
    );
}

#[test]
fn no_buffer_is_ever_held_twice() {
    const THREADS: usize = 4;
    const ROUNDS: usize = if cfg!(miri) { 20 } else { 5_000 };
    let pool = SizedPool::new();
    let held = Mutex::new(HashSet::new());
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (pool, held) = (&pool, &held);
            s.spawn(move || {
                let mut rng = Lcg(t as u64 + 100);
                for _ in 0..ROUNDS {
                    let mut bufs: Vec<_> = (0..3)
                        .map(|_| pool.get(rng.size() % 70_000).unwrap())
                        .collect();
                    for buf in &mut bufs {
                        buf.push(0);
                        assert!(
                            held.lock().unwrap().insert(buf.as_ptr() as usize),
                            "held twice"
                        );
                    }
                    for buf in bufs {
                        held.lock().unwrap().remove(&(buf.as_ptr() as usize));
                    }
                }
            });
        }
    });
    let s = pool.stats();
    assert_eq!(
        (s.gets, s.puts, s.in_use),
        (s.puts, (THREADS * ROUNDS * 3) as u64, 0)
    );
}

/// With no per-thread tier (`thread_cache` 0), buffers go back to the class's queue and
/// gets are served from it.
#[test]
fn without_a_per_thread_tier_the_queue_serves_every_get() {
    let pool = SizedPool::builder().thread_cache(0).build().unwrap();
    for _ in 0..3 {
        drop(pool.get(1000).unwrap());
    }
    let s = pool.stats();
    assert_eq!(
        (s.misses, s.hits, s.idle_objects, s.idle_bytes),
        (1, 2, 1, 1024)
    );
}

/// A trim releases the shared queues' buffers at once, and each thread's at that thread's
/// next use; every release is counted, and no byte stays counted idle.
#[test]
fn a_trim_releases_the_queues_now_and_each_thread_at_its_next_use() {
    let pool = SizedPool::builder().thread_cache(4).build().unwrap();
    let held: Vec<_> = (0..3).map(|_| pool.get(1000).unwrap()).collect();
    drop(held); // three in this thread's 1 KiB magazine
    std::thread::scope(|s| {
        // Joined by hand: the scope's own join may return before the thread's
        // thread-locals are destroyed, which is when its block closes.
        s.spawn(|| {
            let held: Vec<_> = (0..2).map(|_| pool.get(100).unwrap()).collect();
            drop(held);
            // The thread exits: its two go to the 128 B class's queue.
        })
        .join()
        .unwrap();
    });
    let s = pool.stats();
    assert_eq!((s.idle_objects, s.idle_bytes), (5, 3 * 1024 + 2 * 128));
    assert_eq!(pool.trim(), 2, "the queue's two, now");
    let s = pool.stats();
    assert_eq!((s.trimmed, s.trims, s.idle_objects), (2, 1, 3));
    // This thread's next use acts on the trim: its three go, and the get makes a new one.
    let again = pool.get(1000).unwrap();
    let s = pool.stats();
    assert_eq!(
        (s.trimmed, s.misses, s.idle_objects, s.idle_bytes),
        (5, 6, 0, 0)
    );
    drop(again);
    assert_eq!(pool.stats().idle_bytes, 1024);
}

/// A decay releases what went unused since the one before: here, of four idle buffers,
/// the three that never left this thread's magazine.
#[test]
fn a_decay_releases_what_went_unused_since_the_one_before() {
    let pool = SizedPool::builder().thread_cache(4).build().unwrap();
    let held: Vec<_> = (0..4).map(|_| pool.get(1000).unwrap()).collect();
    drop(held);
    assert_eq!(pool.decay(), 0, "nothing in the queues");
    // The next use acts on the first decay (it has no history to go on: nothing goes),
    // and one buffer is used.
    drop(pool.get(1000).unwrap());
    assert_eq!(pool.stats().trimmed, 0);
    assert_eq!(pool.decay(), 0);
    let buf = pool.get(1000).unwrap();
    let s = pool.stats();
    assert_eq!(s.trimmed, 3, "the three that sat unused");
    assert_eq!(
        (s.hits, s.idle_objects),
        (2, 0),
        "the fourth, used, was kept"
    );
    drop(buf);
    // Two decays with no use in between: everything goes.
    pool.decay();
    pool.decay();
    drop(pool.get(64).unwrap());
    let s = pool.stats();
    assert_eq!((s.trimmed, s.idle_objects), (4, 1));
}

#[test]
fn an_owned_buffer_holds_its_pool_and_detaches_without_leaking_it() {
    use std::sync::Arc;

    let pool = Arc::new(SizedPool::new());
    let buf = pool.get_owned(64).unwrap();
    assert_eq!(Arc::strong_count(&pool), 2);
    drop(buf);
    assert_eq!(Arc::strong_count(&pool), 1);
    assert_eq!(pool.stats().puts, 1);

    let buf = pool.get_owned(64).unwrap();
    assert_eq!(pool.stats().hits, 1, "the same buffer");
    let vec = buf.detach();
    assert_eq!(Arc::strong_count(&pool), 1, "detach lets the handle go");
    assert!(vec.capacity() >= 64);
    assert_eq!(pool.stats().detached, 1);

    let bytes = Arc::new(poolside_buffer::BytePool::new());
    let owned = bytes.get_owned();
    let vec = owned.detach();
    assert_eq!(Arc::strong_count(&bytes), 1);
    assert!(vec.is_empty());
}

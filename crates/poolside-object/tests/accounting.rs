//! The books stay right whatever user code does: a factory, a reset, `retained_bytes` or
//! a `Drop` that panics, sizes that overflow, and decays a thread sees late.
//!
//! Some of these failed by aborting the process, so they run in a child process
//! ([`poolside_testkit::in_child`]), where an abort fails one test.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use poolside_core::{CapPolicy, DefaultPolicy, Recycle, Verdict};
use poolside_object::ObjectPool;
use poolside_testkit::{in_child, quietly};

/// `CapPolicy` reports retained bytes; with no byte budget, a cache that spills must not
/// count them against a lease it never took (an overflow, so an abort in debug builds).
#[test]
#[cfg_attr(miri, ignore = "Miri cannot start the child process")]
fn a_cap_policy_without_a_budget_spills_cleanly() {
    in_child("a_cap_policy_without_a_budget_spills_cleanly", || {
        let policy = CapPolicy::drop_above(DefaultPolicy, 64 * 1024);
        let pool: ObjectPool<Vec<u8>, _> = ObjectPool::builder().policy(policy).build().unwrap();
        let held: Vec<_> = (0..33)
            .map(|_| {
                let mut v = pool.get();
                v.reserve(1024);
                v
            })
            .collect();
        drop(held); // the 33rd put spills
        let s = pool.stats();
        assert_eq!((s.gets, s.puts, s.in_use, s.idle_objects), (33, 33, 0, 33));
        assert!(s.idle_bytes >= 33 * 1024);
        // And the spilled objects come back from the shared tier.
        let again: Vec<_> = (0..33).map(|_| pool.get()).collect();
        assert!(again.iter().all(|v| v.capacity() >= 1024));
        assert_eq!(pool.stats().misses, 33);
    });
}

thread_local! {
    static FAIL: Cell<bool> = const { Cell::new(false) };
    static MADE: Cell<usize> = const { Cell::new(0) };
}

/// Panics in `create` or `retained_bytes` while `FAIL` is set on this thread.
struct Moody;

impl Recycle<Vec<u8>> for Moody {
    fn create(&self) -> Vec<u8> {
        assert!(!FAIL.get(), "create failed");
        MADE.set(MADE.get() + 1);
        Vec::new()
    }

    fn recycle(&self, obj: &mut Vec<u8>) -> Verdict {
        obj.clear();
        Verdict::Keep
    }

    fn retained_bytes(&self, obj: &Vec<u8>) -> usize {
        assert!(!FAIL.get(), "retained_bytes failed");
        obj.capacity()
    }
}

/// A miss is counted only for an object made; a put only for an object that came back,
/// even if measuring it panicked.
#[test]
fn panicking_factories_and_measures_leave_the_books_right() {
    let pool: ObjectPool<Vec<u8>, _> = ObjectPool::builder().policy(Moody).build().unwrap();
    FAIL.set(true);
    for _ in 0..3 {
        assert!(quietly(|| catch_unwind(AssertUnwindSafe(|| drop(pool.get())))).is_err());
    }
    FAIL.set(false);
    let (a, b) = (pool.get(), pool.get());
    drop((a, b));
    let s = pool.stats();
    assert_eq!(MADE.get(), 2);
    assert_eq!((s.gets, s.misses, s.puts, s.in_use), (2, 2, 2, 0));
    assert_eq!(s.idle_objects, 2);

    // Now a measure that panics on the way back.
    let held = pool.get();
    FAIL.set(true);
    assert!(quietly(|| catch_unwind(AssertUnwindSafe(|| drop(held)))).is_err());
    FAIL.set(false);
    let s = pool.stats();
    assert_eq!((s.gets, s.puts, s.in_use), (3, 3, 0));
    assert_eq!(s.discards.reset_panicked, 1);
    assert_eq!(
        s.idle_objects, 1,
        "the object whose measure panicked is gone"
    );
}

/// Under a live limit, a factory or a measure that panics gives the object's live place
/// back: the cap is not worn down by panics.
#[test]
fn panics_under_a_live_limit_give_the_place_back() {
    let pool: ObjectPool<Vec<u8>, _> = ObjectPool::builder()
        .policy(Moody)
        .max_live(1)
        .build()
        .unwrap();
    FAIL.set(true);
    assert!(quietly(|| catch_unwind(AssertUnwindSafe(|| drop(pool.get())))).is_err());
    assert!(quietly(|| catch_unwind(AssertUnwindSafe(|| drop(pool.try_get())))).is_err());
    FAIL.set(false);
    assert_eq!(pool.live(), Some(0), "a factory's panic left a place taken");
    let held = pool.try_get().expect("the place is free");
    FAIL.set(true);
    assert!(quietly(|| catch_unwind(AssertUnwindSafe(|| drop(held)))).is_err());
    FAIL.set(false);
    assert_eq!(pool.live(), Some(0), "a measure's panic left a place taken");
    assert!(pool.try_get().is_some());
    let s = pool.stats();
    assert_eq!((s.in_use, s.discards.reset_panicked), (0, 1));
}

static DROPS_TO_PANIC: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Its drop panics while `DROPS_TO_PANIC` is above 0, counting it down.
#[derive(Default)]
struct Fragile;

impl Drop for Fragile {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering::Relaxed;
        if DROPS_TO_PANIC
            .fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1))
            .is_ok()
        {
            panic!("drop failed");
        }
    }
}

impl poolside_core::Reset for Fragile {
    fn reset(&mut self) {}
}

/// A `Drop` that panics during a trim: the objects released before it, and the one that
/// panicked, are counted; the rest stay idle and counted as idle.
#[test]
fn a_drop_that_panics_during_a_trim_leaves_the_idle_count_right() {
    let pool: ObjectPool<Fragile> = ObjectPool::builder().prewarm(8).build().unwrap();
    assert_eq!(pool.shared_idle(), 8);
    DROPS_TO_PANIC.store(1, std::sync::atomic::Ordering::Relaxed);
    assert!(quietly(|| catch_unwind(AssertUnwindSafe(|| pool.trim()))).is_err());
    let s = pool.stats();
    assert_eq!(pool.shared_idle(), 7);
    assert_eq!((s.idle_objects, s.trimmed), (7, 1));
    assert_eq!(pool.trim(), 7);
    assert_eq!(pool.stats().idle_objects, 0);
}

/// A panic payload whose own `Drop` panics.
struct Cursed;

impl Drop for Cursed {
    fn drop(&mut self) {
        panic!("the payload's drop panics too");
    }
}

struct ResetPanicsWithCursedPayload;

impl Recycle<Vec<u8>> for ResetPanicsWithCursedPayload {
    fn create(&self) -> Vec<u8> {
        Vec::new()
    }

    fn recycle(&self, _: &mut Vec<u8>) -> Verdict {
        std::panic::panic_any(Cursed)
    }
}

/// The reset's panic is caught and counted, and the payload's own panic does not escape
/// the guard's drop.
#[test]
fn a_reset_panic_whose_payload_panics_on_drop_is_still_contained() {
    let pool: ObjectPool<Vec<u8>, _> = ObjectPool::builder()
        .policy(ResetPanicsWithCursedPayload)
        .build()
        .unwrap();
    let returned = quietly(|| catch_unwind(AssertUnwindSafe(|| drop(pool.get()))));
    assert!(
        returned.is_ok(),
        "the second panic escaped the guard's drop"
    );
    let s = pool.stats();
    assert_eq!((s.gets, s.puts, s.in_use), (1, 1, 0));
    assert_eq!(s.discards.reset_panicked, 1);
}

/// Says a buffer of 1000 bytes or more retains every byte there is.
struct Enormous;

impl Recycle<Vec<u8>> for Enormous {
    fn create(&self) -> Vec<u8> {
        Vec::new()
    }

    fn recycle(&self, obj: &mut Vec<u8>) -> Verdict {
        obj.clear();
        Verdict::Keep
    }

    fn retained_bytes(&self, obj: &Vec<u8>) -> usize {
        if obj.capacity() >= 1000 {
            usize::MAX
        } else {
            obj.capacity()
        }
    }
}

/// An object that says it retains `usize::MAX` bytes cannot fit any byte budget: it is
/// refused and counted, with no overflow (an abort in debug builds).
#[test]
#[cfg_attr(miri, ignore = "Miri cannot start the child process")]
fn an_object_retaining_usize_max_bytes_is_refused_by_a_budget() {
    in_child(
        "an_object_retaining_usize_max_bytes_is_refused_by_a_budget",
        || {
            let pool: ObjectPool<Vec<u8>, _> = ObjectPool::builder()
                .policy(Enormous)
                .max_idle_bytes(1 << 20)
                .build()
                .unwrap();
            let (mut small, mut huge) = (pool.get(), pool.get());
            small.reserve_exact(10);
            huge.reserve_exact(1000);
            drop(small); // the cache now holds some bytes
            drop(huge);
            let s = pool.stats();
            assert_eq!((s.gets, s.puts, s.in_use), (2, 2, 0));
            assert_eq!((s.discards.pool_full, s.idle_objects), (1, 1));
            assert!(pool.get().capacity() < 1000, "only the small one was kept");
        },
    );
}

/// Objects that sat idle in this thread's cache through two decays are released at the
/// thread's next use, but the one that use takes (as Go's `sync.Pool` drops what two
/// collections found unused).
#[test]
fn objects_idle_through_two_decays_are_released_at_the_next_use() {
    let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
    let held: Vec<_> = (0..8).map(|_| pool.get()).collect();
    drop(held);
    assert_eq!(pool.stats().idle_objects, 8);
    pool.decay();
    pool.decay();
    let one = pool.get();
    let s = pool.stats();
    assert_eq!((s.trimmed, s.idle_objects, s.hits), (7, 0, 1));
    drop(one);
    // One decay seen at once releases only what went unused since the one before it.
    pool.decay();
    drop(pool.get());
    assert_eq!(pool.stats().trimmed, 7, "the object used since is kept");
}

/// A `Drop` that panics while a thread's cache releases its objects for a trim: the
/// panic reaches the caller, and the rest of the release happens at the thread's next use.
#[test]
fn a_drop_that_panics_during_a_cache_release_leaves_the_rest_for_the_next_use() {
    let pool: ObjectPool<Fragile> = ObjectPool::new();
    let held: Vec<_> = (0..4).map(|_| pool.get()).collect();
    drop(held);
    assert_eq!(pool.shared_idle(), 0, "all four sit in this thread's cache");
    pool.trim();
    DROPS_TO_PANIC.store(1, std::sync::atomic::Ordering::Relaxed);
    assert!(quietly(|| catch_unwind(AssertUnwindSafe(|| drop(pool.get())))).is_err());
    drop(pool.get());
    let s = pool.stats();
    assert_eq!(s.trimmed, 4, "every object the trim meant was released");
    assert_eq!(
        s.idle_objects, 1,
        "only the one made and returned since is idle"
    );
}

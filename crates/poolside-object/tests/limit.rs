//! The opt-in cap on live objects.

use std::sync::mpsc;
use std::time::Duration;

use poolside_core::ConfigError;
use poolside_object::ObjectPool;

fn capped(max: usize) -> ObjectPool<Vec<u8>> {
    ObjectPool::builder().max_live(max).build().unwrap()
}

#[test]
fn a_zero_limit_is_refused() {
    let zero = ObjectPool::<Vec<u8>>::builder().max_live(0).build();
    assert_eq!(zero.unwrap_err(), ConfigError::ZeroMaxLive);
    let three = capped(3);
    let held: Vec<_> = (0..3)
        .map(|_| three.try_get().expect("under the cap"))
        .collect();
    assert!(three.try_get().is_none(), "the fourth is over it");
    assert_eq!(three.live(), Some(3));
    drop(held);
}

#[test]
fn try_get_stops_at_the_cap_and_resumes_after_a_return() {
    let pool = capped(2);
    let a = pool.try_get().unwrap();
    let b = pool.try_get().unwrap();
    assert!(pool.try_get().is_none());
    assert_eq!(pool.live(), Some(2));
    drop(a);
    let c = pool.try_get().expect("a place came back");
    drop((b, c));
    assert_eq!(pool.live(), Some(0));
    assert_eq!(pool.stats().high_water, 2);
}

#[test]
fn detach_frees_a_place() {
    let pool = capped(1);
    let kept = pool.get().detach();
    assert!(pool.try_get().is_some());
    drop(kept);
    let owned = pool.get_owned();
    assert!(pool.try_get().is_none());
    drop(owned.detach());
    assert!(pool.try_get().is_some());
}

#[test]
fn get_goes_over_the_cap_and_counts_it() {
    let pool = capped(1);
    let a = pool.get();
    let b = pool.get();
    assert_eq!(pool.live(), Some(2));
    let mut over = None;
    poolside_core::Observe::visit_metrics(&pool, &mut |m| {
        if m.name == "over_limit" {
            over = Some(m.value);
        }
    });
    assert_eq!(over, Some(1.0));
    assert_eq!(pool.stats().high_water, 2);
    drop((a, b));
}

#[test]
fn get_timeout_gives_up_with_an_error() {
    let pool = capped(1);
    let _held = pool.get();
    let err = pool.get_timeout(Duration::ZERO).unwrap_err();
    assert_eq!(err.max, 1);
    let err = pool.get_timeout(Duration::from_millis(20)).unwrap_err();
    assert!(err.waited >= Duration::from_millis(20), "{err:?}");
    assert!(
        err.to_string().contains("all 1 of the pool's objects"),
        "{err}"
    );
    assert_eq!(pool.live(), Some(1), "a failed wait takes no place");
}

#[test]
fn get_timeout_is_woken_by_a_return_on_another_thread() {
    let pool = capped(1);
    let held = pool.get_owned();
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| {
            // Generous timeouts: the return below always comes, whatever the scheduling.
            let got = pool.get_timeout(Duration::from_secs(60)).is_ok();
            let huge = pool.get_timeout(Duration::MAX).is_ok();
            tx.send((got, huge)).unwrap();
        });
        drop(held);
    });
    assert_eq!(rx.recv().unwrap(), (true, true));
    assert_eq!(pool.live(), Some(0));
}

#[test]
fn without_a_limit_nothing_is_counted_or_refused() {
    let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
    let held: Vec<_> = (0..10).map(|_| pool.try_get().unwrap()).collect();
    assert!(pool.get_timeout(Duration::ZERO).is_ok());
    assert_eq!(pool.live(), None);
    assert_eq!(pool.stats().high_water, 0);
    drop(held);
}

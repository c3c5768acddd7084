//! The ownership checker catches a planted double hand-out and passes a correct pool.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use poolside_testkit::OwnershipChecker;

const THREADS: usize = 4;
const ROUNDS: usize = if cfg!(miri) { 20 } else { 5_000 };

/// A trivially correct pool of ids: a locked stack.
struct LockedPool(Mutex<Vec<usize>>);

/// A broken pool: `get` peeks instead of popping, so two callers can get one id.
struct PeekingPool(Mutex<Vec<usize>>);

#[test]
fn a_correct_pool_passes_under_contention() {
    let checker = OwnershipChecker::new(THREADS);
    let pool = LockedPool(Mutex::new(
        (0..THREADS).map(|_| checker.register()).collect(),
    ));
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..ROUNDS {
                    let id = pool.0.lock().unwrap().pop().expect("one id per thread");
                    let hold = checker.hold(id);
                    drop(hold);
                    pool.0.lock().unwrap().push(id);
                }
            });
        }
    });
    assert_eq!(checker.held(), 0);
    assert_eq!(checker.holds(), (THREADS * ROUNDS) as u64);
}

#[test]
fn a_planted_double_hand_out_is_caught() {
    let checker = OwnershipChecker::new(2);
    let pool = PeekingPool(Mutex::new(vec![checker.register(), checker.register()]));
    let first = checker.hold(*pool.0.lock().unwrap().last().unwrap());
    let second = catch_unwind(AssertUnwindSafe(|| {
        checker.hold(*pool.0.lock().unwrap().last().unwrap())
    }));
    let message = second.expect_err("the second hold must panic");
    let text = message
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or("");
    assert!(text.contains("two holders"), "unexpected panic: {text}");
    drop(first);
}

#[test]
fn a_never_registered_id_is_refused() {
    let checker = OwnershipChecker::new(4);
    assert!(catch_unwind(AssertUnwindSafe(|| checker.hold(0))).is_err());
}

#[test]
fn making_more_objects_than_allowed_is_caught() {
    let checker = OwnershipChecker::new(1);
    checker.register();
    assert!(catch_unwind(AssertUnwindSafe(|| checker.register())).is_err());
}

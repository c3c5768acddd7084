//! The case registry, one module per subject.

use crate::{single, Case, Routine};

mod buffer;
mod burst;
mod cache_order;
mod counters;
mod kib;
mod object;
mod pool_churn;
mod rebuild;
mod reset;
mod seed;
mod starvation;
mod when_not;
mod worker;

pub(crate) fn register(all: &mut Vec<Case>) {
    seed::register(all);
    reset::register(all);
    counters::register(all);
    object::register(all);
    burst::register(all);
    buffer::register(all);
    cache_order::register(all);
    worker::register(all);
    when_not::register(all);
    pool_churn::register(all);
    starvation::register(all);
    rebuild::register(all);
}

/// Operations each case runs in `make`, before timing, to warm its pool (and, for the
/// two-thread cases, each thread's side of it).
const WARM: usize = 64;

/// Runs `op` `WARM` times, then returns it as a [`Routine`] of one operation per call.
fn warmed<F: FnMut() + 'static>(mut op: F) -> Box<dyn Routine> {
    for _ in 0..WARM {
        op();
    }
    single(op)
}

/// Runs `op` `WARM` times, then returns a loop of it: one thread's side of a
/// [`two_threads`](crate::two_threads) case.
fn warmed_loop<F: FnMut()>(mut op: F) -> impl FnMut(u64) {
    for _ in 0..WARM {
        op();
    }
    move |n| {
        for _ in 0..n {
            op();
        }
    }
}

/// A case of `group`, its baseline or not.
const fn entry(
    group: &'static str,
    name: &'static str,
    baseline: bool,
    quick: bool,
    make: fn() -> Box<dyn Routine>,
) -> Case {
    Case {
        group,
        name,
        baseline,
        quick,
        make,
    }
}

/// A case that is not its group's baseline.
const fn case(
    group: &'static str,
    name: &'static str,
    quick: bool,
    make: fn() -> Box<dyn Routine>,
) -> Case {
    entry(group, name, false, quick, make)
}

/// A group's baseline, `new`: no pool, a fresh object each time.
const fn baseline(group: &'static str, quick: bool, make: fn() -> Box<dyn Routine>) -> Case {
    entry(group, "new", true, quick, make)
}

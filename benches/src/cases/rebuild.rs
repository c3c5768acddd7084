//! Rebuilding, after Go's `BenchmarkPoolExpensiveNew`: a pool of objects that cost about
//! 1 µs to make, whose idle objects are released every so often, as a maintenance
//! thread or a collection would release them.
//!
//! One operation is one get: a round takes [`ROUND`] objects, holding them all, and
//! gives them back; after every [`ROUNDS_PER_RELEASE`] rounds the pool releases what is
//! idle. What each release costs is the factory calls that follow it, before every get
//! is a hit again; allocs/op counts them (two allocations per object made for poolside,
//! whose pool boxes each object, as Go's `sync.Pool` makes a pointer for each).
//!
//! - `new`: no pool; every get runs the factory.
//! - `poolside_trim`: `ObjectPool::trim`, which releases every idle object, so each
//!   release is followed by a round of misses.
//! - `poolside_decay`: `ObjectPool::decay`, which releases only what went unused since
//!   the previous one: a pool in steady use loses nothing.
//! - Go (`benches/go`): `sync.Pool` with a `runtime.GC()` in place of each release, which
//!   moves the pool's objects to its victim cache, and frees those of the previous one.

use std::hint::black_box;

use poolside_core::FnCreate;
use poolside_object::ObjectPool;

use super::{baseline, case};
use crate::{looped, Case, Routine};

/// Objects held at once in a round.
const ROUND: usize = 8;
/// Rounds between two releases.
const ROUNDS_PER_RELEASE: u64 = 100;

/// Steps of the factory's arithmetic: about a microsecond's worth on this machine.
const STEPS: usize = 700;

/// A 1 KiB buffer that takes about a microsecond to make: [`STEPS`] steps of dependent
/// arithmetic, which the compiler cannot skip, write into it.
fn expensive() -> Vec<u8> {
    let mut v = vec![0u8; 1024];
    let mut h = black_box(0x9E37_79B9_7F4A_7C15u64);
    for i in 0..STEPS {
        h = (h ^ i as u64).wrapping_mul(0x0100_0000_01B3).rotate_left(7);
        v[(i * 7) % 1024] = h as u8;
    }
    black_box(&mut v);
    v.clear();
    v
}

/// Gets between two releases.
const RELEASE_EVERY: u64 = ROUND as u64 * ROUNDS_PER_RELEASE;

/// `gets` gets in rounds of [`ROUND`], releasing with `release` after every
/// [`RELEASE_EVERY`] gets; `done` counts gets since the last release, across calls.
fn rounds<H>(take: impl Fn() -> H, release: impl Fn(), done: &mut u64, gets: u64) {
    let mut left = gets;
    while left > 0 {
        let n = left.min(ROUND as u64) as usize;
        let held: [Option<H>; ROUND] = std::array::from_fn(|i| (i < n).then(&take));
        black_box(&held);
        drop(held);
        *done += n as u64;
        if *done >= RELEASE_EVERY {
            *done -= RELEASE_EVERY;
            release();
        }
        left -= n as u64;
    }
}

fn new() -> Box<dyn Routine> {
    let mut round = 0;
    looped(move |gets| rounds(expensive, || (), &mut round, gets))
}

/// The pool of expensive buffers.
type Expensive = ObjectPool<Vec<u8>, FnCreate<Vec<u8>>>;

fn pool() -> Expensive {
    ObjectPool::builder()
        .create(expensive)
        .build()
        .expect("valid limits")
}

fn released(release: fn(&Expensive) -> u64) -> Box<dyn Routine> {
    let pool = pool();
    let mut round = 0;
    // Warm: the pool holds a round's objects before timing.
    rounds(|| pool.get(), || (), &mut round, ROUND as u64);
    looped(move |gets| {
        rounds(
            || pool.get(),
            || {
                black_box(release(&pool));
            },
            &mut round,
            gets,
        )
    })
}

fn poolside_trim() -> Box<dyn Routine> {
    released(ObjectPool::trim)
}

fn poolside_decay() -> Box<dyn Routine> {
    released(ObjectPool::decay)
}

pub(crate) fn register(all: &mut Vec<Case>) {
    const G: &str = "object_rebuild_1us";
    all.extend([
        baseline(G, true, new),
        case(G, "poolside_trim", true, poolside_trim),
        case(G, "poolside_decay", true, poolside_decay),
    ]);
}

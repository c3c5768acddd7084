//! poolside's benchmark cases, in one registry that feeds four runners.
//!
//! - `benches/suite.rs`: criterion times every case (`cargo bench -p poolside-benches`).
//! - `benches/mimalloc.rs`: criterion times the no-pool baselines again with mimalloc as
//!   the global allocator ([`mimalloc_cases`]), in a process of their own.
//! - `src/bin/count.rs`: the counting pass, in its own process with a counting global
//!   allocator, reports B/op and allocs/op for the same cases without skewing timings.
//! - `src/bin/instr.rs`: runs one case a given number of times, for instruction counts
//!   under `valgrind --tool=callgrind` (`cargo xtask instr`).
//!
//! Beside them, `go/` is the Go side of the comparison, a Go module of `testing`
//! benchmarks named after the groups they join (`Benchmark_<group>/<row>`), which
//! `cargo xtask bench` runs with `go test -bench` when `go` is on the PATH.
//!
//! A case is a [`Routine`] that runs its own loop of `iters` operations and returns the
//! time they took, so the loop is compiled for the case (no dynamic call per operation)
//! and two-thread cases can start their threads on a barrier inside the timing.
#![warn(missing_docs, missing_debug_implementations)]
#![forbid(unsafe_code)]

use std::fmt;
use std::time::Duration;

mod cases;
mod threads;

pub use threads::two_threads;

/// A benchmark body: runs `iters` operations and returns how long they took.
pub trait Routine {
    /// Runs `iters` operations; returns the wall time they took.
    fn run(&mut self, iters: u64) -> Duration;
}

/// One benchmark case.
#[derive(Clone, Copy)]
pub struct Case {
    /// The group it is compared within, such as `"reset_vec_4k"`.
    pub group: &'static str,
    /// Its name within the group, such as `"new"`.
    pub name: &'static str,
    /// Whether it is the group's baseline, the one the others are divided by.
    pub baseline: bool,
    /// Whether `cargo xtask bench --quick` (the default) runs it.
    pub quick: bool,
    /// Makes its routine, with whatever state (pools, threads) it needs.
    pub make: fn() -> Box<dyn Routine>,
}

impl Case {
    /// `group/name`, as criterion names it.
    pub fn id(&self) -> String {
        format!("{}/{}", self.group, self.name)
    }
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("group", &self.group)
            .field("name", &self.name)
            .field("baseline", &self.baseline)
            .field("quick", &self.quick)
            .finish_non_exhaustive()
    }
}

/// Every case, grouped: each group's cases are adjacent and its baseline comes first.
pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    cases::register(&mut all);
    all
}

/// The name of a baseline's twin that runs under mimalloc.
pub const MIMALLOC: &str = "new_mimalloc";

/// The mimalloc twins: each baseline named `new` (no pool, a fresh object each time),
/// renamed [`MIMALLOC`]. They run in the `mimalloc` bench binary, whose global allocator
/// is mimalloc, since a global allocator is chosen per process. Their B/op and
/// allocs/op equal their twin's: the counting pass counts requests, not the allocator.
pub fn mimalloc_cases() -> Vec<Case> {
    cases()
        .into_iter()
        .filter(|c| c.baseline && c.name == "new")
        .map(|c| Case {
            name: MIMALLOC,
            baseline: false,
            ..c
        })
        .collect()
}

/// The cases whose `group/name` contains any of `filters` (all cases when empty).
pub fn select<'a>(all: &'a [Case], filters: &[String]) -> Vec<&'a Case> {
    all.iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.id().contains(f.as_str())))
        .collect()
}

/// Times `cases` with criterion, one benchmark group per run of adjacent cases that share
/// a group: the body of both bench binaries.
pub fn time(c: &mut criterion::Criterion, cases: &[Case]) {
    for run in cases.chunk_by(|a, b| a.group == b.group) {
        let mut g = c.benchmark_group(run[0].group);
        for case in run {
            g.bench_function(case.name, |b| {
                let mut routine = (case.make)();
                b.iter_custom(|iters| routine.run(iters));
            });
        }
        g.finish();
    }
}

/// A [`Routine`] from a closure that runs `n` operations on the calling thread: the
/// one-thread counterpart of [`two_threads`], with the same loop shape.
pub fn looped<F: FnMut(u64) + 'static>(ops: F) -> Box<dyn Routine> {
    struct Looped<F>(F);
    impl<F: FnMut(u64)> Routine for Looped<F> {
        fn run(&mut self, iters: u64) -> Duration {
            let start = std::time::Instant::now();
            (self.0)(iters);
            start.elapsed()
        }
    }
    Box::new(Looped(ops))
}

/// A [`Routine`] from a closure that runs one operation on the calling thread.
pub fn single<F: FnMut() + 'static>(op: F) -> Box<dyn Routine> {
    struct Single<F>(F);
    impl<F: FnMut()> Routine for Single<F> {
        fn run(&mut self, iters: u64) -> Duration {
            let start = std::time::Instant::now();
            for _ in 0..iters {
                (self.0)();
            }
            start.elapsed()
        }
    }
    Box::new(Single(op))
}

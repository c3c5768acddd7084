//! What the examples share: a counting global allocator, the quick mode CI runs them in,
//! and the lines each prints at the end.
//!
//! Every example is a `[[example]]` of this package (`cargo run --release --example
//! NAME`); `src/bin/json_workload.rs` is the real workload on the JSON documents in
//! `data/json/`. With `--quick` (or `POOLSIDE_EXAMPLES_QUICK=1`) each does a small
//! fraction of its work, so `cargo xtask ci` can run them all in seconds.

use std::time::{Duration, Instant};

use poolside_testkit::CountingAlloc;
pub use poolside_testkit::{measure, measure_global, AllocCounts};

/// Counts every allocation, so each example can say what it saved.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

/// Whether to run a small fraction of the work: `--quick` on the command line, or
/// `POOLSIDE_EXAMPLES_QUICK` set to anything but `0`.
pub fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
        || std::env::var_os("POOLSIDE_EXAMPLES_QUICK").is_some_and(|v| v != "0")
}

/// `full`, or `quick` in quick mode.
pub fn scale(full: usize, quick_n: usize) -> usize {
    if quick() {
        quick_n
    } else {
        full
    }
}

/// What one way of doing the work cost.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// Operations done.
    pub ops: usize,
    /// Wall time.
    pub time: Duration,
    /// Allocations made by every thread meanwhile.
    pub counts: AllocCounts,
}

impl Run {
    /// Runs `work`, which does `ops` operations, and records its cost on every thread.
    pub fn measure(ops: usize, work: impl FnOnce()) -> Run {
        let start = Instant::now();
        let ((), counts) = measure_global(work);
        Run {
            ops,
            time: start.elapsed(),
            counts,
        }
    }

    /// Allocations per operation.
    pub fn allocs_per_op(&self) -> f64 {
        self.counts.allocs as f64 / self.ops.max(1) as f64
    }

    /// Bytes allocated per operation.
    pub fn bytes_per_op(&self) -> f64 {
        self.counts.bytes as f64 / self.ops.max(1) as f64
    }

    /// Nanoseconds per operation (informative: one run, on a shared machine).
    pub fn ns_per_op(&self) -> f64 {
        self.time.as_nanos() as f64 / self.ops.max(1) as f64
    }
}

/// Prints the comparison every example ends with: allocations, bytes and time per op
/// without and with the pool, and the pool's hit rate.
pub fn report(what: &str, without: &Run, with: &Run, hit_rate: Option<f64>) {
    println!("\n{what}: {} ops each way", with.ops);
    println!(
        "  {:<14} {:>12} {:>12} {:>12}",
        "", "allocs/op", "bytes/op", "ns/op"
    );
    for (name, r) in [("without pool", without), ("with pool", with)] {
        println!(
            "  {name:<14} {:>12.2} {:>12.0} {:>12.0}",
            r.allocs_per_op(),
            r.bytes_per_op(),
            r.ns_per_op()
        );
    }
    let saved = without.counts.allocs.saturating_sub(with.counts.allocs);
    println!(
        "  allocations: {} without the pool, {} with it ({saved} saved)",
        without.counts.allocs, with.counts.allocs
    );
    match hit_rate {
        Some(rate) => println!("  hit rate: {:.1}%", rate * 100.0),
        None => println!("  hit rate: none (nothing was taken from the pool)"),
    }
    if quick() {
        println!("  (quick mode: a small run, for CI; times mean little)");
    }
}

/// A hit rate from a pool's statistics: hits over gets.
pub fn hit_rate(stats: &poolside::Stats) -> Option<f64> {
    (stats.gets > 0).then(|| stats.hits as f64 / stats.gets as f64)
}

/// A small, fixed pseudo-random sequence (xorshift), so every run does the same work.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A sequence from `seed` (0 is replaced by a fixed odd number).
    pub fn new(seed: u64) -> Self {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

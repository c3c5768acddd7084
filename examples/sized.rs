//! The size-class pool under a mixed-size workload: mostly small buffers, a tail of
//! large ones, and a few too large to pool.
//!
//! `get(n)` gives a buffer from the smallest class of at least `n` bytes; a buffer that
//! grew goes home to the class its capacity fills; one that grew past the largest class
//! (1 MiB) is dropped and counted, never kept; and idle bytes stay within the budget.
//!
//! `cargo run --release -p poolside-examples --example sized [-- --quick]`

use poolside::SizedPool;
use poolside_examples::{hit_rate, report, scale, Rng, Run};

/// 80% up to 1 KiB, 18% up to 64 KiB, 2% up to 2 MiB (above the largest class).
fn size(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..=79 => 16 + rng.below(1008) as usize,
        80..=97 => 1024 + rng.below(63 * 1024) as usize,
        _ => 64 * 1024 + rng.below(2 * 1024 * 1024) as usize,
    }
}

fn fill(buf: &mut Vec<u8>, n: usize) -> u8 {
    buf.resize(n, 1);
    buf[n / 2]
}

fn main() {
    let ops = scale(100_000, 1_000);
    let pool = SizedPool::new();
    let mut x = 0u8;

    let mut rng = Rng::new(7);
    let without = Run::measure(ops, || {
        for _ in 0..ops {
            let n = size(&mut rng);
            let mut buf = Vec::with_capacity(n);
            x ^= fill(&mut buf, n);
        }
    });
    let mut rng = Rng::new(7);
    let with = Run::measure(ops, || {
        for _ in 0..ops {
            let n = size(&mut rng);
            let mut buf = pool.get(n).expect("the allocator gives these sizes");
            x ^= fill(&mut buf, n);
        }
    });

    std::hint::black_box(x);
    let stats = pool.stats();
    report("mixed-size buffers", &without, &with, hit_rate(&stats));
    println!(
        "  classes {:?}\n  idle: {} buffers, {} KiB; discarded as oversized: {}",
        pool.classes(),
        stats.idle_objects,
        stats.idle_bytes / 1024,
        stats.discards.oversized
    );
}

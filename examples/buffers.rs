//! A buffer per request, with and without a pool.
//!
//! Each simulated request reads a body of 200 B to 16 KiB (mostly small) into a buffer
//! and checksums it. Without a pool every request allocates its buffer, and growing it
//! reallocates; with poolside's self-tuning `BytePool` the buffer comes back cleared
//! with its capacity, and the pool learns which capacity to start new buffers with.
//!
//! `cargo run --release -p poolside-examples --example buffers [-- --quick]`

use std::io::Write;

use poolside::BytePool;
use poolside_examples::{hit_rate, report, scale, Rng, Run};

/// A body size: 90% between 200 B and 2 KiB, 10% up to 16 KiB.
fn body_size(rng: &mut Rng) -> usize {
    if rng.below(10) == 0 {
        2048 + rng.below(14 * 1024) as usize
    } else {
        200 + rng.below(1848) as usize
    }
}

/// Reads a request body into `buf` (as a socket read would, in chunks) and checksums it.
fn handle(buf: &mut Vec<u8>, size: usize) -> u64 {
    let chunk = [0x5au8; 512];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        buf.write_all(&chunk[..n]).expect("a Vec takes any write");
        left -= n;
    }
    buf.iter()
        .fold(0u64, |s, &b| s.rotate_left(3) ^ u64::from(b))
}

fn main() {
    let requests = scale(200_000, 2_000);
    let pool = BytePool::new();

    let mut rng = Rng::new(1);
    let mut sum = 0u64;
    let without = Run::measure(requests, || {
        for _ in 0..requests {
            let mut buf = Vec::new();
            sum ^= handle(&mut buf, body_size(&mut rng));
        }
    });

    let mut rng = Rng::new(1);
    let with = Run::measure(requests, || {
        for _ in 0..requests {
            let mut buf = pool.get();
            sum ^= handle(&mut buf, body_size(&mut rng));
        }
    });

    std::hint::black_box(sum);
    report(
        "a buffer per request",
        &without,
        &with,
        hit_rate(&pool.stats()),
    );
    println!(
        "  the pool learned: new buffers start at {} B, buffers up to {} B are kept",
        pool.default_capacity(),
        pool.max_capacity()
    );
}

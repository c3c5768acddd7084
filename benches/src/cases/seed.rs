//! The seed's own benchmark, reproduced: one operation processes 1000 buffers of 1 KiB,
//! each taken, processed and given back (or dropped), as the Go tutorial's
//! `withoutPool` and `withPool` do.
//!
//! Processing a buffer writes its first byte, through `black_box`: the seed leaves
//! `processBuffer` undefined, and anything heavier would hide what the pool saves.
//!
//! # Group `seed_1000x1k`
//!
//! - `new`: `vec![0u8; 1024]` per buffer, zeroed as Go's `make([]byte, 1024)` is; the
//!   baseline.
//! - `new_with_capacity`: `Vec::with_capacity(1024)`, not zeroed, the first byte pushed:
//!   what Rust code would write instead of the zeroed buffer.
//! - `poolside`: an `ObjectPool<Vec<u8>>` whose factory makes 1 KiB of capacity; the
//!   buffer comes back cleared, and the first byte is pushed.
//! - `poolside_sized`: `SizedPool::get(1024)`, the size-class pool.
//! - `mimalloc` twins of `new` run in their own process.
//!
//! The report prints Go's figures for the same shape beside these, measured elsewhere.

use std::hint::black_box;

use poolside_buffer::SizedPool;
use poolside_core::{FnPolicy, PoolConfig};
use poolside_object::ObjectPool;

use super::{baseline, case, warmed};
use crate::{Case, Routine};

/// Buffers per operation.
const BUFFERS: usize = 1000;
const SIZE: usize = 1024;

fn new_zeroed() -> Box<dyn Routine> {
    warmed(|| {
        for _ in 0..BUFFERS {
            let mut buf = vec![0u8; SIZE];
            buf[0] = 1;
            black_box(&mut buf);
        }
    })
}

fn new_with_capacity() -> Box<dyn Routine> {
    warmed(|| {
        for _ in 0..BUFFERS {
            let mut buf = Vec::with_capacity(SIZE);
            buf.push(1u8);
            black_box(&mut buf);
        }
    })
}

fn kib() -> Vec<u8> {
    Vec::with_capacity(SIZE)
}

fn poolside() -> Box<dyn Routine> {
    let pool =
        ObjectPool::with_policy(FnPolicy::new(kib as fn() -> Vec<u8>), PoolConfig::default());
    warmed(move || {
        for _ in 0..BUFFERS {
            let mut buf = pool.get();
            buf.push(1u8);
            black_box(&mut *buf);
        }
    })
}

fn poolside_sized() -> Box<dyn Routine> {
    let pool = SizedPool::new();
    warmed(move || {
        for _ in 0..BUFFERS {
            let mut buf = pool.get(SIZE).expect("a pooled size");
            buf.push(1u8);
            black_box(&mut *buf);
        }
    })
}

pub(crate) fn register(all: &mut Vec<Case>) {
    const G: &str = "seed_1000x1k";
    all.extend([
        baseline(G, true, new_zeroed),
        case(G, "new_with_capacity", true, new_with_capacity),
        case(G, "poolside", true, poolside),
        case(G, "poolside_sized", true, poolside_sized),
    ]);
}

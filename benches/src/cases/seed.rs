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
//! - `poolside_sized`, `poolside_byte`, `poolside_ring`: the size-class pool
//!   (`SizedPool::get(1024)`), the self-tuning `BytePool` and a `RingPool` of 8 slots.
//! - `thread_local_stack` and every peer, each as [`kib`](super::kib) sets it up.
//! - `mimalloc` twins of `new` run in their own process.
//!
//! The report puts Go's `go_new` and `go_sync_pool` beside these, run in the same
//! report from `benches/go` (`Benchmark_seed_1000x1k`).

use std::hint::black_box;

use super::kib::{
    Buffers, BytePoolCrate, Fresh, Linear, ObjectPoolCrate, Opool, OpoolLocal, PoolsideByte,
    PoolsideObject, PoolsideRing, PoolsideSized, Slab, SpinLock, Stack, Zero, SIZE,
};
use super::{baseline, case, warmed};
use crate::{Case, Routine};

/// Buffers per operation.
const BUFFERS: usize = 1000;

fn new_zeroed() -> Box<dyn Routine> {
    warmed(|| {
        for _ in 0..BUFFERS {
            let mut buf = vec![0u8; SIZE];
            buf[0] = 1;
            black_box(&mut buf);
        }
    })
}

/// `n` buffers, each taken and given back before the next: the seed's shape.
#[inline]
fn one_at_a_time<B: Buffers>(pool: &B, n: usize) {
    for _ in 0..n {
        drop(pool.take());
    }
}

/// 1000 buffers from `B`, each given back before the next is taken.
fn seed<B: Buffers>() -> Box<dyn Routine> {
    let pool = B::make(1);
    warmed(move || one_at_a_time(&pool, BUFFERS))
}

pub(crate) fn register(all: &mut Vec<Case>) {
    const G: &str = "seed_1000x1k";
    all.extend([
        baseline(G, true, new_zeroed),
        case(G, "new_with_capacity", true, seed::<Fresh>),
        case(G, "poolside", true, seed::<PoolsideObject>),
        case(G, "poolside_sized", true, seed::<PoolsideSized>),
        case(G, "poolside_byte", true, seed::<PoolsideByte>),
        case(G, "poolside_ring", true, seed::<PoolsideRing>),
        case(G, "thread_local_stack", false, seed::<Stack>),
        case(G, "object_pool", true, seed::<ObjectPoolCrate>),
        case(G, "lockfree_linear", true, seed::<Linear>),
        case(G, "lockfree_spinlock", false, seed::<SpinLock>),
        case(G, "opool", false, seed::<Opool>),
        case(G, "opool_local", false, seed::<OpoolLocal>),
        case(G, "sharded_slab", false, seed::<Slab>),
        case(G, "zeropool", false, seed::<Zero>),
        case(G, "byte_pool", false, seed::<BytePoolCrate>),
    ]);
}

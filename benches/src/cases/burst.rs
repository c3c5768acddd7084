//! Bursts: a thread takes many 1 KiB buffers, holds them all, then gives them all back.
//!
//! When a thread holds more objects than its per-thread cache (poolside's
//! `the object pool's `thread_cache`, 32 by default), the returns past the cache spill to the
//! shared tier, and the next burst's gets past it refill from there: the cost a
//! single get/put (`object_hit_touch_1k`) never shows.
//!
//! One operation is one buffer, taken and later given back within its burst, so ns/op,
//! B/op and allocs/op are per buffer (see `bursts`). Every pool is warmed with two
//! bursts before timing, so the timed ones start from its steady state.
//!
//! # Groups
//!
//! - `object_burst_100`: bursts of 100, the shape of Go's own `BenchmarkPoolOverflow`
//!   (the report has Go's `sync.Pool` beside it, from `benches/go`).
//! - `object_burst_128`: 4x the default thread cache, so most of every burst goes
//!   through the shared tier.
//! - `object_burst_1000`: bursts of 1000, so that a larger cache could not hide the
//!   spill either.
//!
//! Every group has every pool of [`kib`](super::kib), with their defaults: `new` (the
//! baseline, and its mimalloc twin), `poolside`, `poolside_sized`, `poolside_byte`,
//! `poolside_ring` (as many slots as a burst), `thread_local_stack` and the peers. A
//! pool that keeps fewer idle buffers than a burst (the sized pool keeps 256 a class
//! and 8 a thread, the byte pool 16 a thread, the hand-written stack 32) allocates
//! for the rest, as it would in use.

use poolside_core::internals::PoolConfig;

use super::kib::{
    Buffers, BytePoolCrate, Fresh, Linear, ObjectPoolCrate, Opool, OpoolLocal, PoolsideByte,
    PoolsideObject, PoolsideRing, PoolsideSized, Slab, SpinLock, Stack, Zero,
};
use super::{baseline, case};
use crate::{looped, Case, Routine};

/// Bursts run by `make`, before timing.
const WARM_BURSTS: u64 = 2;

// `object_burst_128` is named for 4x the default thread cache.
const _: () = assert!(4 * PoolConfig::DEFAULT_THREAD_CACHE == 128);

/// `buffers` buffers in bursts of `N`: each burst takes `N`, holding them all, then
/// gives them back in the order taken; the last burst is shorter when `N` does not
/// divide `buffers`. So one operation is one buffer, and the counting pass, which runs
/// a whole number of operations, counts per buffer too.
#[inline]
fn bursts<B: Buffers, const N: usize>(pool: &B, buffers: u64) {
    // On the stack, so that holding them allocates nothing.
    let mut held: [Option<B::Held<'_>>; N] = std::array::from_fn(|_| None);
    let mut left = buffers;
    while left > 0 {
        let n = left.min(N as u64) as usize;
        for slot in &mut held[..n] {
            *slot = Some(pool.take());
        }
        for slot in &mut held[..n] {
            drop(slot.take());
        }
        left -= n as u64;
    }
}

fn burst<B: Buffers, const N: usize>() -> Box<dyn Routine> {
    let pool = B::make(N);
    bursts::<B, N>(&pool, WARM_BURSTS * N as u64);
    looped(move |buffers| bursts::<B, N>(&pool, buffers))
}

/// One group: every pool in bursts of `N`; the quick run takes `new`, `poolside`, and
/// the fastest peers of the single get/put when `peers_quick`.
fn group<const N: usize>(all: &mut Vec<Case>, g: &'static str, peers_quick: bool) {
    all.extend([
        baseline(g, true, burst::<Fresh, N>),
        case(g, "poolside", true, burst::<PoolsideObject, N>),
        case(g, "poolside_sized", false, burst::<PoolsideSized, N>),
        case(g, "poolside_byte", false, burst::<PoolsideByte, N>),
        case(g, "poolside_ring", false, burst::<PoolsideRing, N>),
        case(g, "thread_local_stack", false, burst::<Stack, N>),
        case(g, "object_pool", peers_quick, burst::<ObjectPoolCrate, N>),
        case(g, "lockfree_linear", peers_quick, burst::<Linear, N>),
        case(g, "lockfree_spinlock", false, burst::<SpinLock, N>),
        case(g, "opool", false, burst::<Opool, N>),
        case(g, "opool_local", false, burst::<OpoolLocal, N>),
        case(g, "sharded_slab", false, burst::<Slab, N>),
        case(g, "zeropool", false, burst::<Zero, N>),
        case(g, "byte_pool", false, burst::<BytePoolCrate, N>),
    ]);
}

pub(crate) fn register(all: &mut Vec<Case>) {
    group::<100>(all, "object_burst_100", true);
    group::<128>(all, "object_burst_128", false);
    group::<1000>(all, "object_burst_1000", false);
}

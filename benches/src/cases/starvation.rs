//! Starvation, after Go's `BenchmarkPoolStarvation`: two threads share one pool, and in
//! each round each thread takes 100 buffers of 1 KiB, holding them all, then gives back
//! 67 and detaches 33 (every third, so that a shorter last round keeps the share). So a third of its gets cannot come from its own returns: they
//! come from the shared tier, from the other thread's returns, or from the factory.
//!
//! One operation is one get, per thread (as in every two-thread group). A detached
//! buffer leaves the pool for good and is freed, so in steady state every pool makes a
//! third of its buffers anew: at least 0.66 buffers per op, counting both threads, and
//! what a pool makes above that is the misses its tiers' juggling causes. poolside's
//! pools box each pooled buffer, as Go's `sync.Pool` of `*[]byte` makes a pointer for
//! each, so each buffer made is two allocations there.
//!
//! The pools are those of [`kib`](super::kib) that can detach: `poolside` (the object
//! pool), `poolside_sized`, `poolside_byte`, `object_pool` (the crate), whose guards
//! detach too, and the hand-written `thread_local_stack`, which shares nothing between
//! the threads and keeps 32 buffers, fewer than a round gives back.

use std::sync::Arc;

use super::kib::{
    Buffers, Fresh, ObjectPoolCrate, PoolsideByte, PoolsideObject, PoolsideSized, Stack,
};
use super::{baseline, case};
use crate::{two_threads, Case, Routine};

/// Buffers each thread takes per round.
const ROUND: usize = 100;
/// Of each three taken, the third is detached: 33 of a round of 100.
const DETACH_EVERY: usize = 3;

/// A pool whose buffers can leave it for good.
pub(crate) trait Detach: Buffers + Send + Sync {
    /// Takes `held` out of the pool and frees it.
    fn detach(held: Self::Held<'_>);
}

impl Detach for Fresh {
    fn detach(held: Vec<u8>) {
        drop(held);
    }
}

impl Detach for PoolsideObject {
    fn detach(held: Self::Held<'_>) {
        drop(held.detach());
    }
}

impl Detach for PoolsideSized {
    fn detach(held: Self::Held<'_>) {
        drop(held.detach());
    }
}

impl Detach for PoolsideByte {
    fn detach(held: Self::Held<'_>) {
        drop(held.detach());
    }
}

impl Detach for Stack {
    fn detach(held: Self::Held<'_>) {
        drop(held.into_inner());
    }
}

impl Detach for ObjectPoolCrate {
    fn detach(held: Self::Held<'_>) {
        drop(held.detach().1);
    }
}

/// `gets` gets, in rounds of [`ROUND`] (a shorter last one), each round holding all it
/// took, then giving them back but every [`DETACH_EVERY`]th, which it detaches.
#[inline]
fn rounds<B: Detach>(pool: &B, gets: u64) {
    // On the stack, so that holding them allocates nothing.
    let mut held: [Option<B::Held<'_>>; ROUND] = std::array::from_fn(|_| None);
    let mut left = gets;
    while left > 0 {
        let n = left.min(ROUND as u64) as usize;
        for slot in &mut held[..n] {
            *slot = Some(pool.take());
        }
        for (i, slot) in held[..n].iter_mut().enumerate() {
            if let Some(buf) = slot.take() {
                if i % DETACH_EVERY == DETACH_EVERY - 1 {
                    B::detach(buf);
                } else {
                    drop(buf);
                }
            }
        }
        left -= n as u64;
    }
}

fn starved<B: Detach>() -> Box<dyn Routine> {
    let pool = Arc::new(B::make(ROUND));
    two_threads(move || {
        let pool = pool.clone();
        // A few rounds on each thread first, so the timed ones start from the steady
        // state.
        rounds(&*pool, 4 * ROUND as u64);
        move |gets| rounds(&*pool, gets)
    })
}

pub(crate) fn register(all: &mut Vec<Case>) {
    const G: &str = "object_starvation_1k";
    all.extend([
        baseline(G, true, starved::<Fresh>),
        case(G, "poolside", true, starved::<PoolsideObject>),
        case(G, "poolside_sized", false, starved::<PoolsideSized>),
        case(G, "poolside_byte", false, starved::<PoolsideByte>),
        case(G, "thread_local_stack", false, starved::<Stack>),
        case(G, "object_pool", true, starved::<ObjectPoolCrate>),
    ]);
}

//! The buffer pools' cases: one operation is get a buffer of a size, write its first
//! 64 bytes (all of it below 64), put it back. Sizes 64 B, 256 B, 1 KiB, 4 KiB, 64 KiB and
//! 1 MiB, on one thread and on two, against:
//!
//! - `new`: `Vec::with_capacity` from the allocator each time (and mimalloc's, from the
//!   mimalloc bench binary);
//! - zeropool and byte-pool, the byte-buffer pool crates;
//! - opool and object-pool holding `Vec<u8>`s of the size.
//!
//! poolside's three pools appear as `poolside_sized` (and `poolside_sized_quarters`, four
//! classes per doubling), `poolside_ring` (slots of the size) and `poolside_byte` (the
//! self-tuning pool, asked to reserve the size).
//!
//! `buffer_mixed` draws sizes from a fixed request-shaped mix (mostly small, a tail up to
//! 1 MiB) and compares poolside's size classes at powers of two and at four per
//! doubling.

use std::hint::black_box;
use std::io::Write;

use opool::PoolAllocator;
use poolside_buffer::internals::ClassLayout;
use poolside_buffer::{BytePool, Quarters, RingPool, SizedPool, SizedPoolBuilder};
use zeropool::ZeroPool;

use super::{baseline, case, warmed, warmed_loop};
use crate::{single, two_threads, Case, Routine};

const DATA: [u8; 64] = [0x5a; 64];

/// The bytes an operation writes into a buffer of `size`.
fn data(size: usize) -> &'static [u8] {
    &DATA[..size.min(DATA.len())]
}

fn new_op<const S: usize>() {
    let mut v: Vec<u8> = Vec::with_capacity(S);
    v.extend_from_slice(data(S));
    black_box(&v);
}

fn new_buf<const S: usize>() -> Box<dyn Routine> {
    single(new_op::<S>)
}

fn sized_op<const S: usize, L: ClassLayout>(pool: &SizedPool<L>) {
    let mut b = pool.get(S).expect("a pooled size");
    b.extend_from_slice(data(S));
    black_box(&*b);
}

fn sized_buf<const S: usize>() -> Box<dyn Routine> {
    let pool = SizedPool::new();
    warmed(move || sized_op::<S, _>(&pool))
}

/// Four classes per doubling instead of one, over the default range.
fn quarters() -> SizedPoolBuilder<Quarters> {
    SizedPool::builder().quarters(64, 1 << 20)
}

/// The size-class pool with [`quarters`].
fn sized_quarters_buf<const S: usize>() -> Box<dyn Routine> {
    let pool = quarters().build().expect("a valid configuration");
    warmed(move || sized_op::<S, _>(&pool))
}

/// Inlined, so that a case of one size writes its bytes as `sized_op` does, with the size
/// known when compiled.
#[inline(always)]
fn byte_op(pool: &BytePool, size: usize) {
    let mut b = pool.get();
    b.reserve(size);
    b.extend_from_slice(data(size));
    black_box(&*b);
}

fn byte_buf<const S: usize>() -> Box<dyn Routine> {
    let pool = BytePool::new();
    warmed(move || byte_op(&pool, S))
}

fn ring_buf<const S: usize>() -> Box<dyn Routine> {
    let ring = RingPool::new(8, S).expect("a small ring");
    warmed(move || {
        let mut b = ring.try_get().expect("a free slot");
        b.write_all(data(S)).expect("room");
        black_box(&*b);
    })
}

fn zeropool_op<const S: usize>(pool: &ZeroPool) {
    let mut b = pool.alloc(S);
    b[..data(S).len()].copy_from_slice(data(S));
    black_box(&*b);
}

fn zeropool_buf<const S: usize>() -> Box<dyn Routine> {
    let pool = ZeroPool::new();
    warmed(move || zeropool_op::<S>(&pool))
}

fn byte_pool_op<const S: usize>(pool: &byte_pool::BytePool) {
    let mut b = pool.alloc(S);
    b[..data(S).len()].copy_from_slice(data(S));
    black_box(&*b);
}

fn byte_pool_buf<const S: usize>() -> Box<dyn Routine> {
    let pool = byte_pool::BytePool::<Vec<u8>>::new();
    warmed(move || byte_pool_op::<S>(&pool))
}

struct Alloc<const S: usize>;

impl<const S: usize> PoolAllocator<Vec<u8>> for Alloc<S> {
    fn allocate(&self) -> Vec<u8> {
        Vec::with_capacity(S)
    }

    fn reset(&self, v: &mut Vec<u8>) {
        v.clear();
    }
}

fn opool_buf<const S: usize>() -> Box<dyn Routine> {
    let pool = opool::Pool::new(64, Alloc::<S>);
    warmed(move || {
        let mut b = pool.get();
        b.extend_from_slice(data(S));
        black_box(&*b);
    })
}

fn object_pool_buf<const S: usize>() -> Box<dyn Routine> {
    let pool = object_pool::Pool::new(8, || Vec::with_capacity(S));
    warmed(move || {
        let mut b = pool.pull(|| Vec::with_capacity(S));
        b.clear();
        b.extend_from_slice(data(S));
        black_box(&*b);
    })
}

fn new_2t<const S: usize>() -> Box<dyn Routine> {
    two_threads(|| {
        |n| {
            for _ in 0..n {
                new_op::<S>();
            }
        }
    })
}

fn sized_2t<const S: usize>() -> Box<dyn Routine> {
    let pool = std::sync::Arc::new(SizedPool::new());
    two_threads(move || {
        let pool = pool.clone();
        warmed_loop(move || sized_op::<S, _>(&pool))
    })
}

fn zeropool_2t<const S: usize>() -> Box<dyn Routine> {
    let pool = std::sync::Arc::new(ZeroPool::new());
    two_threads(move || {
        let pool = pool.clone();
        warmed_loop(move || zeropool_op::<S>(&pool))
    })
}

fn byte_pool_2t<const S: usize>() -> Box<dyn Routine> {
    let pool = std::sync::Arc::new(byte_pool::BytePool::<Vec<u8>>::new());
    two_threads(move || {
        let pool = pool.clone();
        warmed_loop(move || byte_pool_op::<S>(&pool))
    })
}

/// A request-shaped mix of sizes: mostly under 4 KiB, a tail up to 1 MiB.
const MIX: [usize; 16] = [
    120, 700, 64, 2_000, 300, 1_500, 90, 16_000, 450, 3_000, 200, 60_000, 800, 5_000, 150, 700_000,
];

fn mixed<F: FnMut(usize) + 'static>(mut op: F) -> Box<dyn Routine> {
    let mut i = 0;
    warmed(move || {
        op(MIX[i % MIX.len()]);
        i += 1;
    })
}

fn new_mixed() -> Box<dyn Routine> {
    let mut i = 0;
    single(move || {
        let size = MIX[i % MIX.len()];
        i += 1;
        let mut v: Vec<u8> = Vec::with_capacity(size);
        v.extend_from_slice(data(size));
        black_box(&v);
    })
}

fn sized_mixed_with<L: ClassLayout>(config: SizedPoolBuilder<L>) -> Box<dyn Routine> {
    let pool = config.build().expect("a valid configuration");
    mixed(move |size| {
        let mut b = pool.get(size).expect("a pooled size");
        b.extend_from_slice(data(size));
        black_box(&*b);
    })
}

fn sized_mixed() -> Box<dyn Routine> {
    sized_mixed_with(SizedPool::builder())
}

fn sized_quarters_mixed() -> Box<dyn Routine> {
    sized_mixed_with(quarters())
}

fn byte_mixed() -> Box<dyn Routine> {
    let pool = BytePool::new();
    mixed(move |size| byte_op(&pool, size))
}

fn zeropool_mixed() -> Box<dyn Routine> {
    let pool = ZeroPool::new();
    mixed(move |size| {
        let mut b = pool.alloc(size);
        b[..data(size).len()].copy_from_slice(data(size));
        black_box(&*b);
    })
}

fn byte_pool_mixed() -> Box<dyn Routine> {
    let pool = byte_pool::BytePool::<Vec<u8>>::new();
    mixed(move |size| {
        let mut b = pool.alloc(size);
        b[..data(size).len()].copy_from_slice(data(size));
        black_box(&*b);
    })
}

macro_rules! sizes {
    ($all:ident: $($size:literal => $one:literal, $two:literal, $quick:literal;)*) => {
        $(
            $all.extend([
                baseline($one, $quick, new_buf::<$size>),
                case($one, "poolside_sized", $quick, sized_buf::<$size>),
                case($one, "poolside_sized_quarters", false, sized_quarters_buf::<$size>),
                case($one, "poolside_ring", false, ring_buf::<$size>),
                case($one, "poolside_byte", false, byte_buf::<$size>),
                case($one, "zeropool", $quick, zeropool_buf::<$size>),
                case($one, "byte_pool", false, byte_pool_buf::<$size>),
                case($one, "opool", false, opool_buf::<$size>),
                case($one, "object_pool", false, object_pool_buf::<$size>),
                baseline($two, false, new_2t::<$size>),
                case($two, "poolside_sized", false, sized_2t::<$size>),
                case($two, "zeropool", false, zeropool_2t::<$size>),
                case($two, "byte_pool", false, byte_pool_2t::<$size>),
            ]);
        )*
    };
}

pub(crate) fn register(all: &mut Vec<Case>) {
    sizes!(all:
        64 => "buffer_64b", "buffer_64b_2t", false;
        256 => "buffer_256b", "buffer_256b_2t", false;
        1024 => "buffer_1k", "buffer_1k_2t", true;
        4096 => "buffer_4k", "buffer_4k_2t", false;
        65536 => "buffer_64k", "buffer_64k_2t", true;
        1048576 => "buffer_1m", "buffer_1m_2t", false;
    );
    all.extend([
        baseline("buffer_mixed", true, new_mixed),
        case("buffer_mixed", "poolside_sized", true, sized_mixed),
        case(
            "buffer_mixed",
            "poolside_sized_quarters",
            false,
            sized_quarters_mixed,
        ),
        case("buffer_mixed", "poolside_byte", false, byte_mixed),
        case("buffer_mixed", "zeropool", true, zeropool_mixed),
        case("buffer_mixed", "byte_pool", false, byte_pool_mixed),
    ]);
}

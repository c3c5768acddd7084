//! Where pooling does not pay: tiny objects and cheap structs, for which the allocator
//! (or no allocation at all) wins. The report says so plainly.
//!
//! # Groups
//!
//! - `when_not_box_16b`: a 16-byte value on the heap. `new` is `Box::new`; `poolside` an
//!   `ObjectPool<[u64; 2]>` (which keeps its objects boxed, so it hands out the same
//!   heap cell). An allocator serves 16 bytes from a per-thread free list, which is all
//!   a pool would do.
//! - `when_not_vec_64b`: a `Vec<u8>` of 64 bytes' capacity, filled. `new` allocates it;
//!   `poolside` reuses one from an `ObjectPool`.
//! - `when_not_struct_32b`: a cheap 32-byte struct with no heap memory, built and used.
//!   `new` builds it on the stack; `poolside` takes one from an `ObjectPool` and resets
//!   it. A pool only adds work here.

use std::hint::black_box;

use poolside_core::Reset;
use poolside_object::ObjectPool;

use super::{baseline, case, warmed};
use crate::{Case, Routine};

fn new_box() -> Box<dyn Routine> {
    warmed(|| {
        let mut b = Box::new([0u64; 2]);
        b[0] = black_box(1);
        black_box(&mut b);
    })
}

fn poolside_box() -> Box<dyn Routine> {
    let pool: ObjectPool<[u64; 2]> = ObjectPool::new();
    warmed(move || {
        let mut b = pool.get();
        b[0] = black_box(1);
        black_box(&mut *b);
    })
}

const BYTES: [u8; 64] = [7; 64];

fn new_vec() -> Box<dyn Routine> {
    warmed(|| {
        let mut v = Vec::with_capacity(64);
        v.extend_from_slice(black_box(&BYTES));
        black_box(&mut v);
    })
}

fn cap64() -> Vec<u8> {
    Vec::with_capacity(64)
}

fn poolside_vec() -> Box<dyn Routine> {
    let pool = ObjectPool::builder().create(cap64).build().unwrap();
    warmed(move || {
        let mut v = pool.get();
        v.extend_from_slice(black_box(&BYTES));
        black_box(&mut *v);
    })
}

/// A cheap struct: plain fields, no heap memory.
#[derive(Default, Reset)]
struct Point {
    x: f64,
    y: f64,
    id: u64,
    flags: u32,
}

fn use_point(p: &mut Point) {
    p.x = black_box(1.0);
    p.y = p.x * 2.0;
    p.id = 7;
    p.flags = 1;
    black_box(p);
}

fn new_struct() -> Box<dyn Routine> {
    warmed(|| {
        let mut p = Point::default();
        use_point(&mut p);
    })
}

fn poolside_struct() -> Box<dyn Routine> {
    let pool: ObjectPool<Point> = ObjectPool::new();
    warmed(move || use_point(&mut pool.get()))
}

pub(crate) fn register(all: &mut Vec<Case>) {
    all.extend([
        baseline("when_not_box_16b", true, new_box),
        case("when_not_box_16b", "poolside", true, poolside_box),
        baseline("when_not_vec_64b", false, new_vec),
        case("when_not_vec_64b", "poolside", false, poolside_vec),
        baseline("when_not_struct_32b", true, new_struct),
        case("when_not_struct_32b", "poolside", true, poolside_struct),
    ]);
}

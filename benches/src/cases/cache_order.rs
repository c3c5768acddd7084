//! The order of a thread cache: LIFO (take the most recently returned object) against
//! FIFO (take the least recently returned), on a 32-deep cache of boxed 1 KiB buffers,
//! for a round trip that touches one byte and for one that writes the whole buffer.
//! The object pool's cache order was chosen from this group (ARCHITECTURE.md).
//!
//! The cache is the routine's own `VecDeque`, with no pool around it, so the group
//! measures the order alone.

// The pool keeps each object in a box of its own; this group measures that shape.
#![allow(clippy::box_collection)]

use std::collections::VecDeque;
use std::hint::black_box;

use crate::{single, Case};

const DEPTH: usize = 32;
const KIB: [u8; 1024] = [0x5a; 1024];

fn cache() -> VecDeque<Box<Vec<u8>>> {
    (0..DEPTH)
        .map(|_| Box::new(Vec::with_capacity(1024)))
        .collect()
}

fn round_trip(cache: &mut VecDeque<Box<Vec<u8>>>, lifo: bool, write_all: bool) {
    let taken = if lifo {
        cache.pop_back()
    } else {
        cache.pop_front()
    };
    let mut buf = taken.unwrap_or_else(|| Box::new(Vec::with_capacity(1024)));
    if write_all {
        buf.extend_from_slice(black_box(&KIB));
    } else {
        buf.push(black_box(1));
    }
    buf.clear();
    cache.push_back(buf);
}

macro_rules! order_case {
    ($name:literal, $baseline:literal, $lifo:literal, $write:literal) => {
        Case {
            group: if $write {
                "cache_order_write_1k"
            } else {
                "cache_order_touch_1k"
            },
            name: $name,
            baseline: $baseline,
            quick: false,
            make: || {
                let mut c = cache();
                single(move || round_trip(&mut c, $lifo, $write))
            },
        }
    };
}

pub(crate) fn register(all: &mut Vec<Case>) {
    all.extend([
        order_case!("fifo", true, false, false),
        order_case!("lifo", false, true, false),
        order_case!("fifo", true, false, true),
        order_case!("lifo", false, true, true),
    ]);
}

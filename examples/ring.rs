//! The ring pool as fixed-memory scratch space: 8 slots of 4 KiB, carved from one
//! allocation when the ring is made, shared by 4 threads that format records into them.
//!
//! After construction the ring allocates nothing. When every slot is out, `get` lends a
//! heap buffer instead and counts it (the ring's default); `try_get` would return
//! `None`. No slot is ever held by two threads at once.
//!
//! `cargo run --release -p poolside-examples --example ring [-- --quick]`

use std::io::Write;
use std::thread;

use poolside::RingPool;
use poolside_examples::{hit_rate, report, scale, Run};

const THREADS: usize = 4;

fn format_record(out: &mut impl Write, t: usize, i: usize) {
    write!(out, "{{\"thread\":{t},\"seq\":{i},\"values\":[0").expect("4 KiB is room enough");
    for k in 0..16 {
        write!(out, ",{}", i * 31 + k).expect("room enough");
    }
    out.write_all(b"]}").expect("room enough");
}

fn main() {
    let per_thread = scale(100_000, 1_000);
    let ops = per_thread * THREADS;
    let ring = RingPool::new(8, 4096).expect("a valid ring");

    let without = Run::measure(ops, || {
        thread::scope(|s| {
            for t in 0..THREADS {
                s.spawn(move || {
                    for i in 0..per_thread {
                        let mut scratch = Vec::with_capacity(4096);
                        format_record(&mut scratch, t, i);
                        std::hint::black_box(&scratch);
                    }
                });
            }
        });
    });
    let with = Run::measure(ops, || {
        thread::scope(|s| {
            for t in 0..THREADS {
                let ring = &ring;
                s.spawn(move || {
                    for i in 0..per_thread {
                        let mut scratch = ring.get(); // a heap buffer when every slot is taken
                        format_record(&mut scratch, t, i);
                        std::hint::black_box(&*scratch);
                    }
                });
            }
        });
    });

    let stats = ring.stats();
    report(
        "4 threads formatting into scratch buffers",
        &without,
        &with,
        hit_rate(&stats),
    );
    println!(
        "  (both ways count the 4 threads' start-up) slots free at the end: {} of {}; \
         heap buffers lent when all were out: {}",
        ring.free(),
        ring.slots(),
        stats.misses
    );
}

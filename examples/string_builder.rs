//! A `String` builder pool: the seed's `strings.Builder` pool, in Rust.
//!
//! Each event is formatted into a log line. Without a pool every line is a new `String`
//! that grows as it is written; with an `ObjectPool<String>` the builder comes back
//! cleared with its capacity, so after the first few lines nothing is allocated.
//!
//! `cargo run --release -p poolside-examples --example string_builder [-- --quick]`

use std::fmt::Write;

use poolside::ObjectPool;
use poolside_examples::{hit_rate, report, scale, Run};

fn log_line(out: &mut String, i: usize) -> usize {
    write!(
        out,
        "ts=2026-11-26T21:{:02}:{:02}Z level=info request_id={i:08x} method=GET \
         path=/api/v1/items/{} status=200 bytes={} duration_us={}",
        i / 60 % 60,
        i % 60,
        i % 977,
        512 + i % 4096,
        100 + i % 900
    )
    .expect("writing to a String cannot fail");
    out.len()
}

fn main() {
    let events = scale(300_000, 3_000);
    let builders: ObjectPool<String> = ObjectPool::new();
    let mut total = 0usize;

    let without = Run::measure(events, || {
        for i in 0..events {
            let mut line = String::new();
            total += log_line(&mut line, i);
        }
    });
    let with = Run::measure(events, || {
        for i in 0..events {
            let mut line = builders.get();
            total += log_line(&mut line, i);
        }
    });

    std::hint::black_box(total);
    report(
        "a String per log line",
        &without,
        &with,
        hit_rate(&builders.stats()),
    );
}

//! JSON encoding into pooled buffers: the seed's JSON processing pool, with serde_json.
//!
//! The seed pools a `json.Encoder` with a `bytes.Buffer`. In Rust the encoder is free
//! (`serde_json::to_writer` borrows any `io::Write`), so only the buffer is worth
//! pooling: `serde_json::to_vec` allocates a fresh `Vec` per message and grows it by
//! doubling; writing into a buffer from poolside's `BytePool` reuses one that already
//! has the capacity.
//!
//! `cargo run --release -p poolside-examples --example json [-- --quick]`

use poolside::BytePool;
use poolside_examples::{hit_rate, report, scale, Run};
use serde::Serialize;

#[derive(Serialize)]
struct Order<'a> {
    id: u64,
    customer: &'a str,
    lines: &'a [Line<'a>],
    total_cents: u64,
    paid: bool,
}

#[derive(Serialize)]
struct Line<'a> {
    sku: &'a str,
    quantity: u32,
    cents: u64,
}

fn main() {
    let messages = scale(200_000, 2_000);
    let lines: Vec<Line<'_>> = (0..12)
        .map(|i| Line {
            sku: ["apple", "pear", "plum", "fig"][i % 4],
            quantity: i as u32 + 1,
            cents: 99 * (i as u64 + 1),
        })
        .collect();
    let order = |id: u64| Order {
        id,
        customer: "customer@example.com",
        lines: &lines,
        total_cents: 7722,
        paid: id % 2 == 0,
    };
    let pool = BytePool::new();
    let mut bytes = 0usize;

    let without = Run::measure(messages, || {
        for id in 0..messages as u64 {
            let body = serde_json::to_vec(&order(id)).expect("plain data serializes");
            bytes += body.len();
        }
    });
    let with = Run::measure(messages, || {
        for id in 0..messages as u64 {
            let mut body = pool.get();
            serde_json::to_writer(&mut *body, &order(id)).expect("plain data serializes");
            bytes += body.len();
        }
    });

    std::hint::black_box(bytes);
    report(
        "a JSON message per order",
        &without,
        &with,
        hit_rate(&pool.stats()),
    );
}

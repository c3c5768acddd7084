//! The seed's `HTTPResponse` (status, header map, body) in an object pool, cleaned by
//! `#[derive(Reset)]`.
//!
//! What pooling keeps and what it cannot: the body's buffer and the header map's table
//! are reused, but `HashMap::clear` drops the owned header strings, so a response with
//! owned header values still allocates them. Headers whose names are `&'static str` and
//! whose values are reused `String`s would avoid even that; the numbers below show the
//! seed's shape as it is.
//!
//! `cargo run --release -p poolside-examples --example http_response [-- --quick]`

use std::collections::HashMap;

use poolside::ObjectPool;
use poolside::Reset;
use poolside_examples::{hit_rate, report, scale, Run};

/// The seed's response.
#[derive(Debug, Default, Reset)]
struct HttpResponse {
    status: u16,
    headers: HashMap<&'static str, String>,
    body: Vec<u8>,
}

fn respond(r: &mut HttpResponse, i: usize) -> usize {
    r.status = 200;
    r.headers
        .insert("content-type", "application/json".to_owned());
    r.headers.insert("cache-control", "no-store".to_owned());
    r.headers.insert("x-request-id", format!("{i:016x}"));
    r.body.extend_from_slice(br#"{"items":["#);
    for k in 0..32 {
        r.body.extend_from_slice(if k == 0 { b"1" } else { b",1" });
    }
    r.body.extend_from_slice(b"]}");
    r.headers.len() + r.body.len()
}

fn main() {
    let requests = scale(200_000, 2_000);
    let pool: ObjectPool<HttpResponse> = ObjectPool::new();
    let mut n = 0;

    let without = Run::measure(requests, || {
        for i in 0..requests {
            let mut r = HttpResponse::default();
            n += respond(&mut r, i);
        }
    });
    let with = Run::measure(requests, || {
        for i in 0..requests {
            let mut r = pool.get();
            assert_eq!(
                (r.status, r.headers.len(), r.body.len()),
                (0, 0, 0),
                "reset"
            );
            n += respond(&mut r, i);
        }
    });

    std::hint::black_box(n);
    report(
        "an HTTP response per request",
        &without,
        &with,
        hit_rate(&pool.stats()),
    );
    println!(
        "  what is left per response: the owned header values, which HashMap::clear drops \
         (3 Strings here); the map's table and the body's buffer are reused"
    );
}

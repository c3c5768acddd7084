//! Resetting a collection against building a new one, at realistic sizes.
//!
//! - a 4 KiB `Vec<u8>` body, filled by copying;
//! - a 1 KiB `String`, built by pushing text;
//! - a `HashMap<String, String>` of 12 HTTP headers.
//!
//! The map case is honest about where reset stops helping: `clear` keeps the table, but
//! the owned keys and values are dropped, so refilling allocates them again.

use std::collections::HashMap;
use std::hint::black_box;

use poolside_core::Reset;

use crate::{single, Case};

const BODY: [u8; 4096] = [0x5a; 4096];
const LINE: &str = "GET /api/v1/items?page=2 HTTP/1.1; ";
const HEADERS: [(&str, &str); 12] = [
    ("host", "api.example.com"),
    ("user-agent", "poolside-bench/0.1"),
    ("accept", "application/json"),
    ("accept-encoding", "gzip, deflate, br"),
    ("accept-language", "en-GB,en;q=0.9"),
    (
        "authorization",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl",
    ),
    ("cache-control", "no-cache"),
    ("connection", "keep-alive"),
    ("content-type", "application/json; charset=utf-8"),
    ("x-request-id", "3f2c9a7e-1b4d-4c8e-9f10-2a6b8d4e5c71"),
    ("x-forwarded-for", "203.0.113.7"),
    ("cookie", "session=8d5e1f7c; theme=dark"),
];

fn fill_body(v: &mut Vec<u8>) {
    v.extend_from_slice(&BODY);
}

fn fill_text(s: &mut String) {
    while s.len() + LINE.len() <= 1024 {
        s.push_str(LINE);
    }
}

fn fill_headers(m: &mut HashMap<String, String>) {
    for (k, v) in HEADERS {
        m.insert(k.to_owned(), v.to_owned());
    }
}

pub(crate) fn register(all: &mut Vec<Case>) {
    all.extend([
        Case {
            group: "reset_vec_4k",
            name: "new",
            baseline: true,
            quick: true,
            make: || {
                single(|| {
                    let mut v = Vec::new();
                    fill_body(&mut v);
                    black_box(&v);
                })
            },
        },
        Case {
            group: "reset_vec_4k",
            name: "reset",
            baseline: false,
            quick: true,
            make: || {
                let mut v = Vec::new();
                single(move || {
                    v.reset();
                    fill_body(&mut v);
                    black_box(&v);
                })
            },
        },
        Case {
            group: "reset_string_1k",
            name: "new",
            baseline: true,
            quick: false,
            make: || {
                single(|| {
                    let mut s = String::new();
                    fill_text(&mut s);
                    black_box(&s);
                })
            },
        },
        Case {
            group: "reset_string_1k",
            name: "reset",
            baseline: false,
            quick: false,
            make: || {
                let mut s = String::new();
                single(move || {
                    s.reset();
                    fill_text(&mut s);
                    black_box(&s);
                })
            },
        },
        Case {
            group: "reset_headers_12",
            name: "new",
            baseline: true,
            quick: true,
            make: || {
                single(|| {
                    let mut m = HashMap::new();
                    fill_headers(&mut m);
                    black_box(&m);
                })
            },
        },
        Case {
            group: "reset_headers_12",
            name: "reset",
            baseline: false,
            quick: true,
            make: || {
                let mut m = HashMap::new();
                single(move || {
                    m.reset();
                    fill_headers(&mut m);
                    black_box(&m);
                })
            },
        },
    ]);
}

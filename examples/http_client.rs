//! The right shape for HTTP clients: one shared client, pooled per-request objects.
//!
//! The seed pools `http.Client`s. That is an anti-pattern: a client already keeps a pool
//! of open connections, so a pool of clients splits those connections between clients
//! (each opens its own), multiplies the idle sockets, and reuses nothing a single shared
//! client would not. What is worth pooling is the memory each request churns: here, the
//! header list and the body buffer a request is built in and a response is read into.
//!
//! The example serves a tiny JSON endpoint on 127.0.0.1 in a thread (with `tiny_http`),
//! so it needs no network, and calls it through one shared `ureq::Agent` with pooled
//! per-request objects. It prints how many TCP connections the server saw: one agent
//! opens one and keeps it alive.
//!
//! `cargo run --release -p poolside-examples --example http_client [-- --quick]`

use std::collections::BTreeSet;
use std::io::Read;
use std::thread;

use poolside::ObjectPool;
use poolside::Reset;
use poolside_examples::{hit_rate, report, scale, Run};

/// What one request churns: its headers and the buffer its body is read into.
#[derive(Default, Reset)]
struct Exchange {
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn call(agent: &ureq::Agent, url: &str, ex: &mut Exchange, i: usize) -> usize {
    ex.headers.push(("accept", "application/json".to_owned()));
    ex.headers.push(("x-request-id", format!("{i}")));
    let mut request = agent.get(url);
    for (name, value) in &ex.headers {
        request = request.header(*name, value.as_str());
    }
    let mut response = request.call().expect("the local server answers");
    response
        .body_mut()
        .as_reader()
        .read_to_end(&mut ex.body)
        .expect("the body reads");
    ex.body.len()
}

fn main() {
    let requests = scale(2_000, 50);
    let server = tiny_http::Server::http("127.0.0.1:0").expect("a free local port");
    let url = format!(
        "http://{}/items",
        server.server_addr().to_ip().expect("an IP address")
    );
    let serving = thread::spawn(move || {
        let mut connections = BTreeSet::new();
        let body = br#"{"items":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}"#;
        for _ in 0..2 * requests {
            let request = server.recv().expect("a request");
            connections.insert(request.remote_addr().copied());
            let response = tiny_http::Response::from_data(&body[..]);
            request.respond(response).expect("the client reads");
        }
        connections.len()
    });

    // One client for the whole program: it pools the connections itself.
    let agent: ureq::Agent = ureq::Agent::new_with_defaults();
    let exchanges: ObjectPool<Exchange> = ObjectPool::new();
    let mut n = 0;

    let without = Run::measure(requests, || {
        for i in 0..requests {
            let mut ex = Exchange::default();
            n += call(&agent, &url, &mut ex, i);
        }
    });
    let with = Run::measure(requests, || {
        for i in 0..requests {
            let mut ex = exchanges.get();
            n += call(&agent, &url, &mut ex, i);
        }
    });

    let connections = serving.join().expect("the server thread ends");
    std::hint::black_box(n);
    report(
        "HTTP requests through one shared client",
        &without,
        &with,
        hit_rate(&exchanges.stats()),
    );
    println!(
        "  the server saw {connections} TCP connection(s) for {} requests: the shared \
         client kept its connection alive. Most allocations left are the HTTP library's \
         own, per request; pooling saves only what the caller churns.",
        2 * requests
    );
}

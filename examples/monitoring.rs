//! Live statistics: a registry of named pools, a hit-rate table, rates over an interval,
//! a Prometheus scrape and a JSON snapshot.
//!
//! Three pools do some work: an object pool of request bodies, a size-class pool and a
//! worker pool. Every pool counts per thread and sums only when read, so counting costs
//! almost nothing on the hot path. A maintenance thread lets idle pools shrink.
//!
//! `cargo run --release -p poolside-examples --example monitoring [-- --quick]`

use std::time::Duration;

use poolside::monitor::{Maintenance, Registry};
use poolside::worker::WorkerPool;
use poolside::ObjectPool;
use poolside::SizedPool;
use poolside_examples::{measure_global, scale};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ops = scale(100_000, 1_000);
    let bodies: ObjectPool<Vec<u8>> = ObjectPool::new();
    let buffers = SizedPool::new();
    let workers = WorkerPool::builder(|data: &mut Vec<u8>| data.len())
        .workers(2)
        .queue(8)
        .name("monitored")
        .build()?;

    let registry = Registry::new();
    registry.register("request_bodies", &bodies)?;
    registry.register("sized_buffers", &buffers)?;
    registry.register("checksum_workers", &workers)?;
    let maintenance = Maintenance::start(&registry, Duration::from_secs(30))?;

    let before = registry.snapshot();
    let ((), counts) = measure_global(|| {
        for i in 0..ops {
            let mut body = bodies.get();
            body.extend_from_slice(b"{\"ok\":true}");
            let mut buf = buffers.get(64 + i % 4000).expect("a pooled size");
            buf.extend_from_slice(&body);
            if i % 10 == 0 {
                let n = workers
                    .submit(|data| data.extend_from_slice(&buf))
                    .map_err(|e| e.without_fill())
                    .expect("the pool runs");
                std::hint::black_box(n);
            }
        }
    });
    let now = registry.snapshot();

    println!("== snapshot\n{now}");
    println!("== over the run\n{}", now.since(&before));

    let mut prometheus = prometheus_client::registry::Registry::default();
    prometheus.register_collector(Box::new(registry.clone()));
    let mut scrape = String::new();
    prometheus_client::encoding::text::encode(&mut scrape, &prometheus)?;
    println!("== Prometheus scrape (first lines)");
    for line in scrape.lines().take(12) {
        println!("{line}");
    }
    println!("... {} lines in all", scrape.lines().count());

    let json = serde_json::to_string(now.get("request_bodies").expect("registered"))?;
    println!("== JSON of one pool\n{json}");

    drop(maintenance); // stops and joins the maintenance thread
    println!(
        "\n{ops} ops made {} allocations; hit rates: bodies {:.1}%, buffers {:.1}%, worker tasks {:.1}%",
        counts.allocs,
        100.0 * now.get("request_bodies").and_then(|p| p.hit_rate).unwrap_or(0.0),
        100.0 * now.get("sized_buffers").and_then(|p| p.hit_rate).unwrap_or(0.0),
        100.0 * now.get("checksum_workers").and_then(|p| p.hit_rate).unwrap_or(0.0),
    );
    Ok(())
}

//! The real workload: the three JSON documents in `data/json/` (twitter, citm_catalog,
//! canada, from the nativejson-benchmark corpus), served record by record as a service
//! would, across the threads of a `poolside::WorkerPool`.
//!
//! Each document is parsed once into typed serde structs. Then, for every round, every
//! record (each tweet, each event and performance, each ring of canada's polygon, 1007
//! in all) is encoded as a response body, decoded back, and checked to be equal to the
//! original: the round trip must be exact (serde_json's `float_roundtrip` feature makes
//! it so for canada's floats).
//!
//! Three ways, each in its own process so that peak RSS is its own:
//! - `none`: a new response object and a new body `Vec` per record;
//! - `poolside`: the body from poolside's self-tuning `BytePool`, the response object
//!   from an `ObjectPool`;
//! - `peer`: both from `object-pool`'s `Pool` (a mutex around a `Vec`), the peer that
//!   keeps buffers of any size and is fastest on one thread in the buffer benchmarks.
//!
//! It reports records per second, allocations (and bytes) per record, and peak RSS.
//!
//! `cargo run --release -p poolside-examples --bin json_workload [-- --variant all|none|poolside|peer]
//! [--rounds N] [--workers N] [--quick] [--json FILE]`

mod data;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::Instant;

use data::Corpus;
use poolside::worker::{Handler, WorkerPool};
use poolside::BytePool;
use poolside::ObjectPool;
use poolside::Reset;
use poolside_examples::measure_global;

/// A response as a service would build it, around the encoded body.
#[derive(Debug, Default, Reset)]
struct Response {
    status: u16,
    content_type: Option<&'static str>,
    content_length: String,
}

/// Where the workload gets its response objects and body buffers.
enum Pools {
    None,
    Poolside {
        responses: ObjectPool<Response>,
        bodies: BytePool,
    },
    Peer {
        responses: object_pool::Pool<Response>,
        bodies: object_pool::Pool<Vec<u8>>,
    },
}

struct Service {
    corpus: Arc<Corpus>,
    pools: Pools,
}

/// Encodes `value`, decodes it back, and checks the two are equal.
fn round_trip<T>(value: &T, body: &mut Vec<u8>) -> Result<(), String>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    serde_json::to_writer(&mut *body, value).map_err(|e| e.to_string())?;
    let back: T = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if &back != value {
        return Err(format!(
            "round trip changed a record: {value:?} became {back:?}"
        ));
    }
    Ok(())
}

impl Service {
    fn serve(&self, record: usize, response: &mut Response, body: &mut Vec<u8>) -> usize {
        let c = &*self.corpus;
        let (t, e, p) = (c.tweets.len(), c.events.len(), c.performances.len());
        let checked = match record {
            i if i < t => round_trip(&c.tweets[i], body),
            i if i < t + e => round_trip(&c.events[i - t], body),
            i if i < t + e + p => round_trip(&c.performances[i - t - e], body),
            i => round_trip(&c.rings[i - t - e - p], body),
        };
        if let Err(e) = checked {
            panic!("record {record}: {e}");
        }
        response.status = 200;
        response.content_type = Some("application/json");
        write!(response.content_length, "{}", body.len()).expect("a String takes any write");
        body.len()
    }
}

impl Handler<u64> for Service {
    type Output = usize;

    fn run(&self, record: &mut u64) -> usize {
        let record = *record as usize;
        match &self.pools {
            Pools::None => self.serve(record, &mut Response::default(), &mut Vec::new()),
            Pools::Poolside { responses, bodies } => {
                self.serve(record, &mut responses.get(), &mut bodies.get())
            }
            Pools::Peer { responses, bodies } => {
                let mut response = responses.pull(Response::default);
                response.reset();
                let mut body = bodies.pull(Vec::new);
                body.clear();
                self.serve(record, &mut response, &mut body)
            }
        }
    }
}

struct Options {
    variant: String,
    rounds: usize,
    workers: usize,
    data: PathBuf,
    json: Option<PathBuf>,
}

fn parse() -> Result<Options, String> {
    let quick = poolside_examples::quick();
    let mut o = Options {
        variant: "all".into(),
        rounds: if quick { 1 } else { 20 },
        workers: 2,
        data: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/json"),
        json: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} takes a value"));
        match arg.as_str() {
            "--variant" => o.variant = value("--variant")?,
            "--rounds" => {
                o.rounds = value("--rounds")?
                    .parse()
                    .map_err(|_| "--rounds takes a whole number".to_owned())?;
            }
            "--workers" => {
                o.workers = value("--workers")?
                    .parse()
                    .map_err(|_| "--workers takes a whole number".to_owned())?;
            }
            "--data" => o.data = value("--data")?.into(),
            "--json" => o.json = Some(value("--json")?.into()),
            "--quick" => {}
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(o)
}

/// This process's resident set now and at its peak, in KiB, from `/proc/self/status`.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Runs one variant in this process and prints (and writes) its figures.
fn run_variant(o: &Options) -> Result<(), String> {
    let corpus = Arc::new(Corpus::load(&o.data)?);
    let records = corpus.len();
    let pools = match o.variant.as_str() {
        "none" => Pools::None,
        "poolside" => Pools::Poolside {
            responses: ObjectPool::new(),
            bodies: BytePool::new(),
        },
        "peer" => Pools::Peer {
            responses: object_pool::Pool::new(64, Response::default),
            bodies: object_pool::Pool::new(64, Vec::new),
        },
        other => {
            return Err(format!(
                "unknown variant `{other}` (none, poolside, peer, all)"
            ))
        }
    };
    const IN_FLIGHT: usize = 32;
    let pool = WorkerPool::builder(Service { corpus, pools })
        .workers(o.workers)
        .queue(IN_FLIGHT)
        .name("workload")
        .build()
        .map_err(|e| e.to_string())?;

    // One warm-up round, then the measured ones.
    let serve_all = |rounds: usize| -> Result<usize, String> {
        let mut bytes = 0;
        let mut handles = Vec::with_capacity(IN_FLIGHT);
        for _ in 0..rounds {
            for record in 0..records as u64 {
                handles.push(
                    pool.spawn(move |t| *t = record)
                        .map_err(|e| e.to_string())?,
                );
                if handles.len() == IN_FLIGHT || record as usize + 1 == records {
                    for h in handles.drain(..) {
                        bytes += h.wait().map_err(|e| e.to_string())?;
                    }
                }
            }
        }
        Ok(bytes)
    };
    serve_all(1)?;
    let (rss_before, _) = rss_kib();
    let start = Instant::now();
    let (bytes, counts) = measure_global(|| serve_all(o.rounds));
    let seconds = start.elapsed().as_secs_f64();
    let bytes = bytes?;
    let (_, peak) = rss_kib();
    let served = (records * o.rounds) as f64;
    let line = format!(
        "{{\"variant\":\"{}\",\"records\":{served},\"seconds\":{seconds},\
         \"records_per_second\":{},\"allocs_per_record\":{},\"bytes_per_record\":{},\
         \"peak_rss_kib\":{peak},\"rss_after_parse_kib\":{rss_before},\"encoded_bytes\":{bytes}}}",
        o.variant,
        served / seconds,
        counts.allocs as f64 / served,
        counts.bytes as f64 / served,
    );
    println!(
        "{:<9} {:>12.0} records/s {:>8.2} allocs/record {:>10.0} B/record   peak RSS {:>7} KiB \
         ({} KiB after parsing)",
        o.variant,
        served / seconds,
        counts.allocs as f64 / served,
        counts.bytes as f64 / served,
        peak,
        rss_before
    );
    if let Pools::Poolside { bodies, .. } = &pool.handler().pools {
        let stats = bodies.stats();
        println!(
            "          the BytePool learned: new bodies start at {} B, bodies up to {} B are \
             kept; {} bodies grew past that and were dropped",
            bodies.default_capacity(),
            bodies.max_capacity(),
            stats.discards.oversized
        );
    }
    if let Some(path) = &o.json {
        std::fs::write(path, line).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("json_workload: {e}");
            return ExitCode::from(2);
        }
    };
    if o.variant != "all" {
        return match run_variant(&o) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("json_workload: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if o.json.is_some() {
        eprintln!("json_workload: --json writes one variant's figures; give --variant too");
        return ExitCode::from(2);
    }
    // Each variant in a process of its own, so that each peak RSS is its own.
    println!(
        "{} rounds of every record on {} workers; each variant in its own process",
        o.rounds, o.workers
    );
    let me = std::env::current_exe().expect("the running program has a path");
    for variant in ["none", "poolside", "peer"] {
        let status = Command::new(&me)
            .args(std::env::args().skip(1))
            .args(["--variant", variant])
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("json_workload: the `{variant}` run failed");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

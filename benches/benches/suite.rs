//! The criterion suite: times every case in the registry, grouped.
//!
//! `cargo bench -p poolside-benches --bench suite -- [criterion flags] [filter]`; under
//! `cargo test` criterion runs each case once (its test mode).

use criterion::{criterion_main, Criterion};

// `criterion_main!` calls `final_summary` after the groups run.

fn suite() {
    let mut c = Criterion::default().configure_from_args();
    poolside_benches::time(&mut c, &poolside_benches::cases());
}

criterion_main!(suite);

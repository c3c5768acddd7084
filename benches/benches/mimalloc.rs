//! The no-pool baselines again, with mimalloc as the global allocator.
//!
//! A global allocator is chosen per process, so these run in a binary of their own:
//! `cargo bench -p poolside-benches --bench mimalloc -- [criterion flags] [filter]`.
//! Each case is named `group/new_mimalloc`, beside its system-allocator twin
//! `group/new` from the suite, so the report can set them side by side.

use criterion::{criterion_main, Criterion};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn suite() {
    let mut c = Criterion::default().configure_from_args();
    poolside_benches::time(&mut c, &poolside_benches::mimalloc_cases());
}

criterion_main!(suite);

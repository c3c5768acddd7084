//! The criterion suite: times every case in the registry, grouped.
//!
//! `cargo bench -p poolside-benches --bench suite -- [criterion flags] [filter]`; under
//! `cargo test` criterion runs each case once (its test mode).

use criterion::{criterion_main, Criterion};

// `criterion_main!` calls `final_summary` after the groups run.

fn suite() {
    let mut c = Criterion::default().configure_from_args();
    let all = poolside_benches::cases();
    let mut start = 0;
    while start < all.len() {
        let group = all[start].group;
        let end = start + all[start..].iter().take_while(|c| c.group == group).count();
        let mut g = c.benchmark_group(group);
        for case in &all[start..end] {
            g.bench_function(case.name, |b| {
                let mut routine = (case.make)();
                b.iter_custom(|iters| routine.run(iters));
            });
        }
        g.finish();
        start = end;
    }
}

criterion_main!(suite);

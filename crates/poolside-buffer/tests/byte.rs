//! BytePool: it starts safe, learns the default and the maximum from capacities, forgets
//! old patterns as its histogram decays, reports its calibration, and keeps its budget.
//!
//! The learning tests need thousands of returns, far too slow under Miri; the `unsafe`
//! they would reach (the guard and poolside-local's engine) is the sized pool's too, whose
//! tests run under Miri, so Miri skips them.

use std::io::Write;

use poolside_buffer::{BytePool, BytePoolBuilder};
use poolside_core::ConfigError;
use poolside_core::Observe;

fn pool(calibrate_every: u64) -> BytePool {
    BytePool::builder()
        .calibrate_every(calibrate_every)
        .build()
        .unwrap()
}

/// Returns `n` buffers grown to `size` bytes.
fn churn(pool: &BytePool, n: usize, size: usize) {
    for _ in 0..n {
        let mut buf = pool.get();
        buf.resize(size, 1);
    }
}

#[test]
#[cfg_attr(miri, ignore = "1 MiB buffers: too slow under Miri")]
fn before_any_calibration_the_initial_maximum_holds() {
    let pool = pool(1_000_000);
    churn(&pool, 10, 1 << 20);
    let s = pool.stats();
    assert_eq!(
        s.discards.oversized, 10,
        "nothing above 64 KiB is kept before learning"
    );
    assert_eq!((pool.calibrations(), pool.max_capacity()), (0, 64 * 1024));
    assert_eq!(pool.default_capacity(), 1024);
}

#[test]
#[cfg_attr(miri, ignore = "thousands of returns: too slow under Miri")]
fn it_learns_from_capacity_not_length() {
    let pool = pool(64);
    for _ in 0..256 {
        let mut buf = pool.get();
        buf.reserve_exact(8000); // large capacity, short content
        buf.extend_from_slice(b"tiny");
    }
    assert!(pool.calibrations() > 0);
    assert_eq!(pool.default_capacity(), 8192);
    assert_eq!(pool.max_capacity(), 8192);
}

#[test]
#[cfg_attr(miri, ignore = "thousands of returns: too slow under Miri")]
fn the_maximum_is_a_percentile_and_outliers_are_dropped() {
    let pool = pool(100);
    for i in 0..2000 {
        let mut buf = pool.get();
        buf.resize(if i % 50 == 0 { 1 << 20 } else { 1000 }, 0);
    }
    // 2% are 1 MiB: above the 95th percentile, so they are not kept.
    assert_eq!(pool.max_capacity(), 1024);
    assert_eq!(pool.default_capacity(), 1024);
    assert!(pool.stats().discards.oversized >= 40);
    let config = BytePool::builder().calibrate_every(100).percentile(0.99);
    let strict = config.build().unwrap();
    for i in 0..2000 {
        let mut buf = strict.get();
        buf.resize(if i % 50 == 0 { 1 << 20 } else { 1000 }, 0);
    }
    assert_eq!(
        strict.max_capacity(),
        1 << 20,
        "the 99th percentile covers them"
    );
}

#[test]
#[cfg_attr(miri, ignore = "thousands of returns: too slow under Miri")]
fn the_histogram_decays_so_a_new_pattern_takes_over() {
    let pool = pool(100);
    churn(&pool, 5000, 2000);
    assert_eq!((pool.default_capacity(), pool.max_capacity()), (2048, 2048));
    // Larger buffers now: dropped as oversized at first, but counted, and within a few
    // calibrations the halved old counts no longer outweigh them.
    churn(&pool, 1000, 6000);
    assert_eq!((pool.default_capacity(), pool.max_capacity()), (8192, 8192));
    // A capacity-calibrated pool cannot see a shift down while its buffers are larger
    // than needed: a reused buffer keeps its capacity. It keeps them (within the
    // maximum) rather than shrinking them.
    churn(&pool, 1000, 500);
    assert_eq!(pool.max_capacity(), 8192);
}

#[test]
#[cfg_attr(miri, ignore = "thousands of returns: too slow under Miri")]
fn the_hard_maximum_caps_what_it_learns() {
    let config = BytePool::builder()
        .calibrate_every(10)
        .initial_max(64 * 1024)
        .hard_max(64 * 1024);
    let pool = config.build().unwrap();
    churn(&pool, 100, 1 << 20);
    assert_eq!(pool.max_capacity(), 64 * 1024);
    assert_eq!(pool.default_capacity(), 64 * 1024);
}

#[test]
#[cfg_attr(miri, ignore = "thousands of returns: too slow under Miri")]
fn calibration_is_visible_in_the_metrics() {
    let pool = pool(10);
    churn(&pool, 100, 3000);
    let mut metrics = Vec::new();
    pool.visit_metrics(&mut |m| metrics.push((m.name.into_owned(), m.value)));
    assert!(metrics.contains(&("default_capacity_bytes".into(), 4096.0)));
    assert!(metrics.contains(&("max_capacity_bytes".into(), 4096.0)));
    assert!(metrics
        .iter()
        .any(|(n, v)| n == "calibrations" && *v >= 9.0));
    assert!(format!("{pool:?}").contains("calibrations"));
}

#[test]
fn bad_configurations_are_errors() {
    let err = |c: BytePoolBuilder| c.build().unwrap_err();
    let d = BytePool::builder();
    assert_eq!(err(d.percentile(0.0)), ConfigError::PercentileOutOfRange);
    assert_eq!(err(d.percentile(1.5)), ConfigError::PercentileOutOfRange);
    assert!(matches!(
        err(d.percentile(f64::NAN)),
        ConfigError::PercentileOutOfRange
    ));
    assert_eq!(err(d.calibrate_every(0)), ConfigError::ZeroCalibration);
    assert_eq!(err(d.initial_default(0)), ConfigError::CapacitiesOutOfOrder);
    assert_eq!(
        err(d.initial_max(512)),
        ConfigError::CapacitiesOutOfOrder,
        "below the initial default"
    );
    assert_eq!(
        err(d.hard_max(usize::MAX)),
        ConfigError::CapacitiesOutOfOrder
    );
    assert_eq!(err(d.max_idle_bytes(0)), ConfigError::ZeroMaxIdleBytes);
}

#[test]
fn the_guard_writes_and_detaches() {
    let pool = BytePool::new();
    let mut buf = pool.get();
    write!(buf, "{}", 42).unwrap();
    assert_eq!(buf.as_ref(), b"42");
    assert_eq!(buf.detach(), b"42");
    assert_eq!(pool.stats().detached, 1);
}

#[test]
#[cfg_attr(miri, ignore = "thousands of returns: too slow under Miri")]
fn threads_calibrate_together_and_the_budget_holds() {
    const BUDGET: usize = 1 << 20;
    let config = BytePool::builder()
        .calibrate_every(50)
        .max_idle_bytes(BUDGET);
    let pool = config.build().unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let pool = &pool;
            s.spawn(move || {
                for i in 0..if cfg!(miri) { 20 } else { 5000 } {
                    let held: Vec<_> = (0..4).map(|_| pool.get()).collect();
                    for (j, mut buf) in held.into_iter().enumerate() {
                        buf.resize(1000 + 2000 * ((t + i + j) % 4), 0);
                    }
                }
            });
        }
    });
    let s = pool.stats();
    assert!(s.idle_bytes <= BUDGET as u64, "{} idle bytes", s.idle_bytes);
    assert_eq!(s.in_use, 0);
    if !cfg!(miri) {
        assert!(pool.calibrations() > 10);
        assert_eq!(
            pool.max_capacity(),
            8192,
            "1000 to 7000 bytes: the 8 KiB bucket covers them"
        );
    }
}

/// A default capacity the allocator cannot give must not abort the first `get`: the
/// buffer starts empty instead, and still works.
#[test]
#[cfg_attr(miri, ignore = "Miri cannot start the child process")]
fn a_default_capacity_too_large_to_allocate_falls_back_to_an_empty_buffer() {
    poolside_testkit::in_child(
        "a_default_capacity_too_large_to_allocate_falls_back_to_an_empty_buffer",
        || {
            let huge = 1 << 40;
            let config = BytePool::builder()
                .initial_default(huge)
                .initial_max(huge)
                .hard_max(huge);
            let pool = config.build().unwrap();
            let mut buf = pool.get();
            assert!(buf.capacity() < huge, "a terabyte was not allocated");
            buf.extend_from_slice(b"still a buffer");
            assert_eq!(&buf[..], b"still a buffer");
        },
    );
}

/// Threads that each return fewer buffers than a calibration period still calibrate the
/// pool together: an exiting thread's returns, and its countdown, carry over.
#[test]
fn short_lived_threads_still_calibrate_the_pool() {
    let pool = pool(100);
    for _ in 0..10 {
        std::thread::scope(|s| s.spawn(|| churn(&pool, 30, 3000)).join().unwrap());
    }
    assert!(
        pool.calibrations() >= 2,
        "{} calibrations",
        pool.calibrations()
    );
    assert_eq!(pool.default_capacity(), 4096);
}

/// The self-tuning pool trims like the sized pool (the same engine): its idle buffers go,
/// counted, and its learning stays.
#[test]
fn a_trim_releases_idle_buffers_and_keeps_what_was_learned() {
    let pool = pool(20);
    churn(&pool, 100, 3000);
    let learned = (pool.default_capacity(), pool.max_capacity());
    assert!(pool.stats().idle_objects > 0);
    pool.trim();
    drop(pool.get()); // this thread acts on the trim
    let s = pool.stats();
    assert!(s.trimmed > 0);
    assert_eq!((s.idle_objects, s.in_use), (1, 0));
    assert_eq!((pool.default_capacity(), pool.max_capacity()), learned);
}

//! The registry, snapshots, rates and the maintenance thread, with real pools.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use poolside_core::{ConfigError, Metric, MetricKind, Observe, Stats};
use poolside_monitor::{Maintenance, Registry};
use poolside_object::ObjectPool;

fn pool() -> ObjectPool<Vec<u8>> {
    ObjectPool::new()
}

#[test]
fn a_taken_name_is_an_error_and_replace_swaps_it() {
    let registry = Registry::new();
    let (a, b) = (pool(), pool());
    registry.register("a", &a).unwrap();
    assert_eq!(registry.register("a", &b), Err(ConfigError::NameTaken));
    drop(b.get());
    assert_eq!(registry.replace("a", &b), Ok(true));
    assert_eq!(
        registry.snapshot().get("a").unwrap().stats.gets,
        1,
        "b is registered now"
    );
    assert_eq!(registry.replace("fresh", &a), Ok(false));
    assert_eq!(registry.names(), ["a", "fresh"]);
}

#[test]
fn an_empty_name_is_refused() {
    let registry = Registry::new();
    assert_eq!(registry.register("", &pool()), Err(ConfigError::EmptyName));
    assert_eq!(registry.replace("", &pool()), Err(ConfigError::EmptyName));
    assert!(ConfigError::EmptyName.to_string().contains("empty"));
}

#[test]
fn a_dropped_pool_leaves_and_frees_its_name() {
    let registry = Registry::new();
    let a = pool();
    let handle = a.clone();
    registry.register("a", &a).unwrap();
    drop(a);
    assert_eq!(registry.len(), 1, "another handle keeps the pool alive");
    drop(handle);
    assert!(registry.is_empty());
    assert!(registry.snapshot().pools().is_empty());
    registry
        .register("a", &pool())
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_registry_does_not_keep_pools_alive() {
    struct Flagged(Arc<Mutex<bool>>);
    impl Observe for Flagged {
        fn stats(&self) -> Stats {
            Stats::default()
        }
    }
    impl Drop for Flagged {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = true;
        }
    }
    let dropped = Arc::new(Mutex::new(false));
    let registry = Registry::new();
    let mine = Arc::new(Flagged(dropped.clone()));
    registry.register("mine", &mine).unwrap();
    drop(mine);
    assert!(*dropped.lock().unwrap(), "dropped while registered");
    assert!(registry.is_empty());
}

/// A pool whose `stats`, `decay` and `trim` each say that a pass reached it, then wait
/// until the test lets them go on.
struct Gate {
    entered: Mutex<mpsc::Sender<()>>,
    go: Mutex<mpsc::Receiver<()>>,
}

impl Gate {
    fn wait(&self) {
        let _ = self.entered.lock().unwrap().send(());
        // A message, or the test's sender dropped as it fails, lets the pass go on.
        let _ = self.go.lock().unwrap().recv();
    }
}

impl Observe for Gate {
    fn stats(&self) -> Stats {
        self.wait();
        Stats::default()
    }
    fn decay(&self) -> u64 {
        self.wait();
        0
    }
    fn trim(&self) -> u64 {
        self.wait();
        0
    }
}

/// A pool that records the thread its drop ran on.
struct DropsOn(Arc<Mutex<Option<ThreadId>>>);

impl Observe for DropsOn {
    fn stats(&self) -> Stats {
        Stats::default()
    }
}

impl Drop for DropsOn {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(std::thread::current().id());
    }
}

/// A registry pass, run for its effect.
type Pass = fn(&Registry);

#[test]
fn a_pass_does_not_keep_a_dropped_pool_alive() {
    let passes: [(&str, Pass); 3] = [
        ("snapshot", |r| drop(r.snapshot())),
        ("decay", |r| {
            r.decay();
        }),
        ("trim", |r| {
            r.trim();
        }),
    ];
    for (pass, run) in passes {
        let registry = Registry::new();
        let (entered_tx, entered) = mpsc::channel();
        let (go, go_rx) = mpsc::channel();
        let gate = Arc::new(Gate {
            entered: Mutex::new(entered_tx),
            go: Mutex::new(go_rx),
        });
        registry.register("gate", &gate).unwrap();
        let dropped_on = Arc::new(Mutex::new(None));
        let later = Arc::new(DropsOn(dropped_on.clone()));
        registry.register("later", &later).unwrap();

        let pass_registry = registry.clone();
        let thread = std::thread::spawn(move || run(&pass_registry));
        // The pass is at the gate, the first pool; the test drops the second meanwhile.
        entered.recv().unwrap();
        drop(later);
        assert_eq!(
            *dropped_on.lock().unwrap(),
            Some(std::thread::current().id()),
            "{pass}: the dropped pool is freed at once, on the thread that dropped it"
        );
        assert_eq!(
            registry.register("later", &Arc::new(DropsOn(Arc::default()))),
            Ok(()),
            "{pass}: the dropped pool's name is free"
        );
        go.send(()).unwrap();
        thread.join().unwrap();
    }
}

#[test]
fn unregister_reports_whether_a_pool_was_there() {
    let registry = Registry::new();
    let a = pool();
    registry.register("a", &a).unwrap();
    assert!(registry.unregister("a"));
    assert!(!registry.unregister("a"));
    assert!(registry.is_empty());
}

#[test]
fn clones_share_one_registry_and_the_global_one_is_one() {
    let registry = Registry::new();
    let a = pool();
    registry.clone().register("a", &a).unwrap();
    assert_eq!(registry.names(), ["a"]);
    assert!(std::ptr::eq(Registry::global(), Registry::global()));
}

#[test]
fn known_counts_give_an_exact_hit_rate() {
    let registry = Registry::new();
    let p = pool();
    registry.register("p", &p).unwrap();
    // One miss, then 99 hits on the same object.
    for _ in 0..100 {
        p.get().push(1);
    }
    let snap = registry.snapshot();
    let s = snap.get("p").unwrap();
    assert_eq!((s.stats.gets, s.stats.hits, s.stats.misses), (100, 99, 1));
    assert_eq!(s.hit_rate(), Some(0.99));
    assert_eq!(s.discard_rate, Some(0.0));
    assert_eq!(s.stats.idle_objects, 1);
    assert_eq!(s.avg_idle_bytes, Some(s.stats.idle_bytes as f64));
}

#[test]
fn totals_are_exact_after_threads_join() {
    const THREADS: usize = 4;
    const OPS: u64 = 5_000;
    let registry = Registry::new();
    let p = pool();
    registry.register("p", &p).unwrap();
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for i in 0..OPS {
                    let mut a = p.get();
                    let b = p.get();
                    a.push(i as u8);
                    drop((a, b));
                }
            });
        }
    });
    let snap = registry.snapshot();
    let s = &snap.get("p").unwrap().stats;
    let gets = THREADS as u64 * OPS * 2;
    assert_eq!(s.gets, gets);
    assert_eq!(s.hits + s.misses, gets);
    assert_eq!(s.puts, gets);
    assert_eq!(s.in_use, 0);
    assert_eq!(
        s.misses,
        s.idle_objects + s.discards.total(),
        "every object made is idle or dropped"
    );
}

#[test]
fn own_metrics_appear_in_the_snapshot_and_the_table() {
    struct Queue;
    impl Observe for Queue {
        fn stats(&self) -> Stats {
            Stats::default()
        }
        fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
            visit(Metric::gauge("queue_depth", "Tasks waiting.", 7.0));
        }
    }
    let registry = Registry::new();
    let q = Arc::new(Queue);
    registry.register("tasks", &q).unwrap();
    let snap = registry.snapshot();
    let m = &snap.get("tasks").unwrap().metrics[0];
    assert_eq!(
        (&*m.name, m.kind, m.value),
        ("queue_depth", MetricKind::Gauge, 7.0)
    );
    let table = snap.to_string();
    assert!(table.contains("tasks: queue_depth 7"), "{table}");
    assert_eq!(snap.get("tasks").unwrap().hit_rate(), None);
}

#[test]
fn the_table_has_a_header_and_one_line_per_pool() {
    let registry = Registry::new();
    let (a, b) = (pool(), pool());
    registry.register("first", &a).unwrap();
    registry.register("second\nline", &b).unwrap();
    drop(a.get());
    let table = registry.snapshot().to_string();
    let lines: Vec<&str> = table.lines().collect();
    // The header, a line per pool, then each pool's own metrics.
    assert_eq!(lines.len(), 5, "{table}");
    assert_eq!(lines[3], "first: shared_idle_objects 0");
    assert!(lines[0].starts_with("pool") && lines[0].contains("hit rate"));
    assert!(lines[1].starts_with("first") && lines[1].contains("0.0%"));
    assert!(
        lines[2].starts_with("second\\nline") && lines[2].contains(" -"),
        "{table}"
    );
}

#[test]
fn a_name_longer_than_a_format_width_prints() {
    // `register` takes any non-empty name; a format width stops at `u16::MAX`.
    let long = "n".repeat(70_000);
    let registry = Registry::new();
    let (a, b) = (pool(), pool());
    registry.register(long.clone(), &a).unwrap();
    registry.register("short", &b).unwrap();
    let before = registry.snapshot();
    drop(a.get());
    let snapshot = registry.snapshot();
    let interval = snapshot.since(&before);
    for table in [snapshot.to_string(), interval.to_string()] {
        assert!(
            table.lines().any(|l| l.starts_with(&long)),
            "the whole name"
        );
        let short = table.lines().find(|l| l.starts_with("short")).unwrap();
        assert!(
            short.len() < 200,
            "one long name does not widen every row: {} bytes",
            short.len()
        );
    }
}

#[test]
fn an_interval_counts_only_what_happened_in_it() {
    let registry = Registry::new();
    let p = pool();
    registry.register("p", &p).unwrap();
    for _ in 0..5 {
        drop(p.get());
    }
    let before = registry.snapshot();
    for _ in 0..10 {
        drop(p.get());
    }
    let other = pool();
    registry.register("late", &other).unwrap();
    drop(p.get()); // held: a gauge is as it is now
    let held = p.get();
    let interval = registry.snapshot().since(&before);
    assert_eq!(
        interval.pools().len(),
        1,
        "a pool missing from the first snapshot is left out"
    );
    let i = &interval.pools()[0].stats;
    assert_eq!(
        (i.gets, i.hits, i.misses, i.puts, i.discards.total()),
        (12, 12, 0, 11, 0)
    );
    assert_eq!((i.in_use, i.idle_objects), (1, 0));
    assert!(interval.span().is_some());
    let shown = interval.to_string();
    assert!(
        shown.starts_with("over ") && shown.contains("100.0%"),
        "{shown}"
    );
    drop(held);
}

#[test]
fn over_a_span_a_pools_own_counters_grow_and_its_gauges_stay() {
    struct Own {
        sent: AtomicU64,
    }
    impl Observe for Own {
        fn stats(&self) -> Stats {
            Stats::default()
        }
        fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
            let sent = self.sent.load(Ordering::Relaxed) as f64;
            visit(Metric::counter("sent", "Messages sent.", sent));
            visit(Metric::gauge("depth", "Messages waiting.", sent / 2.0));
        }
    }
    let own = Arc::new(Own {
        sent: AtomicU64::new(10),
    });
    let registry = Registry::new();
    registry.register("own", &own).unwrap();
    let before = registry.snapshot();
    own.sent.store(16, Ordering::Relaxed);
    let during = registry.snapshot().since(&before);
    let values: Vec<(&str, f64)> = during.pools()[0]
        .metrics
        .iter()
        .map(|m| (&*m.name, m.value))
        .collect();
    assert_eq!(values, [("sent", 6.0), ("depth", 8.0)]);
    own.sent.store(3, Ordering::Relaxed); // replaced, say: a counter that went back
    let after = registry.snapshot().since(&before);
    assert_eq!(after.pools()[0].metrics[0].value, 0.0);
}

#[test]
fn an_interval_of_no_length_has_no_rate() {
    let registry = Registry::new();
    let p = pool();
    registry.register("p", &p).unwrap();
    let snap = registry.snapshot();
    let interval = snap.since(&snap);
    assert_eq!(interval.span(), Some(Duration::ZERO));
    assert_eq!(interval.per_second(5), None);
    assert_eq!(interval.pools()[0].hit_rate, None);
    assert_eq!(snap.per_second(5), None, "a moment has no rate");
}

#[test]
fn maintenance_refuses_a_zero_interval() {
    let err = Maintenance::start(&Registry::new(), Duration::ZERO).unwrap_err();
    assert_eq!(err, ConfigError::ZeroInterval);
    assert!(err.to_string().contains("zero"));
}

#[test]
fn maintenance_decays_idle_pools_and_reports() {
    let registry = Registry::new();
    // No thread cache, so every idle object is in the shared tier that decay reaches now.
    let p: ObjectPool<Vec<u8>> = ObjectPool::builder().thread_cache(0).build().unwrap();
    registry.register("p", &p).unwrap();
    let held: Vec<_> = (0..8).map(|_| p.get()).collect();
    drop(held);
    assert_eq!(p.stats().idle_objects, 8);

    // Each pass reports what it left idle; the test waits on the reports, not on time.
    let (tx, rx) = std::sync::mpsc::channel();
    let m = Maintenance::with_report(&registry, Duration::from_millis(1), move |s| {
        let _ = tx.send(s.get("p").map(|p| p.stats.idle_objects));
    })
    .unwrap();
    // The first decay marks the low water; the next releases what stayed unused.
    assert_eq!(rx.recv().unwrap(), Some(8));
    assert_eq!(rx.recv().unwrap(), Some(0));
    assert_eq!(p.stats().trimmed, 8);
    m.stop();
    assert!(rx.iter().all(|idle| idle == Some(0)), "nothing came back");
}

#[test]
fn a_panicking_report_is_counted_and_the_thread_goes_on() {
    let registry = Registry::new();
    let (tx, rx) = std::sync::mpsc::channel();
    poolside_testkit::quietly(|| {
        let m = Maintenance::with_report(&registry, Duration::from_millis(1), move |_| {
            let _ = tx.send(());
            panic!("report");
        })
        .unwrap();
        // Passes run one after another, so by the third report the first two panics
        // have been caught and counted.
        for _ in 0..3 {
            rx.recv().unwrap();
        }
        assert!(m.panics() >= 2);
        assert!(m.passes() >= 2);
    });
}

#[test]
fn dropping_maintenance_stops_it_at_once() {
    let m = Maintenance::start(&Registry::new(), Duration::from_secs(3600)).unwrap();
    assert_eq!(m.passes(), 0);
    // Returns without waiting out the hour (else the test hangs): dropping the sender
    // wakes the thread, which stops before any pass.
    drop(m);
}

#[test]
fn every_pool_registers_by_reference_and_leaves_when_dropped() {
    use poolside_buffer::{BytePool, RingPool, SizedPool};

    let registry = Registry::new();
    let objects = pool();
    let sized = SizedPool::new();
    let bytes = BytePool::new();
    let ring = RingPool::new(4, 64).unwrap();
    registry.register("objects", &objects).unwrap();
    registry.register("sized", &sized).unwrap();
    registry.register("bytes", &bytes).unwrap();
    registry.register("ring", &ring).unwrap();
    drop(objects.get());
    drop(sized.get(100).unwrap());
    drop(bytes.get());
    drop(ring.try_get().unwrap());

    let snapshot = registry.snapshot();
    for name in ["objects", "sized", "bytes", "ring"] {
        let pool = snapshot
            .get(name)
            .unwrap_or_else(|| panic!("{name} is registered"));
        assert_eq!(pool.stats.gets, 1, "{name}");
        assert_eq!(pool.stats.puts, 1, "{name}");
    }
    let metric = |pool: &str, name: &str| {
        let pool = snapshot.get(pool).unwrap();
        pool.metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    };
    // What each pool reports beyond its statistics reaches the monitor through the weak
    // handle too.
    assert_eq!(metric("sized", "class_128_idle_bytes"), Some(128.0));
    assert_eq!(metric("bytes", "default_capacity_bytes"), Some(1024.0));
    assert_eq!(metric("bytes", "max_capacity_bytes"), Some(65536.0));
    assert_eq!(metric("ring", "waiters"), Some(0.0));

    // The registry holds none of them alive.
    drop((objects, sized, bytes, ring));
    assert!(registry.is_empty());
}

//! A snapshot reported through the `metrics` facade reaches the installed recorder: every
//! statistic of every pool with its labels and value, the pools' own metrics, and what
//! was left out. A recorder here captures what is reported.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, Key, KeyName, Metadata, Recorder, SharedString,
    Unit,
};
use poolside_core::{Metric, MetricKind, Observe, Stats};
use poolside_monitor::Registry;
use poolside_object::ObjectPool;

/// A metric's name and its labels, sorted.
type Id = (String, Vec<(String, String)>);

/// A counter or a gauge the recorder handed out, holding the last value reported.
#[derive(Default)]
struct Cell {
    bits: AtomicU64,
    counter: bool,
}

impl CounterFn for Cell {
    fn increment(&self, value: u64) {
        self.bits.fetch_add(value, Ordering::Relaxed);
    }
    fn absolute(&self, value: u64) {
        self.bits.fetch_max(value, Ordering::Relaxed);
    }
}

impl GaugeFn for Cell {
    fn increment(&self, value: f64) {
        self.set(f64::from_bits(self.bits.load(Ordering::Relaxed)) + value);
    }
    fn decrement(&self, value: f64) {
        GaugeFn::increment(self, -value);
    }
    fn set(&self, value: f64) {
        self.bits.store(value.to_bits(), Ordering::Relaxed);
    }
}

#[derive(Default)]
struct Capture {
    cells: Mutex<BTreeMap<Id, Arc<Cell>>>,
    help: Mutex<BTreeMap<String, String>>,
}

impl Capture {
    fn cell(&self, key: &Key, counter: bool) -> Arc<Cell> {
        let mut labels: Vec<(String, String)> = key
            .labels()
            .map(|l| (l.key().to_owned(), l.value().to_owned()))
            .collect();
        labels.sort();
        let id = (key.name().to_owned(), labels);
        let mut cells = self.cells.lock().unwrap();
        let cell = cells.entry(id).or_insert_with(|| {
            Arc::new(Cell {
                bits: AtomicU64::new(0),
                counter,
            })
        });
        assert_eq!(cell.counter, counter, "{key} reported as both kinds");
        cell.clone()
    }

    /// The value reported for `name` with `labels`, or `None` if it never was.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut labels: Vec<(String, String)> = labels
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        labels.sort();
        let cells = self.cells.lock().unwrap();
        let cell = cells.get(&(name.to_owned(), labels))?;
        let bits = cell.bits.load(Ordering::Relaxed);
        Some(if cell.counter {
            bits as f64
        } else {
            f64::from_bits(bits)
        })
    }
}

impl Recorder for Capture {
    fn describe_counter(&self, key: KeyName, _: Option<Unit>, help: SharedString) {
        self.help
            .lock()
            .unwrap()
            .insert(key.as_str().to_owned(), help.into_owned());
    }
    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, help: SharedString) {
        self.describe_counter(key, unit, help);
    }
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {
        panic!("the monitor reports no histograms");
    }
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.cell(key, true))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.cell(key, false))
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        panic!("the monitor reports no histograms");
    }
}

/// A pool with metrics of its own: one fine, one that clashes with a built-in name, one
/// counter with a value no counter may have.
struct Own;

impl Observe for Own {
    fn stats(&self) -> Stats {
        Stats::default()
    }
    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
        for (name, kind, value) in [
            ("queue-depth", MetricKind::Gauge, 2.5),
            ("sent_total", MetricKind::Counter, 7.0),
            ("gets", MetricKind::Counter, 99.0),
            ("broken", MetricKind::Counter, f64::NAN),
        ] {
            visit(Metric {
                name: name.into(),
                help: "a test metric".into(),
                kind,
                value,
            });
        }
    }
}

#[test]
fn a_report_carries_every_statistic_and_own_metric_to_the_recorder() {
    let registry = Registry::new();
    let pool = ObjectPool::<Vec<u8>>::builder()
        .drop_above(1 << 20)
        .build()
        .unwrap();
    let own = Arc::new(Own);
    registry.register("bodies", &pool).unwrap();
    registry.register("own", &own).unwrap();
    for _ in 0..3 {
        pool.get().reserve(64);
    }
    // Two at once: the one kept, and one that grew past the cap.
    let (kept, mut grown) = (pool.get(), pool.get());
    grown.reserve(1 << 21);
    drop((kept, grown));

    let capture = Capture::default();
    let snapshot = registry.snapshot();
    metrics::with_local_recorder(&capture, || snapshot.report_metrics());

    let bodies = [("pool", "bodies")];
    let stats = &snapshot.get("bodies").unwrap().stats;
    assert_eq!((stats.gets, stats.hits, stats.idle_objects), (5, 3, 1));
    assert_eq!(capture.value("poolside_gets_total", &bodies), Some(5.0));
    assert_eq!(capture.value("poolside_hits_total", &bodies), Some(3.0));
    assert_eq!(capture.value("poolside_misses_total", &bodies), Some(2.0));
    assert_eq!(
        capture.value("poolside_idle_objects", &bodies),
        Some(stats.idle_objects as f64)
    );
    assert_eq!(
        capture.value("poolside_idle_bytes", &bodies),
        Some(stats.idle_bytes as f64)
    );
    // Discards, one sample per reason.
    assert!(stats.idle_bytes >= 64, "{stats:?}");
    let oversized = [("pool", "bodies"), ("reason", "oversized")];
    assert_eq!(stats.discards.oversized, 1);
    assert_eq!(
        capture.value("poolside_discards_total", &oversized),
        Some(1.0)
    );
    assert_eq!(capture.value("poolside_discards_total", &bodies), None);

    // The pool's own metrics: one gauge, one counter not named `_total_total`; the
    // clashing and the invalid ones left out and counted.
    let own_labels = [("pool", "own")];
    assert_eq!(
        capture.value("poolside_queue_depth", &own_labels),
        Some(2.5)
    );
    assert_eq!(capture.value("poolside_sent_total", &own_labels), Some(7.0));
    assert_eq!(capture.value("poolside_gets_total", &own_labels), Some(0.0));
    assert_eq!(capture.value("poolside_broken_total", &own_labels), None);
    let skipped = |reason| {
        capture.value(
            "poolside_skipped_metrics",
            &[("pool", "own"), ("reason", reason)],
        )
    };
    assert_eq!(skipped("name_clash"), Some(1.0));
    assert_eq!(skipped("invalid_value"), Some(1.0));

    // Every name is described, with its help.
    let help = capture.help.lock().unwrap();
    for name in [
        "poolside_gets_total",
        "poolside_idle_bytes",
        "poolside_queue_depth",
    ] {
        assert!(help.get(name).is_some_and(|h| !h.is_empty()), "{name}");
    }
}

#[test]
fn a_later_report_moves_counters_up_and_gauges_both_ways() {
    let registry = Registry::new();
    let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
    registry.register("bodies", &pool).unwrap();
    let capture = Capture::default();
    let labels = [("pool", "bodies")];

    drop(pool.get());
    metrics::with_local_recorder(&capture, || registry.snapshot().report_metrics());
    assert_eq!(capture.value("poolside_gets_total", &labels), Some(1.0));
    assert_eq!(capture.value("poolside_idle_objects", &labels), Some(1.0));

    let held = pool.get();
    metrics::with_local_recorder(&capture, || registry.snapshot().report_metrics());
    assert_eq!(capture.value("poolside_gets_total", &labels), Some(2.0));
    assert_eq!(capture.value("poolside_idle_objects", &labels), Some(0.0));

    drop(held);
    metrics::with_local_recorder(&capture, || registry.snapshot().report_metrics());
    assert_eq!(capture.value("poolside_idle_objects", &labels), Some(1.0));
}

#[test]
fn with_no_recorder_a_report_does_nothing() {
    let registry = Registry::new();
    let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
    registry.register("bodies", &pool).unwrap();
    registry.snapshot().report_metrics();
}

//! The `metrics` exporter: a snapshot reported to whatever recorder the program installed.

use metrics::{Label, SharedString};
use poolside_core::internals::STATISTICS;
use poolside_core::MetricKind;

use crate::export::{builtin, OwnMetrics, SKIPPED, SKIPPED_FAMILY};
use crate::Snapshot;

impl Snapshot {
    /// Reports the snapshot through the [`metrics`](https://docs.rs/metrics) crate, the
    /// facade that libraries report to, to whichever recorder the program installed
    /// (an exporter to Prometheus, StatsD, logs, ...); with none installed it does nothing.
    ///
    /// Pools count for themselves and are read only when a snapshot is taken, so nothing
    /// is reported between snapshots: take and report one on a timer, or after each
    /// maintenance pass with
    /// `Maintenance::with_report(&registry, interval, |s| s.report_metrics())`.
    ///
    /// The names and labels are the Prometheus collector's, as an exporter to Prometheus
    /// would show them: counters `poolside_gets_total`, `poolside_hits_total`, ...
    /// (set with [`Counter::absolute`](metrics::Counter::absolute)), gauges
    /// `poolside_idle_objects`, `poolside_idle_bytes`, ...; each with the label `pool`,
    /// discards also with `reason`. A pool's own metrics become `poolside_<name>` (a
    /// counter's ending in `_total`), and those whose name clashes or whose value is
    /// invalid are left out and counted in `poolside_skipped_metrics{pool, reason}`,
    /// by the same rule as the collector's.
    ///
    /// ```
    /// use poolside_monitor::Registry;
    /// use poolside_object::ObjectPool;
    ///
    /// let registry = Registry::new();
    /// let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
    /// registry.register("bodies", &pool)?;
    /// drop(pool.get());
    /// registry.snapshot().report_metrics(); // to the installed recorder, if any
    /// # Ok::<(), poolside_monitor::RegisterError>(())
    /// ```
    pub fn report_metrics(&self) {
        for stat in STATISTICS {
            let name = exported(&builtin(stat), stat.kind);
            describe(&name, stat.kind, stat.help);
            for pool in self.pools() {
                if stat.by_reason.is_empty() {
                    let value = (stat.read)(&pool.stats) as f64;
                    report(&name, stat.kind, labels(&pool.name, None), value);
                }
                for &(reason, read) in stat.by_reason {
                    let value = read(&pool.stats) as f64;
                    report(&name, stat.kind, labels(&pool.name, Some(reason)), value);
                }
            }
        }
        let own = OwnMetrics::of(self);
        describe(
            SKIPPED_FAMILY,
            MetricKind::Gauge,
            "The pool's own metrics left out of this report, by reason: a name that clashes \
             with another's, or a counter value below 0 or NaN.",
        );
        for (pool, counts) in self.pools().iter().zip(&own.skipped) {
            for (reason, &count) in SKIPPED.iter().zip(counts) {
                let labels = labels(&pool.name, Some(reason));
                report(SKIPPED_FAMILY, MetricKind::Gauge, labels, count as f64);
            }
        }
        for (family, (help, kind, values)) in &own.families {
            let name = exported(family, *kind);
            describe(&name, *kind, help);
            for &(_, pool, value) in values {
                report(&name, *kind, labels(pool, None), value);
            }
        }
    }
}

/// The name a family is reported under: a counter's with the `_total` that Prometheus
/// exporters expect of it.
fn exported(family: &str, kind: MetricKind) -> String {
    match kind {
        MetricKind::Counter => format!("{family}_total"),
        _ => family.to_owned(),
    }
}

fn labels(pool: &str, reason: Option<&str>) -> Vec<Label> {
    let mut labels = vec![Label::new("pool", pool.to_owned())];
    if let Some(reason) = reason {
        labels.push(Label::new("reason", reason.to_owned()));
    }
    labels
}

fn describe(name: &str, kind: MetricKind, help: &str) {
    let (name, help) = (name.to_owned(), SharedString::from(help.to_owned()));
    match kind {
        MetricKind::Counter => metrics::describe_counter!(name, help),
        _ => metrics::describe_gauge!(name, help),
    }
}

fn report(name: &str, kind: MetricKind, labels: Vec<Label>, value: f64) {
    let name = name.to_owned();
    match kind {
        // A counter's value never goes down; a NaN or negative one is left out before.
        MetricKind::Counter => metrics::counter!(name, labels).absolute(value as u64),
        _ => metrics::gauge!(name, labels).set(value),
    }
}

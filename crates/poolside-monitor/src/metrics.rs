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
    /// by the same rule as the collector's. A pool's own counter loses its fraction, as
    /// counters in the `metrics` facade are whole.
    ///
    /// A recorder keeps what it was last told: a pool that was dropped keeps its last
    /// values there until the recorder forgets them (the Prometheus collector, which
    /// takes a snapshot per scrape, drops it at once).
    ///
    /// Report a snapshot of a moment, as [`Registry::snapshot`](crate::Registry::snapshot)
    /// takes: counters are reported as totals, so the growth in a snapshot over a span
    /// ([`since`](Snapshot::since)) would read as counters that went back.
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
    /// # Ok::<(), poolside_core::ConfigError>(())
    /// ```
    pub fn report_metrics(&self) {
        for stat in STATISTICS {
            let name = exported(&builtin(stat), stat.kind);
            describe(&name, stat.kind, stat.help);
            for pool in self.pools() {
                if stat.by_reason.is_empty() {
                    let value = (stat.read)(&pool.stats);
                    report_count(&name, stat.kind, labels(&pool.name, None), value);
                }
                for &(reason, read) in stat.by_reason {
                    let value = read(&pool.stats);
                    report_count(&name, stat.kind, labels(&pool.name, Some(reason)), value);
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

/// A pool's own metric: a counter's value is whole in the `metrics` facade, so its
/// fraction is dropped (a NaN or negative one is left out before).
fn report(name: &str, kind: MetricKind, labels: Vec<Label>, value: f64) {
    match kind {
        MetricKind::Counter => metrics::counter!(name.to_owned(), labels).absolute(value as u64),
        _ => metrics::gauge!(name.to_owned(), labels).set(value),
    }
}

/// A core statistic: a count, passed as it is.
fn report_count(name: &str, kind: MetricKind, labels: Vec<Label>, value: u64) {
    match kind {
        MetricKind::Counter => metrics::counter!(name.to_owned(), labels).absolute(value),
        _ => metrics::gauge!(name.to_owned(), labels).set(value as f64),
    }
}

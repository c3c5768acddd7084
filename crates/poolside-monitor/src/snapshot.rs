//! Snapshots of the registered pools, the values derived from them, what happened between
//! two, and the terminal tables.

use std::fmt::{self, Write as _};
use std::time::{Duration, Instant};

use poolside_core::internals::{Statistic, STATISTICS};
use poolside_core::{Metric, MetricKind, Observe, Stats};

/// What every registered pool reported at one moment, or what they did between two
/// ([`since`](Snapshot::since)). `Display` prints it as a table whose columns are padded
/// to at most 64 characters; a longer name is printed whole.
///
/// ```
/// use poolside_monitor::Registry;
/// use poolside_object::ObjectPool;
///
/// let registry = Registry::new();
/// let pool: ObjectPool<String> = ObjectPool::new();
/// registry.register("strings", &pool)?;
/// for _ in 0..4 {
///     pool.get().push_str("hello");
/// }
/// let table = registry.snapshot().to_string();
/// assert!(table.contains("strings"));
/// assert!(table.contains("75.0%"), "{table}"); // 3 of 4 gets reused an object
/// # Ok::<(), poolside_core::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Snapshot {
    #[cfg_attr(feature = "serde", serde(skip))]
    taken: Instant,
    /// Serialized as `span_seconds`, a float, and only for a snapshot over a span.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "span_seconds",
            skip_serializing_if = "Option::is_none",
            serialize_with = "seconds"
        )
    )]
    span: Option<Duration>,
    pools: Vec<PoolSnapshot>,
}

/// One pool's statistics and extra metrics in a [`Snapshot`], with the derived values.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PoolSnapshot {
    /// The name it is registered under.
    pub name: String,
    /// Its core statistics.
    pub stats: Stats,
    /// The metrics it reports beyond [`Stats`] ([`Observe::visit_metrics`]).
    pub metrics: Vec<Metric>,
    /// The share of gets served by an idle object, or `None` before the first get.
    pub hit_rate: Option<f64>,
    /// The share of returned objects that were dropped, or `None` before the first put.
    pub discard_rate: Option<f64>,
    /// The average retained bytes of an idle object, or `None` when none is idle.
    pub avg_idle_bytes: Option<f64>,
}

/// A span as seconds, for serializing.
#[cfg(feature = "serde")]
fn seconds<S: serde::Serializer>(span: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(span.map_or(0.0, |d| d.as_secs_f64()))
}

/// The growth of a pool's own counter since `earlier`'s metric of the same name (0 where
/// it went down); a gauge as it is.
fn metric_since(now: &Metric, earlier: &[Metric]) -> Metric {
    let mut m = now.clone();
    if m.kind == MetricKind::Counter {
        let then = earlier
            .iter()
            .find(|e| e.name == m.name && e.kind == m.kind);
        m.value = (m.value - then.map_or(0.0, |e| e.value)).max(0.0);
    }
    m
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl PoolSnapshot {
    pub(crate) fn of(name: &str, pool: &dyn Observe) -> Self {
        let mut metrics = Vec::new();
        pool.visit_metrics(&mut |m| metrics.push(m));
        Self::new(name.to_owned(), pool.stats(), metrics)
    }

    fn new(name: String, stats: Stats, metrics: Vec<Metric>) -> Self {
        PoolSnapshot {
            name,
            hit_rate: stats.hit_rate(),
            discard_rate: ratio(stats.discards.total(), stats.puts),
            avg_idle_bytes: ratio(stats.idle_bytes, stats.idle_objects),
            stats,
            metrics,
        }
    }

    /// The share of gets served by an idle object, or `None` before the first get.
    pub fn hit_rate(&self) -> Option<f64> {
        self.hit_rate
    }
}

impl Snapshot {
    pub(crate) fn new(taken: Instant, pools: Vec<PoolSnapshot>) -> Self {
        Snapshot {
            taken,
            span: None,
            pools,
        }
    }

    /// When it was taken.
    pub fn taken(&self) -> Instant {
        self.taken
    }

    /// Each pool's part, in registration order.
    pub fn pools(&self) -> &[PoolSnapshot] {
        &self.pools
    }

    /// The part of the pool registered as `name`, if it was alive.
    pub fn get(&self, name: &str) -> Option<&PoolSnapshot> {
        self.pools.iter().find(|p| p.name == name)
    }

    /// What happened between `earlier` and this snapshot, as a snapshot over that span:
    /// each pool's counters as their growth (0 where one went down, as when a pool was
    /// replaced under the same name), its own counters the same way, its gauges as they
    /// are now, and the rates from those counts. Pools missing from either snapshot are
    /// left out. Call it on snapshots of a moment: on one over a span its counts are
    /// growths already.
    ///
    /// ```
    /// use poolside_monitor::Registry;
    /// use poolside_object::ObjectPool;
    ///
    /// let registry = Registry::new();
    /// let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
    /// registry.register("buffers", &pool)?;
    /// drop(pool.get());
    /// let before = registry.snapshot();
    /// for _ in 0..10 {
    ///     drop(pool.get());
    /// }
    /// let during = registry.snapshot().since(&before);
    /// let buffers = during.get("buffers").unwrap();
    /// assert_eq!((buffers.stats.gets, buffers.stats.hits), (10, 10));
    /// assert_eq!(buffers.hit_rate, Some(1.0));
    /// assert!(during.span().is_some());
    /// println!("{during}");
    /// # Ok::<(), poolside_core::ConfigError>(())
    /// ```
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        let pools = self
            .pools
            .iter()
            .filter_map(|now| {
                let then = earlier.get(&now.name)?;
                let stats = now.stats.since(&then.stats);
                let metrics = now
                    .metrics
                    .iter()
                    .map(|m| metric_since(m, &then.metrics))
                    .collect();
                Some(PoolSnapshot::new(now.name.clone(), stats, metrics))
            })
            .collect();
        Snapshot {
            taken: self.taken,
            span: Some(self.taken.saturating_duration_since(earlier.taken)),
            pools,
        }
    }

    /// The span a snapshot from [`since`](Snapshot::since) covers; `None` for one taken at
    /// a moment.
    pub fn span(&self) -> Option<Duration> {
        self.span
    }

    /// `count` per second over the span, or `None` for a snapshot of a moment or a span
    /// of no length.
    ///
    /// ```
    /// # use poolside_monitor::Registry;
    /// let registry = Registry::new();
    /// let now = registry.snapshot();
    /// assert_eq!(now.per_second(5), None);
    /// assert_eq!(now.since(&now).per_second(5), None, "no time passed");
    /// ```
    pub fn per_second(&self, count: u64) -> Option<f64> {
        let seconds = self.span?.as_secs_f64();
        (seconds > 0.0).then(|| count as f64 / seconds)
    }
}

/// A share as a percentage, or `-` when there is none.
fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".into(), |s| format!("{:.1}%", s * 100.0))
}

/// A byte count in the largest binary unit that keeps it at or above 1.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The widest a column is padded to. A longer cell (a pool's name can be any length) is
/// written whole and pushes the rest of its own row to the right, not every row.
const MAX_WIDTH: usize = 64;

/// A left-aligned first column as wide as its longest entry (up to [`MAX_WIDTH`]), then
/// right-aligned columns.
///
/// It pads by hand: a format width (`{:<w$}`) above `u16::MAX` panics.
fn table(f: &mut fmt::Formatter<'_>, rows: &[Vec<String>]) -> fmt::Result {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            let widest = rows.iter().map(|r| r[c].chars().count()).max();
            widest.unwrap_or(0).min(MAX_WIDTH)
        })
        .collect();
    let pad = |f: &mut fmt::Formatter<'_>, cell: &str, width: usize| {
        let len = cell.chars().count();
        (len..width).try_for_each(|_| f.write_char(' '))
    };
    for row in rows {
        for (c, cell) in row.iter().enumerate() {
            if c == 0 {
                f.write_str(cell)?;
                pad(f, cell, widths[0])?;
            } else {
                f.write_str("  ")?;
                pad(f, cell, widths[c])?;
                f.write_str(cell)?;
            }
        }
        writeln!(f)?;
    }
    Ok(())
}

/// A name as the table shows it: control characters (a newline, say) escaped, so that
/// one pool is one line.
fn shown(name: &str) -> String {
    if name.chars().any(char::is_control) {
        name.escape_debug().to_string()
    } else {
        name.to_owned()
    }
}

impl fmt::Display for Snapshot {
    /// The core statistics that have a column heading, in their order, with the hit rate
    /// beside the hits and misses it comes from; a snapshot over a span first says how
    /// long it was.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(span) = self.span {
            writeln!(f, "over {span:?}")?;
        }
        let columns: Vec<&Statistic> = STATISTICS.iter().filter(|s| s.column.is_some()).collect();
        let hit_rate_at = 1 + columns
            .iter()
            .position(|s| s.name == "misses")
            .map_or(columns.len(), |i| i + 1);
        let mut header: Vec<String> = ["pool"]
            .into_iter()
            .chain(columns.iter().filter_map(|s| s.column))
            .map(String::from)
            .collect();
        header.insert(hit_rate_at, "hit rate".into());
        let mut rows = vec![header];
        for p in &self.pools {
            let mut row = vec![shown(&p.name)];
            row.extend(columns.iter().map(|stat| {
                let value = (stat.read)(&p.stats);
                // A byte count carries its unit as the name's suffix, as in OpenMetrics.
                if stat.name.ends_with("_bytes") {
                    bytes(value)
                } else {
                    value.to_string()
                }
            }));
            row.insert(hit_rate_at, percent(p.hit_rate));
            rows.push(row);
        }
        table(f, &rows)?;
        for p in self.pools.iter().filter(|p| !p.metrics.is_empty()) {
            let metrics: Vec<String> = p
                .metrics
                .iter()
                .map(|m| format!("{} {}", m.name, m.value))
                .collect();
            writeln!(f, "{}: {}", shown(&p.name), metrics.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_pick_the_largest_unit_at_or_above_one() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes(3 << 20), "3.0 MiB");
        assert_eq!(bytes(u64::MAX), "16777216.0 TiB");
    }

    #[test]
    fn percent_shows_a_missing_share_as_a_dash() {
        assert_eq!(percent(None), "-");
        assert_eq!(percent(Some(0.5)), "50.0%");
    }

    /// A table of `rows` as `Display` prints it.
    struct Table(Vec<Vec<String>>);

    impl fmt::Display for Table {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            table(f, &self.0)
        }
    }

    #[test]
    fn a_table_aligns_its_columns_up_to_the_widest_padding() {
        let rows = |cells: &[[&str; 2]]| {
            Table(cells.iter().map(|r| r.map(String::from).to_vec()).collect()).to_string()
        };
        assert_eq!(
            rows(&[["pool", "gets"], ["ab", "12345"]]),
            "pool   gets\nab    12345\n"
        );
        let long = "x".repeat(MAX_WIDTH + 10);
        let shown = rows(&[["pool", "gets"], [&long, "1"]]);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[0], format!("pool{}  gets", " ".repeat(MAX_WIDTH - 4)));
        assert_eq!(lines[1], format!("{long}     1"));
    }

    #[test]
    fn names_with_control_characters_stay_on_one_line() {
        assert_eq!(shown("a\nb"), "a\\nb");
        assert_eq!(shown("plain"), "plain");
    }
}

//! Snapshots of the registered pools, the values derived from them, rates over an
//! interval, and the terminal tables.

use std::fmt::{self, Write as _};
use std::time::Instant;

use poolside_core::internals::{Statistic, STATISTICS};
use poolside_core::{MetricKind, Observe, Stats};

/// What every registered pool reported at one moment. `Display` prints it as a table
/// whose columns are padded to at most 64 characters; a longer name is printed whole.
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
/// # Ok::<(), poolside_monitor::RegisterError>(())
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Snapshot {
    #[cfg_attr(feature = "serde", serde(skip))]
    taken: Instant,
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
    pub metrics: Vec<MetricValue>,
    /// The share of gets served by an idle object, or `None` before the first get.
    pub hit_rate: Option<f64>,
    /// The share of returned objects that were dropped, or `None` before the first put.
    pub discard_rate: Option<f64>,
    /// The average retained bytes of an idle object, or `None` when none is idle.
    pub avg_idle_bytes: Option<f64>,
}

/// One extra metric's value, owned ([`poolside_core::Metric`] borrows from its pool).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct MetricValue {
    /// Its snake_case name, unique within the pool.
    pub name: String,
    /// What it measures.
    pub help: String,
    /// Whether it is a counter or a gauge.
    pub kind: MetricKind,
    /// Its value at the snapshot.
    pub value: f64,
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl PoolSnapshot {
    pub(crate) fn of(name: &str, pool: &dyn Observe) -> Self {
        let stats = pool.stats();
        let mut metrics = Vec::new();
        pool.visit_metrics(&mut |m| {
            metrics.push(MetricValue {
                name: m.name.to_owned(),
                help: m.help.to_owned(),
                kind: m.kind,
                value: m.value,
            })
        });
        PoolSnapshot {
            name: name.to_owned(),
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
        Snapshot { taken, pools }
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

    /// What happened between `earlier` and this snapshot: each pool's counts and rates
    /// per second over the interval. Pools missing from either snapshot are left out.
    /// A counter that went down (a pool replaced under the same name) counts as 0.
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
    /// let interval = registry.snapshot().since(&before);
    /// let buffers = &interval.pools()[0];
    /// assert_eq!((buffers.gets, buffers.hits), (10, 10));
    /// assert_eq!(buffers.hit_rate(), Some(1.0));
    /// println!("{interval}");
    /// # Ok::<(), poolside_monitor::RegisterError>(())
    /// ```
    pub fn since(&self, earlier: &Snapshot) -> Interval {
        let seconds = self
            .taken
            .saturating_duration_since(earlier.taken)
            .as_secs_f64();
        let pools = self
            .pools
            .iter()
            .filter_map(|now| {
                let then = earlier.get(&now.name)?;
                let d = |f: fn(&Stats) -> u64| f(&now.stats).saturating_sub(f(&then.stats));
                Some(PoolInterval {
                    name: now.name.clone(),
                    gets: d(|s| s.gets),
                    hits: d(|s| s.hits),
                    misses: d(|s| s.misses),
                    puts: d(|s| s.puts),
                    discards: d(|s| s.discards.total()),
                    seconds,
                })
            })
            .collect();
        Interval { seconds, pools }
    }
}

/// What happened between two snapshots ([`Snapshot::since`]). `Display` prints it as a
/// table of rates per second.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Interval {
    seconds: f64,
    pools: Vec<PoolInterval>,
}

impl Interval {
    /// Its length in seconds.
    pub fn seconds(&self) -> f64 {
        self.seconds
    }

    /// Each pool's counts over the interval.
    pub fn pools(&self) -> &[PoolInterval] {
        &self.pools
    }
}

/// One pool's counts over an [`Interval`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PoolInterval {
    /// The name it is registered under.
    pub name: String,
    /// Gets in the interval.
    pub gets: u64,
    /// Gets served by an idle object.
    pub hits: u64,
    /// Gets that made a new object.
    pub misses: u64,
    /// Objects given back.
    pub puts: u64,
    /// Returned objects dropped, whatever the reason.
    pub discards: u64,
    /// The interval's length in seconds.
    pub seconds: f64,
}

impl PoolInterval {
    /// `count` per second over the interval, or `None` for an interval of no length.
    pub fn per_second(&self, count: u64) -> Option<f64> {
        (self.seconds > 0.0).then(|| count as f64 / self.seconds)
    }

    /// The hit rate within the interval, or `None` if it had no get.
    pub fn hit_rate(&self) -> Option<f64> {
        ratio(self.hits, self.gets)
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
    /// beside the hits and misses it comes from.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "over {:?}",
            std::time::Duration::from_secs_f64(self.seconds)
        )?;
        let rate = |p: &PoolInterval, n| {
            p.per_second(n)
                .map_or_else(|| "-".into(), |r| format!("{r:.0}"))
        };
        let mut rows = vec![[
            "pool",
            "gets/s",
            "hits/s",
            "misses/s",
            "puts/s",
            "discards/s",
            "hit rate",
        ]
        .map(String::from)
        .to_vec()];
        for p in &self.pools {
            rows.push(vec![
                shown(&p.name),
                rate(p, p.gets),
                rate(p, p.hits),
                rate(p, p.misses),
                rate(p, p.puts),
                rate(p, p.discards),
                percent(p.hit_rate()),
            ]);
        }
        table(f, &rows)
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

//! The Prometheus exporter: a collector for the `prometheus-client` crate.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use poolside_core::{MetricKind, Stats};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use crate::{Registry, Snapshot};

/// Exports every pool in a [`Registry`] through a `prometheus-client` registry, so that
/// the pools appear beside the metrics a service already serves. Each scrape takes a
/// fresh snapshot.
///
/// Every metric carries the pool's name as the label `pool`; discards also carry
/// `reason`. The core statistics become `poolside_gets_total`, `poolside_hits_total`,
/// ... (counters) and `poolside_idle_objects`, `poolside_idle_bytes`, ... (gauges). A
/// pool's own metrics become `poolside_<name>`. If two pools report a metric of one
/// name with different kinds, the first kind wins and the other pool's value is left out.
///
/// `prometheus-client` writes label values and help text as they are, so this
/// collector escapes them itself as OpenMetrics requires (`\\`, `\"` and `\n`): a pool
/// may have any name.
///
/// ```
/// use poolside_monitor::{PrometheusCollector, Registry};
/// use poolside_object::ObjectPool;
///
/// let pools = Registry::new();
/// let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
/// pools.register("buffers", &pool)?;
/// drop(pool.get());
///
/// let mut metrics = prometheus_client::registry::Registry::default();
/// metrics.register_collector(Box::new(PrometheusCollector::new(&pools)));
/// let mut text = String::new();
/// prometheus_client::encoding::text::encode(&mut text, &metrics)?;
/// assert!(text.contains("poolside_gets_total{pool=\"buffers\"} 1"), "{text}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PrometheusCollector {
    registry: Registry,
}

impl PrometheusCollector {
    /// A collector of `registry`'s pools (it shares the registry, so pools registered
    /// later are exported too).
    pub fn new(registry: &Registry) -> Self {
        PrometheusCollector {
            registry: registry.clone(),
        }
    }
}

/// How to read one statistic.
type Read = fn(&Stats) -> u64;

/// The core statistics as exported: name, help, kind, and how to read it.
const STATS: &[(&str, &str, MetricKind, Read)] = &[
    ("gets", "Objects handed out.", MetricKind::Counter, |s| {
        s.gets
    }),
    (
        "hits",
        "Gets served by an idle object.",
        MetricKind::Counter,
        |s| s.hits,
    ),
    (
        "misses",
        "Gets that made a new object.",
        MetricKind::Counter,
        |s| s.misses,
    ),
    (
        "prewarmed",
        "Objects made ahead of time.",
        MetricKind::Counter,
        |s| s.prewarmed,
    ),
    ("puts", "Objects given back.", MetricKind::Counter, |s| {
        s.puts
    }),
    (
        "detached",
        "Objects taken out of the pool for good.",
        MetricKind::Counter,
        |s| s.detached,
    ),
    (
        "adopted",
        "Objects that joined from another pool of the same family.",
        MetricKind::Counter,
        |s| s.adopted,
    ),
    (
        "trims",
        "Trim or decay calls that released something.",
        MetricKind::Counter,
        |s| s.trims,
    ),
    (
        "trimmed",
        "Idle objects released by trim or decay.",
        MetricKind::Counter,
        |s| s.trimmed,
    ),
    (
        "idle_objects",
        "Objects idle in the pool.",
        MetricKind::Gauge,
        |s| s.idle_objects,
    ),
    (
        "idle_bytes",
        "Retained bytes of the idle objects.",
        MetricKind::Gauge,
        |s| s.idle_bytes,
    ),
    (
        "in_use",
        "Objects handed out and not yet given back.",
        MetricKind::Gauge,
        |s| s.in_use,
    ),
    (
        "high_water",
        "The most objects in use at once, where the pool counts them.",
        MetricKind::Gauge,
        |s| s.high_water,
    ),
];

/// The discard reasons, as the `reason` label.
const DISCARDS: &[(&str, Read)] = &[
    ("pool_full", |s| s.discards.pool_full),
    ("oversized", |s| s.discards.oversized),
    ("rejected", |s| s.discards.rejected),
    ("reset_panicked", |s| s.discards.reset_panicked),
    ("holder_panicked", |s| s.discards.holder_panicked),
];

impl Collector for PrometheusCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        let snapshot = self.registry.snapshot();
        for &(name, help, kind, read) in STATS {
            let name = format!("poolside_{name}");
            let values = snapshot
                .pools()
                .iter()
                .map(|p| (p.name.as_str(), read(&p.stats) as f64));
            family(&mut encoder, &name, help, kind, values)?;
        }
        encode_discards(&mut encoder, &snapshot)?;
        encode_own_metrics(&mut encoder, &snapshot)
    }
}

fn encode_discards(encoder: &mut DescriptorEncoder<'_>, snapshot: &Snapshot) -> fmt::Result {
    let counter = ConstCounter::new(0u64);
    let mut metric = encoder.encode_descriptor(
        "poolside_discards",
        "Returned objects dropped instead of kept, by reason.",
        None,
        counter.metric_type(),
    )?;
    for pool in snapshot.pools() {
        for &(reason, read) in DISCARDS {
            let labels = [("pool", Escaped(&pool.name)), ("reason", Escaped(reason))];
            ConstCounter::new(read(&pool.stats)).encode(metric.encode_family(&labels)?)?;
        }
    }
    Ok(())
}

/// The metrics pools report beyond the core statistics, one family per name.
fn encode_own_metrics(encoder: &mut DescriptorEncoder<'_>, snapshot: &Snapshot) -> fmt::Result {
    /// Help, kind, and each pool's value.
    type Family<'a> = (String, MetricKind, Vec<(&'a str, f64)>);
    let mut families: BTreeMap<String, Family<'_>> = BTreeMap::new();
    for pool in snapshot.pools() {
        for m in &pool.metrics {
            let name = format!("poolside_{}", metric_name(&m.name));
            let family = families
                .entry(name)
                .or_insert_with(|| (m.help.clone(), m.kind, Vec::new()));
            if family.1 == m.kind {
                family.2.push((&pool.name, m.value));
            }
        }
    }
    for (name, (help, kind, values)) in &families {
        family(encoder, name, help, *kind, values.iter().copied())?;
    }
    Ok(())
}

/// One metric family: a descriptor, then one sample per pool.
fn family<'a>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    kind: MetricKind,
    values: impl Iterator<Item = (&'a str, f64)>,
) -> fmt::Result {
    let help = escape(help);
    let is_counter = kind == MetricKind::Counter;
    let metric_type = if is_counter {
        ConstCounter::new(0.0f64).metric_type()
    } else {
        ConstGauge::new(0.0f64).metric_type()
    };
    let mut metric = encoder.encode_descriptor(name, &help, None, metric_type)?;
    for (pool, value) in values {
        let labels = [("pool", Escaped(pool))];
        let sample = metric.encode_family(&labels)?;
        if is_counter {
            ConstCounter::new(value).encode(sample)?;
        } else {
            ConstGauge::new(value).encode(sample)?;
        }
    }
    Ok(())
}

/// A metric name as OpenMetrics allows it: `[a-zA-Z0-9_]`, other characters as `_`.
fn metric_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Text escaped as OpenMetrics label values and help text require.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A label value that is escaped when encoded.
#[derive(Debug)]
struct Escaped<'a>(&'a str);

impl EncodeLabelValue for Escaped<'_> {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> fmt::Result {
        encoder.write_str(&escape(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_follows_openmetrics() {
        assert_eq!(escape(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape("line\nbreak"), "line\\nbreak");
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn metric_names_keep_only_allowed_characters() {
        assert_eq!(metric_name("queue-depth.now"), "queue_depth_now");
        assert_eq!(metric_name("tasks_2"), "tasks_2");
    }
}

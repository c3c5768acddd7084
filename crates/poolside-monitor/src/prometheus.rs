//! The Prometheus exporter: a collector for the `prometheus-client` crate.

use std::collections::{BTreeMap, BTreeSet};
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
/// ... (counters) and `poolside_idle_objects`, `poolside_idle_bytes`, ... (gauges).
///
/// A pool's own metrics ([`Observe::visit_metrics`](poolside_core::Observe::visit_metrics)) become
/// `poolside_<name>`, with each character outside `[a-zA-Z0-9_]` as `_`, and a counter's
/// trailing `_total` dropped, since its sample adds one (`sent_total` is exported as
/// `poolside_sent_total`, not `poolside_sent_total_total`). Pools that report a metric
/// of one exported name and kind share one family. One bad metric never breaks the
/// scrape; it is left out, in pool registration and visiting order, so the first claim
/// to a name wins:
///
/// - a name clash: the family, or a sample name its kind adds (`_total` and `_created`
///   for a counter), is one that a built-in family or an earlier family holds; the
///   family exists with the other kind; or the pool reported a metric of this exported
///   name already (`queue-depth` and `queue.depth`);
/// - an invalid value: a counter below 0 or NaN, which OpenMetrics forbids.
///
/// The gauge `poolside_skipped_metrics{pool, reason}` says how many of each pool's
/// metrics the scrape left out, with `reason` `name_clash` or `invalid_value`; alert on
/// it above 0.
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

/// Why a pool's own metric was left out of a scrape, as the `reason` label.
const SKIPPED: [&str; 2] = ["name_clash", "invalid_value"];

impl Collector for PrometheusCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        let snapshot = self.registry.snapshot();
        let own = OwnMetrics::of(&snapshot);
        for &(name, help, kind, read) in STATS {
            let name = format!("poolside_{name}");
            let values = snapshot
                .pools()
                .iter()
                .map(|p| (p.name.as_str(), read(&p.stats) as f64));
            family(&mut encoder, &name, help, kind, values)?;
        }
        encode_discards(&mut encoder, &snapshot)?;
        encode_skipped(&mut encoder, &snapshot, &own.skipped)?;
        for (name, (help, kind, values)) in &own.families {
            let values = values.iter().map(|&(_, pool, value)| (pool, value));
            family(&mut encoder, name, help, *kind, values)?;
        }
        Ok(())
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

/// How many of each pool's own metrics this scrape left out, by reason.
fn encode_skipped(
    encoder: &mut DescriptorEncoder<'_>,
    snapshot: &Snapshot,
    skipped: &[[u64; SKIPPED.len()]],
) -> fmt::Result {
    let gauge = ConstGauge::new(0u64);
    let mut metric = encoder.encode_descriptor(
        "poolside_skipped_metrics",
        "The pool's own metrics left out of this scrape, by reason: a name that clashes \
         with another family's, or a counter value below 0 or NaN.",
        None,
        gauge.metric_type(),
    )?;
    for (pool, counts) in snapshot.pools().iter().zip(skipped) {
        for (reason, &count) in SKIPPED.iter().zip(counts) {
            let labels = [("pool", Escaped(&pool.name)), ("reason", Escaped(reason))];
            ConstGauge::new(count).encode(metric.encode_family(&labels)?)?;
        }
    }
    Ok(())
}

/// Help, kind, and each pool's value with the pool's index in the snapshot.
type Family<'a> = (&'a str, MetricKind, Vec<(usize, &'a str, f64)>);

/// The metrics pools report beyond the core statistics, sorted into families, and what
/// was left out.
struct OwnMetrics<'a> {
    /// One family per exported name, in name order.
    families: BTreeMap<String, Family<'a>>,
    /// Per pool, in snapshot order, how many were left out for each of [`SKIPPED`].
    skipped: Vec<[u64; SKIPPED.len()]>,
}

impl<'a> OwnMetrics<'a> {
    /// Sorts the snapshot's own metrics, in registration and visiting order, so that the
    /// first claim to a name wins (see [`PrometheusCollector`] for the rule).
    fn of(snapshot: &'a Snapshot) -> Self {
        let mut claimed: BTreeSet<String> = STATS
            .iter()
            .flat_map(|&(name, _, kind, _)| claims(&format!("poolside_{name}"), kind))
            .chain(claims("poolside_discards", MetricKind::Counter))
            .chain(claims("poolside_skipped_metrics", MetricKind::Gauge))
            .collect();
        let mut families: BTreeMap<String, Family<'a>> = BTreeMap::new();
        let mut skipped = vec![[0; SKIPPED.len()]; snapshot.pools().len()];
        for (index, pool) in snapshot.pools().iter().enumerate() {
            for m in &pool.metrics {
                let counter = m.kind == MetricKind::Counter;
                if counter && (m.value.is_nan() || m.value < 0.0) {
                    skipped[index][1] += 1;
                    continue;
                }
                let name = family_name(&m.name, m.kind);
                let joined = match families.get_mut(&name) {
                    // A family of this name: the pool joins it once, if the kind agrees.
                    Some((_, kind, values)) => {
                        let fits =
                            *kind == m.kind && values.last().map_or(true, |&(i, ..)| i != index);
                        if fits {
                            values.push((index, &pool.name, m.value));
                        }
                        fits
                    }
                    // A new family, if no other family claims any of its sample names.
                    None => {
                        let names = claims(&name, m.kind);
                        let free = names.iter().all(|n| !claimed.contains(n));
                        if free {
                            claimed.extend(names);
                            let values = vec![(index, pool.name.as_str(), m.value)];
                            families.insert(name, (&m.help, m.kind, values));
                        }
                        free
                    }
                };
                if !joined {
                    skipped[index][0] += 1;
                }
            }
        }
        OwnMetrics { families, skipped }
    }
}

/// The exported family name of a pool's own metric: `poolside_` and the sanitised name,
/// without the `_total` that OpenMetrics adds to a counter's sample.
fn family_name(name: &str, kind: MetricKind) -> String {
    let name = metric_name(name);
    let name = match name.strip_suffix("_total") {
        Some(stem) if kind == MetricKind::Counter => stem,
        _ => &name,
    };
    format!("poolside_{name}")
}

/// The names a family of this kind takes in OpenMetrics: its own, and its samples'.
fn claims(family: &str, kind: MetricKind) -> Vec<String> {
    if kind == MetricKind::Counter {
        ["", "_total", "_created"]
            .iter()
            .map(|suffix| format!("{family}{suffix}"))
            .collect()
    } else {
        vec![family.to_owned()]
    }
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

    #[test]
    fn a_counter_family_drops_the_total_that_its_sample_adds() {
        assert_eq!(
            family_name("sent_total", MetricKind::Counter),
            "poolside_sent"
        );
        assert_eq!(
            family_name("sent-total", MetricKind::Counter),
            "poolside_sent"
        );
        assert_eq!(
            family_name("sent_total", MetricKind::Gauge),
            "poolside_sent_total"
        );
        assert_eq!(family_name("sent", MetricKind::Counter), "poolside_sent");
    }

    #[test]
    fn a_counter_claims_its_sample_names() {
        assert_eq!(
            claims("poolside_x", MetricKind::Counter),
            ["poolside_x", "poolside_x_total", "poolside_x_created"]
        );
        assert_eq!(claims("poolside_x", MetricKind::Gauge), ["poolside_x"]);
    }
}

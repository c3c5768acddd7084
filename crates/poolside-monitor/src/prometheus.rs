//! The Prometheus exporter: a collector for the `prometheus-client` crate.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

use poolside_core::{MetricKind, Statistic, STATISTICS};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeCounterValue, EncodeGaugeValue, EncodeLabelSet, EncodeLabelValue,
    EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

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

/// Why a pool's own metric was left out of a scrape, as the `reason` label.
const SKIPPED: [&str; 2] = ["name_clash", "invalid_value"];

impl Collector for PrometheusCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        let snapshot = self.registry.snapshot();
        let own = OwnMetrics::of(&snapshot);
        // The core statistics: single counts first, then those split by reason (whose
        // samples are whole numbers).
        for stat in STATISTICS.iter().filter(|s| s.by_reason.is_empty()) {
            let samples = snapshot.pools().iter().map(|p| {
                let labels = [("pool", Escaped(&p.name))];
                (labels, (stat.read)(&p.stats) as f64)
            });
            family(&mut encoder, &builtin(stat), stat.help, stat.kind, samples)?;
        }
        for stat in STATISTICS.iter().filter(|s| !s.by_reason.is_empty()) {
            let samples = snapshot.pools().iter().flat_map(|p| {
                stat.by_reason.iter().map(|&(reason, read)| {
                    let labels = [("pool", Escaped(&p.name)), ("reason", Escaped(reason))];
                    (labels, read(&p.stats))
                })
            });
            family(&mut encoder, &builtin(stat), stat.help, stat.kind, samples)?;
        }
        let skipped = snapshot
            .pools()
            .iter()
            .zip(&own.skipped)
            .flat_map(|(p, counts)| {
                SKIPPED.iter().zip(counts).map(|(reason, &count)| {
                    let labels = [("pool", Escaped(&p.name)), ("reason", Escaped(reason))];
                    (labels, count)
                })
            });
        family(
            &mut encoder,
            SKIPPED_FAMILY,
            "The pool's own metrics left out of this scrape, by reason: a name that clashes \
             with another family's, or a counter value below 0 or NaN.",
            MetricKind::Gauge,
            skipped,
        )?;
        for (name, (help, kind, values)) in &own.families {
            let samples = values
                .iter()
                .map(|&(_, pool, value)| ([("pool", Escaped(pool))], value));
            family(&mut encoder, name, help, *kind, samples)?;
        }
        Ok(())
    }
}

/// The family name of a core statistic.
fn builtin(stat: &Statistic) -> String {
    format!("poolside_{}", stat.name)
}

/// The family that counts the pools' own metrics a scrape left out.
const SKIPPED_FAMILY: &str = "poolside_skipped_metrics";

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
        let mut claimed: BTreeSet<String> = STATISTICS
            .iter()
            .flat_map(|stat| claims(&builtin(stat), stat.kind))
            .chain(claims(SKIPPED_FAMILY, MetricKind::Gauge))
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

/// One metric family: a descriptor, then its samples, each with its labels.
fn family<L, N>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    kind: MetricKind,
    samples: impl Iterator<Item = (L, N)>,
) -> fmt::Result
where
    L: EncodeLabelSet,
    N: EncodeCounterValue + EncodeGaugeValue,
{
    let help = escape(help);
    let metric_type = match kind {
        MetricKind::Counter => MetricType::Counter,
        _ => MetricType::Gauge,
    };
    let mut metric = encoder.encode_descriptor(name, &help, None, metric_type)?;
    for (labels, value) in samples {
        let sample = metric.encode_family(&labels)?;
        if kind == MetricKind::Counter {
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

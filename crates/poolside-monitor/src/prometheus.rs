//! The Prometheus exporter: a [`Registry`] is a collector for the `prometheus-client`
//! crate.

use std::fmt::{self, Write as _};

use poolside_core::internals::STATISTICS;
use poolside_core::MetricKind;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeCounterValue, EncodeGaugeValue, EncodeLabelSet, EncodeLabelValue,
    EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use crate::export::{builtin, OwnMetrics, SKIPPED, SKIPPED_FAMILY};
use crate::Registry;

/// A registry exports every pool in it through a `prometheus-client` registry, so that
/// the pools appear beside the metrics a service already serves. Register a clone of it
/// (clones share the pools, so pools registered later are exported too); each scrape
/// takes a fresh snapshot.
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
/// use poolside_monitor::Registry;
/// use poolside_object::ObjectPool;
///
/// let pools = Registry::new();
/// let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
/// pools.register("buffers", &pool)?;
/// drop(pool.get());
///
/// let mut metrics = prometheus_client::registry::Registry::default();
/// metrics.register_collector(Box::new(pools.clone()));
/// let mut text = String::new();
/// prometheus_client::encoding::text::encode(&mut text, &metrics)?;
/// assert!(text.contains("poolside_gets_total{pool=\"buffers\"} 1"), "{text}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Collector for Registry {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        let snapshot = self.snapshot();
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
}

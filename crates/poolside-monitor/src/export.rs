//! What both exporters share: the exported names of the core statistics and of each
//! pool's own metrics, and the rule that sorts a snapshot's own metrics into families,
//! leaving out those whose name clashes or whose value is invalid.

use std::collections::{BTreeMap, BTreeSet};

use poolside_core::internals::{Statistic, STATISTICS};
use poolside_core::MetricKind;

use crate::Snapshot;

/// Why a pool's own metric was left out of a scrape, as the `reason` label.
pub(crate) const SKIPPED: [&str; 2] = ["name_clash", "invalid_value"];

/// The family name of a core statistic.
pub(crate) fn builtin(stat: &Statistic) -> String {
    format!("poolside_{}", stat.name)
}

/// The family that counts the pools' own metrics a scrape left out.
pub(crate) const SKIPPED_FAMILY: &str = "poolside_skipped_metrics";

/// Help, kind, and each pool's value with the pool's index in the snapshot.
pub(crate) type Family<'a> = (&'a str, MetricKind, Vec<(usize, &'a str, f64)>);

/// The metrics pools report beyond the core statistics, sorted into families, and what
/// was left out.
pub(crate) struct OwnMetrics<'a> {
    /// One family per exported name, in name order.
    pub(crate) families: BTreeMap<String, Family<'a>>,
    /// Per pool, in snapshot order, how many were left out for each of [`SKIPPED`].
    pub(crate) skipped: Vec<[u64; SKIPPED.len()]>,
}

impl<'a> OwnMetrics<'a> {
    /// Sorts the snapshot's own metrics, in registration and visiting order, so that the
    /// first claim to a name wins (see the `Collector` impl of `Registry` for the rule).
    pub(crate) fn of(snapshot: &'a Snapshot) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;

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

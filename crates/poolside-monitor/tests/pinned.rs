//! Every exporter's exact output for one pool whose statistics all differ: the Prometheus
//! exposition, the terminal table and the JSON. Names, help texts, columns and the order
//! of fields are what dashboards and scripts read, so a change to any of them shows here.

use std::sync::Arc;

use poolside_core::{Observe, Stats};
use poolside_monitor::Registry;

/// A pool whose every statistic has a value of its own, so that a value read from the
/// wrong field shows.
struct Every;

impl Observe for Every {
    fn stats(&self) -> Stats {
        let mut s = Stats::default();
        s.gets = 101;
        s.hits = 61;
        s.misses = 40;
        s.prewarmed = 3;
        s.puts = 95;
        s.discards.pool_full = 1;
        s.discards.oversized = 2;
        s.discards.rejected = 4;
        s.discards.reset_panicked = 5;
        s.discards.holder_panicked = 6;
        s.detached = 7;
        s.adopted = 8;
        s.trims = 9;
        s.trimmed = 10;
        s.idle_objects = 11;
        s.idle_bytes = 3 << 20;
        s.in_use = 12;
        s.high_water = 13;
        s
    }
}

fn registry() -> (Registry, Arc<Every>) {
    let registry = Registry::new();
    let every = Arc::new(Every);
    registry.register("every", &every).unwrap();
    (registry, every)
}

#[test]
fn the_prometheus_exposition_is_pinned() {
    let (pools, _every) = registry();
    let mut registry = prometheus_client::registry::Registry::default();
    registry.register_collector(Box::new(pools.clone()));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    assert_eq!(text, EXPOSITION, "{text}");
}

#[test]
fn the_table_is_pinned() {
    let (pools, _every) = registry();
    let table = pools.snapshot().to_string();
    assert_eq!(table, TABLE, "{table}");
}

#[test]
fn the_json_is_pinned() {
    let (pools, _every) = registry();
    let json = serde_json::to_string(&pools.snapshot()).unwrap();
    assert_eq!(json, JSON, "{json}");
}

const EXPOSITION: &str = r##"# HELP poolside_gets Objects handed out.
# TYPE poolside_gets counter
poolside_gets_total{pool="every"} 101.0
# HELP poolside_hits Gets served by an idle object.
# TYPE poolside_hits counter
poolside_hits_total{pool="every"} 61.0
# HELP poolside_misses Gets that made a new object.
# TYPE poolside_misses counter
poolside_misses_total{pool="every"} 40.0
# HELP poolside_prewarmed Objects made ahead of time.
# TYPE poolside_prewarmed counter
poolside_prewarmed_total{pool="every"} 3.0
# HELP poolside_puts Objects given back.
# TYPE poolside_puts counter
poolside_puts_total{pool="every"} 95.0
# HELP poolside_detached Objects taken out of the pool for good.
# TYPE poolside_detached counter
poolside_detached_total{pool="every"} 7.0
# HELP poolside_adopted Objects that joined from another pool of the same family.
# TYPE poolside_adopted counter
poolside_adopted_total{pool="every"} 8.0
# HELP poolside_trims Trim or decay calls that released something.
# TYPE poolside_trims counter
poolside_trims_total{pool="every"} 9.0
# HELP poolside_trimmed Idle objects released by trim or decay.
# TYPE poolside_trimmed counter
poolside_trimmed_total{pool="every"} 10.0
# HELP poolside_idle_objects Objects idle in the pool.
# TYPE poolside_idle_objects gauge
poolside_idle_objects{pool="every"} 11.0
# HELP poolside_idle_bytes Retained bytes of the idle objects.
# TYPE poolside_idle_bytes gauge
poolside_idle_bytes{pool="every"} 3145728.0
# HELP poolside_in_use Objects handed out and not yet given back.
# TYPE poolside_in_use gauge
poolside_in_use{pool="every"} 12.0
# HELP poolside_high_water The most objects in use at once, where the pool counts them.
# TYPE poolside_high_water gauge
poolside_high_water{pool="every"} 13.0
# HELP poolside_discards Returned objects dropped instead of kept, by reason.
# TYPE poolside_discards counter
poolside_discards_total{pool="every",reason="pool_full"} 1
poolside_discards_total{pool="every",reason="oversized"} 2
poolside_discards_total{pool="every",reason="rejected"} 4
poolside_discards_total{pool="every",reason="reset_panicked"} 5
poolside_discards_total{pool="every",reason="holder_panicked"} 6
# HELP poolside_skipped_metrics The pool's own metrics left out of this scrape, by reason: a name that clashes with another family's, or a counter value below 0 or NaN.
# TYPE poolside_skipped_metrics gauge
poolside_skipped_metrics{pool="every",reason="name_clash"} 0
poolside_skipped_metrics{pool="every",reason="invalid_value"} 0
# EOF
"##;

const TABLE: &str = "\
pool   gets  hits  misses  hit rate  puts  discards  idle  idle bytes  in use
every   101    61      40     60.4%    95        18    11     3.0 MiB      12
";

const JSON: &str = r#"{"pools":[{"name":"every","stats":{"gets":101,"hits":61,"misses":40,"prewarmed":3,"puts":95,"discards":{"pool_full":1,"oversized":2,"rejected":4,"reset_panicked":5,"holder_panicked":6},"detached":7,"adopted":8,"trims":9,"trimmed":10,"idle_objects":11,"idle_bytes":3145728,"in_use":12,"high_water":13},"metrics":[],"hit_rate":0.6039603960396039,"discard_rate":0.18947368421052632,"avg_idle_bytes":285975.2727272727}]}"#;

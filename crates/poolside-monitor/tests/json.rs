//! JSON export through serde: a snapshot serializes with every statistic and the
//! derived values.

use poolside_monitor::Registry;
use poolside_object::ObjectPool;
use serde_json::Value;

#[test]
fn a_snapshot_serializes_to_json() {
    let registry = Registry::new();
    let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
    registry.register("buf\"fers", &pool).unwrap();
    for _ in 0..4 {
        pool.get().push(1);
    }
    let snapshot = registry.snapshot();
    let json: Value = serde_json::from_str(&serde_json::to_string(&snapshot).unwrap()).unwrap();
    let p = &json["pools"][0];
    assert_eq!(p["name"], "buf\"fers");
    assert_eq!(p["stats"]["gets"], 4);
    assert_eq!(p["stats"]["hits"], 3);
    assert_eq!(p["stats"]["discards"]["pool_full"], 0);
    assert_eq!(p["hit_rate"], 0.75);
    assert_eq!(p["metrics"][0]["name"], "shared_idle_objects");
    assert_eq!(p["metrics"][0]["kind"], "gauge");
    assert!(
        json.get("taken").is_none(),
        "an Instant has no meaning outside the process"
    );

    let interval = registry.snapshot().since(&snapshot);
    let json = serde_json::to_value(&interval).unwrap();
    assert_eq!(json["pools"][0]["stats"]["gets"], 0);
    assert!(json["span_seconds"].as_f64().unwrap() >= 0.0, "{json}");
}

//! The Prometheus export parses, escaping included, checked two ways: a tokenizer here
//! that follows the OpenMetrics text format, and the OpenMetrics parser of Python's
//! `prometheus_client` (installed by the CI script; without it this part is skipped,
//! unless `POOLSIDE_CI` is set, as `cargo xtask ci` sets it).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::Arc;

use poolside_core::{Metric, MetricKind, Observe, Stats};
use poolside_monitor::Registry;
use poolside_object::ObjectPool;

/// One sample: metric name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

const AWKWARD: [&str; 4] = ["plain", "quo\"te", "back\\slash", "new\nline"];

struct Custom;

impl Observe for Custom {
    fn stats(&self) -> Stats {
        Stats::default()
    }
    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
        visit(Metric::gauge(
            "queue-depth",
            "Tasks \"waiting\" in C:\\queue\nnow.",
            2.5,
        ));
        visit(Metric::gauge("in_flight", "Tasks running.", 1.0));
    }
}

/// A pool whose own metrics collide with the built-in families, with `Custom`'s and
/// with each other, or have values no counter may have.
struct Clashing;

/// `Clashing`'s gets, which its own metric `gets` must not hide.
const CLASHING_GETS: u64 = 3;

impl Observe for Clashing {
    fn stats(&self) -> Stats {
        let mut stats = Stats::default();
        stats.gets = CLASHING_GETS;
        stats
    }
    fn visit_metrics(&self, visit: &mut dyn FnMut(Metric)) {
        let metrics: [(&str, MetricKind, f64); 11] = [
            // Name clashes, six of them.
            ("gets", MetricKind::Counter, 99.0), // a built-in counter
            ("idle_objects", MetricKind::Gauge, 5.0), // a built-in gauge
            ("queue-depth", MetricKind::Gauge, 1.0), // joins Custom's family
            ("queue.depth", MetricKind::Gauge, 2.0), // the same name once sanitised
            ("sent_total", MetricKind::Counter, 7.0), // exported as `poolside_sent_total`
            ("sent", MetricKind::Counter, 8.0),  // the same family as `sent_total`
            ("errors", MetricKind::Counter, 1.0),
            ("errors_total", MetricKind::Gauge, 2.0), // the counter `errors`'s sample name
            ("in-flight", MetricKind::Counter, 4.0),  // Custom's `in_flight` is a gauge
            // Values no counter may have, two of them.
            ("negative", MetricKind::Counter, -1.0),
            ("not_a_number", MetricKind::Counter, f64::NAN),
        ];
        for (name, kind, value) in metrics {
            visit(Metric {
                name: name.into(),
                help: "A metric of its own.".into(),
                kind,
                value,
            });
        }
    }
}

/// The pools an exposition reads, kept alive while it is checked.
type Held = (Vec<ObjectPool<Vec<u8>>>, Arc<Custom>, Arc<Clashing>);

/// Registers one object pool per awkward name (pool `i` gets `i + 1` gets), a pool with
/// metrics of its own and a pool whose metrics clash, and returns the exposition text.
fn exposition() -> (String, Held) {
    let pools = Registry::new();
    let held: Vec<ObjectPool<Vec<u8>>> = AWKWARD.iter().map(|_| ObjectPool::new()).collect();
    for (i, (name, pool)) in AWKWARD.iter().zip(&held).enumerate() {
        pools.register(*name, pool).unwrap();
        for _ in 0..=i {
            drop(pool.get());
        }
    }
    let custom = Arc::new(Custom);
    pools.register("custom", &custom).unwrap();
    let clashing = Arc::new(Clashing);
    pools.register("clashing", &clashing).unwrap();
    let mut registry = prometheus_client::registry::Registry::default();
    registry.register_collector(Box::new(pools.clone()));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    (text, (held, custom, clashing))
}

/// Reads an escaped string up to its closing quote: `\\`, `\"` and `\n` are the only
/// escapes OpenMetrics defines. Returns the text and the rest after the quote.
fn unescape_quoted(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &s[i + 1..]),
            '\\' => match chars.next() {
                Some((_, '\\')) => out.push('\\'),
                Some((_, '"')) => out.push('"'),
                Some((_, 'n')) => out.push('\n'),
                other => panic!("invalid escape {other:?} in {s:?}"),
            },
            '\n' => panic!("raw newline in a quoted string: {s:?}"),
            c => out.push(c),
        }
    }
    panic!("unterminated string: {s:?}")
}

/// The samples of an OpenMetrics text exposition, and each family's unescaped help.
///
/// Like Python's parser, it refuses a family whose name, or a sample name its type
/// allows, another family already claimed; it also refuses a sample outside its family,
/// and a second sample of one name and label set, which Python's parser drops silently.
fn tokenize(text: &str) -> (Vec<Sample>, BTreeMap<String, String>) {
    assert!(text.ends_with("# EOF\n"), "no EOF marker");
    let mut samples = Vec::new();
    let mut help = BTreeMap::new();
    let mut claimed = BTreeSet::new();
    let mut allowed: Vec<String> = Vec::new();
    let mut series = BTreeSet::new();
    for line in text.lines() {
        if line == "# EOF" {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, text) = rest.split_once(' ').expect("HELP name text");
            // Help text escapes like a label value, without the quotes.
            let quoted = format!("{text}\"");
            let (unescaped, tail) = unescape_quoted(&quoted);
            assert!(tail.is_empty());
            help.insert(name.to_owned(), unescaped);
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name type");
            let suffixes: &[&str] = match kind {
                "counter" => &["", "_total", "_created"],
                "gauge" => &[""],
                other => panic!("unexpected type {other:?}"),
            };
            for suffix in suffixes {
                let claim = format!("{name}{suffix}");
                assert!(claimed.insert(claim.clone()), "Clashing name: {claim}");
            }
            allowed = match kind {
                "counter" => vec![format!("{name}_total")],
                _ => vec![name.to_owned()],
            };
            continue;
        }
        if line.starts_with("# UNIT ") {
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment line {line:?}");
        let name_end = line.find(['{', ' ']).expect("a sample line");
        let name = &line[..name_end];
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "metric name {name:?}"
        );
        let mut rest = &line[name_end..];
        let mut labels = BTreeMap::new();
        if let Some(mut l) = rest.strip_prefix('{') {
            loop {
                if let Some(after) = l.strip_prefix('}') {
                    rest = after;
                    break;
                }
                let (key, after) = l.split_once("=\"").expect("label=\"value\"");
                let (value, after) = unescape_quoted(after);
                labels.insert(key.to_owned(), value);
                l = after.strip_prefix(',').unwrap_or(after);
            }
        }
        let value = rest
            .trim()
            .parse::<f64>()
            .unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert!(
            allowed.iter().any(|a| a == name),
            "sample {name:?} outside its family {allowed:?}"
        );
        assert!(
            series.insert((name.to_owned(), labels.clone())),
            "a second sample of one name and label set: {line:?}"
        );
        samples.push((name.to_owned(), labels, value));
    }
    (samples, help)
}

fn value(samples: &[Sample], name: &str, pool: &str) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| n == name && l.get("pool").map(String::as_str) == Some(pool))
        .map(|s| s.2)
}

#[test]
fn every_pool_name_survives_the_round_trip() {
    let (text, (held, _, _)) = exposition();
    let (samples, help) = tokenize(&text);
    let pools: BTreeSet<&str> = samples
        .iter()
        .filter_map(|(_, l, _)| l.get("pool").map(String::as_str))
        .collect();
    let expected: BTreeSet<&str> = AWKWARD
        .iter()
        .copied()
        .chain(["custom", "clashing"])
        .collect();
    assert_eq!(pools, expected, "{text}");
    for (i, (name, pool)) in AWKWARD.iter().zip(&held).enumerate() {
        assert_eq!(
            value(&samples, "poolside_gets_total", name),
            Some(i as f64 + 1.0)
        );
        assert_eq!(
            value(&samples, "poolside_gets_total", name),
            Some(pool.stats().gets as f64)
        );
        assert_eq!(value(&samples, "poolside_idle_objects", name), Some(1.0));
    }
    assert_eq!(value(&samples, "poolside_queue_depth", "custom"), Some(2.5));
    assert_eq!(
        help["poolside_queue_depth"],
        "Tasks \"waiting\" in C:\\queue\nnow."
    );
    let discards = samples
        .iter()
        .filter(|(n, l, _)| n == "poolside_discards_total" && l["pool"] == "plain")
        .count();
    assert_eq!(discards, 5, "one sample per discard reason");
}

/// The sample named `name` whose labels are `labels`.
fn labelled(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let labels: BTreeMap<String, String> = labels
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    samples
        .iter()
        .find(|(n, l, _)| n == name && *l == labels)
        .map(|s| s.2)
}

#[test]
fn a_bad_metric_is_left_out_and_counted() {
    let (text, _held) = exposition();
    // `tokenize` refuses clashing families and repeated samples, as Python's parser does.
    let (samples, help) = tokenize(&text);
    let clashing = |name| value(&samples, name, "clashing");
    assert_eq!(
        clashing("poolside_gets_total"),
        Some(CLASHING_GETS as f64),
        "the built-in family wins"
    );
    assert_eq!(clashing("poolside_idle_objects"), Some(0.0));
    assert_eq!(value(&samples, "poolside_queue_depth", "custom"), Some(2.5));
    assert_eq!(
        clashing("poolside_queue_depth"),
        Some(1.0),
        "the first of two metrics that sanitise to one name"
    );
    assert_eq!(
        clashing("poolside_sent_total"),
        Some(7.0),
        "`_total` not doubled"
    );
    assert!(
        samples.iter().all(|(n, _, _)| !n.ends_with("_total_total")),
        "{text}"
    );
    assert_eq!(clashing("poolside_errors_total"), Some(1.0));
    assert_eq!(help["poolside_errors"], "A metric of its own.");
    assert_eq!(value(&samples, "poolside_in_flight", "custom"), Some(1.0));
    assert_eq!(clashing("poolside_in_flight"), None, "the other kind");
    assert_eq!(clashing("poolside_in_flight_total"), None);
    assert_eq!(clashing("poolside_negative_total"), None);
    assert_eq!(clashing("poolside_not_a_number_total"), None);

    let skipped = |pool, reason| {
        labelled(
            &samples,
            "poolside_skipped_metrics",
            &[("pool", pool), ("reason", reason)],
        )
    };
    assert_eq!(skipped("clashing", "name_clash"), Some(6.0), "{text}");
    assert_eq!(skipped("clashing", "invalid_value"), Some(2.0));
    assert_eq!(skipped("custom", "name_clash"), Some(0.0));
    assert_eq!(skipped("plain", "invalid_value"), Some(0.0));
}

const PYTHON: &str = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        print(json.dumps([s.name, s.labels, s.value]))
"#;

#[test]
fn pythons_openmetrics_parser_reads_the_same_samples() {
    let (text, _held) = exposition();
    // The system's python3 is where the CI script's package manager installs the
    // module; a `python3` earlier on the PATH (a version manager's) may lack it.
    let python = ["python3", "/usr/bin/python3"].into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import prometheus_client"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(python) = python else {
        assert!(
            std::env::var_os("POOLSIDE_CI").is_none(),
            "python3 with prometheus_client is missing: .ci/run installs it"
        );
        eprintln!("skipped: python3 with prometheus_client is not installed");
        return;
    };
    let mut child = Command::new(python)
        .args(["-c", PYTHON])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python rejected the exposition: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut theirs: Vec<Sample> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // Python first, so that what it refuses is reported in its own words.
    let (mut ours, _) = tokenize(&text);
    let key = |s: &Sample| (s.0.clone(), s.1.clone());
    ours.sort_by_key(key);
    theirs.sort_by_key(key);
    assert_eq!(ours, theirs);
}

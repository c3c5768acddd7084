//! The Go side of `cargo xtask bench`: the benchmarks in `benches/go`, run with
//! `go test -bench` when `go` is on the PATH.
//!
//! Each Go benchmark is named after the Rust group it joins: `Benchmark_<group>` with
//! sub-benchmarks `<row>`, so `Benchmark_seed_1000x1k/go_sync_pool` is the row
//! `go_sync_pool` of `seed_1000x1k`. The output is Go's benchmark format, one line per
//! run: ns/op, B/op and allocs/op (`-benchmem`), and buffers/op where one op is a burst,
//! by which the figures are divided so that they read per buffer. With `-count` above 1,
//! a row's ns/op is the median over the runs, with their median absolute deviation.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::bench::Mode;
use crate::shell::{self, target_dir};

/// How to get Go, for the message when it is missing.
pub(crate) const INSTALL: &str = "apt-get install golang-go";

/// One row of a group's table, from Go.
pub(crate) struct GoRow {
    pub(crate) group: String,
    pub(crate) name: String,
    pub(crate) median: f64,
    pub(crate) mad: f64,
    pub(crate) bytes: f64,
    pub(crate) allocs: f64,
    /// Runs the figures come from.
    pub(crate) runs: usize,
}

/// What became of the Go side in this run.
pub(crate) enum Outcome {
    /// `go` is not on the PATH.
    Missing,
    /// No chosen group has a Go benchmark, so Go was not run.
    NotRun,
    /// Go's benchmarks failed or printed no figures; the message says why.
    Failed(String),
    /// Go ran; its rows, and its version as `go env GOVERSION` prints it (`go1.19.8`).
    Ran { version: String, rows: Vec<GoRow> },
}

impl Outcome {
    pub(crate) fn rows(&self) -> &[GoRow] {
        match self {
            Outcome::Ran { rows, .. } => rows,
            _ => &[],
        }
    }
}

/// `-benchtime` and `-count` per mode: about the criterion times of the same mode.
fn settings(mode: Mode) -> [&'static str; 4] {
    match mode {
        Mode::Quick => ["-benchtime", "0.3s", "-count", "5"],
        Mode::Full => ["-benchtime", "1s", "-count", "10"],
        Mode::Smoke => ["-benchtime", "100x", "-count", "1"],
    }
}

fn dir() -> std::path::PathBuf {
    shell::root().join("benches/go")
}

/// `go` in `benches/go`, with a build cache under `target/` unless one is set.
fn go(args: &[&str]) -> Command {
    let mut cmd = Command::new("go");
    cmd.current_dir(dir()).args(args);
    if std::env::var_os("GOCACHE").is_none() {
        cmd.env("GOCACHE", target_dir().join("go-cache"));
    }
    cmd
}

/// Runs the Go benchmarks of `groups`, writing Go's output to `log`.
pub(crate) fn run(mode: Mode, groups: &[&str], log: &Path) -> Outcome {
    if !shell::have("go", &["version"]) {
        return Outcome::Missing;
    }
    match run_go(mode, groups, log) {
        Ok(Some((version, rows))) => Outcome::Ran { version, rows },
        Ok(None) => Outcome::NotRun,
        Err(e) => Outcome::Failed(e),
    }
}

fn run_go(mode: Mode, groups: &[&str], log: &Path) -> Result<Option<(String, Vec<GoRow>)>, String> {
    let version = shell::capture_ok(&mut go(&["env", "GOVERSION"]), "go env GOVERSION")?;
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let listed = shell::capture_ok(
        &mut go(&["test", "-list", "^Benchmark_", "-run", "^$"]),
        "listing the Go benchmarks",
    )?;
    let wanted: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Benchmark_"))
        .filter(|g| groups.contains(g))
        .map(str::to_owned)
        .collect();
    if wanted.is_empty() {
        return Ok(None);
    }
    let pattern = format!("^Benchmark_({})$", wanted.join("|"));
    let settings = settings(mode);
    println!(
        "[go] {} Go benchmarks in benches/go ({version}, {}); Go's own output goes to {}",
        wanted.len(),
        settings.join(" "),
        crate::bench::relative(log)
    );
    let mut args = vec!["test", "-run", "^$", "-bench", &pattern, "-benchmem"];
    args.extend(settings);
    let out = shell::capture(&mut go(&args))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text += &String::from_utf8_lossy(&out.stderr);
    fs::write(log, &text).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    if !out.status.success() {
        return Err(format!(
            "`go test -bench` failed ({}); its output is in {}",
            out.status,
            crate::bench::relative(log)
        ));
    }
    let rows = parse(&text);
    for group in &wanted {
        if !rows.iter().any(|r| &r.group == group) {
            return Err(format!(
                "Benchmark_{group} printed no figures; Go's output is in {}",
                crate::bench::relative(log)
            ));
        }
    }
    Ok(Some((version, rows)))
}

/// One run's figures, per op as the report counts ops.
struct Figures {
    ns: f64,
    bytes: f64,
    allocs: f64,
}

/// `Benchmark_<group>/<row>-<procs>  <iterations>  <value> <unit>...` as
/// `(group, row, figures)`.
fn parse_line(line: &str) -> Option<(String, String, Figures)> {
    let mut fields = line.split_whitespace();
    let id = fields.next()?.strip_prefix("Benchmark_")?;
    let (group, row) = id.split_once('/')?;
    // The `-N` suffix is GOMAXPROCS.
    let row = match row.rsplit_once('-') {
        Some((name, procs)) if procs.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => row,
    };
    fields.next()?.parse::<u64>().ok()?;
    let rest: Vec<&str> = fields.collect();
    let mut metrics = BTreeMap::new();
    for pair in rest.chunks(2) {
        if let [value, unit] = pair {
            metrics.insert(*unit, value.parse::<f64>().ok()?);
        }
    }
    let per = metrics.get("buffers/op").copied().unwrap_or(1.0);
    if per <= 0.0 {
        return None;
    }
    let figure = |unit: &str| metrics.get(unit).map_or(f64::NAN, |v| v / per);
    Some((
        group.to_owned(),
        row.to_owned(),
        Figures {
            ns: *metrics.get("ns/op")? / per,
            bytes: figure("B/op"),
            allocs: figure("allocs/op"),
        },
    ))
}

/// Every row in Go's output, in the order first seen, each over all its runs.
fn parse(text: &str) -> Vec<GoRow> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut runs: BTreeMap<(String, String), Vec<Figures>> = BTreeMap::new();
    for (group, name, figures) in text.lines().filter_map(parse_line) {
        let key = (group, name);
        if !runs.contains_key(&key) {
            order.push(key.clone());
        }
        runs.entry(key).or_default().push(figures);
    }
    order
        .into_iter()
        .map(|key| {
            let all = &runs[&key];
            let ns: Vec<f64> = all.iter().map(|f| f.ns).collect();
            let mid = median(&ns);
            let deviations: Vec<f64> = ns.iter().map(|v| (v - mid).abs()).collect();
            GoRow {
                median: mid,
                mad: median(&deviations),
                bytes: median(&all.iter().map(|f| f.bytes).collect::<Vec<_>>()),
                allocs: median(&all.iter().map(|f| f.allocs).collect::<Vec<_>>()),
                runs: all.len(),
                group: key.0,
                name: key.1,
            }
        })
        .collect()
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\
goos: linux
goarch: amd64
pkg: poolside/benches/go
cpu: AMD EPYC
Benchmark_seed_1000x1k/go_new-2   	     100	    358977 ns/op	 1024001 B/op	    1000 allocs/op
Benchmark_object_hit_touch_1k/go_sync_pool-2  	     100	        15.82 ns/op	       0 B/op	       0 allocs/op
Benchmark_object_burst_100/go_sync_pool-2     	     100	      2112 ns/op	       100.0 buffers/op	      20 B/op	       0 allocs/op
Benchmark_object_burst_100/go_sync_pool-2     	     100	      2000 ns/op	       100.0 buffers/op	      10 B/op	       0 allocs/op
Benchmark_object_burst_100/go_sync_pool-2     	     100	      2400 ns/op	       100.0 buffers/op	      10 B/op	       0 allocs/op
PASS
ok  	poolside/benches/go	0.219s
";

    #[test]
    fn reads_rows_per_group_and_per_buffer() {
        let rows = parse(OUTPUT);
        let ids: Vec<String> = rows
            .iter()
            .map(|r| format!("{}/{}", r.group, r.name))
            .collect();
        assert_eq!(
            ids,
            [
                "seed_1000x1k/go_new",
                "object_hit_touch_1k/go_sync_pool",
                "object_burst_100/go_sync_pool"
            ]
        );
        assert_eq!(rows[0].median, 358977.0);
        assert_eq!(rows[0].allocs, 1000.0);
        assert_eq!(rows[1].median, 15.82);
        // Per buffer: the median of 21.12, 20.00 and 24.00 ns; 0.10 B.
        let burst = &rows[2];
        assert_eq!(burst.runs, 3);
        assert!((burst.median - 21.12).abs() < 1e-9);
        assert!((burst.mad - 1.12).abs() < 1e-9);
        assert!((burst.bytes - 0.1).abs() < 1e-9);
        assert_eq!(burst.allocs, 0.0);
    }

    #[test]
    fn ignores_other_lines() {
        assert!(parse_line("BenchmarkOther-2 100 5 ns/op").is_none());
        assert!(parse_line("Benchmark_x/y-2 many 5 ns/op").is_none());
        assert!(parse_line("ok  \tpoolside/benches/go\t0.219s").is_none());
    }
}

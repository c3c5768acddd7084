//! Timing with criterion, group by group with progress, and the counting pass; Go's
//! rows; reading back what each wrote.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::go;
use crate::shell::{self, cargo};

use super::cases::{count_bin, Listed};
use super::{clock, relative, Mode, Options};

/// Times the chosen cases with criterion, group by group with progress, then counts
/// their allocations; returns B/op and allocs/op by case id.
pub(super) fn time_and_count(
    o: &Options,
    chosen: &[&Listed],
    out_dir: &Path,
    started: Instant,
) -> Result<BTreeMap<String, (f64, f64)>, String> {
    // 1. Timing: one invocation of a bench binary per group (and per binary, for the
    // mimalloc twins), so progress can be shown between them. Old estimates go first,
    // so a case criterion did not run cannot be reported from an earlier run.
    println!("building the benchmarks ({} mode)", o.mode.name());
    let binaries = build_benches(o.mode)?;
    for c in chosen {
        let _ = fs::remove_file(estimates_path(o.mode, &c.group, &c.name));
    }
    let runs = group_runs(chosen);
    let log_path = out_dir.join("criterion.log");
    let log = File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    println!(
        "timing {} cases in {} groups; criterion's own output goes to {}",
        chosen.len(),
        runs.len(),
        relative(&log_path)
    );
    let timing = Instant::now();
    let mut done = 0usize;
    for (i, run) in runs.iter().enumerate() {
        let left = time_left(o.mode, timing.elapsed(), done, chosen.len() - done);
        println!(
            "[{}/{}] {}{} ({} cases) · {done}/{} cases done · {} elapsed · about {} left",
            i + 1,
            runs.len(),
            run.group,
            if run.mimalloc { ", mimalloc" } else { "" },
            run.ids.len(),
            chosen.len(),
            clock(started.elapsed()),
            clock(left),
        );
        let binary = &binaries[if run.mimalloc { "mimalloc" } else { "suite" }];
        time(binary, &run.ids, o, &log, &log_path)?;
        done += run.ids.len();
    }

    // 2. Counting: the same cases in a process whose allocator counts.
    println!("counting allocations ({} cases)", chosen.len());
    let counts_file = out_dir.join("counts.json");
    let iters = if o.mode == Mode::Smoke {
        "100"
    } else {
        "10000"
    };
    let mut cmd = count_bin(o.mode, &["--iters", iters, "--json"]);
    // Its filters match substrings, so a few extra cases may be counted; the report
    // reads only the chosen ones.
    cmd.arg(&counts_file).args(chosen.iter().map(|c| c.id()));
    cmd.stdout(Stdio::null());
    shell::run(&mut cmd)?;
    let counts = read_counts(&counts_file)?;
    Ok(counts)
}

/// The Go side, for the groups of the chosen cases: its rows, or why there are none.
/// Go missing is no error (the report says how to install it); Go failing is one in a
/// smoke run, which is CI's check that the Go path works, and a warning otherwise.
pub(super) fn run_go(
    mode: Mode,
    chosen: &[&Listed],
    out_dir: &Path,
) -> Result<go::Outcome, String> {
    let mut groups: Vec<&str> = chosen.iter().map(|c| c.group.as_str()).collect();
    groups.sort_unstable();
    groups.dedup();
    if groups.is_empty() {
        return Ok(go::Outcome::NotRun);
    }
    let outcome = go::run(mode, &groups, &out_dir.join("go.log"));
    let loud = if std::env::var_os("CI").is_some_and(|v| v == "true") {
        "!!! "
    } else {
        ""
    };
    match &outcome {
        go::Outcome::Missing => println!(
            "{loud}go is not on the PATH, so the report has no Go rows and no ratio to Go; \
             install it to compare with Go's sync.Pool: {}",
            go::INSTALL
        ),
        go::Outcome::Failed(why) if mode == Mode::Smoke => return Err(why.clone()),
        go::Outcome::Failed(why) => println!("!!! the Go benchmarks gave no rows: {why}"),
        go::Outcome::NotRun | go::Outcome::Ran { .. } => {}
    }
    Ok(outcome)
}

/// The time the remaining cases will take: the average so far, or the mode's guess
/// before any case has run.
pub(super) fn time_left(mode: Mode, elapsed: Duration, done: usize, remaining: usize) -> Duration {
    let per_case = if done == 0 {
        mode.guess_per_case()
    } else {
        elapsed / done as u32
    };
    per_case * remaining as u32
}

/// Builds the two bench binaries and returns their paths by name.
pub(super) fn build_benches(mode: Mode) -> Result<BTreeMap<String, PathBuf>, String> {
    let mut cmd = cargo();
    cmd.args(["bench", "--locked", "-p", "poolside-benches"]);
    if mode == Mode::Smoke {
        // The test profile that CI's test step has just built.
        cmd.args(["--profile", "test"]);
    }
    cmd.args([
        "--bench",
        "suite",
        "--bench",
        "mimalloc",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ]);
    cmd.stderr(Stdio::inherit());
    let out = shell::capture_ok(&mut cmd, "building the benchmarks")?;
    let mut found = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let is_bench = msg["target"]["kind"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "bench"));
        if let (true, Some(name), Some(exe)) = (
            is_bench,
            msg["target"]["name"].as_str(),
            msg["executable"].as_str(),
        ) {
            found.insert(name.to_owned(), PathBuf::from(exe));
        }
    }
    for name in ["suite", "mimalloc"] {
        if !found.contains_key(name) {
            return Err(format!("cargo built no `{name}` bench binary"));
        }
    }
    Ok(found)
}

/// The cases of one group that one bench binary times.
pub(super) struct GroupRun {
    pub(super) group: String,
    pub(super) mimalloc: bool,
    pub(super) ids: Vec<String>,
}

/// The chosen cases as runs of one group on one binary, in registry order, each group's
/// mimalloc twins right after it.
pub(super) fn group_runs(chosen: &[&Listed]) -> Vec<GroupRun> {
    let mut runs: Vec<GroupRun> = Vec::new();
    let mut groups: Vec<&str> = Vec::new();
    for c in chosen {
        if !groups.contains(&c.group.as_str()) {
            groups.push(&c.group);
        }
    }
    for group in groups {
        for mimalloc in [false, true] {
            let ids: Vec<String> = chosen
                .iter()
                .filter(|c| c.group == group && c.mimalloc == mimalloc)
                .map(|c| c.id())
                .collect();
            if !ids.is_empty() {
                runs.push(GroupRun {
                    group: group.to_owned(),
                    mimalloc,
                    ids,
                });
            }
        }
    }
    runs
}

/// Times exactly the cases `ids` with the bench binary at `binary`, its output to `log`.
pub(super) fn time(
    binary: &Path,
    ids: &[String],
    o: &Options,
    log: &File,
    log_path: &Path,
) -> Result<(), String> {
    let pattern = format!(
        "^({})$",
        ids.iter()
            .map(|id| id.replace('.', "\\."))
            .collect::<Vec<_>>()
            .join("|")
    );
    let mut cmd = Command::new(binary);
    cmd.current_dir(shell::root())
        .env("CRITERION_HOME", o.mode.criterion_home())
        .arg("--bench")
        .args(o.mode.criterion())
        .args(&o.criterion)
        .arg(&pattern);
    let clone = |f: &File| {
        f.try_clone()
            .map_err(|e| format!("{}: {e}", log_path.display()))
    };
    cmd.stdout(clone(log)?).stderr(clone(log)?);
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the benchmark run failed ({status}); its output is in {}",
            relative(log_path)
        ))
    }
}

/// B/op and allocs/op by case id.
pub(super) fn read_counts(path: &Path) -> Result<BTreeMap<String, (f64, f64)>, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = BTreeMap::new();
    for entry in value.as_array().into_iter().flatten() {
        if let (Some(id), Some(b), Some(a)) = (
            entry["id"].as_str(),
            entry["bytes_per_op"].as_f64(),
            entry["allocs_per_op"].as_f64(),
        ) {
            out.insert(id.to_owned(), (b, a));
        }
    }
    Ok(out)
}

pub(super) fn estimates_path(mode: Mode, group: &str, name: &str) -> PathBuf {
    mode.criterion_home()
        .join(group)
        .join(name)
        .join("new/estimates.json")
}

/// Criterion's median and median absolute deviation for a case, in ns per iteration.
pub(super) fn estimate(mode: Mode, group: &str, name: &str) -> Result<(f64, f64), String> {
    let path = estimates_path(mode, group, name);
    let text = fs::read_to_string(&path)
        .map_err(|e| format!("no estimate from this run for {group}/{name}: {e}"))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let median = v["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no median", path.display()))?;
    let mad = v["median_abs_dev"]["point_estimate"]
        .as_f64()
        .unwrap_or(0.0);
    Ok((median, mad))
}

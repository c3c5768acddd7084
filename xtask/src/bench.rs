//! `cargo xtask bench`: runs the criterion suite and the counting pass, then prints one
//! table per group: ns/op, B/op, allocs/op and the ratio to the group's baseline, all
//! measured in this run.
//!
//! Timings come from criterion's own output files (`target/criterion/.../estimates.json`),
//! never from its terminal text. B/op and allocs/op come from the counting pass, a
//! separate process with a counting allocator, so counting never skews a timing.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::shell::{self, cargo, run as run_cmd, target_dir};

/// Criterion settings for the quick run: short, since the point is the ratios.
const QUICK: &[&str] = &["--warm-up-time", "0.5", "--measurement-time", "1.5"];

struct Options {
    full: bool,
    filters: Vec<String>,
    criterion: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        full: false,
        filters: Vec::new(),
        criterion: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => o.full = false,
            "--full" => o.full = true,
            "--filter" => o.filters.push(
                args.next()
                    .ok_or("--filter takes a group or case name")?
                    .clone(),
            ),
            "--" => o.criterion.extend(args.by_ref().cloned()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(o)
}

/// A case as the benchmark package lists it: `group/name`, baseline and quick flags.
struct Listed {
    group: String,
    name: String,
    baseline: bool,
    quick: bool,
    /// Timed by the `mimalloc` bench binary, whose global allocator is mimalloc.
    mimalloc: bool,
}

fn list_cases() -> Result<Vec<Listed>, String> {
    let out = shell::capture_ok(
        &mut shell::bench_bin("count", &["--list"]),
        "listing the cases",
    )?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let id = parts.next()?;
            let (group, name) = id.split_once('/')?;
            let flags: Vec<&str> = parts.collect();
            Some(Listed {
                group: group.to_owned(),
                name: name.to_owned(),
                baseline: flags.contains(&"baseline"),
                quick: flags.contains(&"quick"),
                mimalloc: flags.contains(&"mimalloc"),
            })
        })
        .collect())
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let listed = list_cases()?;
    let chosen: Vec<&Listed> = listed
        .iter()
        .filter(|c| o.full || c.quick)
        .filter(|c| {
            let id = format!("{}/{}", c.group, c.name);
            o.filters.is_empty() || o.filters.iter().any(|f| id.contains(f.as_str()))
        })
        .collect();
    if chosen.is_empty() {
        return Err("no case matches".into());
    }
    let ids: Vec<String> = chosen
        .iter()
        .map(|c| format!("{}/{}", c.group, c.name))
        .collect();
    println!(
        "running {} cases ({}); criterion prints its progress below",
        ids.len(),
        if o.full { "full" } else { "quick" }
    );

    // 1. Timing: criterion, filtered to exactly the chosen cases. Their old estimates go
    // first, so a case criterion did not run cannot be reported from an earlier run.
    for c in &chosen {
        let _ = std::fs::remove_file(estimates_path(&c.group, &c.name));
    }
    for (bench, mimalloc) in [("suite", false), ("mimalloc", true)] {
        let ids: Vec<String> = chosen
            .iter()
            .filter(|c| c.mimalloc == mimalloc)
            .map(|c| format!("{}/{}", c.group, c.name))
            .collect();
        if !ids.is_empty() {
            time(bench, &ids, &o)?;
        }
    }

    // 2. Counting: the same cases in a process whose allocator counts.
    let out_dir = target_dir().join("poolside-bench");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let counts_file = out_dir.join("counts.json");
    let mut cmd = shell::bench_bin("count", &["--json"]);
    cmd.arg(&counts_file).args(&ids);
    run_cmd(&mut cmd)?;
    let counts = read_counts(&counts_file)?;

    // 3. The report.
    let report = report(&chosen, &counts)?;
    println!("\n{report}");
    let path = out_dir.join("report.md");
    std::fs::write(&path, &report).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("written to target/poolside-bench/report.md");
    Ok(())
}

/// Runs criterion's bench binary `bench` on exactly the cases `ids`.
fn time(bench: &str, ids: &[String], o: &Options) -> Result<(), String> {
    let pattern = format!(
        "^({})$",
        ids.iter()
            .map(|id| id.replace('.', "\\."))
            .collect::<Vec<_>>()
            .join("|")
    );
    let mut cmd = cargo();
    cmd.args([
        "bench",
        "--locked",
        "-p",
        "poolside-benches",
        "--bench",
        bench,
        "--",
    ]);
    if !o.full {
        cmd.args(QUICK);
    }
    cmd.args(&o.criterion).arg(&pattern);
    run_cmd(&mut cmd)
}

/// B/op and allocs/op by case id.
fn read_counts(path: &Path) -> Result<BTreeMap<String, (f64, f64)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
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

fn estimates_path(group: &str, name: &str) -> std::path::PathBuf {
    target_dir()
        .join("criterion")
        .join(group)
        .join(name)
        .join("new/estimates.json")
}

/// Criterion's median and median absolute deviation for a case, in ns per iteration.
fn estimate(group: &str, name: &str) -> Result<(f64, f64), String> {
    let path = estimates_path(group, name);
    let text = std::fs::read_to_string(&path)
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

fn report(chosen: &[&Listed], counts: &BTreeMap<String, (f64, f64)>) -> Result<String, String> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# poolside benchmarks\n\nns/op is criterion's median (± median absolute deviation); B/op and \
         allocs/op come from a separate counting pass; `vs base` divides by the group's \
         baseline from this same run (below 1.00x is faster).\n"
    );
    let mut groups: Vec<&str> = Vec::new();
    for c in chosen {
        if !groups.contains(&c.group.as_str()) {
            groups.push(&c.group);
        }
    }
    for group in groups {
        let members: Vec<&&Listed> = chosen.iter().filter(|c| c.group == group).collect();
        let base = members
            .iter()
            .find(|c| c.baseline)
            .map(|c| estimate(&c.group, &c.name))
            .transpose()?;
        let _ = writeln!(out, "## {group}\n");
        let _ = writeln!(
            out,
            "| case | ns/op | B/op | allocs/op | vs base |\n|---|---:|---:|---:|---:|"
        );
        for c in members {
            let (median, mad) = estimate(&c.group, &c.name)?;
            let id = format!("{}/{}", c.group, c.name);
            let (bytes, allocs) = counts.get(&id).copied().unwrap_or((f64::NAN, f64::NAN));
            let ratio = match base {
                Some((b, _)) if b > 0.0 => format!("{:.2}x", median / b),
                _ => "-".into(),
            };
            let label = if c.baseline {
                format!("{} (baseline)", c.name)
            } else if c.mimalloc {
                format!("{} (mimalloc, another process)", c.name)
            } else {
                c.name.clone()
            };
            let _ = writeln!(
                out,
                "| {label} | {median:.2} ± {mad:.2} | {bytes:.0} | {allocs:.2} | {ratio} |"
            );
        }
        out.push('\n');
    }
    Ok(out)
}

//! The real workload (`json_workload` in the examples package), one process per variant,
//! and its part of the report.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::chart::Bar;
use crate::shell::{self, cargo, target_dir};

use super::report::ratio_of;
use super::Mode;

/// The real workload's group name in the report.
pub(super) const WORKLOAD: &str = "workload_json";

/// One variant of the JSON workload, as its process reported it.
pub(super) struct WorkloadRun {
    pub(super) variant: String,
    pub(super) records_per_second: f64,
    pub(super) allocs_per_record: f64,
    pub(super) bytes_per_record: f64,
    pub(super) peak_rss_kib: f64,
    pub(super) rss_after_parse_kib: f64,
}

/// Runs the examples package's `json_workload` once per variant, each in its own
/// process (peak RSS is per process), and reads what each wrote.
pub(super) fn run_workload(mode: Mode, out_dir: &Path) -> Result<Vec<WorkloadRun>, String> {
    let mut build = cargo();
    build.args([
        "build",
        "--locked",
        "-q",
        "-p",
        "poolside-examples",
        "--bin",
        "json_workload",
    ]);
    if mode != Mode::Smoke {
        build.arg("--release");
    }
    shell::run(&mut build)?;
    let profile = if mode == Mode::Smoke {
        "debug"
    } else {
        "release"
    };
    let binary = target_dir().join(profile).join("json_workload");
    let rounds = match mode {
        Mode::Quick => "5",
        Mode::Full => "20",
        Mode::Smoke => "1",
    };
    let mut runs = Vec::new();
    for variant in ["none", "poolside", "peer"] {
        println!("[{WORKLOAD}] {variant}: {rounds} rounds of 1007 records, in its own process");
        let file = out_dir.join(format!("workload-{variant}.json"));
        let _ = fs::remove_file(&file);
        let mut cmd = Command::new(&binary);
        cmd.current_dir(shell::root())
            .args(["--variant", variant, "--rounds", rounds, "--json"])
            .arg(&file)
            .stdout(Stdio::null());
        shell::run(&mut cmd)?;
        let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let v: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let num = |key: &str| {
            v[key]
                .as_f64()
                .ok_or_else(|| format!("{}: no {key}", file.display()))
        };
        runs.push(WorkloadRun {
            variant: variant.to_owned(),
            records_per_second: num("records_per_second")?,
            allocs_per_record: num("allocs_per_record")?,
            bytes_per_record: num("bytes_per_record")?,
            peak_rss_kib: num("peak_rss_kib")?,
            rss_after_parse_kib: num("rss_after_parse_kib")?,
        });
    }
    Ok(runs)
}

/// Time per record relative to the `none` variant.
pub(super) fn workload_ratio(runs: &[WorkloadRun], run: &WorkloadRun) -> Option<f64> {
    let none = runs.iter().find(|r| r.variant == "none")?;
    (run.records_per_second > 0.0).then(|| none.records_per_second / run.records_per_second)
}

pub(super) fn workload_section(out: &mut String, runs: &[WorkloadRun]) {
    if runs.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## {WORKLOAD}\n\nThe examples package's `json_workload`: every record of `data/json/` \
         (100 tweets, 184 events, 243 performances, 480 rings of canada's polygon) encoded as \
         a response body, decoded back and checked equal, across a 2-thread worker pool; each \
         variant in its own process. `none` makes a new body and response per record, \
         `poolside` takes the body from a `BytePool` and the response from an `ObjectPool`, \
         `peer` takes both from `object-pool`.\n"
    );
    let _ = writeln!(
        out,
        "| variant | records/s | allocs/record | B/record | peak RSS | RSS after parsing | time vs none |\n\
         |---|---:|---:|---:|---:|---:|---:|"
    );
    for r in runs {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.2} | {:.0} | {:.0} KiB | {:.0} KiB | {} |",
            r.variant,
            r.records_per_second,
            r.allocs_per_record,
            r.bytes_per_record,
            r.peak_rss_kib,
            r.rss_after_parse_kib,
            ratio_of(workload_ratio(runs, r))
        );
    }
    out.push('\n');
}

pub(super) fn workload_summary(runs: &[WorkloadRun]) -> Option<String> {
    let none = runs.iter().find(|r| r.variant == "none")?;
    let mut line = format!(
        "`{WORKLOAD}`: `none` {:.0} records/s, {:.2} allocs/record",
        none.records_per_second, none.allocs_per_record
    );
    for r in runs.iter().filter(|r| r.variant != "none") {
        let _ = write!(
            line,
            "; `{}` {:.0} records/s ({}), {:.2} allocs/record",
            r.variant,
            r.records_per_second,
            ratio_of(workload_ratio(runs, r)),
            r.allocs_per_record
        );
    }
    Some(line)
}

pub(super) fn workload_bars(runs: &[WorkloadRun]) -> Vec<Bar> {
    runs.iter()
        .filter_map(|r| {
            Some(Bar {
                label: format!("{WORKLOAD}/{}", r.variant),
                ratio: workload_ratio(runs, r)?,
            })
        })
        .collect()
}

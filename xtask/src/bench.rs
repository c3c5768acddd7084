//! `cargo xtask bench`: runs the criterion suite and the counting pass, then writes the
//! report: one table per group with ns/op, B/op, allocs/op and the ratio to the group's
//! baseline, all measured in this run, a summary line per group, and an SVG chart.
//!
//! - Timings come from criterion's own output files (`estimates.json`), never from its
//!   terminal text, which goes to `criterion.log` beside the report. Each group runs as
//!   its own invocation of the bench binary, so progress (group, cases done, time left)
//!   is printed between them.
//! - B/op and allocs/op come from the counting pass, a separate process with a counting
//!   allocator, so counting never skews a timing.
//! - The mimalloc baselines run in their own bench binary (mimalloc is a global
//!   allocator), and the report says they come from another process.
//! - Go's rows come from `benches/go`, run with `go test -bench` in the same run when
//!   `go` is on the PATH (see `go.rs`), and sit in the tables of the groups they are
//!   named after, with ratios to the same baselines. Without Go, the report says how to
//!   install it and prints no Go ratio.
//!
//! Modes: `--quick` (the default: the cases marked quick, short criterion times),
//! `--full` (every case, criterion's default times), and `--smoke` (the quick cases with
//! the shortest times criterion accepts, unoptimised, into a separate folder: CI's check
//! that the pipeline works, not a measurement).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::chart;
use crate::shell::{self, target_dir};

mod cases;
mod report;
mod timing;
mod workload;

use cases::{list_cases, Listed};
use report::{chart_bars, check_smoke, measure};
use timing::{run_go, time_and_count};
use workload::{run_workload, workload_bars, WORKLOAD};

/// Criterion settings per mode, and the time one case takes with them (a first guess
/// for the time left, replaced by the measured average once a group has run).
const QUICK: &[&str] = &["--warm-up-time", "0.5", "--measurement-time", "1.5"];

const SMOKE: &[&str] = &[
    "--warm-up-time",
    "0.001",
    "--measurement-time",
    "0.001",
    "--sample-size",
    "10",
    "--nresamples",
    "100",
];

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Quick,
    Full,
    Smoke,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Quick => "quick",
            Mode::Full => "full",
            Mode::Smoke => "smoke",
        }
    }

    fn criterion(self) -> &'static [&'static str] {
        match self {
            Mode::Quick => QUICK,
            Mode::Full => &[],
            Mode::Smoke => SMOKE,
        }
    }

    fn guess_per_case(self) -> Duration {
        match self {
            Mode::Quick => Duration::from_millis(2_600),
            Mode::Full => Duration::from_millis(8_800),
            Mode::Smoke => Duration::from_millis(200),
        }
    }

    /// Where the report, the counts and the log go.
    fn out_dir(self) -> PathBuf {
        match self {
            Mode::Smoke => target_dir().join("poolside-bench-smoke"),
            _ => target_dir().join("poolside-bench"),
        }
    }

    /// Where criterion keeps its estimates: its usual folder, so that its own
    /// `--save-baseline` and `--baseline` work as documented, except for smoke runs.
    fn criterion_home(self) -> PathBuf {
        match self {
            Mode::Smoke => self.out_dir().join("criterion"),
            _ => target_dir().join("criterion"),
        }
    }
}

struct Options {
    mode: Mode,
    filters: Vec<String>,
    criterion: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        mode: Mode::Quick,
        filters: Vec::new(),
        criterion: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => o.mode = Mode::Quick,
            "--full" => o.mode = Mode::Full,
            "--smoke" => o.mode = Mode::Smoke,
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

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let started = Instant::now();
    let listed = list_cases(o.mode)?;
    let chosen: Vec<&Listed> = listed
        .iter()
        .filter(|c| o.mode == Mode::Full || c.quick)
        .filter(|c| o.filters.is_empty() || o.filters.iter().any(|f| c.id().contains(f.as_str())))
        .collect();
    let with_workload =
        o.filters.is_empty() || o.filters.iter().any(|f| WORKLOAD.contains(f.as_str()));
    if chosen.is_empty() && !with_workload {
        return Err("no case matches".into());
    }
    let out_dir = o.mode.out_dir();
    fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;

    let counts = if chosen.is_empty() {
        BTreeMap::new()
    } else {
        time_and_count(&o, &chosen, &out_dir, started)?
    };
    let go = run_go(o.mode, &chosen, &out_dir)?;
    let go_cases: Vec<Listed> = go
        .rows()
        .iter()
        .map(|r| Listed {
            group: r.group.clone(),
            name: r.name.clone(),
            baseline: false,
            quick: true,
            mimalloc: false,
            go: true,
        })
        .collect();

    // 3. The real workload, unless the filters leave it out.
    let workload =
        if o.filters.is_empty() || o.filters.iter().any(|f| WORKLOAD.contains(f.as_str())) {
            run_workload(o.mode, &out_dir)?
        } else {
            Vec::new()
        };

    // 4. The report and its chart.
    let measured = measure(o.mode, &chosen, &counts, go.rows(), &go_cases)?;
    let report = report::markdown(&o, &measured, &workload, &go, started.elapsed());
    let path = out_dir.join("report.md");
    fs::write(&path, &report).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut bars = chart_bars(&measured);
    bars.extend(workload_bars(&workload));
    let svg = out_dir.join("report.svg");
    chart::write(
        &svg,
        "poolside benchmarks: time per op against each group's baseline",
        &bars,
    )?;
    println!("\n{report}");
    println!(
        "written to {} and {} in {}",
        relative(&path),
        relative(&svg),
        clock(started.elapsed())
    );
    if o.mode == Mode::Smoke && o.filters.is_empty() {
        check_smoke(&report, &svg, &chosen, &go_cases)?;
    }
    Ok(())
}

/// A path below the workspace root, as the user would type it.
pub(crate) fn relative(path: &Path) -> String {
    path.strip_prefix(shell::root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `1m05s`, `42s`.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

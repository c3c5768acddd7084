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
use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::chart::{self, Bar};
use crate::go;
use crate::shell::{self, cargo, target_dir};

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

/// The seed group.
const SEED_GROUP: &str = "seed_1000x1k";
/// The seed group's aim for the pooled case.
const SEED_AIM_NS: f64 = 4_000.0;

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

/// A case as the benchmark package lists it: `group/name`, baseline and quick flags.
struct Listed {
    group: String,
    name: String,
    baseline: bool,
    quick: bool,
    /// Timed by the `mimalloc` bench binary, whose global allocator is mimalloc.
    mimalloc: bool,
    /// A row from Go (`benches/go`), not from the Rust registry.
    go: bool,
}

impl Listed {
    fn id(&self) -> String {
        format!("{}/{}", self.group, self.name)
    }
}

/// `cargo run` of the counting binary: optimised, or in the test profile for smoke runs
/// (reusing CI's test build).
fn count_bin(mode: Mode, args: &[&str]) -> Command {
    if mode != Mode::Smoke {
        return shell::bench_bin("count", args);
    }
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--locked",
        "-q",
        "-p",
        "poolside-benches",
        "--bin",
        "count",
        "--",
    ])
    .args(args);
    cmd
}

fn list_cases(mode: Mode) -> Result<Vec<Listed>, String> {
    let out = shell::capture_ok(&mut count_bin(mode, &["--list"]), "listing the cases")?;
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
                go: false,
            })
        })
        .collect())
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
    let report = report(&o, &measured, &workload, &go, started.elapsed());
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

/// Times the chosen cases with criterion, group by group with progress, then counts
/// their allocations; returns B/op and allocs/op by case id.
fn time_and_count(
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
fn run_go(mode: Mode, chosen: &[&Listed], out_dir: &Path) -> Result<go::Outcome, String> {
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

/// The time the remaining cases will take: the average so far, or the mode's guess
/// before any case has run.
fn time_left(mode: Mode, elapsed: Duration, done: usize, remaining: usize) -> Duration {
    let per_case = if done == 0 {
        mode.guess_per_case()
    } else {
        elapsed / done as u32
    };
    per_case * remaining as u32
}

/// Builds the two bench binaries and returns their paths by name.
fn build_benches(mode: Mode) -> Result<BTreeMap<String, PathBuf>, String> {
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
struct GroupRun {
    group: String,
    mimalloc: bool,
    ids: Vec<String>,
}

/// The chosen cases as runs of one group on one binary, in registry order, each group's
/// mimalloc twins right after it.
fn group_runs(chosen: &[&Listed]) -> Vec<GroupRun> {
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
fn time(
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
fn read_counts(path: &Path) -> Result<BTreeMap<String, (f64, f64)>, String> {
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

fn estimates_path(mode: Mode, group: &str, name: &str) -> PathBuf {
    mode.criterion_home()
        .join(group)
        .join(name)
        .join("new/estimates.json")
}

/// Criterion's median and median absolute deviation for a case, in ns per iteration.
fn estimate(mode: Mode, group: &str, name: &str) -> Result<(f64, f64), String> {
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

/// One case's figures from this run.
struct Row<'a> {
    case: &'a Listed,
    median: f64,
    mad: f64,
    bytes: f64,
    allocs: f64,
    /// `median` over the group's baseline's median, if the group has one.
    ratio: Option<f64>,
    /// `median` over the median of the baseline's mimalloc twin, if it ran.
    ratio_mimalloc: Option<f64>,
}

/// A group's rows, in registry order.
struct Group<'a> {
    name: &'a str,
    rows: Vec<Row<'a>>,
}

impl Group<'_> {
    fn baseline(&self) -> Option<&Row<'_>> {
        self.rows.iter().find(|r| r.case.baseline)
    }

    /// The fastest Rust row whose name passes `keep`.
    fn best(&self, keep: impl Fn(&str) -> bool) -> Option<&Row<'_>> {
        self.rows
            .iter()
            .filter(|r| !r.case.baseline && !r.case.mimalloc && !r.case.go && keep(&r.case.name))
            .min_by(|a, b| a.median.total_cmp(&b.median))
    }

    /// Go's row `name`, if Go ran for this group.
    fn go(&self, name: &str) -> Option<&Row<'_>> {
        self.rows.iter().find(|r| r.case.go && r.case.name == name)
    }
}

/// The chosen cases' figures, grouped, with Go's rows (`go_rows`, whose cases are
/// `go_cases`, one for one) at the end of their groups, and every ratio.
fn measure<'a>(
    mode: Mode,
    chosen: &[&'a Listed],
    counts: &BTreeMap<String, (f64, f64)>,
    go_rows: &[go::GoRow],
    go_cases: &'a [Listed],
) -> Result<Vec<Group<'a>>, String> {
    let mut groups: Vec<Group<'a>> = Vec::new();
    for &c in chosen {
        let (median, mad) = estimate(mode, &c.group, &c.name)?;
        let (bytes, allocs) = counts.get(&c.id()).copied().unwrap_or((f64::NAN, f64::NAN));
        let row = Row {
            case: c,
            median,
            mad,
            bytes,
            allocs,
            ratio: None,
            ratio_mimalloc: None,
        };
        match groups.iter_mut().find(|g| g.name == c.group) {
            Some(g) => g.rows.push(row),
            None => groups.push(Group {
                name: &c.group,
                rows: vec![row],
            }),
        }
    }
    for (r, case) in go_rows.iter().zip(go_cases) {
        if let Some(g) = groups.iter_mut().find(|g| g.name == r.group) {
            g.rows.push(Row {
                case,
                median: r.median,
                mad: r.mad,
                bytes: r.bytes,
                allocs: r.allocs,
                ratio: None,
                ratio_mimalloc: None,
            });
        }
    }
    for g in &mut groups {
        let base = g.baseline().map(|b| b.median).filter(|&b| b > 0.0);
        let twin = g
            .rows
            .iter()
            .find(|r| r.case.mimalloc)
            .map(|r| r.median)
            .filter(|&m| m > 0.0);
        for r in &mut g.rows {
            r.ratio = base.map(|b| r.median / b);
            r.ratio_mimalloc = twin.map(|m| r.median / m);
        }
    }
    Ok(groups)
}

/// `9.21 ns`, `31.4 µs`, `1.20 ms`.
fn time_of(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.2} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{:.2} ms", ns / 1_000_000.0)
    }
}

fn ratio_of(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), |r| format!("{r:.2}x"))
}

fn is_pool(name: &str) -> bool {
    name.starts_with("poolside")
}

/// A peer: neither poolside nor a no-pool variant.
fn is_peer(name: &str) -> bool {
    !is_pool(name) && !name.starts_with("new") && name != "reuse"
}

/// One line saying what a group shows.
fn summary(g: &Group<'_>) -> String {
    let mut line = format!("`{}`", g.name);
    let Some(base) = g.baseline() else {
        let _ = write!(line, ": no baseline");
        return line;
    };
    let _ = write!(line, ": `{}` {}", base.case.name, time_of(base.median));
    if let Some(p) = g.best(is_pool) {
        let _ = write!(
            line,
            "; `{}` {} ({})",
            p.case.name,
            time_of(p.median),
            ratio_of(p.ratio)
        );
    }
    if let Some(p) = g.best(is_peer) {
        let _ = write!(
            line,
            "; best other, `{}` {} ({})",
            p.case.name,
            time_of(p.median),
            ratio_of(p.ratio)
        );
    }
    if let Some(m) = g.rows.iter().find(|r| r.case.mimalloc) {
        let _ = write!(line, "; no pool on mimalloc {}", ratio_of(m.ratio));
    }
    if let Some(p) = g.go(GO_POOL) {
        let _ = write!(
            line,
            "; Go's `sync.Pool` {} ({})",
            time_of(p.median),
            ratio_of(p.ratio)
        );
    }
    if g.name.starts_with("when_not") {
        let mimalloc = g
            .rows
            .iter()
            .find(|r| r.case.mimalloc)
            .and_then(|m| m.ratio);
        let verdict = match (g.best(is_pool).and_then(|p| p.ratio), mimalloc) {
            (Some(r), _) if r >= 0.95 => " **The pool does not pay here: do not pool this.**",
            (Some(r), Some(m)) if r < m => " The pool is ahead of both allocators here.",
            (Some(_), Some(_)) => {
                " The pool is ahead of the system allocator here, not of mimalloc."
            }
            (Some(_), None) => " The pool is ahead of the system allocator here.",
            (None, _) => "",
        };
        line.push_str(verdict);
    }
    line
}

/// The machine, for the report's header.
fn machine() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "an unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = shell::capture(
        Command::new("rustc")
            .arg("--version")
            .current_dir(shell::root()),
    )
    .ok()
    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    .unwrap_or_default();
    format!(
        "{cpu}, {cores} cores available, {}, {rustc}",
        std::env::consts::OS
    )
}

/// Go's `sync.Pool` row, in every group that has Go rows.
const GO_POOL: &str = "go_sync_pool";
/// Go without a pool.
const GO_NEW: &str = "go_new";

/// `Go 1.19.8`, from `go1.19.8`.
fn go_name(version: &str) -> String {
    format!("Go {}", version.strip_prefix("go").unwrap_or(version))
}

/// What the report says about the Go rows, or about their absence.
fn go_paragraph(go: &go::Outcome) -> Option<String> {
    Some(match go {
        go::Outcome::NotRun => return None,
        go::Outcome::Ran { version, rows } => format!(
            "Rows marked Go come from `benches/go`, run with `go test -bench -benchmem` in this \
             same run ({}): ns/op is {}, B/op and allocs/op are Go's own counts, and the burst groups' Go rows are per \
             buffer, as the Rust ones are. `go_new` makes each buffer with `make`, \
             which Go zeroes; `go_sync_pool` takes it from a `sync.Pool` of `*[]byte`. Their \
             ratios divide by the same Rust baselines.",
            go_name(version),
            match rows.iter().map(|r| r.runs).max().unwrap_or(0) {
                1 => "Go's figure from one run".to_owned(),
                n => format!("the median of {n} runs (± their median absolute deviation)"),
            }
        ),
        go::Outcome::Missing => format!(
            "**No Go rows:** `go` is not on the PATH, so nothing here compares with Go. Install \
             it (`{}`) and run again to put Go's `sync.Pool` beside these, from the same run.",
            go::INSTALL
        ),
        go::Outcome::Failed(why) => {
            format!("**No Go rows:** the Go benchmarks failed ({why}), so nothing here compares with Go.")
        }
    })
}

fn report(
    o: &Options,
    groups: &[Group<'_>],
    workload: &[WorkloadRun],
    go: &go::Outcome,
    took: Duration,
) -> String {
    let mut out = String::new();
    let command = match o.mode {
        Mode::Quick => "cargo xtask bench".to_owned(),
        m => format!("cargo xtask bench --{}", m.name()),
    };
    let filters: String = o.filters.iter().map(|f| format!(" --filter {f}")).collect();
    let _ = writeln!(out, "# poolside benchmarks\n");
    let _ = writeln!(
        out,
        "`{command}{filters}` on {}; {} cases in {}.\n",
        machine(),
        groups.iter().map(|g| g.rows.len()).sum::<usize>(),
        clock(took)
    );
    if o.mode == Mode::Smoke {
        let _ = writeln!(
            out,
            "**Smoke run: unoptimised, with the shortest criterion times. These figures check \
             the pipeline and mean nothing.**\n"
        );
    }
    let _ = writeln!(
        out,
        "ns/op is criterion's median (± median absolute deviation). B/op and allocs/op come \
         from a separate counting pass. `vs base` divides by the group's baseline (no pool, \
         the system allocator) from this same run: below 1.00x is faster. `vs base on \
         mimalloc` divides by the same baseline run with mimalloc as the global allocator, in \
         another process (the rows marked mimalloc). The chart, `report.svg`, shows every ratio.\n"
    );
    if let Some(paragraph) = go_paragraph(go) {
        let _ = writeln!(out, "{paragraph}\n");
    }
    let _ = writeln!(out, "## Summary\n");
    for g in groups {
        let _ = writeln!(out, "- {}", summary(g));
    }
    if let Some(line) = workload_summary(workload) {
        let _ = writeln!(out, "- {line}");
    }
    out.push('\n');
    for g in groups {
        let _ = writeln!(out, "## {}\n", g.name);
        let _ = writeln!(
            out,
            "| case | ns/op | B/op | allocs/op | vs base | vs base on mimalloc |\n\
             |---|---:|---:|---:|---:|---:|"
        );
        for r in &g.rows {
            let c = r.case;
            let label = if c.baseline {
                format!("{} (baseline)", c.name)
            } else if c.mimalloc {
                format!("{} (mimalloc, another process)", c.name)
            } else if let (true, go::Outcome::Ran { version, .. }) = (c.go, go) {
                format!("{} ({}, same run)", c.name, go_name(version))
            } else {
                c.name.clone()
            };
            let _ = writeln!(
                out,
                "| {label} | {:.2} ± {:.2} | {:.0} | {:.2} | {} | {} |",
                r.median,
                r.mad,
                r.bytes,
                r.allocs,
                ratio_of(r.ratio),
                ratio_of(r.ratio_mimalloc)
            );
        }
        out.push('\n');
        if g.name == SEED_GROUP {
            seed_note(&mut out, g);
        }
    }
    workload_section(&mut out, workload);
    out
}

/// The seed group against Go's figures from the same run, and the aim.
fn seed_note(out: &mut String, g: &Group<'_>) {
    let (Some(base), Some(pooled)) = (g.baseline(), g.best(is_pool)) else {
        return;
    };
    let _ = write!(
        out,
        "Here: {} without a pool, {} with `{}` ({:.2}x the time).",
        time_of(base.median),
        time_of(pooled.median),
        pooled.case.name,
        pooled.median / base.median
    );
    match (g.go(GO_NEW), g.go(GO_POOL)) {
        (Some(go_new), Some(go_pool)) => {
            let _ = write!(
                out,
                " Go, in this same run: {} without a pool, {} with `sync.Pool` ({:.2}x the \
                 time). Pooled, Rust takes {:.2}x Go's pooled time; unpooled, {:.2}x Go's \
                 unpooled time.",
                time_of(go_new.median),
                time_of(go_pool.median),
                go_pool.median / go_new.median,
                pooled.median / go_pool.median,
                base.median / go_new.median
            );
        }
        _ => {
            let _ = write!(out, " Go did not run, so there is no ratio to Go.");
        }
    }
    let aim = if pooled.median < SEED_AIM_NS {
        "met"
    } else {
        "**missed**"
    };
    let _ = writeln!(
        out,
        " The aim, pooled in under {}: {aim}.\n",
        time_of(SEED_AIM_NS)
    );
}

fn chart_bars(groups: &[Group<'_>]) -> Vec<Bar> {
    groups
        .iter()
        .flat_map(|g| g.rows.iter())
        .filter_map(|r| {
            let ratio = r.ratio?;
            let mimalloc = if r.case.mimalloc {
                " (mimalloc)"
            } else if r.case.go {
                " (Go)"
            } else {
                ""
            };
            Some(Bar {
                label: format!("{}{mimalloc}", r.case.id()),
                ratio,
            })
        })
        .collect()
}

/// A smoke run must have produced a report with every case, every Go row when Go ran,
/// and a chart.
fn check_smoke(
    report: &str,
    svg: &Path,
    chosen: &[&Listed],
    go_cases: &[Listed],
) -> Result<(), String> {
    for c in chosen {
        if !report.contains(&format!("## {}", c.group)) {
            return Err(format!("the smoke report lacks the group {}", c.group));
        }
    }
    for c in go_cases {
        let table = report
            .split(&format!("\n## {}\n", c.group))
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap_or("");
        if !table.contains(&format!("| {} (Go ", c.name)) {
            return Err(format!("the smoke report lacks Go's row {}", c.id()));
        }
    }
    if !report.contains(&format!("## {WORKLOAD}")) {
        return Err(format!("the smoke report lacks the {WORKLOAD} group"));
    }
    let chart = fs::read_to_string(svg).map_err(|e| format!("{}: {e}", svg.display()))?;
    if !chart.starts_with("<svg") || !chart.contains("<rect") {
        return Err(format!("{} is not a chart", relative(svg)));
    }
    println!("smoke run: report and chart are complete");
    Ok(())
}

/// The real workload's group name in the report.
const WORKLOAD: &str = "workload_json";

/// One variant of the JSON workload, as its process reported it.
struct WorkloadRun {
    variant: String,
    records_per_second: f64,
    allocs_per_record: f64,
    bytes_per_record: f64,
    peak_rss_kib: f64,
    rss_after_parse_kib: f64,
}

/// Runs the examples package's `json_workload` once per variant, each in its own
/// process (peak RSS is per process), and reads what each wrote.
fn run_workload(mode: Mode, out_dir: &Path) -> Result<Vec<WorkloadRun>, String> {
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
fn workload_ratio(runs: &[WorkloadRun], run: &WorkloadRun) -> Option<f64> {
    let none = runs.iter().find(|r| r.variant == "none")?;
    (run.records_per_second > 0.0).then(|| none.records_per_second / run.records_per_second)
}

fn workload_section(out: &mut String, runs: &[WorkloadRun]) {
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

fn workload_summary(runs: &[WorkloadRun]) -> Option<String> {
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

fn workload_bars(runs: &[WorkloadRun]) -> Vec<Bar> {
    runs.iter()
        .filter_map(|r| {
            Some(Bar {
                label: format!("{WORKLOAD}/{}", r.variant),
                ratio: workload_ratio(runs, r)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{summary, Group, Listed, Row};

    fn listed(name: &str, baseline: bool, mimalloc: bool) -> Listed {
        Listed {
            group: "when_not_x".into(),
            name: name.into(),
            baseline,
            quick: true,
            mimalloc,
            go: false,
        }
    }

    fn row(case: &Listed, ratio: f64) -> Row<'_> {
        Row {
            case,
            median: ratio * 10.0,
            mad: 0.0,
            bytes: 0.0,
            allocs: 0.0,
            ratio: Some(ratio),
            ratio_mimalloc: None,
        }
    }

    /// The verdict of a `when_not_*` group's line: the pool against the system allocator
    /// and against mimalloc.
    #[test]
    fn when_not_verdicts_weigh_the_pool_against_both_allocators() {
        let (new, pool, mimalloc) = (
            listed("new", true, false),
            listed("poolside", false, false),
            listed("new_mimalloc", false, true),
        );
        let verdict = |pool_ratio: f64, mimalloc_ratio: Option<f64>| {
            let mut rows = vec![row(&new, 1.0), row(&pool, pool_ratio)];
            rows.extend(mimalloc_ratio.map(|m| row(&mimalloc, m)));
            summary(&Group {
                name: "when_not_x",
                rows,
            })
        };
        assert!(verdict(1.2, Some(0.5)).contains("do not pool this"));
        assert!(verdict(0.2, Some(0.5)).contains("ahead of both allocators"));
        assert!(verdict(0.6, Some(0.5)).contains("not of mimalloc"));
        assert!(verdict(0.6, None).ends_with("ahead of the system allocator here."));
    }
}

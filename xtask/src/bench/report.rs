//! The report: each group's rows and ratios, the summary lines, the Go and seed
//! paragraphs, the chart's bars, and the smoke run's check.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::chart::Bar;
use crate::go;
use crate::shell;

use super::cases::Listed;
use super::timing::estimate;
use super::workload::{workload_section, workload_summary, WorkloadRun, WORKLOAD};
use super::{clock, relative, Mode, Options};

/// The starvation group, whose table says what its allocs/op mean.
const STARVATION_GROUP: &str = "object_starvation_1k";

/// The seed group.
pub(super) const SEED_GROUP: &str = "seed_1000x1k";

/// The seed group's aim for the pooled case.
pub(super) const SEED_AIM_NS: f64 = 4_000.0;

/// One case's figures from this run.
pub(super) struct Row<'a> {
    pub(super) case: &'a Listed,
    pub(super) median: f64,
    pub(super) mad: f64,
    pub(super) bytes: f64,
    pub(super) allocs: f64,
    /// `median` over the group's baseline's median, if the group has one.
    pub(super) ratio: Option<f64>,
    /// `median` over the median of the baseline's mimalloc twin, if it ran.
    pub(super) ratio_mimalloc: Option<f64>,
}

/// A group's rows, in registry order.
pub(super) struct Group<'a> {
    pub(super) name: &'a str,
    pub(super) rows: Vec<Row<'a>>,
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
pub(super) fn measure<'a>(
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
pub(super) fn time_of(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.2} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{:.2} ms", ns / 1_000_000.0)
    }
}

pub(super) fn ratio_of(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), |r| format!("{r:.2}x"))
}

pub(super) fn is_pool(name: &str) -> bool {
    name.starts_with("poolside")
}

/// A peer: neither poolside nor a no-pool variant.
pub(super) fn is_peer(name: &str) -> bool {
    !is_pool(name) && !name.starts_with("new") && name != "reuse"
}

/// One line saying what a group shows.
pub(super) fn summary(g: &Group<'_>) -> String {
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
pub(super) fn machine() -> String {
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
pub(super) const GO_POOL: &str = "go_sync_pool";

/// Go without a pool.
pub(super) const GO_NEW: &str = "go_new";

/// `Go 1.19.8`, from `go1.19.8`.
pub(super) fn go_name(version: &str) -> String {
    format!("Go {}", version.strip_prefix("go").unwrap_or(version))
}

/// What the report says about the Go rows, or about their absence.
pub(super) fn go_paragraph(go: &go::Outcome) -> Option<String> {
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

pub(super) fn markdown(
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
        if g.name == STARVATION_GROUP {
            let _ = writeln!(
                out,
                "Each thread detaches a third of its buffers every round, so at least 0.66 \
                 buffers are made per op (both threads counted); allocs/op above the pool's \
                 floor is misses. poolside's pools box each buffer and Go's `sync.Pool` \
                 makes a pointer for each, so a buffer made is two allocations there, one \
                 elsewhere.\n"
            );
        }
    }
    workload_section(&mut out, workload);
    out
}

/// The seed group against Go's figures from the same run, and the aim.
pub(super) fn seed_note(out: &mut String, g: &Group<'_>) {
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

pub(super) fn chart_bars(groups: &[Group<'_>]) -> Vec<Bar> {
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
pub(super) fn check_smoke(
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

//! `cargo xtask ci instr`: every budgeted case within its instruction budget.
//!
//! `benches/instr-budget.txt` names cases of the bench registry, each with a budget in
//! instructions per operation (the measured figure plus at most 5%), and `lock=0` where
//! no locked instruction may run per operation. The step measures each case as `cargo
//! xtask instr` does, prints them all in a table, and fails naming every case above its
//! budget and every `lock=0` case that locks. Instruction counts are deterministic, so
//! the check cannot flake, and it catches what a timing on a shared machine would not:
//! an inlining change that doubles a hit path.
//!
//! A case named in the file but missing from the registry is an error, so a budget
//! cannot silently stop being checked. Without valgrind or objdump the step fails under
//! `CI=true` and is skipped loudly elsewhere.

use std::path::Path;

use crate::instr::{self, Disassembly};
use crate::shell;

/// The budget file, from the workspace root.
const FILE: &str = "benches/instr-budget.txt";

/// Locked instructions named per failing case, the most frequent first.
const SHOWN: usize = 12;

/// The headroom a budget may have over the measured figure.
const HEADROOM: f64 = 0.05;

/// One line of the budget file.
#[derive(Debug, PartialEq)]
struct Budget {
    line: usize,
    id: String,
    instructions: u64,
    /// `lock=0`: no locked instruction may run per operation.
    no_locks: bool,
}

pub(crate) fn run() -> Result<(), String> {
    let path = shell::root().join(FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{FILE}: {e}"))?;
    let budgets = parse(&text).map_err(|problems| problems.join("\n"))?;
    if budgets.is_empty() {
        return Err(format!("{FILE} budgets no case"));
    }
    let missing: Vec<&str> = [("valgrind", "--version"), ("objdump", "--version")]
        .into_iter()
        .filter(|(tool, flag)| !shell::have(tool, &[flag]))
        .map(|(tool, _)| tool)
        .collect();
    if !missing.is_empty() {
        let missing = missing.join(" and ");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(format!(
                "{missing} not installed, and CI=true: CI must check the instruction \
                 budgets (.ci/run installs valgrind and binutils)"
            ));
        }
        shell::shout(&[
            &format!(
                "{} NOT INSTALLED: the instruction budgets in",
                missing.to_uppercase()
            ),
            &format!("{FILE} are not checked this run (.ci/run installs valgrind and"),
            "binutils; under CI=true this step fails instead).",
        ]);
        return Ok(());
    }

    let known = instr::cases()?;
    let unknown: Vec<String> = budgets
        .iter()
        .filter(|b| !known.contains(&b.id))
        .map(|b| format!("{FILE}:{}: no case `{}` that `instr` can run", b.line, b.id))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "{}\n(`cargo run -p poolside-benches --release --bin count -- --list` lists the \
             cases; the mimalloc twins do not run under callgrind)",
            unknown.join("\n")
        ));
    }

    let mut disassembly = Disassembly::default();
    let (mut failures, mut stale) = (Vec::new(), Vec::new());
    println!(
        "{:<40} {:>9} {:>7} {:>9} {:>10}",
        "case", "instr/op", "budget", "headroom", "locked/op"
    );
    for b in &budgets {
        let m = instr::measure(&b.id, Some(&mut disassembly))?;
        // Judged as shown, to a tenth: start-up noise in the last digits never decides.
        let measured = (m.instructions * 10.0).round() / 10.0;
        let headroom = (b.instructions as f64 / measured - 1.0) * 100.0;
        let locked = m.locked_per_op();
        let shown = if m.locked.is_empty() {
            "0".to_owned()
        } else {
            format!("{locked:.4}")
        };
        let lock_note = if b.no_locks { "  (lock=0)" } else { "" };
        println!(
            "{:<40} {measured:>9.1} {:>7} {headroom:>+8.1}% {shown:>10}{lock_note}",
            b.id, b.instructions
        );
        if measured > b.instructions as f64 {
            failures.push(format!(
                "{}: {measured:.1} instructions/op, over its budget of {}",
                b.id, b.instructions
            ));
        }
        if b.no_locks && !m.locked.is_empty() {
            let mut failure = format!(
                "{}: {locked:.4} locked instructions/op, where lock=0 allows none:",
                b.id
            );
            for l in m.locked.iter().take(SHOWN) {
                let root = shell::root();
                let object = Path::new(&l.object).strip_prefix(&root).map_or_else(
                    |_| l.object.clone(),
                    |relative| relative.display().to_string(),
                );
                failure += &format!(
                    "\n    {:.4}/op  {:#x} `{}` in {} ({object})",
                    l.per_op, l.address, l.text, l.function
                );
            }
            if m.locked.len() > SHOWN {
                failure += &format!("\n    and {} more", m.locked.len() - SHOWN);
            }
            failures.push(failure);
        }
        let fair = fair_budget(measured);
        if fair < b.instructions {
            stale.push(format!("{}: {} -> {fair}", b.id, b.instructions));
        }
    }
    if !stale.is_empty() {
        println!(
            "\nthese budgets have more than {:.0}% headroom: lower them in {FILE}\n  {}",
            HEADROOM * 100.0,
            stale.join("\n  ")
        );
    }
    if failures.is_empty() {
        return Ok(());
    }
    println!();
    for f in &failures {
        println!("FAILED {f}");
    }
    Err(format!(
        "{} failure(s) among {} budgeted cases (see above; `cargo xtask instr CASE` \
         re-measures one)",
        failures.len(),
        budgets.len()
    ))
}

/// The budget a case measured at `measured` instructions per operation gets: the figure
/// plus at most [`HEADROOM`], rounded down.
fn fair_budget(measured: f64) -> u64 {
    (measured * (1.0 + HEADROOM)).floor() as u64
}

/// The budget file's lines: `CASE INSTRUCTIONS [lock=0]`, with `#` comments and blank
/// lines. Every malformed line is reported, with its number.
fn parse(text: &str) -> Result<Vec<Budget>, Vec<String>> {
    let (mut budgets, mut problems): (Vec<Budget>, _) = (Vec::new(), Vec::new());
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let mut words = raw.split('#').next().unwrap_or("").split_whitespace();
        let Some(id) = words.next() else {
            continue;
        };
        let instructions = match words.next().map(str::parse::<u64>) {
            Some(Ok(n)) if n > 0 => n,
            _ => {
                problems.push(format!(
                    "{FILE}:{line}: `{id}` needs a budget in whole instructions per op"
                ));
                continue;
            }
        };
        let mut no_locks = false;
        for word in words {
            match word {
                "lock=0" => no_locks = true,
                other => problems.push(format!(
                    "{FILE}:{line}: unknown `{other}` (only `lock=0` may follow a budget)"
                )),
            }
        }
        if let Some(first) = budgets.iter().find(|b| b.id == id) {
            problems.push(format!(
                "{FILE}:{line}: `{id}` is budgeted already, on line {}",
                first.line
            ));
            continue;
        }
        budgets.push(Budget {
            line,
            id: id.to_owned(),
            instructions,
            no_locks,
        });
    }
    if problems.is_empty() {
        Ok(budgets)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_budget_file_parses() {
        let text = std::fs::read_to_string(shell::root().join(FILE)).unwrap();
        let budgets = parse(&text).unwrap();
        assert!(!budgets.is_empty());
    }

    #[test]
    fn lines_give_a_case_a_budget_and_maybe_lock_0() {
        let text = "\
# a comment
object_hit_touch_1k/poolside   147  lock=0   # trailing comment

buffer_1k/poolside_ring        374
";
        assert_eq!(
            parse(text).unwrap(),
            [
                Budget {
                    line: 2,
                    id: "object_hit_touch_1k/poolside".into(),
                    instructions: 147,
                    no_locks: true,
                },
                Budget {
                    line: 4,
                    id: "buffer_1k/poolside_ring".into(),
                    instructions: 374,
                    no_locks: false,
                },
            ]
        );
    }

    #[test]
    fn every_malformed_line_is_reported() {
        let text = "\
a/b
a/c 1.5
a/d 10 lock=1
a/e 10
a/e 11
";
        assert_eq!(
            parse(text).unwrap_err(),
            [
                format!("{FILE}:1: `a/b` needs a budget in whole instructions per op"),
                format!("{FILE}:2: `a/c` needs a budget in whole instructions per op"),
                format!("{FILE}:3: unknown `lock=1` (only `lock=0` may follow a budget)"),
                format!("{FILE}:5: `a/e` is budgeted already, on line 4"),
            ]
        );
    }

    #[test]
    fn a_fair_budget_is_at_most_5_percent_over() {
        assert_eq!(fair_budget(140.0), 147);
        assert_eq!(fair_budget(137.0), 143);
        assert_eq!(fair_budget(278.3), 292);
    }
}

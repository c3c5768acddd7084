//! `cargo xtask ci instr`: every budgeted case within its instruction budget.
//!
//! `benches/instr-budget.txt` names cases of the bench registry, each with a budget in
//! instructions per operation (the measured figure plus at most 5%). The step measures
//! each case as `cargo xtask instr` does, prints them all in a table, and fails naming
//! every case above its budget. Instruction counts are deterministic, so the check
//! cannot flake, and it catches what a timing on a shared machine would not: an
//! inlining change that doubles a hit path.
//!
//! A case named in the file but missing from the registry is an error, so a budget
//! cannot silently stop being checked. Without valgrind the step fails under `CI=true`
//! and is skipped loudly elsewhere.

use crate::instr;
use crate::shell;

/// The budget file, from the workspace root.
const FILE: &str = "benches/instr-budget.txt";

/// The headroom a budget may have over the measured figure.
const HEADROOM: f64 = 0.05;

/// One line of the budget file.
#[derive(Debug, PartialEq)]
struct Budget {
    line: usize,
    id: String,
    instructions: u64,
}

pub(crate) fn run() -> Result<(), String> {
    let path = shell::root().join(FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{FILE}: {e}"))?;
    let budgets = parse(&text).map_err(|problems| problems.join("\n"))?;
    if budgets.is_empty() {
        return Err(format!("{FILE} budgets no case"));
    }
    if !shell::have("valgrind", &["--version"]) {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err("valgrind is not installed, and CI=true: CI must check the \
                        instruction budgets (.ci/run installs valgrind)"
                .into());
        }
        shell::shout(&[
            "VALGRIND IS NOT INSTALLED: the instruction budgets in",
            &format!("{FILE} are not checked this run (.ci/run installs valgrind;"),
            "under CI=true this step fails instead).",
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

    let (mut failures, mut stale) = (Vec::new(), Vec::new());
    println!(
        "{:<40} {:>9} {:>7} {:>9}",
        "case", "instr/op", "budget", "headroom"
    );
    for b in &budgets {
        // Judged as shown, to a tenth: start-up noise in the last digits never decides.
        let measured = (instr::measure(&b.id)? * 10.0).round() / 10.0;
        let headroom = (b.instructions as f64 / measured - 1.0) * 100.0;
        println!(
            "{:<40} {measured:>9.1} {:>7} {headroom:>+8.1}%",
            b.id, b.instructions
        );
        if measured > b.instructions as f64 {
            failures.push(format!(
                "{}: {measured:.1} instructions/op, over its budget of {}",
                b.id, b.instructions
            ));
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
        "{} of {} cases over budget (see above; `cargo xtask instr CASE` \
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

/// The budget file's lines: `CASE INSTRUCTIONS`, with `#` comments and blank lines.
/// Every malformed line is reported, with its number.
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
        if let Some(extra) = words.next() {
            problems.push(format!(
                "{FILE}:{line}: unexpected `{extra}` after `{id}`'s budget"
            ));
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
    fn lines_give_a_case_a_budget() {
        let text = "\
# a comment
object_hit_touch_1k/poolside   147   # trailing comment

buffer_1k/poolside_ring        374
";
        assert_eq!(
            parse(text).unwrap(),
            [
                Budget {
                    line: 2,
                    id: "object_hit_touch_1k/poolside".into(),
                    instructions: 147,
                },
                Budget {
                    line: 4,
                    id: "buffer_1k/poolside_ring".into(),
                    instructions: 374,
                },
            ]
        );
    }

    #[test]
    fn every_malformed_line_is_reported() {
        let text = "\
a/b
a/c 1.5
a/d 10 11
a/e 10
a/e 11
";
        assert_eq!(
            parse(text).unwrap_err(),
            [
                format!("{FILE}:1: `a/b` needs a budget in whole instructions per op"),
                format!("{FILE}:2: `a/c` needs a budget in whole instructions per op"),
                format!("{FILE}:3: unexpected `11` after `a/d`'s budget"),
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

//! poolside's developer tasks, run as `cargo xtask TASK`.
//!
//! - `ci [STEP]`: every check CI runs, in order, stopping at the first failure; or one step.
//! - `bench [--quick|--full|--smoke] [--filter TEXT]... [-- CRITERION-ARGS]`: the
//!   benchmark report, with progress, a summary per group and an SVG chart.
//! - `instr [FILTER]...`: instructions per operation under callgrind.
//! - `tidy`: the checks a linter cannot make (also a `#[test]`).
#![forbid(unsafe_code)]

mod bench;
mod budget;
mod chart;
mod ci;
mod go;
mod instr;
mod shell;
mod tidy;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask TASK
tasks:
  ci [STEP]     run every CI step in order, or only STEP
                (steps: fmt clippy test doc tidy msrv instr loom bench examples
                memcheck miri; instr holds cases to benches/instr-budget.txt)
  bench         run the benchmarks; report ns/op, B/op, allocs/op and ratios, with a chart
                [--quick (default) | --full | --smoke] [--filter TEXT]... [-- CRITERION-ARGS]
  instr         instructions per operation under callgrind [FILTER]...
  tidy          check file headers, SAFETY comments, dependency versions and go.mod's Go";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match task {
        "ci" => ci::run(rest),
        "bench" => bench::run(rest),
        "instr" => instr::run(rest),
        "tidy" => tidy::run(),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown task `{other}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: {message}");
            ExitCode::FAILURE
        }
    }
}

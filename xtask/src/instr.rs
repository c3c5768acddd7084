//! `cargo xtask instr [FILTER]...`: instructions per operation, counted by callgrind.
//!
//! Timings of a few-nanosecond operation drown in noise on a shared 2-core machine;
//! instruction counts do not. Each case runs under `valgrind --tool=callgrind` twice,
//! for a short and a long loop, and the difference divided by the extra operations is
//! the cost of one operation, with start-up and set-up cancelled out. For two-thread
//! cases it is both threads' instructions per iteration (one operation on each).

use crate::shell::{self, cargo, program, target_dir};

const SHORT: u64 = 10_000;
const LONG: u64 = 110_000;

pub(crate) fn run(filters: &[String]) -> Result<(), String> {
    if !shell::have("valgrind", &["--version"]) {
        return Err("valgrind is not installed".into());
    }
    let ids: Vec<String> = cases()?
        .into_iter()
        .filter(|id| filters.is_empty() || filters.iter().any(|f| id.contains(f.as_str())))
        .collect();
    if ids.is_empty() {
        return Err("no case matches".into());
    }
    println!("{:<40} {:>14}", "case", "instructions/op");
    for id in ids {
        let per_op = measure(&id)?;
        println!("{id:<40} {per_op:>14.1}");
    }
    Ok(())
}

/// Builds the `instr` and `count` binaries, optimised, and lists the cases `instr` can
/// run, in registry order.
pub(crate) fn cases() -> Result<Vec<String>, String> {
    shell::run(cargo().args([
        "build",
        "--locked",
        "--release",
        "-q",
        "-p",
        "poolside-benches",
        "--bin",
        "instr",
        "--bin",
        "count",
    ]))?;
    let list = shell::capture(
        program(&target_dir().join("release/count").to_string_lossy()).arg("--list"),
    )?;
    Ok(String::from_utf8_lossy(&list.stdout)
        .lines()
        // The mimalloc twins need mimalloc as the process's allocator, which `instr` is not.
        .filter(|l| !l.split_whitespace().any(|flag| flag == "mimalloc"))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect())
}

/// Instructions per operation of one case, from a short and a long loop.
pub(crate) fn measure(id: &str) -> Result<f64, String> {
    let short = instructions(id, SHORT)?;
    let long = instructions(id, LONG)?;
    Ok(long.saturating_sub(short) as f64 / (LONG - SHORT) as f64)
}

fn instructions(id: &str, iters: u64) -> Result<u64, String> {
    let exe = target_dir().join("release/instr");
    let out = shell::capture(
        program("valgrind")
            .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
            .arg(&exe)
            .args([id, &iters.to_string()]),
    )?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("callgrind on {id} failed:\n{stderr}"));
    }
    stderr
        .lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("no instruction count in callgrind's output:\n{stderr}"))
}

//! The cases the bench package registers, as its counting binary lists them.

use std::process::Command;

use crate::shell::{self, cargo};

use super::Mode;

/// A case as the benchmark package lists it: `group/name`, baseline and quick flags.
pub(super) struct Listed {
    pub(super) group: String,
    pub(super) name: String,
    pub(super) baseline: bool,
    pub(super) quick: bool,
    /// Timed by the `mimalloc` bench binary, whose global allocator is mimalloc.
    pub(super) mimalloc: bool,
    /// A row from Go (`benches/go`), not from the Rust registry.
    pub(super) go: bool,
}

impl Listed {
    pub(super) fn id(&self) -> String {
        format!("{}/{}", self.group, self.name)
    }
}

/// `cargo run` of the counting binary: optimised, or in the test profile for smoke runs
/// (reusing CI's test build).
pub(super) fn count_bin(mode: Mode, args: &[&str]) -> Command {
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

pub(super) fn list_cases(mode: Mode) -> Result<Vec<Listed>, String> {
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

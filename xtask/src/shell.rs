//! Running commands from the workspace root, and finding things in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one folder below the root")
        .to_path_buf()
}

/// The target directory: `$CARGO_TARGET_DIR`, or `target/` at the root.
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// `cargo`, as the one running us (`$CARGO`), from the root.
pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// `cargo run` of one of the bench package's binaries (`count`, `instr`), optimised, with
/// `args` after `--`.
pub(crate) fn bench_bin(bin: &str, args: &[&str]) -> Command {
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--locked",
        "--release",
        "-q",
        "-p",
        "poolside-benches",
        "--bin",
        bin,
        "--",
    ])
    .args(args);
    cmd
}

/// Runs `cmd`, captures its output, and fails with its stderr if it fails.
pub(crate) fn capture_ok(cmd: &mut Command, what: &str) -> Result<Output, String> {
    let out = capture(cmd)?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{what} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A program from the root.
pub(crate) fn program(name: &str) -> Command {
    let mut cmd = Command::new(name);
    cmd.current_dir(root());
    cmd
}

fn describe(cmd: &Command) -> String {
    let mut text = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            text += &format!("{}={} ", key.to_string_lossy(), value.to_string_lossy());
        }
    }
    text += &cmd.get_program().to_string_lossy();
    for arg in cmd.get_args() {
        text.push(' ');
        text += &arg.to_string_lossy();
    }
    text
}

/// Runs `cmd` with inherited output; an error if it fails.
pub(crate) fn run(cmd: &mut Command) -> Result<(), String> {
    println!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed: {status}", describe(cmd)))
    }
}

/// Runs `cmd` and captures its output, whatever its exit status.
pub(crate) fn capture(cmd: &mut Command) -> Result<Output, String> {
    cmd.stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(cmd)))
}

/// Prints `lines` in a banner of `!`, for a check that is skipped: loud enough to be seen
/// in a long CI log.
pub(crate) fn shout(lines: &[&str]) {
    println!("{}", "!".repeat(78));
    for line in lines {
        println!("!!! {line}");
    }
    println!("{}", "!".repeat(78));
}

/// Whether `name --version` runs.
pub(crate) fn have(name: &str, args: &[&str]) -> bool {
    Command::new(name)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The workspace's library crates under `crates/`, as (package name, folder).
pub(crate) fn crates() -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(root().join("crates"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join("Cargo.toml").is_file())
                .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Crates that may contain `unsafe`: those whose `lib.rs` does not forbid it. Memcheck
/// and Miri run their tests.
pub(crate) fn unsafe_crates() -> Vec<String> {
    crates()
        .into_iter()
        .filter(|(_, dir)| {
            std::fs::read_to_string(dir.join("src/lib.rs"))
                .map(|lib| !lib.contains("#![forbid(unsafe_code)]"))
                .unwrap_or(false)
        })
        .map(|(name, _)| name)
        .collect()
}

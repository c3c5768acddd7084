//! `cargo xtask ci`: every check, in order, stopping at the first failure.
//!
//! CI (`.ci/run`) and a developer run the very same commands. Everything but instr
//! (optimised bench bins, for instruction budgets), loom and Miri builds in the dev/test
//! profile, so one build serves the tests, the bench smoke run (criterion's test mode,
//! then `cargo xtask bench --smoke`: the whole report pipeline with the shortest
//! criterion times), the docs and memcheck.

use std::time::Instant;

use crate::shell::{self, cargo, program, run as sh};

type Step = (&'static str, fn() -> Result<(), String>);

const STEPS: &[Step] = &[
    ("fmt", fmt),
    ("clippy", clippy),
    ("test", test),
    ("doc", doc),
    ("tidy", crate::tidy::run),
    ("msrv", msrv),
    ("instr", crate::budget::run),
    ("loom", loom),
    ("bench", bench),
    ("examples", examples),
    ("memcheck", memcheck),
    ("miri", miri),
];

pub(crate) fn run_steps(steps: &[&Step]) -> Result<(), String> {
    let mut times = Vec::new();
    for (name, step) in steps {
        println!("\n==> {name}");
        let start = Instant::now();
        let result = step();
        let secs = start.elapsed().as_secs_f64();
        match result {
            Ok(()) => {
                println!("<== {name}: ok in {secs:.1}s");
                times.push((*name, secs));
            }
            Err(e) => {
                println!("<== {name}: FAILED after {secs:.1}s");
                return Err(format!("step `{name}` failed: {e}"));
            }
        }
    }
    println!("\nci summary:");
    for (name, secs) in &times {
        println!("  {name:<10} {secs:>7.1}s");
    }
    Ok(())
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    match args {
        [] => run_steps(&STEPS.iter().collect::<Vec<_>>()),
        [one] => match STEPS.iter().find(|(name, _)| name == one) {
            Some(step) => run_steps(&[step]),
            None => Err(format!(
                "no step `{one}`; steps: {}",
                STEPS.iter().map(|s| s.0).collect::<Vec<_>>().join(" ")
            )),
        },
        _ => Err("ci takes at most one step name".into()),
    }
}

fn fmt() -> Result<(), String> {
    sh(cargo().args(["fmt", "--all", "--check"]))
}

fn clippy() -> Result<(), String> {
    sh(cargo().args([
        "clippy",
        "--locked",
        "--workspace",
        "--all-features",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

fn test() -> Result<(), String> {
    // Lib, bin, integration and doc tests of every member with every feature, xtask's
    // tidy test included. POOLSIDE_CI makes tests that need a tool the CI script installs
    // (Python's OpenMetrics parser) fail without it instead of skipping.
    sh(cargo()
        .args(["test", "--locked", "--workspace", "--all-features"])
        .env("POOLSIDE_CI", "1"))
}

fn doc() -> Result<(), String> {
    sh(cargo()
        .args([
            "doc",
            "--locked",
            "--workspace",
            "--all-features",
            "--no-deps",
        ])
        .env("RUSTDOCFLAGS", "-D warnings"))
}

/// The declared MSRV, from `rust-version` in the root manifest.
fn declared_msrv() -> Result<String, String> {
    let manifest = std::fs::read_to_string(shell::root().join("Cargo.toml"))
        .map_err(|e| format!("Cargo.toml: {e}"))?;
    manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version"))
        .and_then(|rest| rest.split('"').nth(1))
        .map(str::to_owned)
        .ok_or_else(|| "no rust-version in the root Cargo.toml".into())
}

/// Checks the published crates with the MSRV toolchain, so `rust-version` is a fact.
fn msrv() -> Result<(), String> {
    let version = declared_msrv()?;
    let toolchain = format!("+{version}");
    if !shell::have("cargo", &[&toolchain, "--version"]) {
        shell::shout(&[
            &format!("THE MSRV TOOLCHAIN {version} IS NOT INSTALLED (.ci/run tries"),
            &format!("`rustup toolchain install {version} --profile minimal`); the MSRV is"),
            "declared but not checked this run.",
        ]);
        return Ok(());
    }
    let mut cmd = program("cargo");
    cmd.args([
        &toolchain,
        "check",
        "--locked",
        "--target-dir",
        "target/msrv",
    ]);
    for (name, dir) in shell::crates() {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        if !manifest.contains("publish = false") {
            cmd.args(["-p", &name]);
        }
    }
    sh(&mut cmd)
}

/// Loom models live in `tests/loom.rs` when they check a crate through its API, or in
/// `src/tests/loom.rs` when they need private parts (poolside-worker's protocols,
/// sharded-slab's layout): those run as the lib's unit tests, filtered to the models.
fn loom() -> Result<(), String> {
    let having = |file: &str| -> Vec<String> {
        shell::crates()
            .into_iter()
            .filter(|(_, dir)| dir.join(file).is_file())
            .map(|(name, _)| name)
            .collect()
    };
    let (outside, inside) = (having("tests/loom.rs"), having("src/tests/loom.rs"));
    if outside.is_empty() && inside.is_empty() {
        return Err("no crate has tests/loom.rs or src/tests/loom.rs".into());
    }
    let models = |crates: &[String], targets: &[&str]| {
        let mut cmd = cargo();
        cmd.args([
            "test",
            "--locked",
            "--release",
            "--target-dir",
            "target/loom",
        ]);
        for name in crates {
            cmd.args(["-p", name]);
        }
        cmd.args(targets)
            .env("RUSTFLAGS", "--cfg poolside_loom")
            .env("LOOM_MAX_PREEMPTIONS", "2");
        sh(&mut cmd)
    };
    if !outside.is_empty() {
        models(&outside, &["--test", "loom"])?;
    }
    if !inside.is_empty() {
        models(&inside, &["--lib", "--", "tests::loom::"])?;
    }
    Ok(())
}

fn bench() -> Result<(), String> {
    // Criterion's test mode: every case runs once, unoptimised.
    sh(cargo().args(["test", "--locked", "-p", "poolside-benches", "--benches"]))?;
    // The whole report pipeline on the quick cases, with the shortest criterion times:
    // building, timing, counting, the report and its chart, in seconds.
    crate::bench::run(&["--smoke".to_owned()])
}

/// Every example of the examples package, in its quick mode, so that none of them rots.
fn examples() -> Result<(), String> {
    let manifest = shell::root().join("examples/Cargo.toml");
    let text =
        std::fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    // The names of the `[[example]]` tables, in order.
    let mut names = Vec::new();
    let mut in_example = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_example = line == "[[example]]";
        } else if let (true, Some(name)) = (in_example, line.strip_prefix("name = ")) {
            names.push(name.trim_matches('"').to_owned());
        }
    }
    if names.is_empty() {
        return Err(format!("{} names no example", manifest.display()));
    }
    sh(cargo().args([
        "build",
        "--locked",
        "-q",
        "-p",
        "poolside-examples",
        "--examples",
    ]))?;
    for name in &names {
        let binary = shell::target_dir().join("debug/examples").join(name);
        sh(program(&binary.to_string_lossy())
            .arg("--quick")
            .stdout(std::process::Stdio::null()))?;
        println!("example {name}: ok");
    }
    Ok(())
}

/// The test binaries of `package`, built in the test profile.
fn test_binaries(package: &str) -> Result<Vec<String>, String> {
    let out = shell::capture_ok(
        cargo().args([
            "test",
            "--locked",
            "-p",
            package,
            "--all-features",
            "--tests",
            "--no-run",
            "--message-format=json",
        ]),
        &format!("building {package}'s tests"),
    )?;
    let mut binaries = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact" && msg["profile"]["test"] == true {
            if let Some(exe) = msg["executable"].as_str() {
                binaries.push(exe.to_owned());
            }
        }
    }
    Ok(binaries)
}

fn memcheck() -> Result<(), String> {
    if !shell::have("valgrind", &["--version"]) {
        return Err("valgrind is not installed (.ci/run installs it)".into());
    }
    for package in shell::unsafe_crates() {
        let binaries = test_binaries(&package)?;
        if binaries.is_empty() {
            return Err(format!("{package} has no test binaries to check"));
        }
        for exe in binaries {
            // std's own thread-locals show as "possibly lost"; only definite leaks and
            // invalid accesses fail the step.
            sh(program("valgrind").args([
                "-q",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite",
                "--error-exitcode=1",
                &exe,
                "--test-threads=1",
            ]))?;
        }
    }
    Ok(())
}

fn miri() -> Result<(), String> {
    if !shell::have("cargo", &["+nightly", "miri", "--version"]) {
        shell::shout(&[
            "MIRI IS NOT AVAILABLE: the nightly toolchain with miri and rust-src is",
            "missing (.ci/run tries `rustup component add --toolchain nightly miri",
            "rust-src`). Unsafe code is checked by loom and valgrind only this run.",
        ]);
        return Ok(());
    }
    let packages = shell::unsafe_crates();
    if packages.is_empty() {
        println!("no crate contains unsafe code; nothing for Miri to check");
        return Ok(());
    }
    let mut cmd = program("cargo");
    cmd.args(["+nightly", "miri", "test", "--locked", "--all-features"]);
    for package in &packages {
        cmd.args(["-p", package]);
    }
    // Miri's isolation would refuse the clock that the serial harness reads.
    cmd.env("MIRIFLAGS", "-Zmiri-disable-isolation");
    sh(&mut cmd)
}

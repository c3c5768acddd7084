//! A harness for `harness = false` test binaries whose tests must run one at a time.
//!
//! libtest runs a binary's tests on parallel threads. Tests that read process-wide
//! state, such as [`measure_global`](crate::measure_global) counts of work spread over
//! threads, would see each other. Such tests go in their own binary:
//!
//! ```toml
//! [[test]]
//! name = "steady_state"
//! harness = false
//! ```
//!
//! ```no_run
//! #[global_allocator]
//! static ALLOC: poolside_testkit::CountingAlloc = poolside_testkit::CountingAlloc::system();
//!
//! fn no_allocs_in_steady_state() {
//!     let (_, counts) = poolside_testkit::measure_global(|| { /* work */ });
//!     assert_eq!(counts.allocs, 0);
//! }
//!
//! fn main() {
//!     poolside_testkit::serial::run(&[
//!         ("no_allocs_in_steady_state", no_allocs_in_steady_state),
//!     ]);
//! }
//! ```
//!
//! [`run`] runs each test in turn, catches its panic, prints libtest's lines (so CI
//! reads the result the same way), and exits non-zero if any failed. It takes libtest's
//! selection arguments: filters (substrings, or whole names with `--exact`), `--skip
//! TEXT` and `--list`. Flags about threads, output and colour are accepted and ignored,
//! since the tests run one at a time anyway; an unknown flag is an error, not a silent
//! pass.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

/// A named test.
pub type Test = (&'static str, fn());

/// Runs `tests` one at a time, in order, and exits the process: 0 if all passed, 101
/// (libtest's code) if any failed.
pub fn run(tests: &[Test]) -> ! {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(101);
        }
    };
    let list_only = args.list;
    let selected: Vec<&Test> = tests
        .iter()
        .filter(|(name, _)| args.selects(name))
        .collect();
    if list_only {
        for (name, _) in &selected {
            println!("{name}: test");
        }
        std::process::exit(0);
    }

    let start = Instant::now();
    println!("\nrunning {} tests", selected.len());
    let mut failed = Vec::new();
    for (name, test) in &selected {
        let outcome = catch_unwind(AssertUnwindSafe(test));
        let verdict = if outcome.is_ok() { "ok" } else { "FAILED" };
        println!("test {name} ... {verdict}");
        if outcome.is_err() {
            failed.push(*name);
        }
    }
    let passed = selected.len() - failed.len();
    if !failed.is_empty() {
        println!("\nfailures:");
        for name in &failed {
            println!("    {name}");
        }
    }
    println!(
        "\ntest result: {}. {passed} passed; {} failed; 0 ignored; 0 measured; {} filtered out; finished in {:.2}s\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        failed.len(),
        tests.len() - selected.len(),
        start.elapsed().as_secs_f64()
    );
    std::process::exit(if failed.is_empty() { 0 } else { 101 });
}

/// libtest's selection arguments.
#[derive(Debug, Default)]
struct Args {
    filters: Vec<String>,
    skips: Vec<String>,
    exact: bool,
    list: bool,
}

impl Args {
    fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
        const IGNORED_WITH_VALUE: &[&str] = &[
            "--test-threads",
            "--logfile",
            "--format",
            "--color",
            "-Z",
            "--report-time",
        ];
        const IGNORED: &[&str] = &[
            "--nocapture",
            "--no-capture",
            "--show-output",
            "--quiet",
            "-q",
            "--test",
            "--include-ignored",
        ];
        let mut out = Args::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with('-') => (f.to_owned(), Some(v.to_owned())),
                _ => (arg.clone(), None),
            };
            match flag.as_str() {
                "--exact" => out.exact = true,
                "--list" => out.list = true,
                "--skip" => out.skips.push(
                    inline
                        .or_else(|| args.next())
                        .ok_or("--skip takes a value")?,
                ),
                "--ignored" | "--bench" => {
                    // No test here is ignored or a benchmark: select none.
                    out.filters.push(String::from("\0none"));
                    out.exact = true;
                }
                f if IGNORED_WITH_VALUE.contains(&f) => {
                    if inline.is_none() {
                        args.next().ok_or(format!("{f} takes a value"))?;
                    }
                }
                f if IGNORED.contains(&f) => {}
                f if f.starts_with('-') => return Err(format!("unknown flag {f}")),
                _ => out.filters.push(arg),
            }
        }
        Ok(out)
    }

    fn matches(&self, name: &str, pattern: &str) -> bool {
        if self.exact {
            name == pattern
        } else {
            name.contains(pattern)
        }
    }

    fn selects(&self, name: &str) -> bool {
        (self.filters.is_empty() || self.filters.iter().any(|f| self.matches(name, f)))
            && !self.skips.iter().any(|s| self.matches(name, s))
    }
}

#[cfg(test)]
mod tests {
    use super::Args;

    fn args(list: &[&str]) -> Result<Args, String> {
        Args::parse(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flag_values_are_not_filters() {
        let a = args(&["--test-threads", "2", "--format=json", "--logfile", "x"]).unwrap();
        assert!(a.selects("anything"));
    }

    #[test]
    fn skip_exact_and_filters() {
        let a = args(&["count", "--skip", "counts_this"]).unwrap();
        assert!(a.selects("counts_other_threads"));
        assert!(!a.selects("counts_this_thread_too"));
        assert!(!a.selects("unrelated"));
        let e = args(&["--exact", "count"]).unwrap();
        assert!(!e.selects("counts_other_threads") && e.selects("count"));
        let i = args(&["--ignored"]).unwrap();
        assert!(!i.selects("count"));
    }

    #[test]
    fn an_unknown_flag_is_an_error() {
        assert!(args(&["--frobnicate"]).is_err());
        assert!(args(&["--skip"]).is_err());
    }
}

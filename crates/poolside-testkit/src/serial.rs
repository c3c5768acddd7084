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
//! reads the result the same way), and exits non-zero if any failed. Arguments that are
//! not flags filter tests by substring, as libtest's do.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

/// A named test.
pub type Test = (&'static str, fn());

/// Runs `tests` one at a time, in order, and exits the process: 0 if all passed, 101
/// (libtest's code) if any failed.
pub fn run(tests: &[Test]) -> ! {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let list_only = std::env::args().any(|a| a == "--list");
    let selected: Vec<&Test> = tests
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f)))
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

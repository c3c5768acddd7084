//! The counting pass: B/op and allocs/op for every case, in a process of its own whose
//! global allocator counts, so the timing runs are not skewed by counting.
//!
//! `count [--iters N] [--json FILE] [filter...]`, or `count --list` for the registry
//! (one `group/name` a line, then the words `baseline`, `quick` and `mimalloc` where they apply). Each case runs a warm-up of N
//! operations (filling its pools), then N measured ones; every thread's allocations
//! during the measured run are counted.

use std::io::Write;

use poolside_testkit::{measure_global, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

fn main() {
    let mut iters: u64 = 10_000;
    let mut json = None;
    let mut filters = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--iters" => {
                iters = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| fail("--iters takes a whole number above 0"));
            }
            "--list" => {
                for case in poolside_benches::cases() {
                    println!("{}{}", case.id(), flags(&case));
                }
                for case in poolside_benches::mimalloc_cases() {
                    println!("{}{} mimalloc", case.id(), flags(&case));
                }
                return;
            }
            "--json" => json = Some(args.next().unwrap_or_else(|| fail("--json takes a file"))),
            flag if flag.starts_with('-') => fail(&format!("unknown flag {flag}")),
            filter => filters.push(filter.to_owned()),
        }
    }

    let mut all = poolside_benches::cases();
    all.extend(poolside_benches::mimalloc_cases());
    let mut lines = Vec::new();
    println!("{:<40} {:>12} {:>12}", "case", "B/op", "allocs/op");
    for case in poolside_benches::select(&all, &filters) {
        let mut routine = (case.make)();
        routine.run(iters);
        let (_, counts) = measure_global(|| routine.run(iters));
        let bytes = counts.bytes as f64 / iters as f64;
        let allocs = counts.allocs as f64 / iters as f64;
        println!("{:<40} {bytes:>12.1} {allocs:>12.3}", case.id());
        lines.push(format!(
            "{{\"id\":\"{}\",\"bytes_per_op\":{bytes},\"allocs_per_op\":{allocs}}}",
            case.id()
        ));
    }
    if let Some(path) = json {
        let mut file = std::fs::File::create(&path)
            .unwrap_or_else(|e| fail(&format!("cannot write {path}: {e}")));
        writeln!(file, "[{}]", lines.join(",\n"))
            .unwrap_or_else(|e| fail(&format!("cannot write {path}: {e}")));
    }
}

/// The words after a case's id in `--list`.
fn flags(case: &poolside_benches::Case) -> String {
    let baseline = if case.baseline { " baseline" } else { "" };
    let quick = if case.quick { " quick" } else { "" };
    format!("{baseline}{quick}")
}

fn fail(message: &str) -> ! {
    eprintln!("count: {message}");
    std::process::exit(2);
}

//! Runs one case a given number of times, for instruction counts:
//! `valgrind --tool=callgrind instr GROUP/NAME ITERS`. `cargo xtask instr` runs it twice
//! with different counts and divides the difference, so set-up cost cancels out.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [id, iters] = args.as_slice() else {
        eprintln!("usage: instr GROUP/NAME ITERS");
        std::process::exit(2);
    };
    let iters: u64 = iters.parse().unwrap_or_else(|_| {
        eprintln!("instr: ITERS must be a whole number");
        std::process::exit(2);
    });
    let all = poolside_benches::cases();
    let Some(case) = all.iter().find(|c| c.id() == *id) else {
        eprintln!("instr: no case {id}");
        std::process::exit(2);
    };
    let mut routine = (case.make)();
    routine.run(iters);
}

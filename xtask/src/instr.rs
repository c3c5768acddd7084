//! `cargo xtask instr [FILTER]...`: instructions per operation, counted by callgrind.
//!
//! Timings of a few-nanosecond operation drown in noise on a shared 2-core machine;
//! instruction counts do not. Each case runs under `valgrind --tool=callgrind` twice,
//! for a short and a long loop, and the difference divided by the extra operations is
//! the cost of one operation, with start-up and set-up cancelled out. For two-thread
//! cases it is both threads' instructions per iteration (one operation on each).
//!
//! The same measurement serves CI's instruction budget (`budget.rs`), which also asks
//! which locked instructions an operation executes: a `lock` prefix, or an `xchg` with a
//! memory operand, which locks without one. Callgrind then dumps its count for every
//! instruction address (`--dump-instr=yes`), `objdump -d` of each object says which
//! addresses hold a locked instruction, and those whose count grows from the short loop
//! to the long one run on every operation, or on a path taken every so many.

use std::collections::{HashMap, HashSet};
use std::path::Path;

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
        let per_op = measure(&id, None)?.instructions;
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

/// What one operation of a case costs.
pub(crate) struct PerOp {
    pub(crate) instructions: f64,
    /// The locked instructions that run more often in the long loop than in the short
    /// one, most frequent first; empty unless asked for.
    pub(crate) locked: Vec<Locked>,
}

/// A locked instruction that an operation executes.
pub(crate) struct Locked {
    /// Its function, as `objdump -C` names it, and its object file.
    pub(crate) function: String,
    pub(crate) object: String,
    pub(crate) address: u64,
    /// Its disassembly, such as `lock cmpxchg %rdx,0x8(%rdi)`.
    pub(crate) text: String,
    /// Executions per operation.
    pub(crate) per_op: f64,
}

impl PerOp {
    /// Locked instructions executed per operation, all of them together.
    pub(crate) fn locked_per_op(&self) -> f64 {
        self.locked.iter().fold(0.0, |sum, l| sum + l.per_op)
    }
}

/// The object files disassembled so far, by path: a binary is disassembled once however
/// many cases run in it.
#[derive(Default)]
pub(crate) struct Disassembly(HashMap<String, Object>);

/// What the check needs from one object file's disassembly.
#[derive(Default)]
struct Object {
    /// The address of every instruction.
    starts: HashSet<u64>,
    /// The locked instructions, by address, with their function and text.
    locked: HashMap<u64, (String, String)>,
}

impl Disassembly {
    fn object(&mut self, path: &str) -> Result<&Object, String> {
        if !self.0.contains_key(path) {
            let out = shell::capture_ok(
                program("objdump").args(["-d", "-C", "--no-show-raw-insn", path]),
                &format!("objdump -d {path}"),
            )?;
            let object = disassemble(&String::from_utf8_lossy(&out.stdout));
            self.0.insert(path.to_owned(), object);
        }
        Ok(&self.0[path])
    }
}

/// Measures one case: instructions per operation and, given a [`Disassembly`] to look
/// them up in, the locked instructions it executes per operation.
pub(crate) fn measure(id: &str, locks: Option<&mut Disassembly>) -> Result<PerOp, String> {
    let per_instruction = locks.is_some();
    let short = callgrind(id, SHORT, per_instruction)?;
    let long = callgrind(id, LONG, per_instruction)?;
    let extra = (LONG - SHORT) as f64;
    let mut per_op = PerOp {
        instructions: long.total.saturating_sub(short.total) as f64 / extra,
        locked: Vec::new(),
    };
    let Some(disassembly) = locks else {
        return Ok(per_op);
    };
    for (object, counts) in &long.by_instruction {
        let before = short.by_instruction.get(object);
        let grown: Vec<(u64, u64)> = counts
            .iter()
            .map(|(&address, &n)| {
                let was = before.and_then(|b| b.get(&address)).copied().unwrap_or(0);
                (address, n.saturating_sub(was))
            })
            .filter(|&(_, more)| more > 0)
            .collect();
        if grown.is_empty() {
            continue;
        }
        if !Path::new(object).is_file() {
            return Err(format!(
                "{id}: code outside any object file (`{object}`) runs on every operation, \
                 so its locked instructions cannot be looked up"
            ));
        }
        let disassembled = disassembly.object(object)?;
        // Callgrind names addresses within the object file, as objdump does; were that to
        // change, no locked instruction would ever be found, so a mismatch is an error.
        if let Some(&(address, _)) = grown
            .iter()
            .find(|(address, _)| !disassembled.starts.contains(address))
        {
            return Err(format!(
                "{id}: callgrind counted an instruction at {address:#x} in {object}, where \
                 objdump -d shows none"
            ));
        }
        for (address, more) in grown {
            if let Some((function, text)) = disassembled.locked.get(&address) {
                per_op.locked.push(Locked {
                    function: function.clone(),
                    object: object.clone(),
                    address,
                    text: text.clone(),
                    per_op: more as f64 / extra,
                });
            }
        }
    }
    per_op.locked.sort_by(|a, b| {
        b.per_op
            .total_cmp(&a.per_op)
            .then_with(|| (&a.object, a.address).cmp(&(&b.object, b.address)))
    });
    Ok(per_op)
}

/// One callgrind run of a case.
struct Run {
    total: u64,
    /// Instructions executed at each address of each object file; empty unless asked for.
    by_instruction: HashMap<String, HashMap<u64, u64>>,
}

fn callgrind(id: &str, iters: u64, per_instruction: bool) -> Result<Run, String> {
    let exe = target_dir().join("release/instr");
    let dump = target_dir()
        .join("instr")
        .join(format!("{}.{iters}.callgrind", id.replace('/', "-")));
    let mut cmd = program("valgrind");
    cmd.arg("--tool=callgrind");
    if per_instruction {
        std::fs::create_dir_all(dump.parent().unwrap())
            .map_err(|e| format!("{}: {e}", dump.display()))?;
        // Whole names and addresses on every line keep the dump simple to read.
        cmd.args([
            "--dump-instr=yes",
            "--compress-strings=no",
            "--compress-pos=no",
        ])
        .arg(format!("--callgrind-out-file={}", dump.display()));
    } else {
        cmd.arg("--callgrind-out-file=/dev/null");
    }
    let out = shell::capture(cmd.arg(&exe).args([id, &iters.to_string()]))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("callgrind on {id} failed:\n{stderr}"));
    }
    let total = stderr
        .lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("no instruction count in callgrind's output:\n{stderr}"))?;
    let mut by_instruction = HashMap::new();
    if per_instruction {
        let text = std::fs::read_to_string(&dump)
            .map_err(|e| format!("callgrind's dump {}: {e}", dump.display()))?;
        by_instruction = instruction_counts(&text);
        let _ = std::fs::remove_file(&dump);
    }
    Ok(Run {
        total,
        by_instruction,
    })
}

/// The instructions executed at each address of each object, from a callgrind dump made
/// with `--dump-instr=yes --compress-strings=no --compress-pos=no`. Cost lines are
/// `ADDRESS LINE COUNT`; the line after a `calls=` line carries the call's inclusive
/// cost, not the call instruction's own, and is skipped.
fn instruction_counts(dump: &str) -> HashMap<String, HashMap<u64, u64>> {
    let mut counts: HashMap<String, HashMap<u64, u64>> = HashMap::new();
    let mut object = String::new();
    let mut after_call = false;
    for line in dump.lines() {
        if let Some(name) = line.strip_prefix("ob=") {
            name.clone_into(&mut object);
        } else if line.starts_with("calls=") {
            after_call = true;
        } else if let Some(hex) = line.strip_prefix("0x") {
            if std::mem::take(&mut after_call) {
                continue;
            }
            let mut fields = hex.split_whitespace();
            let address = fields.next().and_then(|a| u64::from_str_radix(a, 16).ok());
            // A count left off is zero.
            let count = fields.nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
            if let Some(address) = address {
                *counts
                    .entry(object.clone())
                    .or_default()
                    .entry(address)
                    .or_default() += count;
            }
        }
    }
    counts
}

/// The instructions in `objdump -d -C --no-show-raw-insn` output, and which are locked.
fn disassemble(disassembly: &str) -> Object {
    let mut object = Object::default();
    let mut function = "";
    for line in disassembly.lines() {
        // `0000000000076dc0 <alloc::sync::Arc<T,A>::drop_slow>:` opens a function.
        if let Some((_, name)) = line.strip_suffix(">:").and_then(|l| l.split_once(" <")) {
            function = name;
            continue;
        }
        // `   76dcf:	lock decq (%rax)` is an instruction.
        let Some((address, text)) = line.trim_start().split_once(":\t") else {
            continue;
        };
        let Ok(address) = u64::from_str_radix(address, 16) else {
            continue;
        };
        object.starts.insert(address);
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if is_locked(&text) {
            object.locked.insert(address, (function.to_owned(), text));
        }
    }
    object
}

/// Whether an instruction, as objdump writes it, locks the bus: a `lock` prefix, or an
/// `xchg` with a memory operand (AT&T syntax: an operand in parentheses).
fn is_locked(text: &str) -> bool {
    // Prefixes and the mnemonic come before the first operand.
    let mut head = text
        .split_whitespace()
        .take_while(|w| !w.contains(['%', '$', '(', ',']));
    head.any(|w| w == "lock") || (text.starts_with("xchg") && text.contains('('))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_gives_counts_per_object_and_address_without_inclusive_call_costs() {
        let dump = "\
events: Ir
ob=/lib/libc.so.6
fn=free
0x9a0 12 3
0x9a4 12
ob=/bin/instr
fn=main
0x1000 5 2
cob=/lib/libc.so.6
cfn=free
calls=2 0x9a0 12
0x1004 5 9000
0x1004 5 2
0x1000 5 1
";
        let counts = instruction_counts(dump);
        assert_eq!(counts["/lib/libc.so.6"][&0x9a0], 3);
        assert_eq!(counts["/lib/libc.so.6"][&0x9a4], 0);
        assert_eq!(counts["/bin/instr"][&0x1000], 3);
        assert_eq!(counts["/bin/instr"][&0x1004], 2);
    }

    #[test]
    fn objdump_output_gives_the_instructions_and_the_locked_ones_with_their_functions() {
        let disassembly = "\
/bin/instr:     file format elf64-x86-64

Disassembly of section .text:

0000000000076dc0 <alloc::sync::Arc<T,A>::drop_slow>:
   76dc0:\tpush   %rbx
   76dcf:\tlock decq (%rax)
   76dd3:\txchg   %ax,%ax

0000000000160ec0 <poolside::tune>:
   160ec2:\txchg   %r10,0xc8(%r8)
   160ec9:\tmov    %r10,0xc8(%r8)
   1654ec:\tlock orl $0x0,-0x40(%rsp)
";
        let object = disassemble(disassembly);
        assert_eq!(object.starts.len(), 6);
        let found = object.locked;
        let mut addresses: Vec<u64> = found.keys().copied().collect();
        addresses.sort_unstable();
        assert_eq!(addresses, [0x76dcf, 0x160ec2, 0x1654ec]);
        assert_eq!(
            found[&0x76dcf],
            (
                "alloc::sync::Arc<T,A>::drop_slow".to_owned(),
                "lock decq (%rax)".to_owned()
            )
        );
        assert_eq!(found[&0x160ec2].0, "poolside::tune");
        assert_eq!(found[&0x1654ec].1, "lock orl $0x0,-0x40(%rsp)");
    }
}

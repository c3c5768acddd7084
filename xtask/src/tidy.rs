//! `cargo xtask tidy`: what a linter cannot check.
//!
//! - every `.rs` file starts with a `//!` doc comment (compile-fail fixtures under
//!   `tests/ui/` are exempt: their line numbers are part of their snapshots);
//! - every `unsafe` block and `unsafe impl` has a `SAFETY` comment just above it;
//! - every path dependency also names a version, so the crates can be published;
//! - every `go.mod` (the bench report's Go side) asks for no newer Go than
//!   [`GO_MAX`], the version Debian ships, so that its `golang-go` runs it.

use std::path::{Path, PathBuf};

use crate::shell::root;

/// The newest `go` directive a `go.mod` may have: Debian's `golang-go`.
const GO_MAX: (u32, u32) = (1, 19);

pub(crate) fn run() -> Result<(), String> {
    let problems = check(&root());
    if problems.is_empty() {
        println!("tidy: ok");
        Ok(())
    } else {
        for p in &problems {
            println!("tidy: {p}");
        }
        Err(format!("{} problem(s)", problems.len()))
    }
}

fn check(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for file in files(root) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let shown = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        if file.extension().is_some_and(|e| e == "rs") {
            if !is_fixture(&shown) {
                check_header(&shown, &text, &mut problems);
            }
            check_safety(&shown, &text, &mut problems);
        } else if file.file_name().is_some_and(|n| n == "Cargo.toml") {
            check_path_versions(&shown, &text, &mut problems);
        } else if file.file_name().is_some_and(|n| n == "go.mod") {
            check_go_version(&shown, &text, &mut problems);
        }
    }
    problems
}

fn is_fixture(path: &str) -> bool {
    path.contains("tests/ui/")
}

/// The repository's `.rs` files and manifests (Cargo's and Go's), outside `target/` and
/// hidden folders.
fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") || name == "Cargo.toml" || name == "go.mod" {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn check_header(path: &str, text: &str, problems: &mut Vec<String>) {
    if !text.trim_start().starts_with("//!") {
        problems.push(format!("{path}: does not start with a `//!` doc comment"));
    }
}

fn check_safety(path: &str, text: &str, problems: &mut Vec<String>) {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let code = without_strings(line);
        let code = code.split("//").next().unwrap_or("");
        let opens_block = code.contains("unsafe {") || code.contains("unsafe impl");
        if !opens_block {
            continue;
        }
        // The comment may sit on the line itself or in the comment lines just above it
        // (attributes and blank lines may come between).
        let mut has_safety = line.contains("SAFETY");
        let mut j = i;
        while !has_safety && j > 0 {
            j -= 1;
            let above = lines[j].trim();
            if above.starts_with("//") {
                has_safety = above.contains("SAFETY");
            } else if !(above.is_empty() || above.starts_with("#[")) {
                break;
            }
        }
        if !has_safety {
            problems.push(format!(
                "{path}:{}: `unsafe` without a `// SAFETY:` comment",
                i + 1
            ));
        }
    }
}

/// `line` with the contents of its string literals removed.
fn without_strings(line: &str) -> String {
    let mut out = String::new();
    let (mut in_string, mut escaped) = (false, false);
    for c in line.chars() {
        match (in_string, escaped, c) {
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (true, _, _) => escaped = false,
            (false, _, '"') => in_string = true,
            (false, _, c) => out.push(c),
        }
        if c == '"' && !in_string {
            out.push('"');
        }
    }
    out
}

fn check_go_version(path: &str, text: &str, problems: &mut Vec<String>) {
    let version = text.lines().find_map(|l| l.trim().strip_prefix("go "));
    let parsed = version.and_then(|v| {
        let mut parts = v.trim().split('.').map(str::parse::<u32>);
        Some((parts.next()?.ok()?, parts.next()?.ok()?))
    });
    let (max_major, max_minor) = GO_MAX;
    match parsed {
        Some(v) if v <= GO_MAX => {}
        Some(_) => problems.push(format!(
            "{path}: `go {}` is newer than Debian's Go {max_major}.{max_minor}",
            version.unwrap_or("").trim()
        )),
        None => problems.push(format!("{path}: no `go` directive")),
    }
}

fn check_path_versions(path: &str, text: &str, problems: &mut Vec<String>) {
    let mut section = String::new();
    // For `[dependencies.name]` tables: whether the table so far has a path / a version.
    let mut table: Option<(usize, bool, bool)> = None;
    let close_table = |table: &mut Option<(usize, bool, bool)>, problems: &mut Vec<String>| {
        if let Some((line, true, false)) = table.take() {
            problems.push(format!("{path}:{line}: path dependency without a version"));
        }
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            close_table(&mut table, problems);
            section = line.trim_matches(|c| c == '[' || c == ']').to_owned();
            let last = section.rsplit('.').nth(1).unwrap_or("");
            if last.ends_with("dependencies") {
                table = Some((i + 1, false, false));
            }
            continue;
        }
        if let Some((_, has_path, has_version)) = table.as_mut() {
            *has_path |= line.starts_with("path");
            *has_version |= line.starts_with("version");
        } else if section.ends_with("dependencies")
            && line.contains("path =")
            && !line.contains("version =")
        {
            problems.push(format!(
                "{path}:{}: path dependency without a version",
                i + 1
            ));
        }
    }
    close_table(&mut table, problems);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_is_tidy() {
        let problems = check(&root());
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn a_missing_header_is_caught() {
        let mut p = Vec::new();
        check_header("a.rs", "use std::fmt;\n", &mut p);
        check_header("b.rs", "//! Fine.\n", &mut p);
        assert_eq!(p, ["a.rs: does not start with a `//!` doc comment"]);
    }

    #[test]
    fn unsafe_without_safety_is_caught() {
        let mut p = Vec::new();
        check_safety("a.rs", "fn f() {\n    unsafe { g() }\n}\n", &mut p);
        check_safety(
            "b.rs",
            "// SAFETY: g has no preconditions.\n#[allow(x)]\nunsafe { g() }\n",
            &mut p,
        );
        check_safety("c.rs", "let s = \"unsafe\"; // not a block\n", &mut p);
        assert_eq!(p, ["a.rs:2: `unsafe` without a `// SAFETY:` comment"]);
    }

    #[test]
    fn a_go_mod_newer_than_debians_go_is_caught() {
        let mut p = Vec::new();
        check_go_version("a/go.mod", "module a\n\ngo 1.19\n", &mut p);
        check_go_version("b/go.mod", "module b\n\ngo 1.18\n", &mut p);
        check_go_version("c/go.mod", "module c\n\ngo 1.21.0\n", &mut p);
        check_go_version("d/go.mod", "module d\n", &mut p);
        assert_eq!(
            p,
            [
                "c/go.mod: `go 1.21.0` is newer than Debian's Go 1.19",
                "d/go.mod: no `go` directive"
            ]
        );
    }

    #[test]
    fn a_path_dependency_without_version_is_caught() {
        let mut p = Vec::new();
        let manifest = "\
[package]
name = \"x\"
[lib]
path = \"src/lib.rs\"
[dependencies]
good = { path = \"../good\", version = \"0.1\" }
bad = { path = \"../bad\" }
[dev-dependencies.also_bad]
path = \"../also_bad\"
[dependencies.fine]
path = \"../fine\"
version = \"1\"
";
        check_path_versions("Cargo.toml", manifest, &mut p);
        assert_eq!(
            p,
            [
                "Cargo.toml:7: path dependency without a version",
                "Cargo.toml:8: path dependency without a version"
            ]
        );
    }
}

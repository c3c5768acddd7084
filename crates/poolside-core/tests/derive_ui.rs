//! Compile-fail tests of `#[derive(Reset)]`: each error, and where it points.
//
// The `.stderr` snapshots in tests/ui are the exact output of the compiler pinned in
// rust-toolchain.toml. Another compiler version may word or place a message differently:
// when the toolchain moves, re-bless them together with
// `TRYBUILD=overwrite cargo test -p poolside-core --test derive_ui`, and read the diff.
#![cfg(feature = "derive")]

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}

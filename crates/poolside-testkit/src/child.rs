//! Running one test's body in a child process, for failures that abort the process.

use std::process::Command;

/// The variable that tells a test binary it is the child of [`in_child`].
const CHILD: &str = "POOLSIDE_TESTKIT_CHILD";

/// Runs `body` in a fresh child process of this test binary, and panics if the child
/// fails: it aborts, exits with an error, or prints a panic message.
///
/// `test` is the test's name as libtest knows it (the function name for a test at the top
/// of an integration test file): the child runs that test alone, sees the variable set,
/// and runs `body`. This turns a process abort (a panic out of a thread-local's
/// destructor, say) into one failing test instead of a dead test binary, and catches a
/// panic that was printed and then swallowed.
///
/// ```no_run
/// #[test]
/// fn a_thread_exit_is_quiet() {
///     poolside_testkit::in_child("a_thread_exit_is_quiet", || {
///         std::thread::spawn(|| ()).join().unwrap();
///     });
/// }
/// ```
pub fn in_child(test: &str, body: impl FnOnce()) {
    if std::env::var(CHILD).as_deref() == Ok(test) {
        body();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, test)
        .output()
        .expect("start the child test process");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && !stderr.contains("panicked"),
        "the child test `{test}` failed ({}):\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test named `{test}`:\n{stdout}"
    );
}

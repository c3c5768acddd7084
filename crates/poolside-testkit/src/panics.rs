//! Panicking on purpose in tests, without the noise.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static EXPECTING_PANIC: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with this thread's panic messages silenced, and returns what it returns; a
/// panic out of `f` still propagates. Other threads' panics still print, so tests
/// running in parallel keep their messages.
///
/// ```
/// let caught = poolside_testkit::quietly(|| std::panic::catch_unwind(|| panic!("expected")));
/// assert!(caught.is_err());
/// ```
pub fn quietly<R>(f: impl FnOnce() -> R) -> R {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !EXPECTING_PANIC.with(Cell::get) {
                default(info);
            }
        }));
    });
    let before = EXPECTING_PANIC.with(|e| e.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    EXPECTING_PANIC.with(|e| e.set(before));
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

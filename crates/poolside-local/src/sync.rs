//! The pieces loom must see, switched under `cfg(poolside_loom)`: the shortcut's word
//! (an atomic), the roster's mutex, and thread-local storage, which is loom's
//! `thread_local!` under loom (loom runs model threads on one OS thread).

#[cfg(not(poolside_loom))]
pub(crate) use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

#[cfg(poolside_loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

#[cfg(not(poolside_loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

#[cfg(poolside_loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

/// Declares one of the per-thread table's thread-locals.
#[cfg(not(poolside_loom))]
macro_rules! cache_table {
    ($name:ident: $t:ty = $init:expr) => {
        std::thread_local! {
            static $name: $t = const { $init };
        }
    };
}

#[cfg(poolside_loom)]
macro_rules! cache_table {
    ($name:ident: $t:ty = $init:expr) => {
        loom::thread_local! {
            static $name: $t = $init;
        }
    };
}

pub(crate) use cache_table;

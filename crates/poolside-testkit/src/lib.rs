//! Measuring tools for poolside's own tests and benchmarks. Not published.
//!
//! - [`CountingAlloc`]: a global allocator that counts allocations per thread and in
//!   total; [`measure`] and [`measure_global`] read it around a closure.
//! - [`OwnershipChecker`]: ids and in-use flags for stress tests; it panics the moment
//!   an object is handed to a second holder.
//! - [`measure_threads`]: the allocations of work spread over threads started together,
//!   counting only the measured part.
//! - [`in_child`]: runs a test's body in a child process, so that an abort or a printed
//!   panic fails one test instead of killing the binary.
//! - [`quietly`]: runs code that panics on purpose without printing its panic.
//! - [`serial`]: a tiny harness for `harness = false` test binaries whose tests must not
//!   run in parallel with each other (global allocation counts, process-wide state).
#![warn(
    missing_docs,
    missing_debug_implementations,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]

mod alloc;
mod child;
mod ownership;
mod panics;
pub mod serial;

pub use alloc::{
    global_counts, installed, measure, measure_global, measure_threads, thread_counts, AllocCounts,
    CountingAlloc,
};
pub use child::in_child;
pub use ownership::{Hold, OwnershipChecker};
pub use panics::quietly;

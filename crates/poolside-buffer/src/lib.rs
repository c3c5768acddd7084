//! Byte buffer pools, for what high-throughput services churn most: request bodies,
//! encode buffers, I/O scratch.
//!
//! - [`RingPool`]: a fixed number of fixed-size buffers in one allocation, handed out
//!   lock-free; after construction it allocates nothing, and no slot is ever held twice.
//! - [`SizedPool`]: size classes over poolside-object's pool; `get(n)` gives capacity of
//!   at least `n`, a buffer that grew goes home to the class it fills, and idle bytes
//!   stay within a budget however many threads use it.
//!
//! The crate is `#![deny(unsafe_code)]`; the ring's slot memory (`src/ring/slots.rs`) is
//! the one module allowed `unsafe`, with the argument for its soundness written there,
//! loom models in `tests/loom.rs`, and Miri and valgrind runs in CI.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod ring;
mod sized;
mod sync;

pub use ring::{GetError, RingBuf, RingConfig, RingError, RingPool, WhenFull};
pub use sized::{SizedBuf, SizedConfig, SizedError, SizedPool};

/// The README's example, run as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;

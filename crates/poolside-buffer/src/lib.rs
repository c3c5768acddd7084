//! Byte buffer pools, for what high-throughput services churn most: request bodies,
//! encode buffers, I/O scratch.
//!
//! - [`RingPool`]: a fixed number of fixed-size buffers in one allocation, handed out
//!   lock-free; after construction it allocates nothing but the heap buffers `get` lends
//!   when every slot is taken (`try_get` and `get_timeout` never do), and no slot is ever
//!   held twice.
//!   Built by [`RingPoolBuilder`]; its guard is [`RingBuf`].
//! - [`SizedPool`]: size classes; `get(n)` gives capacity of at least `n`, a buffer that
//!   grew goes home to the class it fills, and idle bytes stay within a budget however
//!   many threads use it. Built by [`SizedPoolBuilder`]; its guard is [`SizedBuf`]; its
//!   classes' spacing is a type: [`PowersOfTwo`], [`Quarters`] or [`Listed`].
//! - [`BytePool`]: one pool that learns from the capacities coming back which capacity
//!   to make new buffers with and which to keep. Built by [`BytePoolBuilder`]; its guard
//!   is [`ByteBuf`].
//!
//! Taking a buffer means the same in every pool: `get` never waits (at the ring's limit
//! it hands out a heap buffer), `try_get` never goes past a limit, `get_timeout` waits
//! for one. `get_owned` gives a guard that holds its pool, so it is `'static`: on a sized
//! or byte pool in an `Arc`, and on a ring, which is a handle already.
//!
//! The sized and byte pools share one engine (`src/engine.rs`): one block per thread per
//! pool, on poolside-local's per-thread table, with a stack of idle buffers for every
//! class, over a bounded lock-free queue and a byte budget per class.
//!
//! The sized and byte pools' guard is [`PooledBuf`], named [`SizedBuf`], [`ByteBuf`] and
//! their owned forms; the ring's is [`RingBuf`] ([`OwnedRingBuf`] when owned).
//!
//! Every guard derefs to its bytes (`Vec<u8>` for the sized and byte pools), implements
//! `AsRef<[u8]>`, `AsMut<[u8]>`, `io::Write` and `Debug`, and can `detach()`. With the
//! `bytes` feature, every guard is a `bytes::BufMut`, and a guard that outlives any scope
//! (of a `static` pool, or from `get_owned`) `freeze`s into a
//! `Bytes` that gives the buffer back when its last clone drops: what hyper and tokio
//! users need.
//!
//! The crate is `#![deny(unsafe_code)]` except in small places: the ring's slot memory
//! (`src/ring/slots.rs`); the guards of the engine (`src/held.rs`) and of the ring
//! (`RingBuf` in `src/ring.rs`), whose buffer or claim is taken out once with no `Option`
//! to test, and whose ring is a pointer that an owned guard's handle keeps valid; the engine's calls into poolside-local, its `Local` impl and its hit path's
//! unchecked index into a thread's idle bytes (`src/engine.rs`, each with its contract);
//! and, behind the `bytes` feature, the
//! `unsafe impl BufMut`s (`src/bytes.rs`), an `unsafe` trait that the guards implement by
//! delegating to `Vec<u8>`'s implementation or over the ring's always-initialised slot.
//!
//! The soundness argument for the slots is written in that module, with loom models in
//! `tests/loom.rs`; CI runs the crate's tests under Miri and valgrind.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod byte;
#[cfg(feature = "bytes")]
mod bytes;
mod engine;
mod guard;
mod held;
mod ring;
mod sized;
mod sync;

pub use byte::{ByteBuf, BytePool, BytePoolBuilder, OwnedByteBuf};
pub use guard::PooledBuf;
pub use ring::{OwnedRingBuf, RingBuf, RingPool, RingPoolBuilder};
pub use sized::{
    Listed, OwnedSizedBuf, PowersOfTwo, Quarters, SizedBuf, SizedPool, SizedPoolBuilder,
};

/// The traits the guards' and pools' bounds name, sealed: not part of the API, and
/// reachable here only for generic code over the layouts (benchmarks, tests).
#[doc(hidden)]
pub mod internals {
    /// The bound every layout meets: its arithmetic is the pool's business; users pick
    /// a layout type and never name the trait.
    pub use crate::sized::ClassLayout;

    /// What a pool does with a buffer whose `PooledBuf` drops.
    pub use crate::held::GiveBack;
}

/// The README's example, run as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;

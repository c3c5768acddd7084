//! The per-thread engine under poolside's pools.
//!
//! Every pool keeps, on each thread that uses it, a block of its own: the thread's
//! counts, which the pool's statistics sum, beside whatever the pool caches per thread
//! (the object pool's magazine of idle objects; a byte pool's magazine per size class).
//! This crate owns the blocks and the one `unsafe` path to them, written once for every
//! pool:
//!
//! - [`PoolId`]: a pool's index into each thread's table and its never-reused [`Tag`];
//!   its drop tells every thread to sweep the dropped pool's blocks.
//! - [`Local`]: what a pool implements for its per-thread state: how a block closes,
//!   whether its pool lives, whether the shortcut may point at it.
//! - [`with_block`] and [`with_last`]: run a function on this thread's block of a pool,
//!   through the table, or through the shortcut to the block used last (the hot path:
//!   one load and one compare).
//! - [`clear_all`]: turns every thread's shortcut off, so that its next use of any pool
//!   goes through the table and acts on a change (a trim or decay).
//! - [`Roster`]: a pool's roster of each thread's counts, in their blocks, and
//!   [`Recorded`], core's `Recorder` over it.
//! - [`Magazine`]: a fixed array of idle objects, the stack a block keeps them in.
//! - [`Budget`]: a byte budget that every tier and thread of a pool shares.
//! - [`Queue`]: the bounded queue of a pool's shared tier (crossbeam's `ArrayQueue`; a
//!   loom-visible stand-in under loom).
//! - [`Epoch`]: a pool's trims and decays, and [`since`], what changed between two
//!   readings.
//!
//! It is plumbing for poolside's pools, not an interface for users: the pools' crates
//! (`poolside-object`, `poolside-buffer`, or the `poolside` crate over them) are the ones
//! to depend on. Its items are public only so that those crates can reach them; they are
//! hidden from the documentation and may change in any release.
#![warn(
    missing_docs,
    missing_debug_implementations,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]
// `unsafe` is allowed in `table` and `shortcut`, for the shortcut and the blocks it
// points to, in `roster`, for its pointers to each thread's counts, and in `magazine`,
// for its array of slots (see their docs).
#![deny(unsafe_code)]

mod budget;
mod epoch;
mod ids;
mod magazine;
mod queue;
mod roster;
mod shortcut;
mod sync;
mod table;
// The loom models of the shortcut's protocol, beside the private type they check.
#[cfg(all(test, poolside_loom))]
mod tests;

#[doc(hidden)]
pub use budget::Budget;
#[doc(hidden)]
pub use epoch::{since, Epoch, Since};
#[doc(hidden)]
pub use ids::{PoolId, Tag};
#[doc(hidden)]
pub use magazine::Magazine;
#[doc(hidden)]
pub use queue::Queue;
#[doc(hidden)]
pub use roster::{Recorded, Roster};
#[doc(hidden)]
pub use shortcut::clear_all;
#[doc(hidden)]
pub use table::{with_block, with_last, Counts, Local};

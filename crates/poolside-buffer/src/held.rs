//! The guard of the engine's pools: a pool and one boxed buffer, with no `Option` for the
//! drop or a deref to test.
//!
//! The buffer sits in a `ManuallyDrop`, taken out exactly once: by `Drop`, which hands it
//! to the pool, or by [`Held::detach`], which forgets the guard first and takes the
//! buffer and the pool's holder out of it. That is the whole of the `unsafe` here.
#![allow(unsafe_code)]

use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

use crate::engine::Idle;

/// What a pool does with a buffer whose guard is dropped. Public only because
/// [`PooledBuf`](crate::PooledBuf) names it in its bounds; sealed, since only this
/// crate's pools make such guards.
pub trait GiveBack: sealed::Sealed {
    /// Takes the buffer back (or drops it, counted).
    fn give_back(&self, buf: Idle);

    /// Counts a buffer taken out for good.
    fn detached(&self);
}

pub(crate) mod sealed {
    /// Implemented by the pools whose guard is a `PooledBuf`.
    pub trait Sealed {}
}

/// A pool's buffer, lent out: given back when dropped. `H` is how the guard holds its
/// pool: a borrow (`&P`, the common guard) or an owned handle (`Arc<P>`, a guard that
/// may outlive any scope).
pub(crate) struct Held<H: Deref>
where
    H::Target: GiveBack,
{
    pool: H,
    buf: ManuallyDrop<Idle>,
}

impl<H: Deref> Held<H>
where
    H::Target: GiveBack,
{
    #[inline(always)]
    pub(crate) fn new(pool: H, buf: Idle) -> Self {
        Held {
            pool,
            buf: ManuallyDrop::new(buf),
        }
    }

    /// The pool it goes back to.
    #[inline(always)]
    pub(crate) fn pool(&self) -> &H::Target {
        &self.pool
    }

    /// The buffer, which no longer goes back (counted as detached).
    pub(crate) fn detach(self) -> Vec<u8> {
        self.pool.detached();
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so `Drop` never takes the buffer nor drops the
        // holder; each is taken here, once, and nothing reads the fields after.
        let (buf, pool) = unsafe {
            (
                ManuallyDrop::take(&mut this.buf),
                std::ptr::read(&this.pool),
            )
        };
        drop(pool);
        *buf
    }
}

impl<H: Deref> Drop for Held<H>
where
    H::Target: GiveBack,
{
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `drop` runs once, and `detach` forgets the guard instead of dropping
        // it, so the buffer is taken once; nothing reads the field after.
        let buf = unsafe { ManuallyDrop::take(&mut self.buf) };
        self.pool.give_back(buf);
    }
}

impl<H: Deref> Deref for Held<H>
where
    H::Target: GiveBack,
{
    type Target = Vec<u8>;

    #[inline(always)]
    fn deref(&self) -> &Vec<u8> {
        &self.buf
    }
}

impl<H: Deref> DerefMut for Held<H>
where
    H::Target: GiveBack,
{
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}

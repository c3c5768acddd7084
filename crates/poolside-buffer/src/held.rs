//! The guard of the engine's pools: a pool and one boxed buffer, with no `Option` for the
//! drop or a deref to test.
//!
//! The buffer sits in a `ManuallyDrop`, taken out exactly once: by `Drop`, which hands it
//! to the pool, or by [`Held::detach`], which forgets the guard first. That is the
//! whole of the `unsafe` here.
#![allow(unsafe_code)]

use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

use crate::engine::Idle;

/// What a pool does with a buffer whose guard is dropped.
pub(crate) trait GiveBack {
    /// Takes the buffer back (or drops it, counted).
    fn give_back(&self, buf: Idle);

    /// Counts a buffer taken out for good.
    fn detached(&self);
}

/// A pool's buffer, lent out: given back when dropped.
pub(crate) struct Held<'a, P: GiveBack> {
    pool: &'a P,
    buf: ManuallyDrop<Idle>,
}

impl<'a, P: GiveBack> Held<'a, P> {
    #[inline(always)]
    pub(crate) fn new(pool: &'a P, buf: Idle) -> Self {
        Held {
            pool,
            buf: ManuallyDrop::new(buf),
        }
    }

    /// The pool it goes back to.
    #[inline(always)]
    pub(crate) fn pool(&self) -> &'a P {
        self.pool
    }

    /// The buffer, which no longer goes back (counted as detached).
    pub(crate) fn detach(self) -> Vec<u8> {
        self.pool.detached();
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so `Drop` never takes the buffer; this is the
        // one take.
        *unsafe { ManuallyDrop::take(&mut this.buf) }
    }
}

impl<P: GiveBack> Drop for Held<'_, P> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `drop` runs once, and `into_inner` forgets the guard instead of dropping
        // it, so the buffer is taken once; nothing reads the field after.
        let buf = unsafe { ManuallyDrop::take(&mut self.buf) };
        self.pool.give_back(buf);
    }
}

impl<P: GiveBack> Deref for Held<'_, P> {
    type Target = Vec<u8>;

    #[inline(always)]
    fn deref(&self) -> &Vec<u8> {
        &self.buf
    }
}

impl<P: GiveBack> DerefMut for Held<'_, P> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}

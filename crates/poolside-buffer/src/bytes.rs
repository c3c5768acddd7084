//! `bytes` interop (feature `bytes`): the guards are `BufMut`, and a guard that outlives
//! any scope (of a `static` pool, or from `get_owned`) freezes into a `Bytes` that gives
//! the buffer back when its last clone drops.
//!
//! `BufMut` is an `unsafe` trait: an implementation promises that `chunk_mut` is
//! writable and that `advance_mut` only moves past bytes the caller initialised. The
//! guards of the sized and byte pools delegate every method to `Vec<u8>`'s own
//! implementation; the ring's guard exposes the rest of its slot, whose bytes are
//! always initialised (zeroed at construction).
#![allow(unsafe_code)]

use bytes::buf::UninitSlice;
use bytes::{BufMut, Bytes};

use std::ops::Deref;

use crate::held::GiveBack;
use crate::{PooledBuf, RingBuf};

/// `BufMut` and `freeze` for a `Vec<u8>` guard: its impl generics in brackets and its
/// type for any lifetime, then the same for a guard that lives for ever.
macro_rules! vec_buf_mut {
    ([$($g:tt)*] $ty:ty, [$($sg:tt)*] $static_ty:ty) => {
        // SAFETY: every method delegates to `Vec<u8>`'s `BufMut`, which keeps the trait's
        // promises, on the one `Vec<u8>` this guard holds for its whole life.
        unsafe impl<$($g)*> BufMut for $ty {
            fn remaining_mut(&self) -> usize {
                BufMut::remaining_mut(&**self)
            }

            unsafe fn advance_mut(&mut self, cnt: usize) {
                // SAFETY: the caller promises what `Vec<u8>::advance_mut` requires: `cnt`
                // bytes of the last `chunk_mut` (the vector's) were initialised.
                unsafe { BufMut::advance_mut(&mut **self, cnt) }
            }

            fn chunk_mut(&mut self) -> &mut UninitSlice {
                BufMut::chunk_mut(&mut **self)
            }
        }

        impl<$($sg)*> $static_ty {
            /// Turns the buffer into a [`Bytes`], without a copy. The buffer goes back to
            /// its pool when the last clone of the `Bytes` drops. For a buffer that
            /// outlives any scope: one of a pool in a `static` (say through `LazyLock`),
            /// or one from `get_owned`, which holds its pool.
            pub fn freeze(self) -> Bytes {
                Bytes::from_owner(self)
            }
        }
    };
}

vec_buf_mut!(
    [H: Deref<Target: GiveBack>] PooledBuf<H>,
    [H: Deref<Target: GiveBack> + Send + 'static] PooledBuf<H>
);

// SAFETY: `chunk_mut` is the slot past the filled length: writable, and initialised
// (slots are zeroed at construction, heap stand-ins made zeroed). `advance_mut`
// moves the filled length, at most to the capacity, over bytes that are initialised
// whatever the caller wrote.
unsafe impl<H> BufMut for RingBuf<'_, H> {
    fn remaining_mut(&self) -> usize {
        self.remaining()
    }

    unsafe fn advance_mut(&mut self, cnt: usize) {
        let len = (self.len() + cnt).min(self.capacity());
        // Within the capacity, so this cannot fail.
        let _ = self.set_len(len);
    }

    fn chunk_mut(&mut self) -> &mut UninitSlice {
        let len = self.len();
        UninitSlice::new(&mut self.slot_mut()[len..])
    }
}

impl<H: Send + 'static> RingBuf<'static, H> {
    /// Turns the filled bytes into a [`Bytes`], without a copy. The slot goes back to the
    /// ring when the last clone of the `Bytes` drops. For a buffer that outlives any
    /// scope: one of a ring in a `static`, or one from `get_owned`, which holds its ring.
    pub fn freeze(self) -> Bytes {
        Bytes::from_owner(self)
    }
}

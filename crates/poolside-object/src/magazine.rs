//! A thread cache's idle objects: a stack in a fixed-capacity array inside the cache's
//! own block, so a get or put reaches its slot from the block's address, with no buffer
//! pointer to load first as a `Vec`'s would need.
//!
//! The array has room for [`MAX`] objects ([`PoolConfig::MAX_THREAD_CACHE`]); a pool's
//! `thread_cache` (validated against that maximum by `PoolConfig`) is the capacity its
//! caches use. The `unsafe` here rests on two invariants that every method keeps:
//!
//! 1. `len <= cap <= MAX`;
//! 2. `slots[..len]` are initialised and owned by the magazine, `slots[len..]` are not
//!    (never written, or moved out).
//!
//! No method runs user code while the invariants are broken: the only user code reachable
//! from here is `Drop` of `T`, in [`Magazine`]'s own `Drop`, which runs after the stack is
//! given up.
#![allow(unsafe_code)]

use std::mem::MaybeUninit;
use std::ptr;

use poolside_core::PoolConfig;

/// The most objects a magazine holds.
pub(crate) const MAX: usize = PoolConfig::MAX_THREAD_CACHE;

/// A stack of at most `cap` objects: gets and puts at the top; the bottom holds the
/// coldest, which trims, decays and spills take first.
pub(crate) struct Magazine<T> {
    len: usize,
    cap: usize,
    slots: [MaybeUninit<T>; MAX],
}

impl<T> Magazine<T> {
    /// An empty magazine that holds up to `cap` objects (`MAX` at most).
    pub(crate) fn new(cap: usize) -> Self {
        Magazine {
            len: 0,
            cap: cap.min(MAX),
            slots: [const { MaybeUninit::uninit() }; MAX],
        }
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline(always)]
    pub(crate) fn is_full(&self) -> bool {
        self.len == self.cap
    }

    /// Takes the object at the top.
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: the old `len` was above 0, so the slot at the new one is initialised
        // (invariant 2) and in bounds (invariant 1); lowering `len` first gives it up, so
        // it is read out once.
        Some(unsafe { self.slots.get_unchecked(self.len).assume_init_read() })
    }

    /// Puts an object on top, or hands it back if the magazine is full.
    #[inline(always)]
    pub(crate) fn push(&mut self, obj: T) -> Result<(), T> {
        if self.len == self.cap {
            return Err(obj);
        }
        // SAFETY: `len < cap <= MAX`, so the slot is in bounds, and not initialised
        // (invariant 2), so nothing is overwritten; raising `len` then makes it owned.
        unsafe { self.slots.get_unchecked_mut(self.len).write(obj) };
        self.len += 1;
        Ok(())
    }

    /// Puts up to `n` objects from `take` on top, as far as there is room, until `take`
    /// has no more. Returns how many it put.
    pub(crate) fn fill(&mut self, n: usize, mut take: impl FnMut() -> Option<T>) -> usize {
        let n = n.min(self.cap - self.len);
        let mut filled = 0;
        while filled < n {
            let Some(obj) = take() else {
                break;
            };
            // SAFETY: `len < cap` (at most `cap - len` are put), as in `push`.
            unsafe { self.slots.get_unchecked_mut(self.len).write(obj) };
            self.len += 1;
            filled += 1;
        }
        filled
    }

    /// Takes the object at the bottom (the coldest); the rest slide down one slot.
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let base = self.slots.as_mut_ptr();
        // SAFETY: slot 0 is initialised (`len > 0`) and is read out once: the slide then
        // moves slots `1..len` over it (in bounds, as `len <= MAX`) and `len` drops by
        // one, so the last slot, now a stale copy, is given up.
        unsafe {
            let obj = (*base).assume_init_read();
            ptr::copy(base.add(1), base, self.len - 1);
            self.len -= 1;
            Some(obj)
        }
    }

    /// Moves up to `n` objects from the bottom, coldest first, to `give` while it takes
    /// them; the first one it refuses goes back to the bottom, and the rest slide down.
    /// Returns how many `give` took. `give` must not panic (the cache's closures never
    /// do: see `table`, rule 3).
    pub(crate) fn drain_front(
        &mut self,
        n: usize,
        mut give: impl FnMut(T) -> Result<(), T>,
    ) -> usize {
        let n = n.min(self.len);
        let base = self.slots.as_mut_ptr();
        let mut moved = 0;
        while moved < n {
            // SAFETY: `moved < n <= len`: the slot is initialised and in bounds. It is read
            // out once: either `give` takes it, and the slide below covers it, or it is
            // written back where it was.
            let obj = unsafe { (*base.add(moved)).assume_init_read() };
            if let Err(obj) = give(obj) {
                // SAFETY: the same slot, given back its object.
                unsafe { (*base.add(moved)).write(obj) };
                break;
            }
            moved += 1;
        }
        // SAFETY: slots `moved..len` are initialised; moved down over the given-up ones
        // (in bounds), with `len` lowered by `moved`, the stale copies above are given up.
        unsafe { ptr::copy(base.add(moved), base, self.len - moved) };
        self.len -= moved;
        moved
    }
}

impl<T> Drop for Magazine<T> {
    fn drop(&mut self) {
        let len = std::mem::take(&mut self.len);
        // SAFETY: slots `..len` are initialised and owned (invariant 2); `len` is 0 first,
        // so they are dropped once, even if a `Drop` of `T` panics (the slice's drop goes
        // on to the rest, as a `Vec`'s does).
        unsafe {
            ptr::drop_in_place(ptr::slice_from_raw_parts_mut(
                self.slots.as_mut_ptr().cast::<T>(),
                len,
            ))
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_magazine_is_a_stack_with_a_bottom_that_drains() {
        let mut m = Magazine::new(4);
        assert!(m.is_empty());
        for i in 0..4 {
            assert!(m.push(Box::new(i)).is_ok());
        }
        assert!(m.is_full());
        assert_eq!(m.push(Box::new(9)).map_err(|b| *b), Err(9));
        assert_eq!(m.pop().map(|b| *b), Some(3));
        assert_eq!(m.pop_front().map(|b| *b), Some(0));
        let mut taken = Vec::new();
        // Takes 1, refuses 2: 2 stays at the bottom.
        let moved = m.drain_front(5, |b| {
            if *b == 1 {
                taken.push(*b);
                Ok(())
            } else {
                Err(b)
            }
        });
        assert_eq!((moved, taken), (1, vec![1]));
        assert_eq!(m.len(), 1);
        assert_eq!(m.pop().map(|b| *b), Some(2));
        assert_eq!(m.pop(), None);
        assert_eq!(m.pop_front(), None);
    }

    #[test]
    fn a_capacity_above_the_maximum_is_held_to_it_and_what_is_left_drops_once() {
        use std::rc::Rc;
        let counted = Rc::new(());
        let mut m = Magazine::new(usize::MAX);
        let mut pushed = 0;
        while m.push(counted.clone()).is_ok() {
            pushed += 1;
        }
        assert_eq!(pushed, MAX);
        drop(m.pop_front());
        drop(m);
        assert_eq!(Rc::strong_count(&counted), 1);
    }
}

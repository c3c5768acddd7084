//! A thread cache's idle objects: a stack in a fixed-capacity array inside the cache's
//! own block, so a get or put reaches its slot from the block's address, with no buffer
//! pointer to load first as a `Vec`'s would need.
//!
//! The array has room for `N` objects; `cap` (at most `N`: the pool's `thread_cache`, or
//! less while a pool's budget leaves less room, see [`Magazine::set_cap`]) is how many the
//! magazine holds. The `unsafe` here rests on two invariants that every
//! method keeps, also when a function it is given panics:
//!
//! 1. `len <= cap <= N`;
//! 2. `slots[..len]` are initialised and owned by the magazine, `slots[len..]` are not
//!    (never written, or moved out).
//!
//! The user code reachable from here (`fill`'s `take`, `drain_front`'s `give`, and `Drop`
//! of `T` in [`Magazine`]'s own `Drop`) runs only while the invariants hold: a `give` that
//! panics leaves the magazine empty, with what it had not taken leaked.
#![allow(unsafe_code)]

use std::fmt;
use std::mem::MaybeUninit;
use std::ptr;

/// A stack of at most `cap` objects (`N` at most): gets and puts at the top; the bottom
/// holds the coldest, which trims, decays and spills take first.
pub struct Magazine<T, const N: usize> {
    len: usize,
    cap: usize,
    slots: [MaybeUninit<T>; N],
}

impl<T, const N: usize> Magazine<T, N> {
    /// An empty magazine that holds up to `cap` objects (`N` at most).
    pub fn new(cap: usize) -> Self {
        Magazine {
            len: 0,
            cap: cap.min(N),
            slots: [const { MaybeUninit::uninit() }; N],
        }
    }

    /// How many objects it holds at most.
    #[inline(always)]
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Sets how many objects it holds at most: `cap`, but never below what it holds now
    /// nor above `N`. A pool that counts a budget in slots lowers and raises it as its
    /// lease changes.
    #[inline]
    pub fn set_cap(&mut self, cap: usize) {
        self.cap = cap.clamp(self.len, N);
    }

    /// How many objects it holds.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether it holds `cap`.
    #[inline(always)]
    pub fn is_full(&self) -> bool {
        self.len == self.cap
    }

    /// Takes the object at the top.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<T> {
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
    pub fn push(&mut self, obj: T) -> Result<(), T> {
        if self.len == self.cap {
            return Err(obj);
        }
        // SAFETY: `len < cap <= N`, so the slot is in bounds, and not initialised
        // (invariant 2), so nothing is overwritten; raising `len` then makes it owned.
        unsafe { self.slots.get_unchecked_mut(self.len).write(obj) };
        self.len += 1;
        Ok(())
    }

    /// Puts up to `n` objects from `take` on top, as far as there is room, until `take`
    /// has no more. Returns how many it put.
    pub fn fill(&mut self, n: usize, mut take: impl FnMut() -> Option<T>) -> usize {
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
    pub fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let base = self.slots.as_mut_ptr();
        // SAFETY: slot 0 is initialised (`len > 0`) and is read out once: the slide then
        // moves slots `1..len` over it (in bounds, as `len <= N`) and `len` drops by
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
    /// Returns how many `give` took. If `give` panics, the objects it has not taken are
    /// leaked.
    pub fn drain_front(&mut self, n: usize, mut give: impl FnMut(T) -> Result<(), T>) -> usize {
        let len = self.len;
        let n = n.min(len);
        // While `give` runs, the magazine owns nothing (`len` 0): if it panics, the
        // objects not yet given are leaked, never dropped twice.
        self.len = 0;
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
        // (in bounds), with `len` set to `len - moved`, the stale copies above are given up.
        unsafe { ptr::copy(base.add(moved), base, len - moved) };
        self.len = len - moved;
        moved
    }
}

impl<T, const N: usize> Drop for Magazine<T, N> {
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

impl<T, const N: usize> fmt::Debug for Magazine<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Magazine")
            .field("len", &self.len)
            .field("cap", &self.cap)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn its_cap_moves_between_what_it_holds_and_its_room() {
        let mut m = Magazine::<_, 4>::new(1);
        assert!(m.push(Box::new(0)).is_ok());
        assert!(m.push(Box::new(1)).is_err(), "full at its cap");
        m.set_cap(9);
        assert_eq!(m.cap(), 4, "never above its room");
        for i in 1..4 {
            assert!(m.push(Box::new(i)).is_ok());
        }
        m.set_cap(0);
        assert_eq!(m.cap(), 4, "never below what it holds");
        assert_eq!(m.pop().map(|b| *b), Some(3));
        m.set_cap(0);
        assert_eq!((m.cap(), m.len()), (3, 3));
        assert!(m.push(Box::new(9)).is_err());
    }

    #[test]
    fn a_magazine_is_a_stack_with_a_bottom_that_drains() {
        let mut m = Magazine::<_, 8>::new(4);
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

    /// Draining fewer than it holds, or meeting a refusal, leaves the rest in order.
    #[test]
    fn a_short_or_refused_drain_leaves_the_rest_in_order() {
        let mut m = Magazine::<_, 8>::new(8);
        for i in 0..6 {
            assert!(m.push(i).is_ok());
        }
        let mut given = Vec::new();
        let mut take = |i| {
            given.push(i);
            Ok(())
        };
        assert_eq!(m.drain_front(2, &mut take), 2);
        assert_eq!(
            m.drain_front(9, |i| if i < 3 { take(i) } else { Err(i) }),
            1
        );
        assert_eq!(given, [0, 1, 2]);
        assert_eq!(m.len(), 3);
        assert_eq!(
            [m.pop_front(), m.pop_front(), m.pop()],
            [Some(3), Some(4), Some(5)]
        );
    }

    /// A `give` that panics leaks what it has not taken, and never lets an object be
    /// dropped twice.
    #[test]
    fn a_panicking_give_drops_nothing_twice() {
        use std::cell::Cell;
        struct Counted<'a>(&'a Cell<u32>);
        impl Drop for Counted<'_> {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
            }
        }
        let drops = Cell::new(0);
        let mut m = Magazine::<_, 4>::new(4);
        for _ in 0..3 {
            assert!(m.push(Counted(&drops)).is_ok());
        }
        let mut calls = 0;
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            m.drain_front(3, |obj| {
                calls += 1;
                drop(obj);
                assert!(calls < 2, "give panics on its second object");
                Ok(())
            })
        }));
        assert!(unwound.is_err());
        assert!(m.is_empty(), "what was left is leaked, not dropped again");
        drop(m);
        assert_eq!(drops.get(), 2, "two given and dropped, one leaked");
    }

    #[test]
    fn a_capacity_above_the_maximum_is_held_to_it_and_what_is_left_drops_once() {
        use std::rc::Rc;
        let counted = Rc::new(());
        let mut m = Magazine::<_, 8>::new(usize::MAX);
        let mut pushed = 0;
        while m.push(counted.clone()).is_ok() {
            pushed += 1;
        }
        assert_eq!(pushed, 8);
        drop(m.pop_front());
        drop(m);
        assert_eq!(Rc::strong_count(&counted), 1);
    }
}

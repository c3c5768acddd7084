//! The ring's slots: one zeroed allocation cut into fixed-size slots, and the lock-free
//! free list that hands each slot to one holder at a time. This module is the crate's
//! only `unsafe` code.
//!
//! # Why it is sound
//!
//! A [`Claim`] lends `&mut` to its slot's bytes, made from a pointer into the shared
//! allocation. That is sound because of one invariant: **a slot index is in at most one
//! place at a time, the free list or one claim.**
//!
//! - The free list is a stack of indices (a Treiber stack over the fixed `next` array).
//!   Popping is a compare-and-swap of the head, so of two threads that read the same top
//!   only one moves the head past it; the other's swap fails and it retries. The head
//!   carries a tag that every change bumps, so a head that was popped and pushed back
//!   meanwhile (ABA) does not compare equal. The tag is 32 bits: a swap could succeed
//!   wrongly only if exactly 2^32 changes happened while one thread sat between its load
//!   and its swap.
//! - An index leaves the list only by a successful pop, into exactly one new `Claim`, and
//!   comes back only when that claim drops, after its `&mut` is gone.
//! - A claim's writes happen before the next claimant's reads: the push that frees the
//!   slot is a release, the pop that takes it an acquire on the same atomic.
//!
//! The loom models in `tests/loom.rs` check these steps: under loom, every slot has a
//! loom `UnsafeCell` token that a claim holds mutably, so loom reports any two claims of
//! one slot that are not ordered by a release and an acquire.
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::fmt;

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicU32, AtomicU64, Ordering};

/// Why a ring cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RingError {
    /// A ring needs at least one slot.
    ZeroSlots,
    /// A slot needs at least one byte.
    ZeroSize,
    /// More slots than the free list can index (`u32::MAX - 1`), or a total size that
    /// overflows `usize` or exceeds `isize::MAX`.
    TooLarge,
    /// The allocator refused the ring's memory.
    AllocFailed,
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RingError::ZeroSlots => "a ring pool needs at least one slot",
            RingError::ZeroSize => "a ring pool's slots need at least one byte",
            RingError::TooLarge => {
                "the ring pool is too large: too many slots, or a total size that overflows"
            }
            RingError::AllocFailed => "the allocator refused the ring pool's memory",
        })
    }
}

impl std::error::Error for RingError {}

/// Under loom, one token per slot that a claim holds mutably, so that loom checks claims
/// of one slot are ordered. Elsewhere, nothing.
#[cfg(poolside_loom)]
type Token = loom::cell::UnsafeCell<()>;
#[cfg(poolside_loom)]
type TokenGuard = loom::cell::MutPtr<()>;
#[cfg(not(poolside_loom))]
struct TokenGuard;

/// The slots and their free list.
pub(crate) struct Slots {
    /// Every slot's bytes, slot `i` at `i * size`. Zeroed at construction.
    cells: Box<[UnsafeCell<u8>]>,
    size: usize,
    /// Low 32 bits: 1 + the index of the top free slot, or 0 when none is free. High 32
    /// bits: the tag, bumped by every change.
    head: CachePadded<AtomicU64>,
    /// `next[i]`: 1 + the index of the free slot below slot `i`, or 0.
    next: Box<[AtomicU32]>,
    #[cfg(poolside_loom)]
    tokens: Box<[Token]>,
}

// SAFETY: the bytes are reached only through a `Claim`, and a slot has at most one claim
// at a time (the module docs give the argument), so sharing `Slots` between threads
// never lets two threads reach one slot's bytes at once. Everything else is atomics.
unsafe impl Sync for Slots {}

const INDEX: u64 = u32::MAX as u64;
const TAG: u64 = 1 << 32;

impl Slots {
    /// `count` zeroed slots of `size` bytes, all free; lowest index on top.
    pub(crate) fn new(count: usize, size: usize) -> Result<Self, RingError> {
        if count == 0 {
            return Err(RingError::ZeroSlots);
        }
        if size == 0 {
            return Err(RingError::ZeroSize);
        }
        if count >= u32::MAX as usize {
            return Err(RingError::TooLarge);
        }
        let total = count
            .checked_mul(size)
            .filter(|&t| t <= isize::MAX as usize);
        let total = total.ok_or(RingError::TooLarge)?;
        let mut cells = Vec::new();
        cells
            .try_reserve_exact(total)
            .map_err(|_| RingError::AllocFailed)?;
        cells.resize_with(total, || UnsafeCell::new(0));
        let mut next = Vec::new();
        next.try_reserve_exact(count)
            .map_err(|_| RingError::AllocFailed)?;
        // Slot i sits on slot i + 1: 1 + (i + 1) = i + 2; the last has none below.
        next.extend(
            (0..count).map(|i| AtomicU32::new(if i + 1 < count { i as u32 + 2 } else { 0 })),
        );
        Ok(Slots {
            cells: cells.into_boxed_slice(),
            size,
            head: CachePadded::new(AtomicU64::new(1)),
            next: next.into_boxed_slice(),
            #[cfg(poolside_loom)]
            tokens: (0..count).map(|_| Token::new(())).collect(),
        })
    }

    /// Bytes per slot.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Number of slots.
    pub(crate) fn count(&self) -> usize {
        self.next.len()
    }

    /// Takes a free slot, or `None` when every slot is claimed. Lock-free.
    pub(crate) fn claim(&self) -> Option<Claim<'_>> {
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let top = (head & INDEX) as usize;
            if top == 0 {
                return None;
            }
            let index = top - 1;
            let below = u64::from(self.next[index].load(Ordering::Relaxed));
            let new = (head & !INDEX).wrapping_add(TAG) | below;
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Some(self.claimed(index)),
                Err(now) => head = now,
            }
        }
    }

    /// The claim of slot `index`, which the caller just popped from the free list.
    fn claimed(&self, index: usize) -> Claim<'_> {
        let start = index * self.size;
        let cells = &self.cells[start..start + self.size];
        Claim {
            slots: self,
            index: index as u32,
            // A pointer valid for the slot's `size` bytes, with write permission:
            // `UnsafeCell<u8>` has the layout of `u8` and allows writes through a pointer
            // obtained from it.
            bytes: UnsafeCell::raw_get(cells.as_ptr()),
            token: Some(self.token(index)),
        }
    }

    #[cfg(poolside_loom)]
    fn token(&self, index: usize) -> TokenGuard {
        self.tokens[index].get_mut()
    }

    #[cfg(not(poolside_loom))]
    fn token(&self, _index: usize) -> TokenGuard {
        TokenGuard
    }

    /// Puts slot `index` back on the free list. Lock-free.
    fn release(&self, index: u32) {
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            self.next[index as usize].store((head & INDEX) as u32, Ordering::Relaxed);
            let new = (head & !INDEX).wrapping_add(TAG) | (u64::from(index) + 1);
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }
}

/// One slot, held by one holder; dropping it frees the slot.
///
/// It keeps a raw pointer, not a `&mut [u8]`, and lends `&mut` only for the length of a
/// borrow of the claim: a reference stored in it would stay protected for as long as
/// any function that received the claim by value runs, such as the `drop` that frees the
/// slot, and would then overlap the next claimant's.
pub(crate) struct Claim<'a> {
    slots: &'a Slots,
    index: u32,
    /// The slot's first byte; valid for `slots.size` bytes.
    bytes: *mut u8,
    /// Dropped before the slot is released.
    token: Option<TokenGuard>,
}

// SAFETY: a claim is the only way to the slot's bytes while it exists (the module docs),
// like a `&mut [u8]`, which is `Send`; releasing from another thread is an atomic push.
unsafe impl Send for Claim<'_> {}

// SAFETY: a shared claim gives only `&[u8]` (`bytes`), like a `&mut [u8]`, which is `Sync`.
unsafe impl Sync for Claim<'_> {}

impl Claim<'_> {
    /// The slot's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `bytes` is valid for `size` initialised bytes (see `claimed`), and no
        // `&mut` to them exists while `&self` does: `bytes_mut` needs `&mut self`, and no
        // other claim of this slot exists (the module docs).
        unsafe { std::slice::from_raw_parts(self.bytes, self.slots.size) }
    }

    /// The slot's bytes, to write.
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; `&mut self` makes this the only reference to the bytes
        // for as long as it lives, and it cannot outlive the claim.
        unsafe { std::slice::from_raw_parts_mut(self.bytes, self.slots.size) }
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.token = None;
        self.slots.release(self.index);
    }
}

impl fmt::Debug for Slots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slots")
            .field("count", &self.count())
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

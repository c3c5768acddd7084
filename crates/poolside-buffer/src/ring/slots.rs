//! The ring's slots: one zeroed allocation cut into fixed-size slots, the lock-free
//! free list that hands each slot to one holder at a time, the waiting flag that tells a
//! returning holder to wake a waiter, and each slot's counts: the ring's `unsafe` code,
//! but for its guard's one take of its claim (`RingBuf` in `src/ring.rs`).
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
//!   comes back only when that claim is given back (`Claim::give_back`, which consumes it),
//!   after its `&mut` is gone.
//! - A claim's writes happen before the next claimant's reads: the push that frees the
//!   slot is a release, the pop that takes it an acquire on the same atomic.
//!
//! # Waiting
//!
//! The head's `WAITING` bit says that a thread found the list empty and is about to
//! sleep: a waiter sets it with a compare-and-swap that succeeds only while the list is
//! empty, and the push that returns a slot clears it and reports it, so its holder knows
//! to wake the waiters. Both are read-modify-writes of the head, so they are ordered one
//! way or the other: either the push comes first, and the waiter's swap fails and it
//! claims again, or the push sees the bit. So a return costs no fence and no second
//! atomic, and no wake-up is lost (the waiter holds the ring's lock from its failed claim
//! until it sleeps, and the holder takes that lock to wake it). The bit is set only
//! while the list is empty, so a claim never meets it.
//!
//! # Counts
//!
//! Each slot counts its claims and its returns (those not detached), written only by the slot's holder with a
//! plain load and store (its writes are ordered before the next holder's by the push
//! and pop above), so counting costs no shared write and no thread-local lookup.
//!
//! The loom models in `tests/loom.rs` check these steps: under loom, every slot has a
//! loom `UnsafeCell` token that a claim holds mutably, so loom reports any two claims of
//! one slot that are not ordered by a release and an acquire.
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

use crossbeam_utils::CachePadded;
use poolside_core::ConfigError;

use crate::sync::{AtomicU32, AtomicU64, Ordering};

/// Under loom, one token per slot that a claim holds mutably, so that loom checks claims
/// of one slot are ordered. Elsewhere, nothing.
#[cfg(poolside_loom)]
type Token = loom::cell::UnsafeCell<()>;
#[cfg(poolside_loom)]
type TokenGuard = Option<loom::cell::MutPtr<()>>;
#[cfg(not(poolside_loom))]
struct TokenGuard;

/// What a claim holds once it has given its token up, or never had one (a heap buffer).
#[cfg(poolside_loom)]
const NO_TOKEN: TokenGuard = None;
#[cfg(not(poolside_loom))]
const NO_TOKEN: TokenGuard = TokenGuard;

/// Bytes a [`Line`] holds: a cache line.
const LINE: usize = 64;

/// One cache line of slot memory. The slots start on a line, so a slot whose size is a
/// multiple of the line shares no line with another, and the first slot's place in
/// memory does not depend on where the allocator put the ring.
#[repr(C, align(64))]
struct Line([UnsafeCell<u8>; LINE]);

/// The slots and their free list.
pub(crate) struct Slots {
    /// Every slot's bytes, slot `i` at byte `i * size`, in whole lines. Zeroed at
    /// construction.
    cells: Box<[Line]>,
    size: usize,
    /// Low 31 bits (`INDEX`): 1 + the index of the top free slot, or 0 when none is
    /// free. Bit 31 (`WAITING`): a waiter found the list empty (set only while it is).
    /// High 32 bits: the tag, bumped by every change.
    head: CachePadded<AtomicU64>,
    /// Each slot's link in the free list and its counts.
    links: Box<[Link]>,
    #[cfg(poolside_loom)]
    tokens: Box<[Token]>,
}

// SAFETY: the bytes are reached only through a `Claim`, and a slot has at most one claim
// at a time (the module docs give the argument), so sharing `Slots` between threads
// never lets two threads reach one slot's bytes at once. Everything else is atomics.
unsafe impl Sync for Slots {}

/// One slot's place in the free list, and its counts, written only by its holder.
struct Link {
    /// 1 + the index of the free slot below this one, or 0.
    next: AtomicU32,
    /// This slot's index (fixed; it fills the padding after `next`).
    index: u32,
    claims: AtomicU64,
    puts: AtomicU64,
}

const INDEX: u64 = (1 << 31) - 1;
const WAITING: u64 = 1 << 31;
/// The tag's bits.
const TAGS: u64 = !(INDEX | WAITING);
const TAG: u64 = 1 << 32;

/// Adds one to a count that only the caller writes (see "Counts" in the module docs).
#[inline]
fn bump(count: &AtomicU64) {
    count.store(
        count.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
}

impl Slots {
    /// `count` zeroed slots of `size` bytes, all free; lowest index on top.
    pub(crate) fn new(count: usize, size: usize) -> Result<Self, ConfigError> {
        if count == 0 {
            return Err(ConfigError::ZeroSlots);
        }
        if size == 0 {
            return Err(ConfigError::ZeroSlotSize);
        }
        if count >= INDEX as usize {
            return Err(ConfigError::RingTooLarge);
        }
        // Rounded up to whole lines, the total must still fit an allocation.
        let total = count
            .checked_mul(size)
            .filter(|&t| t <= isize::MAX as usize - LINE);
        let total = total.ok_or(ConfigError::RingTooLarge)?;
        let mut cells = Vec::new();
        cells
            .try_reserve_exact(total.div_ceil(LINE))
            .map_err(|_| ConfigError::OutOfMemory)?;
        cells.resize_with(total.div_ceil(LINE), || {
            Line([const { UnsafeCell::new(0) }; LINE])
        });
        let mut links = Vec::new();
        links
            .try_reserve_exact(count)
            .map_err(|_| ConfigError::OutOfMemory)?;
        // Slot i sits on slot i + 1: 1 + (i + 1) = i + 2; the last has none below.
        links.extend((0..count).map(|i| Link {
            next: AtomicU32::new(if i + 1 < count { i as u32 + 2 } else { 0 }),
            index: i as u32,
            claims: AtomicU64::new(0),
            puts: AtomicU64::new(0),
        }));
        Ok(Slots {
            cells: cells.into_boxed_slice(),
            size,
            head: CachePadded::new(AtomicU64::new(1)),
            links: links.into_boxed_slice(),
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
        self.links.len()
    }

    /// Every slot's claims and counted returns so far, summed (approximate while holders
    /// run).
    pub(crate) fn counts(&self) -> (u64, u64) {
        self.links.iter().fold((0, 0), |(claims, puts), link| {
            (
                claims.wrapping_add(link.claims.load(Ordering::Relaxed)),
                puts.wrapping_add(link.puts.load(Ordering::Relaxed)),
            )
        })
    }

    /// Takes a free slot, or `None` when every slot is claimed. Lock-free.
    #[inline]
    pub(crate) fn claim(&self) -> Option<Claim<'_>> {
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let top = (head & INDEX) as usize;
            if top == 0 {
                return None;
            }
            let index = top - 1;
            let link = &self.links[index];
            let below = u64::from(link.next.load(Ordering::Relaxed));
            // A list with a free slot has no `WAITING` bit.
            let new = (head & TAGS).wrapping_add(TAG) | below;
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    // This thread holds the slot now: the counts are its to write.
                    bump(&link.claims);
                    return Some(self.claimed(link));
                }
                Err(now) => head = now,
            }
        }
    }

    /// The claim of `link`'s slot, which the caller just popped from the free list.
    #[inline]
    fn claimed<'a>(&'a self, link: &'a Link) -> Claim<'a> {
        let index = link.index as usize;
        // A pointer to the slot's `size` bytes, with write permission: a `Line` is an array
        // of `UnsafeCell<u8>` (`repr(C)`), which has the layout of `u8` and allows writes
        // through a pointer obtained from it, and the pointer covers every line.
        let first = UnsafeCell::raw_get(self.cells.as_ptr().cast::<UnsafeCell<u8>>());
        // SAFETY: `index < count` (a link's index is its place in `links`), and `cells`
        // holds at least `count * size` bytes, so the slot's bytes lie inside the
        // allocation.
        let bytes = unsafe { first.add(index * self.size) };
        Claim {
            slots: NonNull::from(self),
            link: Some(NonNull::from(link)),
            bytes,
            len: self.size,
            token: self.token(index),
            ring: PhantomData,
        }
    }

    /// Marks the list as waited on, if it is still empty: `true` if the mark is there
    /// (the caller may sleep until a return wakes it), `false` if a slot is free now (the
    /// caller claims again). Call it holding the lock that the returning holder takes to
    /// wake waiters (see "Waiting" in the module docs).
    pub(crate) fn announce_waiter(&self) -> bool {
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            if head & INDEX != 0 {
                return false;
            }
            if head & WAITING != 0 {
                return true;
            }
            let new = (head & TAGS).wrapping_add(TAG) | WAITING;
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => head = now,
            }
        }
    }

    #[cfg(poolside_loom)]
    #[inline]
    fn token(&self, index: usize) -> TokenGuard {
        Some(self.tokens[index].get_mut())
    }

    #[cfg(not(poolside_loom))]
    #[inline]
    fn token(&self, _index: usize) -> TokenGuard {
        TokenGuard
    }

    /// Puts `link`'s slot back on the free list, clearing the `WAITING` bit; returns
    /// whether it was set. Lock-free.
    #[inline(always)]
    fn push(&self, link: &Link) -> bool {
        let (next, top) = (&link.next, u64::from(link.index) + 1);
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            next.store((head & INDEX) as u32, Ordering::Relaxed);
            let new = (head & TAGS).wrapping_add(TAG) | top;
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return head & WAITING != 0,
                Err(now) => head = now,
            }
        }
    }
}

/// One slot, held by one holder, or a temporary heap buffer of the slot's size, until
/// [`give_back`](Claim::give_back) gives the slot back or frees the buffer. A claim that is
/// dropped instead (never, in this crate) keeps its slot out of the list, or leaks its
/// buffer: a leak, not unsoundness.
///
/// It keeps raw pointers, not references, and lends references only for the length of a
/// borrow of the claim: a reference stored in it would stay protected for as long as
/// any function that received the claim (or a guard holding it) by value runs. For the
/// bytes, such as in the `drop` that frees the slot, it would then overlap the next
/// claimant's; for the ring, such as in the `detach` of a guard that holds the last
/// handle to its ring, it would outlive the ring's memory. One type for both kinds of
/// bytes keeps a holder's reads and writes free of a branch on which kind it holds.
pub(crate) struct Claim<'a> {
    /// The ring's slots, valid for `'a`.
    slots: NonNull<Slots>,
    /// The slot's link in `slots`, valid for `'a`; `None` for a heap buffer.
    link: Option<NonNull<Link>>,
    /// The first byte, of the slot or of the heap buffer (from `Box::into_raw`).
    bytes: *mut u8,
    /// How many bytes: the slot size, kept beside the pointer so that a borrow of the
    /// bytes loads nothing through `slots`.
    len: usize,
    /// Given up before the slot is given back.
    token: TokenGuard,
    ring: PhantomData<&'a Slots>,
}

// SAFETY: a claim is the only way to its bytes while it exists (the module docs; a heap
// buffer is its own), like a `&mut [u8]`, which is `Send`; releasing from another thread
// is an atomic push, or a free.
unsafe impl Send for Claim<'_> {}

// SAFETY: a shared claim gives only `&[u8]` (`bytes`), like a `&mut [u8]`, which is `Sync`.
unsafe impl Sync for Claim<'_> {}

impl<'a> Claim<'a> {
    /// A zeroed heap buffer of `slots`' slot size, for a holder that found every slot
    /// taken. The size fitted the ring's own allocation, so it is a valid one; an
    /// allocator that refuses it ends the process, as `vec!` does.
    pub(crate) fn heap(slots: &'a Slots) -> Self {
        let bytes: *mut [u8] = Box::into_raw(vec![0u8; slots.size].into_boxed_slice());
        Claim {
            slots: NonNull::from(slots),
            link: None,
            bytes: bytes.cast::<u8>(),
            len: slots.size,
            token: NO_TOKEN,
            ring: PhantomData,
        }
    }

    /// Whether this is a heap buffer.
    #[inline]
    pub(crate) fn is_heap(&self) -> bool {
        self.link.is_none()
    }

    /// The bytes.
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `bytes` is valid for `len` initialised bytes (see `claimed` and `heap`)
        // while the claim exists, as `give_back` consumes it, and no `&mut` to them exists
        // while `&self` does: `bytes_mut` needs `&mut self`, and no other claim of this
        // slot exists (the module docs).
        unsafe { std::slice::from_raw_parts(self.bytes, self.len) }
    }

    /// The bytes, to write.
    #[inline]
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; `&mut self` makes this the only reference to the bytes
        // for as long as it lives, and it cannot outlive the claim.
        unsafe { std::slice::from_raw_parts_mut(self.bytes, self.len) }
    }

    /// Gives the slot back, counting a return when `counted`, or frees the heap buffer.
    /// Says which it did.
    #[inline(always)]
    pub(crate) fn give_back(self, counted: bool) -> Returned {
        match self.link {
            Some(link) => {
                // SAFETY: the ring outlives the claim (`'a`), so its slots and their
                // links are valid here, and only shared references to them are made.
                let (slots, link) = unsafe { (self.slots.as_ref(), link.as_ref()) };
                if counted {
                    // Still this claim's slot: the counts are its to write.
                    bump(&link.puts);
                }
                {
                    // Given up before the slot is on the list again (a loom token; nothing
                    // outside loom).
                    let _token = self.token;
                }
                if slots.push(link) {
                    Returned::SlotWaitedOn
                } else {
                    Returned::Slot
                }
            }
            None => free_heap(self.bytes, self.len),
        }
    }
}

/// What [`Claim::give_back`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returned {
    /// Gave the slot back.
    Slot,
    /// Gave the slot back to a list a waiter had marked: the caller wakes the waiters.
    SlotWaitedOn,
    /// Freed the heap buffer.
    Heap,
}

/// Frees a claim's heap buffer, `len` bytes at `bytes`.
#[cold]
fn free_heap(bytes: *mut u8, len: usize) -> Returned {
    // SAFETY: the heap buffer from `Box::into_raw` in `Claim::heap`, `len` bytes long;
    // `give_back` consumes the claim, so it is freed once.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(bytes, len)) });
    Returned::Heap
}

impl fmt::Debug for Slots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slots")
            .field("count", &self.count())
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

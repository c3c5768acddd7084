//! Each thread's table of blocks, and the one `unsafe` shortcut to them.
//!
//! # The table
//!
//! A std `thread_local!` (loom's under loom) holds, at each pool's index, that pool's
//! block for this thread, tagged with the pool's tag. Chosen over the `thread_local`
//! crate for soundness at thread exit: that crate panics (which aborts) when reached
//! during thread-local teardown, and it gives a dead thread's slot to a new thread. A
//! std thread-local answers `try_with` with an error instead, and a dead thread's blocks
//! are closed with it, so a pool gets its idle objects back.
//!
//! A block is the pool's per-thread state (a [`Local`]) beside the thread's counts. No
//! user code (resets, factories, `Drop` of a pooled value) ever runs while a block is
//! borrowed: callers take objects out, let go of the block, then run user code. Stale
//! blocks (of a dropped pool whose index a new pool got) are dropped outside the table's
//! borrow.
//!
//! # The shortcut
//!
//! Finding a block through the table costs a borrow flag, an index, a tag check and a
//! type check. Most threads use one pool at a time, so `SHORTCUT` remembers the tag and
//! address of the block used last; a get or put whose pool has that tag goes straight to
//! it ([`with_last`]) and need check nothing else: every trim or decay of its pool, and
//! every drop of another, turns every thread's shortcut off (see `shortcut` for how, and
//! why no change is missed), and the table path arms it again once the block says it
//! has nothing to act on ([`Local::may_arm`]). The `unsafe` here rests on three rules:
//!
//! 1. **Alive.** Blocks are boxed and owned by the table through a raw pointer, and
//!    [`Entry`]'s `Drop` turns `SHORTCUT` off before it frees the block it points to,
//!    so while `SHORTCUT` holds a tag, the block at its address is alive.
//! 2. **The right type.** A tag belongs to one pool for ever (tags are never reused) and
//!    its [`PoolId`] fixes the type of its blocks, so a pool that finds its own tag in
//!    `SHORTCUT` or in the table may cast the address to its own block type.
//! 3. **Not aliased.** A `&mut` to a pool's state exists only while [`with_block`] or
//!    [`with_last`] runs its function, and those functions (the callers' contract) run
//!    no user code and never reach the table, so no two can overlap on one thread (and
//!    blocks never leave their thread). The table's own calls into a block
//!    ([`Local::alive`], [`Local::may_arm`]) keep the same contract ([`Local`]'s). None
//!    of them panics either; if one did, unwinding could drop an object whose `Drop`
//!    uses the pool while its block is borrowed, so a guard aborts instead.
//!
//! # Blocks of dropped pools
//!
//! A thread cannot be reached from another, so when a pool is dropped its blocks on
//! other threads stay until those threads act: every drop bumps a global count (and turns
//! every shortcut off), and a thread that sees the count change at its next get or put on
//! any pool sweeps its table and frees the blocks of dropped pools. A thread that never
//! uses a pool again frees them when it exits.
//!
//! Every access to a block, through the table or through `SHORTCUT`, goes through the one
//! pointer that `Box::into_raw` returned, so no access invalidates another's permission.
#![allow(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::ptr::NonNull;
use std::sync::atomic::Ordering;

use crate::ids::{PoolId, Tag, DROPPED};
use crate::roster::Roster;
use crate::shortcut::{self, Word};
use crate::sync::cache_table;

/// A pool's state on one thread, kept by the table in a block beside the thread's counts.
///
/// # Safety
///
/// The table calls these methods while it holds blocks (rule 3 in the module docs), so an
/// implementation must keep the contract of [`with_block`]'s function: [`alive`],
/// [`may_arm`], [`Local::new_counts`] and [`Local::roster`] run no user code, never reach the table (no
/// `with_block` or `with_last`, on any pool) and never panic. [`close`] runs as the block
/// is freed, outside the table's borrow, and may run user code after it has retired the
/// counts.
///
/// [`alive`]: Local::alive
/// [`may_arm`]: Local::may_arm
/// [`close`]: Local::close
pub unsafe trait Local: Sized + 'static {
    /// The thread's counts, in the block beside this state, which the pool's statistics
    /// read from other threads through its [`Roster`].
    type Counts: Sync + 'static;
    /// The pool's shared part, which [`with_block`] is given.
    type Pool: ?Sized;

    /// The pool's id.
    fn id(pool: &Self::Pool) -> &PoolId<Self>;

    /// A thread's counts, at zero, for a block of `pool`.
    fn new_counts(pool: &Self::Pool) -> Self::Counts;

    /// The pool's roster, where a new block's counts are registered; `None` if the
    /// pool reads no counts.
    fn roster(pool: &Self::Pool) -> Option<&Roster<Self::Counts>>;

    /// Whether this block's pool is still alive; a thread's sweep frees the blocks of
    /// pools that are not.
    fn alive(&self) -> bool;

    /// Whether the shortcut may point at this block after a call through the table: it
    /// has acted on every change of its pool that clearing the shortcut announced (a
    /// trim or decay), as read after the clear (see `shortcut`).
    fn may_arm(&self, pool: &Self::Pool) -> bool;

    /// Closes the block, as its thread exits or its pool is found dropped. While the
    /// pool lives, it must retire `counts` from the pool's roster
    /// ([`Roster::retire`]) before it returns, and before any user code runs.
    fn close(&mut self, counts: &Counts<Self>);
}

/// The thread's counts in a block of `L`.
pub type Counts<L> = <L as Local>::Counts;

/// One thread's block for one pool: its counts, which other threads read (the pool's
/// statistics sum them), beside the pool's state, which no other thread touches. The two
/// are lent apart, so the `&mut` to the state that a function gets never covers what
/// another thread may be reading, and a counter's store cannot alias the state's fields,
/// which would make the optimizer load them again.
struct Block<L: Local> {
    counts: Counts<L>,
    local: L,
}

/// A block in the table: its pool's tag, the boxed [`Block`] (type-erased) and the
/// functions that use it as its real type.
struct Entry {
    tag: u64,
    block: NonNull<()>,
    free: unsafe fn(NonNull<()>),
    pool_alive: unsafe fn(NonNull<()>) -> bool,
}

impl Entry {
    fn new<L: Local>(pool: &L::Pool, local: L) -> Entry {
        let block = Box::into_raw(Box::new(Block {
            counts: L::new_counts(pool),
            local,
        }));
        if let Some(roster) = L::roster(pool) {
            // SAFETY: `block` is the box's own pointer, so its counts are live, and they
            // stay at this address until `free_block` closes the block, which retires
            // them (`Local`'s contract), before it frees it. No `&mut` to the block or its
            // counts is made until then: the state is lent on its own (`lend`), so the
            // roster's shared reads never overlap one.
            unsafe { roster.register(NonNull::from(&(*block).counts)) };
        }
        Entry {
            tag: L::id(pool).tag,
            block: NonNull::new(block).expect("a box is never null").cast(),
            free: free_block::<L>,
            pool_alive: pool_alive::<L>,
        }
    }

    fn pool_alive(&self) -> bool {
        // SAFETY: `self.block` and `self.pool_alive` were made together by `Entry::new`,
        // and the block lives as long as the entry (rule 1); only a shared reference is
        // made, while no `&mut` exists (rule 3: this runs outside any function lent it).
        unsafe { (self.pool_alive)(self.block) }
    }
}

/// Whether the pool of a block made by [`Entry::new`] is still alive.
///
/// # Safety
///
/// `block` must come from `Entry::new::<L>`, not be freed, and not be borrowed mutably.
unsafe fn pool_alive<L: Local>(block: NonNull<()>) -> bool {
    // SAFETY: the caller's contract: a live `Block<L>`, its state not mutably borrowed;
    // only the state's field is reached.
    let local = unsafe { &(*block.cast::<Block<L>>().as_ptr()).local };
    local.alive()
}

/// The state and the counts of a block made by [`Entry::new`], lent apart.
///
/// # Safety
///
/// `block` must come from `Entry::new::<L>`, not be freed, and its state must not be
/// borrowed for as long as the returned `&mut` lives.
#[inline(always)]
unsafe fn lend<'a, L: Local>(block: *mut ()) -> (&'a mut L, &'a Counts<L>) {
    let block = block.cast::<Block<L>>();
    // SAFETY: the caller's contract. The two references cover disjoint fields, each
    // reached from the block's own pointer, so the `&mut` covers the state alone and
    // the roster's shared reads of the counts never overlap it.
    unsafe { (&mut (*block).local, &(*block).counts) }
}

/// Closes and frees a block made by [`Entry::new`].
///
/// # Safety
///
/// `block` must come from `Entry::new::<L>`, and not have been freed, or be borrowed.
unsafe fn free_block<L: Local>(block: NonNull<()>) {
    // SAFETY: the caller's contract; `close` retires the counts from the roster
    // before anything else (`Local`'s contract), so only then is the box, and a `&mut`
    // to all of it, made.
    unsafe {
        let (local, counts) = lend::<L>(block.as_ptr());
        local.close(counts);
        drop(Box::from_raw(block.cast::<Block<L>>().as_ptr()));
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        // Rule 1: forget the shortcut before the block goes.
        let _ = SHORTCUT.try_with(|s| s.word.forget(self.tag));
        // SAFETY: `self.block` and `self.free` were made together by `Entry::new`, and an
        // entry frees its block only here, once. Closing the block may run user code
        // (`Drop` of a pooled value) that uses a pool; `SHORTCUT` no longer points here,
        // and the table is either released (stale blocks are dropped outside its borrow)
        // or being destroyed (so `try_with` fails and the pool uses its shared tier).
        unsafe { (self.free)(self.block) }
    }
}

/// The shortcut: the tag of the pool whose block this thread used last, while armed (see
/// `shortcut`), and that block's address. A plain struct with no destructor, so it can be
/// read and turned off even while the table is being destroyed; other threads reach its
/// word through the roster of `shortcut`, while this thread is enrolled.
struct Shortcut {
    word: Word,
    /// The block of the pool whose tag `word` holds; written only by this thread, and only
    /// once `word` is armed.
    block: Cell<*mut ()>,
    /// Whether `word` is in `shortcut`'s roster: [`NOT_YET`], [`ENROLLED`], or [`LEFT`]
    /// once this thread's [`Enrolment`] is dropped (it is exiting), after which the
    /// shortcut is never armed again.
    enrolment: Cell<u8>,
}

const NOT_YET: u8 = 0;
const ENROLLED: u8 = 1;
const LEFT: u8 = 2;

impl Shortcut {
    #[cfg(not(poolside_loom))]
    const fn new() -> Shortcut {
        Shortcut {
            word: Word::new(),
            block: Cell::new(std::ptr::null_mut()),
            enrolment: Cell::new(NOT_YET),
        }
    }

    #[cfg(poolside_loom)]
    fn new() -> Shortcut {
        Shortcut {
            word: Word::new(),
            block: Cell::new(std::ptr::null_mut()),
            enrolment: Cell::new(NOT_YET),
        }
    }

    /// Whether this thread may arm its shortcut: enrolled now, or never before (then it
    /// enrols, unless its thread-locals are being destroyed).
    fn enrolled(&self) -> bool {
        if self.enrolment.get() == NOT_YET && shortcut::ENABLED {
            // The enrolment's destructor must be registered first: it is what takes the
            // word out of the roster before this thread-local is freed.
            if ENROLMENT.try_with(|_| ()).is_ok() {
                // SAFETY: `self` is this thread's `SHORTCUT`, which lives until the
                // thread-locals are freed, and `Enrolment`'s drop, which runs before that,
                // unenrols it.
                unsafe { shortcut::enrol(&self.word) };
                self.enrolment.set(ENROLLED);
            }
        }
        self.enrolment.get() == ENROLLED
    }
}

/// Takes this thread's shortcut out of the roster when dropped, as the thread exits.
struct Enrolment;

impl Drop for Enrolment {
    fn drop(&mut self) {
        let _ = SHORTCUT.try_with(|s| {
            if s.enrolment.replace(LEFT) == ENROLLED {
                shortcut::unenrol(&s.word);
            }
        });
    }
}

cache_table!(TABLE: RefCell<Vec<Option<Entry>>> = RefCell::new(Vec::new()));
cache_table!(SHORTCUT: Shortcut = Shortcut::new());
cache_table!(ENROLMENT: Enrolment = Enrolment);
// The count of dropped pools when this thread last swept its table.
cache_table!(SWEPT: Cell<u64> = Cell::new(u64::MAX));

/// Runs `f` on a block, aborting if it unwinds (see rule 3: it never does).
#[inline(always)]
fn run_on<L: Local, A, R>(
    (local, counts): (&mut L, &Counts<L>),
    arg: A,
    f: fn(&mut L, &Counts<L>, A) -> R,
) -> R {
    struct AbortOnUnwind;
    impl Drop for AbortOnUnwind {
        fn drop(&mut self) {
            std::process::abort();
        }
    }
    let guard = AbortOnUnwind;
    let r = f(local, counts, arg);
    std::mem::forget(guard);
    r
}

/// Runs `f` on this thread's block of the pool tagged `tag` if the shortcut is armed
/// with that tag (the hot path: one load and one compare, see the module docs); else
/// hands `arg` back. `f` is passed as in [`with_block`].
///
/// # Safety
///
/// As for [`with_block`]: `f` runs no user code and never reaches the table.
#[inline(always)]
pub unsafe fn with_last<L: Local, A, R>(
    tag: Tag<L>,
    arg: A,
    f: fn(&mut L, &Counts<L>, A) -> R,
) -> Result<R, A> {
    let armed = SHORTCUT.try_with(|s| (s.word.load() == tag.tag).then(|| s.block.get()));
    if let Ok(Some(block)) = armed {
        // SAFETY: the shortcut is armed with this pool's tag, so (rule 1) the block at
        // its address is alive, (rule 2) it is this pool's `Block<L>`, and (rule 3,
        // with the caller's contract) no other reference to its state exists while `f`
        // runs.
        let block = unsafe { lend::<L>(block) };
        return Ok(run_on(block, arg, f));
    }
    Err(arg)
}

/// Runs `f` on this thread's block of `pool`, making the block's state with `make` on
/// first use. (`f` is a function pointer that takes `arg` rather than a closure that
/// captures it: at each call site it is a constant, so the optimizer calls, and inlines,
/// the `#[inline(always)]` function directly. A closure, or a function item through
/// `FnOnce`'s shim, is inlined at the optimizer's discretion, and the hot paths' were
/// not.) `None` when there is no table to use (the thread is exiting, or the table is
/// borrowed further up this thread's stack).
///
/// # Safety
///
/// `f` must run no user code (no reset, factory or `Drop` of a pooled value), must not
/// reach the table (no `with_block` or `with_last`, on any pool) and must not panic:
/// while it runs, it holds the only `&mut` to the block (rule 3 in the module docs).
/// `make` keeps the same contract: it runs while the table is borrowed.
#[inline(always)]
pub unsafe fn with_block<L: Local, A, R>(
    pool: &L::Pool,
    make: impl FnOnce() -> L,
    arg: A,
    f: fn(&mut L, &Counts<L>, A) -> R,
) -> Option<R> {
    // SAFETY: the caller's contract.
    match unsafe { with_last(L::id(pool).tag(), arg, f) } {
        Ok(r) => Some(r),
        Err(arg) => with_block_in_table(pool, make, arg, f),
    }
}

/// The path through the table: finds or makes the block (dropping a stale one first),
/// and arms `SHORTCUT` with it. (Called only from [`with_block`], whose caller's
/// contract covers `f`.)
#[cold]
#[inline(never)]
fn with_block_in_table<L: Local, A, R>(
    pool: &L::Pool,
    make: impl FnOnce() -> L,
    arg: A,
    f: fn(&mut L, &Counts<L>, A) -> R,
) -> Option<R> {
    let id = L::id(pool);
    let mut make = Some(make);
    let mut f = Some((f, arg));
    // Arming begins before the checks below read the dropped count and, in `f` and
    // `may_arm`, the pool's own state (see `shortcut`).
    let arming = SHORTCUT
        .try_with(|s| {
            let enrolled = s.enrolled();
            if enrolled {
                s.word.begin(id.tag);
            }
            enrolled
        })
        .unwrap_or(false);
    let dropped = DROPPED.load(Ordering::Acquire);
    let mut swept = SWEPT.try_with(Cell::get).unwrap_or(u64::MAX) == dropped;
    // At most three passes: after freeing dropped pools' blocks, after dropping a stale
    // block (each outside the borrow), and the one that runs `f`.
    for _ in 0..3 {
        let outcome = TABLE
            .try_with(|table| {
                let Ok(mut table) = table.try_borrow_mut() else {
                    return Step::Unavailable;
                };
                if !swept {
                    swept = true;
                    let dead: Vec<Entry> = table
                        .iter_mut()
                        .filter_map(|slot| match slot {
                            Some(entry) if !entry.pool_alive() => slot.take(),
                            _ => None,
                        })
                        .collect();
                    if !dead.is_empty() {
                        return Step::Sweep(dead);
                    }
                }
                if table.len() <= id.index {
                    table.resize_with(id.index + 1, || None);
                }
                let slot = &mut table[id.index];
                if slot.as_ref().is_some_and(|entry| entry.tag != id.tag) {
                    return Step::Stale(slot.take());
                }
                let entry = match slot {
                    Some(entry) => entry,
                    None => {
                        let Some(make) = make.take() else {
                            return Step::Unavailable;
                        };
                        slot.insert(Entry::new(pool, make()))
                    }
                };
                let Some((f, arg)) = f.take() else {
                    return Step::Unavailable;
                };
                // SAFETY: the entry has this pool's tag, so (rule 2) its block is a
                // `Block<L>`, alive while the entry is (rule 1), and (rule 3) no other
                // reference to its state exists while `f` runs.
                let (local, counts) = unsafe { lend::<L>(entry.block.as_ptr()) };
                let r = run_on((&mut *local, counts), arg, f);
                let _ = SWEPT.try_with(|s| s.set(dropped));
                // Armed once the block has acted on every change of its pool up to what
                // `may_arm` reads now (`f` may have just done so), and the table has no
                // dead pool's block left to sweep.
                if arming && local.may_arm(pool) {
                    let _ = SHORTCUT.try_with(|s| {
                        if s.word.finish(entry.tag) {
                            s.block.set(entry.block.as_ptr());
                        }
                    });
                }
                Step::Done(r)
            })
            .unwrap_or(Step::Unavailable);
        match outcome {
            Step::Done(r) => return Some(r),
            Step::Unavailable => return None,
            // A dropped pool's block, at an index a new pool now has. Dropping it runs
            // `Drop` of its objects, so it happens here, with the table released.
            Step::Stale(stale) => drop(stale),
            // Blocks of dropped pools: freed here, with the table released.
            Step::Sweep(dead) => drop(dead),
        }
    }
    None
}

enum Step<R> {
    Done(R),
    Stale(Option<Entry>),
    Sweep(Vec<Entry>),
    Unavailable,
}

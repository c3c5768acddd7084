//! Each thread's table of caches, and the one `unsafe` shortcut to them.
//!
//! # The table
//!
//! A std `thread_local!` (loom's under loom) holds, at each pool's index, that pool's
//! cache for this thread, tagged with the pool's tag. Chosen over the `thread_local`
//! crate for soundness at thread exit: that crate panics (which aborts) when reached
//! during thread-local teardown, and it gives a dead thread's slot to a new thread. A
//! std thread-local answers `try_with` with an error instead, and a dead thread's caches
//! are dropped with it, returning their objects to the shared tier.
//!
//! No user code (resets, factories, `Drop` of `T`) ever runs while a cache is borrowed:
//! callers take objects out, let go of the cache, then run user code. Stale caches (of a
//! dropped pool whose index a new pool got) are dropped outside the table's borrow.
//!
//! # The shortcut
//!
//! Finding a cache through the table costs a borrow flag, an index, a tag check and a
//! type check. Most threads use one pool at a time, so `SHORTCUT` remembers the tag and
//! address of the block used last; a get or put whose pool has that tag goes straight to
//! it ([`with_last`]) and need check nothing else: every trim or decay of its pool, and
//! every drop of another, turns every thread's shortcut off (see `shortcut` for how, and
//! why no change is missed), and the table path arms it again once its checks found
//! nothing to act on. The `unsafe` here rests on three rules kept in this module:
//!
//! 1. **Alive.** Caches are boxed and owned by the table through a raw pointer, and
//!    [`Entry`]'s `Drop` turns `SHORTCUT` off before it frees the cache it points to,
//!    so while `SHORTCUT` holds a tag, the cache at its address is alive.
//! 2. **The right type.** A tag belongs to one pool for ever (tags are never reused) and
//!    its caches are all `LocalCache<T, S>` of that pool's `T` and `S`, so a pool that
//!    finds its own tag in `SHORTCUT` may cast the address to its own cache type.
//! 3. **Not aliased.** A `&mut` to a cache exists only while [`with_cache`] runs its
//!    closure, and those closures run no user code, drop no object, allocate nothing
//!    (the cache's stack never grows past the capacity it was made with) and never call
//!    `with_cache`, so no two can overlap on one thread (and caches never leave their
//!    thread). None of them panics either; if one did, unwinding could drop an object
//!    whose `Drop` uses the pool while its cache is borrowed, so a guard aborts instead.
//!
//! # Caches of dropped pools
//!
//! A thread cannot be reached from another, so when a pool is dropped its caches on
//! other threads stay until those threads act: every drop bumps a global count (and turns
//! every shortcut off), and a thread that sees the count change at its next get or put on
//! any pool sweeps its table and frees the caches (and their idle objects) of dropped pools.
//! A thread that never uses a pool again frees them when it exits.
//!
//! Every access to a cache, through the table or through `SHORTCUT`, goes through the one
//! pointer that `Box::into_raw` returned, so no access invalidates another's permission.
#![allow(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::ptr::NonNull;
use std::sync::atomic::Ordering;

use poolside_core::Recorder;

use crate::ids::DROPPED;
use crate::local::{close, Block, LocalCache};
use crate::shared::Shared;
use crate::shortcut::{self, Word};
use crate::sync::cache_table;

/// A cache in the table: its pool's tag, the boxed [`Block`] (type-erased) and the
/// functions that use it as its real type.
struct Entry {
    tag: u64,
    cache: NonNull<()>,
    free: unsafe fn(NonNull<()>),
    pool_alive: unsafe fn(NonNull<()>) -> bool,
}

impl Entry {
    fn new<T: Send + 'static, S: Recorder>(
        tag: u64,
        shared: &Shared<T, S>,
        cache: LocalCache<T, S>,
    ) -> Entry {
        let block = Box::into_raw(Box::new(Block {
            counters: S::new_local(),
            cache,
        }));
        // SAFETY: `block` is the box's own pointer, so its counters are live, and they stay
        // at this address until `free_block` retires them (`close`) before it frees the
        // block. No `&mut` to the block or its counters is made until then: the cache is
        // lent on its own (`lend`), so the registry's shared reads never overlap one.
        unsafe { shared.stats.register(NonNull::from(&(*block).counters)) };
        Entry {
            tag,
            cache: NonNull::new(block).expect("a box is never null").cast(),
            free: free_block::<T, S>,
            pool_alive: pool_alive::<T, S>,
        }
    }

    fn pool_alive(&self) -> bool {
        // SAFETY: `self.cache` and `self.pool_alive` were made together by `Entry::new`,
        // and the cache lives as long as the entry (rule 1); only a shared reference is
        // made, while no `&mut` exists (rule 3: this runs outside any closure).
        unsafe { (self.pool_alive)(self.cache) }
    }
}

/// Whether the pool of a cache made by [`Entry::new`] is still alive.
///
/// # Safety
///
/// `cache` must come from `Entry::new::<T, S>`, not be freed, and not be borrowed
/// mutably.
unsafe fn pool_alive<T: Send + 'static, S: Recorder>(cache: NonNull<()>) -> bool {
    // SAFETY: the caller's contract: a live `Block<T, S>`, its cache not mutably
    // borrowed; only the cache's field is reached.
    let cache = unsafe { &(*cache.cast::<Block<T, S>>().as_ptr()).cache };
    cache.shared.strong_count() > 0
}

/// The cache and the counters of a block made by [`Entry::new`], lent apart.
///
/// # Safety
///
/// `block` must come from `Entry::new::<T, S>`, not be freed, and its cache must not be
/// borrowed for as long as the returned `&mut` lives.
#[inline(always)]
unsafe fn lend<'a, T: Send + 'static, S: Recorder>(
    block: *mut (),
) -> (&'a mut LocalCache<T, S>, &'a S::Local) {
    let block = block.cast::<Block<T, S>>();
    // SAFETY: the caller's contract. The two references cover disjoint fields, each
    // reached from the block's own pointer, so the `&mut` covers the cache alone and
    // the registry's shared reads of the counters never overlap it.
    unsafe { (&mut (*block).cache, &(*block).counters) }
}

/// Closes and frees a block made by [`Entry::new`].
///
/// # Safety
///
/// `block` must come from `Entry::new::<T, S>`, and not have been freed, or be borrowed.
unsafe fn free_block<T: Send + 'static, S: Recorder>(block: NonNull<()>) {
    // SAFETY: the caller's contract; `close` retires the counters from the registry
    // before anything else, so only then is the box, and a `&mut` to all of it, made.
    unsafe {
        let (cache, counters) = lend::<T, S>(block.as_ptr());
        close(cache, counters);
        drop(Box::from_raw(block.cast::<Block<T, S>>().as_ptr()));
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        // Rule 1: forget the shortcut before the cache goes.
        let _ = SHORTCUT.try_with(|s| s.word.forget(self.tag));
        // SAFETY: `self.cache` and `self.free` were made together by `Entry::new`, and an
        // entry frees its cache only here, once. Dropping the cache may run user code
        // (`Drop` of `T`) that uses a pool; `SHORTCUT` no longer points here, and the table
        // is either released (stale caches are dropped outside its borrow) or being
        // destroyed (so `try_with` fails and the pool uses its shared tier).
        unsafe { (self.free)(self.cache) }
    }
}

/// The shortcut: the tag of the pool whose block this thread used last, while armed (see
/// `shortcut`), and that block's address. A plain struct with no destructor, so it can be
/// read and turned off even while the table is being destroyed; other threads reach its
/// word through the registry of `shortcut`, while this thread is enrolled.
struct Shortcut {
    word: Word,
    /// The block of the pool whose tag `word` holds; written only by this thread, and only
    /// once `word` is armed.
    block: Cell<*mut ()>,
    /// Whether `word` is in `shortcut`'s registry: [`NOT_YET`], [`ENROLLED`], or [`LEFT`]
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
            // word out of the registry before this thread-local is freed.
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

/// Takes this thread's shortcut out of the registry when dropped, as the thread exits.
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

/// Runs `f` on a cache, aborting if it unwinds (see rule 3: it never does).
#[inline(always)]
fn run_on<T, S, A, R>(
    (cache, counters): (&mut LocalCache<T, S>, &S::Local),
    arg: A,
    f: fn(&mut LocalCache<T, S>, &S::Local, A) -> R,
) -> R
where
    T: Send + 'static,
    S: Recorder,
{
    struct AbortOnUnwind;
    impl Drop for AbortOnUnwind {
        fn drop(&mut self) {
            std::process::abort();
        }
    }
    let guard = AbortOnUnwind;
    let r = f(cache, counters, arg);
    std::mem::forget(guard);
    r
}

/// Runs `f(cache, arg)` on this thread's cache of the pool tagged `tag` if the shortcut
/// is armed with that tag (the hot path: see the module docs); else hands `arg` back. `f`
/// is passed as in [`with_cache`].
#[inline(always)]
pub(crate) fn with_last<T, S, A, R>(
    tag: u64,
    arg: A,
    f: fn(&mut LocalCache<T, S>, &S::Local, A) -> R,
) -> Result<R, A>
where
    T: Send + 'static,
    S: Recorder,
{
    let armed = SHORTCUT.try_with(|s| (s.word.load() == tag).then(|| s.block.get()));
    if let Ok(Some(block)) = armed {
        // SAFETY: the shortcut is armed with this pool's tag, so (rule 1) the block at
        // its address is alive, (rule 2) it is this pool's `Block<T, S>`, and (rule 3)
        // no other reference to its cache exists while `f` runs.
        let block = unsafe { lend::<T, S>(block) };
        return Ok(run_on(block, arg, f));
    }
    Err(arg)
}

/// Runs `f(cache, arg)` on this thread's cache of the pool `shared`, making the cache with
/// `make` on first use. (`f` is a function pointer that takes `arg` rather than a closure
/// that captures it: at each call site it is a constant, so the optimizer calls, and
/// inlines, the `#[inline(always)]` function directly. A closure, or a function item
/// through `FnOnce`'s shim, is inlined at the optimizer's discretion, and the hot paths'
/// were not.) `None` when there is no table to use (the thread is exiting, or the table
/// is borrowed further up this thread's stack).
#[inline(always)]
pub(crate) fn with_cache<T, S, A, R>(
    shared: &Shared<T, S>,
    make: impl FnOnce() -> LocalCache<T, S>,
    arg: A,
    f: fn(&mut LocalCache<T, S>, &S::Local, A) -> R,
) -> Option<R>
where
    T: Send + 'static,
    S: Recorder,
{
    match with_last(shared.id.tag, arg, f) {
        Ok(r) => Some(r),
        Err(arg) => with_cache_in_table(shared, make, arg, f),
    }
}

/// The path through the table: finds or makes the cache (dropping a stale one first),
/// and arms `SHORTCUT` with it.
#[cold]
#[inline(never)]
fn with_cache_in_table<T, S, A, R>(
    shared: &Shared<T, S>,
    make: impl FnOnce() -> LocalCache<T, S>,
    arg: A,
    f: fn(&mut LocalCache<T, S>, &S::Local, A) -> R,
) -> Option<R>
where
    T: Send + 'static,
    S: Recorder,
{
    let id = &shared.id;
    let mut make = Some(make);
    let mut f = Some((f, arg));
    // Arming begins before the checks below read the dropped count and, in `f`, the
    // pool's epoch (see `shortcut`).
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
    // At most three passes: after freeing dropped pools' caches, after dropping a stale
    // cache (each outside the borrow), and the one that runs `f`.
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
                        slot.insert(Entry::new(id.tag, shared, make()))
                    }
                };
                let Some((f, arg)) = f.take() else {
                    return Step::Unavailable;
                };
                // SAFETY: the entry has this pool's tag, so (rule 2) its block is a
                // `Block<T, S>`, alive while the entry is (rule 1), and (rule 3) no other
                // reference to its cache exists while `f` runs.
                let (cache, counters) = unsafe { lend::<T, S>(entry.cache.as_ptr()) };
                let r = run_on((&mut *cache, counters), arg, f);
                let _ = SWEPT.try_with(|s| s.set(dropped));
                // Armed once the cache has acted on every trim and decay of its pool up
                // to the epoch read now (`f` may have just done so), and the table has
                // no dead pool's cache left to sweep.
                if arming && cache.epoch == shared.epoch() && cache.to_release == 0 {
                    let _ = SHORTCUT.try_with(|s| {
                        if s.word.finish(entry.tag) {
                            s.block.set(entry.cache.as_ptr());
                        }
                    });
                }
                Step::Done(r)
            })
            .unwrap_or(Step::Unavailable);
        match outcome {
            Step::Done(r) => return Some(r),
            Step::Unavailable => return None,
            // A dropped pool's cache, at an index a new pool now has. Dropping it runs
            // `Drop` of its objects, so it happens here, with the table released.
            Step::Stale(stale) => drop(stale),
            // Caches of dropped pools: freed here, with the table released.
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

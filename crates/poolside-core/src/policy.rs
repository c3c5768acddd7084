//! Recycle policies: how a pool makes objects and what it does with returned ones.

use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::mem::size_of;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::stats::Discard;
use crate::Reset;

/// What a policy decided about an object that came back to the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verdict {
    /// The object is clean and may be handed out again.
    Keep,
    /// The object holds more memory than the pool should retain; drop it.
    Oversized,
    /// The policy refuses the object for another reason; drop it.
    Reject,
}

/// A pool's recycle policy: how it makes a new object, and what it does with one that
/// comes back.
///
/// `recycle` runs on every return, before the object can be handed out again. It must
/// leave a kept object in the state a fresh [`create`](Recycle::create) would give, so
/// that no holder ever sees what the previous one left. A factory that makes objects in
/// some state other than the type's clean [`Reset`] state (say `status = 200`) restores
/// that state here.
///
/// Pools call `recycle` under `catch_unwind`, so a panic inside it discards the object
/// and is counted; the pool lives on.
///
/// ```
/// use poolside_core::{Recycle, Reset, Verdict};
///
/// struct Response { status: u16, body: Vec<u8> }
///
/// /// Makes 200 responses and keeps bodies up to 64 KiB.
/// struct ResponsePolicy;
///
/// impl Recycle<Response> for ResponsePolicy {
///     fn create(&self) -> Response {
///         Response { status: 200, body: Vec::new() }
///     }
///     fn recycle(&self, r: &mut Response) -> Verdict {
///         if r.body.capacity() > 64 * 1024 {
///             return Verdict::Oversized;
///         }
///         r.body.reset();
///         r.status = 200;
///         Verdict::Keep
///     }
///     fn retained_bytes(&self, r: &Response) -> usize {
///         r.body.capacity()
///     }
/// }
///
/// let policy = ResponsePolicy;
/// let mut r = policy.create();
/// r.status = 500;
/// r.body.extend_from_slice(b"oops");
/// assert_eq!(policy.recycle(&mut r), Verdict::Keep);
/// assert_eq!((r.status, r.body.len()), (200, 0));
/// ```
pub trait Recycle<T> {
    /// Makes a new object, for a pool that has none idle.
    fn create(&self) -> T;

    /// Cleans a returned object and says whether the pool may keep it.
    fn recycle(&self, obj: &mut T) -> Verdict;

    /// The heap bytes that `obj` keeps while idle, for pools with a byte budget.
    ///
    /// The default says 0: the policy does not know. [`CapPolicy`] reports the capacity.
    fn retained_bytes(&self, obj: &T) -> usize {
        let _ = obj;
        0
    }
}

/// Runs `policy.recycle(obj)` under `catch_unwind`, and turns the verdict into what the
/// pool does next.
///
/// `Ok(())` means keep the object. `Err(reason)` means drop it and count `reason`; after
/// a panic the object may be half-reset, and the pool must never hand it out again. The
/// panic itself is caught and not propagated, though the panic hook still reports it.
///
/// The policy is used again after a panic, so a policy with interior state (a `Cell`,
/// a `RefCell`) must leave that state valid if `recycle` unwinds. Under `panic = "abort"`
/// nothing is caught: the process ends, as with any panic.
///
/// ```
/// use poolside_core::internals::{recycle_guarded, Discard};
/// use poolside_core::{FnPolicy, Verdict};
///
/// let policy = FnPolicy::new(Vec::<u8>::new).with_recycle(|v: &mut Vec<u8>| {
///     if v.len() == 13 {
///         panic!("unlucky");
///     }
///     v.clear();
///     Verdict::Keep
/// });
///
/// let mut fine = vec![1, 2, 3];
/// assert_eq!(recycle_guarded(&policy, &mut fine), Ok(()));
///
/// # let hook = std::panic::take_hook();
/// # std::panic::set_hook(Box::new(|_| {}));
/// let mut cursed = vec![0; 13];
/// assert_eq!(recycle_guarded(&policy, &mut cursed), Err(Discard::ResetPanicked));
/// # std::panic::set_hook(hook);
/// ```
pub fn recycle_guarded<T, P>(policy: &P, obj: &mut T) -> Result<(), Discard>
where
    P: Recycle<T> + ?Sized,
{
    // AssertUnwindSafe: if `recycle` panics, the object is discarded, so nobody observes
    // its broken state. The policy itself must stay usable after a panic (see the docs).
    match catch_unwind(AssertUnwindSafe(|| policy.recycle(obj))) {
        Ok(Verdict::Keep) => Ok(()),
        Ok(Verdict::Oversized) => Err(Discard::Oversized),
        Ok(Verdict::Reject) => Err(Discard::Rejected),
        Err(payload) => {
            drop_payload(payload);
            Err(Discard::ResetPanicked)
        }
    }
}

/// Drops a caught panic's payload, whose own `Drop` may panic too: that panic is caught
/// and its payload (usually a message, which drops cleanly) dropped in turn. A payload
/// that still panics after a few rounds is forgotten, so nothing escapes.
#[cold]
fn drop_payload(mut payload: Box<dyn std::any::Any + Send>) {
    for _ in 0..4 {
        match catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return,
            Err(again) => payload = again,
        }
    }
    std::mem::forget(payload);
}

/// The default policy: new objects from [`Default`], returned ones cleaned with [`Reset`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DefaultPolicy;

impl<T: Default + Reset> Recycle<T> for DefaultPolicy {
    #[inline]
    fn create(&self) -> T {
        T::default()
    }

    #[inline]
    fn recycle(&self, obj: &mut T) -> Verdict {
        obj.reset();
        Verdict::Keep
    }
}

/// The recycle step that [`FnPolicy`] uses until [`FnPolicy::with_recycle`] replaces it:
/// [`Reset::reset`], then keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ResetOnly;

/// A policy built from closures: a factory, and optionally a recycle step.
///
/// Without [`with_recycle`](FnPolicy::with_recycle), returned objects are cleaned with
/// [`Reset`]. Note that a reset object is in the type's clean state, not necessarily in
/// the state the factory makes; when those differ, give a recycle step that restores it.
///
/// ```
/// use poolside_core::{FnPolicy, Recycle, Reset, Verdict};
///
/// #[derive(Reset)]
/// struct Response { status: u16, body: Vec<u8> }
///
/// let policy = FnPolicy::new(|| Response { status: 200, body: Vec::with_capacity(512) })
///     .with_recycle(|r: &mut Response| {
///         r.reset();
///         r.status = 200;
///         Verdict::Keep
///     });
/// let mut r = policy.create();
/// r.status = 404;
/// policy.recycle(&mut r);
/// assert_eq!(r.status, 200);
/// ```
#[derive(Clone, Copy)]
pub struct FnPolicy<C, R = ResetOnly> {
    create: C,
    recycle: R,
}

/// A [`FnPolicy`] of a factory function, its objects cleaned with [`Reset`]: the policy of
/// a pool built with `ObjectPoolBuilder::create`, whose type can be written out (in a
/// `static`, say) since a closure that captures nothing is kept as a function pointer.
pub type FnCreate<T> = FnPolicy<fn() -> T>;

/// A [`FnPolicy`] of a factory function and a recycle function: the policy of a pool
/// built with `ObjectPoolBuilder::create` and `recycle`.
pub type FnCreateRecycle<T> = FnPolicy<fn() -> T, fn(&mut T) -> Verdict>;

impl<C> FnPolicy<C> {
    /// A policy whose objects come from `create` and are cleaned with [`Reset`].
    pub fn new(create: C) -> Self {
        FnPolicy {
            create,
            recycle: ResetOnly,
        }
    }
}

impl<C, R> FnPolicy<C, R> {
    /// Replaces the recycle step with `recycle`, which cleans the object and gives the
    /// [`Verdict`].
    pub fn with_recycle<R2>(self, recycle: R2) -> FnPolicy<C, R2> {
        FnPolicy {
            create: self.create,
            recycle,
        }
    }
}

impl<C, R> fmt::Debug for FnPolicy<C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnPolicy").finish_non_exhaustive()
    }
}

impl<T, C> Recycle<T> for FnPolicy<C, ResetOnly>
where
    C: Fn() -> T,
    T: Reset,
{
    #[inline]
    fn create(&self) -> T {
        (self.create)()
    }

    #[inline]
    fn recycle(&self, obj: &mut T) -> Verdict {
        obj.reset();
        Verdict::Keep
    }
}

impl<T, C, R> Recycle<T> for FnPolicy<C, R>
where
    C: Fn() -> T,
    R: Fn(&mut T) -> Verdict,
{
    #[inline]
    fn create(&self) -> T {
        (self.create)()
    }

    #[inline]
    fn recycle(&self, obj: &mut T) -> Verdict {
        (self.recycle)(obj)
    }
}

/// Types whose retained heap memory can be measured and shrunk, for [`CapPolicy`].
pub trait Capacity {
    /// The heap bytes this value keeps allocated: its capacity times its element size.
    ///
    /// For hash tables it is an estimate from std's table layout (buckets at a 7/8 load
    /// factor, one control byte each).
    fn capacity_bytes(&self) -> usize;

    /// Shrinks the allocation towards `max_bytes`, where the contents allow it. Call it
    /// on an empty value. Some types cannot shrink to every size (a hash table's buckets
    /// are a power of two), so check [`capacity_bytes`](Capacity::capacity_bytes) after.
    fn shrink_to_bytes(&mut self, max_bytes: usize);
}

fn elements_in(max_bytes: usize, elem: usize) -> usize {
    max_bytes.checked_div(elem).unwrap_or(usize::MAX)
}

macro_rules! capacity_impl {
    ($( [$($g:tt)*] $t:ty => $elem:ty ),* $(,)?) => {$(
        impl<$($g)*> Capacity for $t {
            #[inline]
            fn capacity_bytes(&self) -> usize {
                self.capacity().saturating_mul(size_of::<$elem>())
            }

            fn shrink_to_bytes(&mut self, max_bytes: usize) {
                self.shrink_to(elements_in(max_bytes, size_of::<$elem>()));
            }
        }
    )*};
}

capacity_impl!(
    [T] Vec<T> => T,
    [T] VecDeque<T> => T,
    [T: Ord] BinaryHeap<T> => T,
    [] String => u8,
);

/// Estimates the bytes of a std hash table with room for `capacity` entries of
/// `entry` bytes: buckets at a load factor of 7/8, a power of two, each with its entry and
/// a control byte, plus one group of trailing control bytes. This follows std's current
/// table layout; it is an estimate, not a guarantee.
fn hash_table_bytes(capacity: usize, entry: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = if capacity < 8 {
        (capacity + 1).next_power_of_two()
    } else {
        (capacity.saturating_mul(8) / 7).next_power_of_two()
    };
    buckets
        .saturating_mul(entry.saturating_add(1))
        .saturating_add(16)
}

impl<K: Eq + Hash, V, S: BuildHasher> Capacity for HashMap<K, V, S> {
    #[inline]
    fn capacity_bytes(&self) -> usize {
        hash_table_bytes(self.capacity(), size_of::<(K, V)>())
    }

    fn shrink_to_bytes(&mut self, max_bytes: usize) {
        self.shrink_to(elements_in(max_bytes, size_of::<(K, V)>()));
    }
}

impl<T: Eq + Hash, S: BuildHasher> Capacity for HashSet<T, S> {
    #[inline]
    fn capacity_bytes(&self) -> usize {
        hash_table_bytes(self.capacity(), size_of::<T>())
    }

    fn shrink_to_bytes(&mut self, max_bytes: usize) {
        self.shrink_to(elements_in(max_bytes, size_of::<T>()));
    }
}

/// What [`CapPolicy`] does with an object above its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum OverCap {
    /// Drop it; the pool counts an `oversized` discard.
    Drop,
    /// Shrink its allocation to the cap and keep it; if it cannot shrink that far, drop
    /// it as for [`Drop`](OverCap::Drop).
    Shrink,
}

/// Wraps a policy with a cap on the memory a kept object may retain, so that a buffer
/// that grew huge once does not stay huge in the pool.
///
/// It also reports each object's [`capacity_bytes`](Capacity::capacity_bytes) as its
/// retained bytes, which a pool's byte budget needs.
///
/// ```
/// use poolside_core::{CapPolicy, DefaultPolicy, Recycle, Verdict};
///
/// let policy = CapPolicy::drop_above(DefaultPolicy, 4096);
/// let mut small: Vec<u8> = Vec::with_capacity(1024);
/// let mut huge: Vec<u8> = Vec::with_capacity(1 << 20);
/// assert_eq!(policy.recycle(&mut small), Verdict::Keep);
/// assert_eq!(policy.recycle(&mut huge), Verdict::Oversized);
///
/// let shrinking = CapPolicy::shrink_above(DefaultPolicy, 4096);
/// assert_eq!(shrinking.recycle(&mut huge), Verdict::Keep);
/// assert!(huge.capacity() <= 4096);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CapPolicy<P> {
    inner: P,
    max_bytes: usize,
    over: OverCap,
}

impl<P> CapPolicy<P> {
    fn new(inner: P, max_bytes: usize, over: OverCap) -> Self {
        CapPolicy {
            inner,
            max_bytes,
            over,
        }
    }

    /// Caps `inner` at `max_bytes`, dropping objects above it.
    pub fn drop_above(inner: P, max_bytes: usize) -> Self {
        Self::new(inner, max_bytes, OverCap::Drop)
    }

    /// Caps `inner` at `max_bytes`, shrinking objects above it.
    pub fn shrink_above(inner: P, max_bytes: usize) -> Self {
        Self::new(inner, max_bytes, OverCap::Shrink)
    }

    /// The cap in bytes.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The wrapped policy.
    pub fn inner(&self) -> &P {
        &self.inner
    }
}

impl<T: Capacity, P: Recycle<T>> Recycle<T> for CapPolicy<P> {
    #[inline]
    fn create(&self) -> T {
        self.inner.create()
    }

    #[inline]
    fn recycle(&self, obj: &mut T) -> Verdict {
        // Check the size before the inner reset, so an oversized object costs no clean-up.
        if obj.capacity_bytes() > self.max_bytes && self.over == OverCap::Drop {
            return Verdict::Oversized;
        }
        let verdict = self.inner.recycle(obj);
        if verdict == Verdict::Keep && obj.capacity_bytes() > self.max_bytes {
            obj.shrink_to_bytes(self.max_bytes);
            if obj.capacity_bytes() > self.max_bytes {
                // It could not shrink that far: keeping it would break the cap.
                return Verdict::Oversized;
            }
        }
        verdict
    }

    #[inline]
    fn retained_bytes(&self, obj: &T) -> usize {
        obj.capacity_bytes()
    }
}

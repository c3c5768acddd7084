//! The RAII guards that give objects back.
//!
//! A guard is two words, the pool and the boxed object, with no `Option` to test on the
//! way back: the object sits in a `ManuallyDrop`, taken out exactly once, by the guard's
//! `Drop` or by `into_parts`, which consumes the guard without
//! running its `Drop`. That is this module's only `unsafe`, and those two are its only
//! readers of the field.
#![allow(unsafe_code)]

use std::borrow::Borrow;
use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::ptr;

use poolside_core::internals::Recorder;
use poolside_core::{DefaultPolicy, Recycle, Stats};

use crate::shared::Idle;
use crate::ObjectPool;

/// An object taken from an [`ObjectPool`], given back when dropped.
///
/// It derefs to the object. Once the guard is gone nothing can reach the object, so it
/// cannot be used after it went back:
///
/// ```compile_fail
/// use poolside_object::ObjectPool;
///
/// let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
/// let guard = pool.get();
/// let inside: &Vec<u8> = &guard;
/// drop(guard);
/// inside.len(); // error: `guard` was moved while borrowed
/// ```
///
/// nor can the guard outlive its pool:
///
/// ```compile_fail
/// use poolside_object::{ObjectPool, Pooled};
///
/// fn escape() -> Pooled<'static, Vec<u8>> {
///     let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
///     pool.get() // error: returns a value referencing the local `pool`
/// }
/// ```
///
/// `H` is how it holds its pool: a borrow, or a handle of its own, as
/// [`get_owned`](ObjectPool::get_owned) gives ([`OwnedPooled`]).
///
/// It is `Send` when `T` is and the pool is `Sync`, so it may be dropped on another
/// thread; the object then joins that thread's cache. A pool whose policy is not `Sync`
/// (here a factory that counts in a `Cell`) is not `Sync`, so its guards stay on their
/// thread:
///
/// ```compile_fail
/// use std::cell::Cell;
/// use poolside_core::FnPolicy;
/// use poolside_object::ObjectPool;
///
/// fn send<T: Send>(_: T) {}
/// let made = Cell::new(0);
/// let policy = FnPolicy::new(move || {
///     made.set(made.get() + 1);
///     Vec::<u8>::new()
/// });
/// let pool = ObjectPool::builder().policy(policy).build().unwrap();
/// send(pool.get()); // error: `Cell<i32>` cannot be shared between threads safely
/// ```
///
/// And the pool itself needs `T: Send`, since objects move between threads' caches:
///
/// ```compile_fail
/// use std::rc::Rc;
/// use poolside_core::{FnPolicy, Verdict};
/// use poolside_object::ObjectPool;
///
/// let policy = FnPolicy::new(|| Rc::new(0u8)).with_recycle(|_: &mut Rc<u8>| Verdict::Keep);
/// let pool = ObjectPool::builder().policy(policy).build(); // error: `Rc<u8>` cannot be sent
/// ```
#[must_use = "dropping the guard gives the object back at once"]
pub struct Pooled<'a, T, P = DefaultPolicy, S = Stats, H = &'a ObjectPool<T, P, S>>
where
    T: Send + 'static,
    P: Recycle<T>,
    S: Recorder,
    H: Borrow<ObjectPool<T, P, S>>,
{
    pool: H,
    /// Taken out once, when the guard is dropped or taken apart.
    obj: ManuallyDrop<Idle<T>>,
    /// The parameters `H` is bounded by; `Send` and `Sync` whatever they are.
    kind: PhantomData<fn() -> (P, S)>,
    /// The borrow's lifetime, for the default `H`.
    lifetime: PhantomData<&'a ()>,
}

/// A [`Pooled`] from [`get_owned`](ObjectPool::get_owned): it holds a handle to the pool,
/// so it is `'static`, and the pool lives at least as long as the guard, even if every
/// other handle is dropped.
///
/// ```
/// use poolside_object::ObjectPool;
///
/// let pool: ObjectPool<Vec<u8>> = ObjectPool::new();
/// let mut buf = pool.get_owned();
/// drop(pool); // the guard keeps the pool alive
/// let handle = std::thread::spawn(move || {
///     buf.push(1);
///     buf.len()
/// });
/// assert_eq!(handle.join().unwrap(), 1);
/// ```
pub type OwnedPooled<T, P = DefaultPolicy, S = Stats> =
    Pooled<'static, T, P, S, ObjectPool<T, P, S>>;

impl<'a, T, P, S> Pooled<'a, T, P, S>
where
    T: Send + 'static,
    P: Recycle<T>,
    S: Recorder,
{
    /// The pool the object came from.
    pub fn pool(&self) -> &'a ObjectPool<T, P, S> {
        self.pool
    }
}

impl<T, P, S> OwnedPooled<T, P, S>
where
    T: Send + 'static,
    P: Recycle<T>,
    S: Recorder,
{
    /// The pool the object came from.
    pub fn pool(&self) -> &ObjectPool<T, P, S> {
        &self.pool
    }
}

impl<T, P, S, H> Pooled<'_, T, P, S, H>
where
    T: Send + 'static,
    P: Recycle<T>,
    S: Recorder,
    H: Borrow<ObjectPool<T, P, S>>,
{
    #[inline]
    pub(crate) fn new(pool: H, obj: Idle<T>) -> Self {
        Pooled {
            pool,
            obj: ManuallyDrop::new(obj),
            kind: PhantomData,
            lifetime: PhantomData,
        }
    }

    /// Takes the object out of the pool for good; it is counted as detached.
    ///
    /// ```
    /// use poolside_object::ObjectPool;
    ///
    /// let pool: ObjectPool<String> = ObjectPool::new();
    /// let mut s = pool.get();
    /// s.push_str("kept by the caller");
    /// let s: String = s.detach();
    /// assert_eq!(s, "kept by the caller");
    /// assert_eq!(pool.stats().detached, 1);
    /// ```
    pub fn detach(self) -> T {
        let (pool, obj) = self.into_parts();
        pool.borrow().record_detach();
        obj.obj
    }

    /// The pool and the object, with the guard gone without its `Drop`.
    fn into_parts(self) -> (H, Idle<T>) {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped or used again, so each field is read
        // out once, and the object is taken out of its `ManuallyDrop` once: the
        // guard's `Drop`, the only other reader, does not run.
        unsafe {
            (
                ptr::read(&this.pool),
                ManuallyDrop::into_inner(ptr::read(&this.obj)),
            )
        }
    }

    /// Gives the object back to `pool` instead of the pool it came from: for a
    /// family of pools that routes objects among its members, as poolside-buffer's
    /// size classes route a buffer by the capacity it grew to. `pool` runs its own
    /// policy on it and keeps or drops it as for any put.
    ///
    /// Each pool's statistics stay exact: the object leaves the pool it came from
    /// as `detached` and joins `pool` as `adopted` (then kept or discarded as any
    /// put). A family that reports itself as one pool counts each hand-over as a
    /// put instead. A live place taken under the first pool's
    /// live cap is given back to it.
    ///
    /// ```
    /// use poolside_object::ObjectPool;
    ///
    /// let small: ObjectPool<Vec<u8>> = ObjectPool::new();
    /// let large: ObjectPool<Vec<u8>> = ObjectPool::new();
    /// let mut buf = small.get();
    /// buf.reserve(1 << 20);
    /// buf.return_to(&large);
    /// assert_eq!((small.stats().gets, small.stats().detached), (1, 1));
    /// assert_eq!((large.stats().adopted, large.stats().idle_objects), (1, 1));
    /// assert!(large.get().capacity() >= 1 << 20);
    /// ```
    pub fn return_to(self, pool: &ObjectPool<T, P, S>) {
        let (from, obj) = self.into_parts();
        from.borrow().give_to(obj, pool);
    }
}

impl<T, P, S, H> Deref for Pooled<'_, T, P, S, H>
where
    T: Send + 'static,
    P: Recycle<T>,
    S: Recorder,
    H: Borrow<ObjectPool<T, P, S>>,
{
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.obj.obj
    }
}

impl<T, P, S, H> DerefMut for Pooled<'_, T, P, S, H>
where
    T: Send + 'static,
    P: Recycle<T>,
    S: Recorder,
    H: Borrow<ObjectPool<T, P, S>>,
{
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.obj.obj
    }
}

impl<T, P, S, H> AsRef<T> for Pooled<'_, T, P, S, H>
where
    T: Send + 'static,
    P: Recycle<T>,
    S: Recorder,
    H: Borrow<ObjectPool<T, P, S>>,
{
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T, P, S, H> AsMut<T> for Pooled<'_, T, P, S, H>
where
    T: Send + 'static,
    P: Recycle<T>,
    S: Recorder,
    H: Borrow<ObjectPool<T, P, S>>,
{
    fn as_mut(&mut self) -> &mut T {
        self
    }
}

impl<T, P, S, H> fmt::Debug for Pooled<'_, T, P, S, H>
where
    T: Send + fmt::Debug + 'static,
    P: Recycle<T>,
    S: Recorder,
    H: Borrow<ObjectPool<T, P, S>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T, P, S, H> Drop for Pooled<'_, T, P, S, H>
where
    T: Send + 'static,
    P: Recycle<T>,
    S: Recorder,
    H: Borrow<ObjectPool<T, P, S>>,
{
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `drop` runs once and nothing reads the field after it, and a
        // guard taken apart (`into_parts`) is never dropped, so the object is
        // taken out exactly once.
        let obj = unsafe { ManuallyDrop::take(&mut self.obj) };
        self.pool.borrow().give_back(obj);
    }
}

//! The [`Reset`] trait and its implementations for std types.

use std::cell::{Cell, OnceCell, RefCell};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, LinkedList, VecDeque};
use std::ffi::OsString;
use std::io::Cursor;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::num::{Saturating, Wrapping};
use std::path::PathBuf;
use std::sync::atomic::{
    AtomicBool, AtomicI16, AtomicI32, AtomicI64, AtomicI8, AtomicIsize, AtomicPtr, AtomicU16,
    AtomicU32, AtomicU64, AtomicU8, AtomicUsize,
};
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::Duration;

/// Brings a value back to its clean state while keeping the memory it owns.
///
/// A pool calls `reset` on every object that comes back, before anyone can take it again,
/// so that no caller ever sees what the previous holder left behind.
///
/// # Contract
///
/// After `reset` returns:
///
/// 1. **Clean.** The value is observably equal to a freshly made one of its clean state:
///    collections are empty, numbers are zero, `Option`s are `None`. For types that
///    implement [`Default`], the clean state is `Default::default()`.
/// 2. **Allocations kept.** Whatever heap memory the value owns and can keep while
///    clean, it keeps: a `Vec` keeps its capacity, a `HashMap` its table, a `Box` its
///    allocation. Memory that the clean state cannot hold (the nodes of a `BTreeMap` or
///    `LinkedList`, the contents of an `Option`) is freed.
/// 3. **No surprises.** `reset` should not panic. If it does, poolside's pools discard
///    the object and count it (`reset_panicked` in [`Discards`](crate::Discards)); they
///    never hand a half-reset object out again.
///
/// The clean state is the type's own, not the pool's. When a pool's objects start from
/// something else (a factory that sets `status = 200`, say), the pool's
/// [`Recycle`](crate::Recycle) policy restores that, not `Reset`.
///
/// # `Option<T>`
///
/// `Option<T>` resets to `None`, for any `T`, because that is its clean state: a struct
/// with an `Option` field must look the same after a reset as when it was made. The
/// inner value, and its allocation, are dropped. To keep the allocation instead, reset
/// the inner value in place with [`reset_inner`] through `#[reset(with = ...)]`.
///
/// # Shared pointers
///
/// `Rc<T>` and `Arc<T>` do not implement `Reset`: other owners may still see the value,
/// so resetting it in place would change it under them. A field that holds one can use
/// `#[reset(with = ...)]` with a function that resets through `Rc::get_mut` when the
/// pool's copy is the only one, or replaces it otherwise.
///
/// # Example
///
/// ```
/// use poolside_core::Reset;
///
/// let mut body = Vec::with_capacity(1024);
/// body.extend_from_slice(b"hello");
/// body.reset();
/// assert!(body.is_empty());
/// assert!(body.capacity() >= 1024);
/// ```
///
/// With the derive (the default `derive` feature):
///
/// ```
/// use std::collections::HashMap;
/// use poolside_core::Reset;
///
/// #[derive(Reset, Default)]
/// struct Response {
///     status: u16,
///     headers: HashMap<String, String>,
///     body: Vec<u8>,
/// }
///
/// let mut r = Response::default();
/// r.status = 404;
/// r.body.extend_from_slice(b"not found");
/// r.reset();
/// assert_eq!((r.status, r.body.len()), (0, 0));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `Reset`",
    label = "`{Self}` cannot be reset for reuse",
    note = "implement `Reset` for it, derive it with `#[derive(Reset)]`, or mark the field `#[reset(skip)]` or `#[reset(with = path)]`"
)]
pub trait Reset {
    /// Brings `self` back to its clean state, keeping its allocations.
    fn reset(&mut self);
}

/// Resets the value inside an `Option` in place, keeping `Some` and its allocation.
///
/// `Option`'s own [`Reset`] sets it to `None`; use this through
/// `#[reset(with = poolside_core::reset_inner)]` on a field whose contents should be kept.
///
/// ```
/// use poolside_core::reset_inner;
///
/// let mut scratch = Some(Vec::<u8>::with_capacity(64));
/// scratch.as_mut().unwrap().push(1);
/// reset_inner(&mut scratch);
/// let v = scratch.unwrap();
/// assert!(v.is_empty() && v.capacity() >= 64);
/// ```
pub fn reset_inner<T: Reset>(value: &mut Option<T>) {
    if let Some(inner) = value {
        inner.reset();
    }
}

macro_rules! reset_to_default {
    ($($t:ty),* $(,)?) => {$(
        impl Reset for $t {
            #[inline]
            fn reset(&mut self) {
                *self = <$t>::default();
            }
        }
    )*};
}

reset_to_default!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    Duration,
);

macro_rules! reset_atomic {
    ($($t:ty),* $(,)?) => {$(
        /// Sets the value to its default through `get_mut`: no atomic operation is needed,
        /// since `&mut self` proves that nobody else can see it.
        impl Reset for $t {
            #[inline]
            fn reset(&mut self) {
                *self.get_mut() = Default::default();
            }
        }
    )*};
}

reset_atomic!(
    AtomicBool,
    AtomicU8,
    AtomicU16,
    AtomicU32,
    AtomicU64,
    AtomicUsize,
    AtomicI8,
    AtomicI16,
    AtomicI32,
    AtomicI64,
    AtomicIsize,
);

macro_rules! reset_by_clear {
    ($( [$($g:tt)*] $t:ty ),* $(,)?) => {$(
        /// Empties the collection with `clear`, keeping whatever capacity it has.
        impl<$($g)*> Reset for $t {
            #[inline]
            fn reset(&mut self) {
                self.clear();
            }
        }
    )*};
}

reset_by_clear!(
    [T] Vec<T>,
    [T] VecDeque<T>,
    [T] BinaryHeap<T>,
    [T] LinkedList<T>,
    [K, V, S] HashMap<K, V, S>,
    [T, S] HashSet<T, S>,
    [K, V] BTreeMap<K, V>,
    [T] BTreeSet<T>,
    [] String,
    [] OsString,
    [] PathBuf,
);

impl<T> Reset for Option<T> {
    /// Sets the option to `None`, its clean state. See the trait docs for why.
    #[inline]
    fn reset(&mut self) {
        *self = None;
    }
}

impl<T: Reset + ?Sized> Reset for Box<T> {
    /// Resets the boxed value in place; the box's allocation is kept.
    #[inline]
    fn reset(&mut self) {
        (**self).reset();
    }
}

impl<T: Reset> Reset for [T] {
    #[inline]
    fn reset(&mut self) {
        for item in self {
            item.reset();
        }
    }
}

impl<T: Reset, const N: usize> Reset for [T; N] {
    #[inline]
    fn reset(&mut self) {
        self.as_mut_slice().reset();
    }
}

impl<T: ?Sized> Reset for PhantomData<T> {
    #[inline]
    fn reset(&mut self) {}
}

impl<T: Reset> Reset for Cell<T> {
    /// Resets the value in place through `get_mut`.
    #[inline]
    fn reset(&mut self) {
        self.get_mut().reset();
    }
}

impl<T: Reset + ?Sized> Reset for RefCell<T> {
    /// Resets the value in place through `get_mut`.
    #[inline]
    fn reset(&mut self) {
        self.get_mut().reset();
    }
}

impl<T: Reset + ?Sized> Reset for Mutex<T> {
    /// Resets the value in place through `get_mut`. A poisoned mutex is reset too, and
    /// its poison cleared: after a reset the value is clean, whatever panicked before.
    fn reset(&mut self) {
        match self.get_mut() {
            Ok(value) => value.reset(),
            Err(poisoned) => poisoned.into_inner().reset(),
        }
        self.clear_poison();
    }
}

impl<T: Reset + ?Sized> Reset for RwLock<T> {
    /// Resets the value in place through `get_mut`, clearing any poison, as for `Mutex`.
    fn reset(&mut self) {
        match self.get_mut() {
            Ok(value) => value.reset(),
            Err(poisoned) => poisoned.into_inner().reset(),
        }
        self.clear_poison();
    }
}

impl<T> Reset for OnceCell<T> {
    /// Empties the cell: its clean state is uninitialised.
    #[inline]
    fn reset(&mut self) {
        self.take();
    }
}

impl<T> Reset for OnceLock<T> {
    /// Empties the cell: its clean state is uninitialised.
    #[inline]
    fn reset(&mut self) {
        self.take();
    }
}

impl<T: Reset> Reset for Cursor<T> {
    /// Resets the inner buffer and moves the position back to 0.
    fn reset(&mut self) {
        self.get_mut().reset();
        self.set_position(0);
    }
}

impl<T: Reset> Reset for Wrapping<T> {
    #[inline]
    fn reset(&mut self) {
        self.0.reset();
    }
}

impl<T: Reset> Reset for Saturating<T> {
    #[inline]
    fn reset(&mut self) {
        self.0.reset();
    }
}

impl<T> Reset for AtomicPtr<T> {
    /// Sets the pointer to null through `get_mut`.
    #[inline]
    fn reset(&mut self) {
        *self.get_mut() = std::ptr::null_mut();
    }
}

impl<T: Reset> Reset for Reverse<T> {
    #[inline]
    fn reset(&mut self) {
        self.0.reset();
    }
}

impl<T: Reset + ?Sized> Reset for ManuallyDrop<T> {
    #[inline]
    fn reset(&mut self) {
        (**self).reset();
    }
}

impl<T: Reset + ?Sized> Reset for &mut T {
    /// Resets the value behind the reference.
    #[inline]
    fn reset(&mut self) {
        (**self).reset();
    }
}

macro_rules! reset_tuple {
    ($( ($($name:ident . $idx:tt),+) )*) => {$(
        impl<$($name: Reset),+> Reset for ($($name,)+) {
            #[inline]
            fn reset(&mut self) {
                $(self.$idx.reset();)+
            }
        }
    )*};
}

reset_tuple! {
    (A.0)
    (A.0, B.1)
    (A.0, B.1, C.2)
    (A.0, B.1, C.2, D.3)
    (A.0, B.1, C.2, D.3, E.4)
    (A.0, B.1, C.2, D.3, E.4, F.5)
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6)
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7)
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8)
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9)
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10)
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11)
}

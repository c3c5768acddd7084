//! Every std `Reset` impl: contents cleared, allocation kept.

use std::cell::{Cell, OnceCell, RefCell};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, LinkedList, VecDeque};
use std::ffi::OsString;
use std::io::{Cursor, Write};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::num::{Saturating, Wrapping};
use std::path::PathBuf;
use std::sync::atomic::{
    AtomicBool, AtomicI16, AtomicI32, AtomicI64, AtomicI8, AtomicIsize, AtomicPtr, AtomicU16,
    AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::Duration;

use poolside_core::{reset_inner, Reset};

/// Fills a collection, resets it, and checks it is empty with its capacity kept.
macro_rules! cleared_keeping_capacity {
    ($value:expr, $fill:expr) => {{
        let mut value = $value;
        $fill(&mut value);
        assert!(!value.is_empty());
        let capacity = value.capacity();
        value.reset();
        assert!(value.is_empty());
        assert_eq!(value.capacity(), capacity, "capacity must be kept");
    }};
}

#[test]
fn vec_string_deque_heap() {
    cleared_keeping_capacity!(Vec::<u32>::new(), |v: &mut Vec<u32>| v.extend(0..100));
    cleared_keeping_capacity!(String::new(), |s: &mut String| s.push_str("hello world"));
    cleared_keeping_capacity!(VecDeque::<u8>::new(), |d: &mut VecDeque<u8>| d
        .extend(0..50));
    cleared_keeping_capacity!(BinaryHeap::<i32>::new(), |h: &mut BinaryHeap<i32>| h
        .extend(0..50));
}

#[test]
fn hash_map_and_set() {
    cleared_keeping_capacity!(HashMap::<String, String>::new(), |m: &mut HashMap<
        String,
        String,
    >| {
        for i in 0..20 {
            m.insert(format!("k{i}"), format!("v{i}"));
        }
    });
    cleared_keeping_capacity!(HashSet::<u64>::new(), |s: &mut HashSet<u64>| s
        .extend(0..40));
}

#[test]
fn os_string_and_path_buf() {
    let mut os = OsString::with_capacity(64);
    os.push("abc");
    os.reset();
    assert!(os.is_empty() && os.capacity() >= 64);

    let mut path = PathBuf::with_capacity(64);
    path.push("a/b/c");
    path.reset();
    assert!(path.as_os_str().is_empty() && path.capacity() >= 64);
}

#[test]
fn node_based_collections_are_emptied() {
    // BTree and linked-list nodes are the contents: there is no capacity to keep.
    let mut map: BTreeMap<u8, u8> = (0..10).map(|i| (i, i)).collect();
    map.reset();
    assert!(map.is_empty());
    let mut set: BTreeSet<u8> = (0..10).collect();
    set.reset();
    assert!(set.is_empty());
    let mut list: LinkedList<u8> = (0..10).collect();
    list.reset();
    assert!(list.is_empty());
}

#[test]
fn primitives_go_to_default() {
    let mut x = (
        1u8, 2u16, 3u32, 4u64, 5u128, 6usize, -1i8, -2i16, -3i32, -4i64, -5i128, -6isize,
    );
    x.reset();
    assert_eq!(x, Default::default());
    let mut y = (1.5f32, 2.5f64, true, 'x', (), Duration::from_secs(3));
    y.reset();
    assert_eq!(y, (0.0, 0.0, false, '\0', (), Duration::ZERO));
}

#[test]
fn atomics_go_to_zero() {
    macro_rules! zeroed {
        ($($t:ident = $v:expr),*) => {$({
            let mut a = $t::new($v);
            a.reset();
            assert_eq!(a.load(Ordering::Relaxed), Default::default(), stringify!($t));
        })*};
    }
    zeroed!(
        AtomicU8 = 1,
        AtomicU16 = 2,
        AtomicU32 = 3,
        AtomicU64 = 4,
        AtomicUsize = 5,
        AtomicI8 = -1,
        AtomicI16 = -2,
        AtomicI32 = -3,
        AtomicI64 = -4,
        AtomicIsize = -5
    );
    let mut b = AtomicBool::new(true);
    b.reset();
    assert!(!b.load(Ordering::Relaxed));
    let mut target = 5u8;
    let mut p = AtomicPtr::new(&mut target);
    p.reset();
    assert!(p.load(Ordering::Relaxed).is_null());
}

#[test]
fn option_goes_to_none_and_reset_inner_keeps_some() {
    let mut o = Some(vec![1u8; 10]);
    o.reset();
    assert_eq!(o, None);

    let mut kept = Some(Vec::<u8>::with_capacity(32));
    kept.as_mut().unwrap().push(1);
    reset_inner(&mut kept);
    let inner = kept.expect("reset_inner keeps Some");
    assert!(inner.is_empty() && inner.capacity() >= 32);

    let mut none: Option<Vec<u8>> = None;
    reset_inner(&mut none);
    assert_eq!(none, None);
}

#[test]
fn box_keeps_its_allocation() {
    let mut b = Box::new(Vec::<u8>::with_capacity(16));
    b.push(1);
    let address = &*b as *const Vec<u8>;
    b.reset();
    assert!(b.is_empty() && b.capacity() >= 16);
    assert_eq!(&*b as *const Vec<u8>, address);

    let mut slice: Box<[u32]> = vec![1, 2, 3].into_boxed_slice();
    slice.reset();
    assert_eq!(&*slice, &[0, 0, 0]);
}

#[test]
fn tuples_and_arrays_reset_each_element() {
    let mut t = (vec![1u8], String::from("a"), 5u8);
    t.reset();
    assert_eq!(t, (vec![], String::new(), 0));

    let mut big = (
        1u8, 2u8, 3u8, 4u8, 5u8, 6u8, 7u8, 8u8, 9u8, 10u8, 11u8, 12u8,
    );
    big.reset();
    assert_eq!(big, Default::default());

    let mut arr = [vec![1u8, 2], vec![3]];
    let caps = arr.each_ref().map(Vec::capacity);
    arr.reset();
    assert!(arr.iter().all(Vec::is_empty));
    assert_eq!(arr.each_ref().map(Vec::capacity), caps);

    let mut empty: [Vec<u8>; 0] = [];
    empty.reset();
}

#[test]
fn cells_and_locks_reset_in_place() {
    let mut cell = Cell::new(5u32);
    cell.reset();
    assert_eq!(cell.get(), 0);

    let mut vec_cell = Cell::new(Vec::<u8>::with_capacity(16));
    vec_cell.get_mut().push(1);
    vec_cell.reset();
    let inner = vec_cell.into_inner();
    assert!(inner.is_empty() && inner.capacity() >= 16);

    let mut refcell = RefCell::new(vec![1u8; 4]);
    refcell.reset();
    assert!(refcell.borrow().is_empty() && refcell.borrow().capacity() >= 4);

    let mut mutex = Mutex::new(String::from("abc"));
    mutex.reset();
    assert!(mutex.lock().unwrap().is_empty());

    let mut rwlock = RwLock::new(vec![1u8]);
    rwlock.reset();
    assert!(rwlock.read().unwrap().is_empty());

    let mut once = OnceCell::new();
    once.set(3u8).unwrap();
    once.reset();
    assert_eq!(once.get(), None);

    let mut once_lock = OnceLock::new();
    once_lock.set(3u8).unwrap();
    once_lock.reset();
    assert_eq!(once_lock.get(), None);
}

#[test]
fn a_poisoned_mutex_is_reset_and_unpoisoned() {
    let mut mutex = Mutex::new(vec![1u8, 2, 3]);
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _guard = mutex.lock().unwrap();
        panic!("poison it");
    }));
    assert!(mutex.is_poisoned());
    mutex.reset();
    assert!(!mutex.is_poisoned());
    assert!(mutex.lock().unwrap().is_empty());

    let mut rwlock = RwLock::new(vec![1u8]);
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _guard = rwlock.write().unwrap();
        panic!("poison it");
    }));
    rwlock.reset();
    assert!(!rwlock.is_poisoned());
    assert!(rwlock.read().unwrap().is_empty());
}

#[test]
fn wrappers_reset_their_inner_value() {
    let mut cursor = Cursor::new(Vec::<u8>::with_capacity(64));
    cursor.write_all(b"hello").unwrap();
    cursor.reset();
    assert_eq!(cursor.position(), 0);
    assert!(cursor.get_ref().is_empty() && cursor.get_ref().capacity() >= 64);

    let mut w = Wrapping(9u8);
    w.reset();
    assert_eq!(w, Wrapping(0));

    let mut sat = Saturating(9i32);
    sat.reset();
    assert_eq!(sat, Saturating(0));

    let mut r = Reverse(vec![1u8]);
    r.reset();
    assert!(r.0.is_empty());

    let mut m = ManuallyDrop::new(vec![1u8]);
    m.reset();
    assert!(m.is_empty());
    ManuallyDrop::into_inner(m);

    let mut p: PhantomData<String> = PhantomData;
    p.reset();

    let mut target = vec![1u8, 2];
    let mut by_ref = &mut target;
    <&mut Vec<u8> as Reset>::reset(&mut by_ref);
    assert!(target.is_empty());
}

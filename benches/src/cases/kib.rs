//! Every pool of 1 KiB buffers behind one trait, [`Buffers`], for the shapes that take
//! many buffers per operation: the seed's 1000 buffers one at a time (`seed.rs`) and
//! the bursts that hold many at once (`burst.rs`).
//!
//! Taking a buffer writes its first byte, through `black_box`, as the seed's
//! `processBuffer` would (pushed onto an empty `Vec`, or written into a buffer that
//! already has a length); dropping what [`Buffers::take`] returned gives it back.
//!
//! # The pools
//!
//! - [`Fresh`], `new`: `Vec::with_capacity(1024)` from the allocator each time.
//! - [`PoolsideObject`], `poolside`: `ObjectPool<Vec<u8>>`, default limits (a thread
//!   cache of 32, a shared tier of up to 1024).
//! - [`PoolsideSized`], `poolside_sized`: `SizedPool::get(1024)`, default configuration (per
//!   class a thread cache of 8 and a shared tier of up to 256).
//! - [`PoolsideByte`], `poolside_byte`: `BytePool`, asked to reserve 1 KiB.
//! - [`PoolsideRing`], `poolside_ring`: `RingPool` with as many 1 KiB slots as a burst holds
//!   (8 for one at a time): fixed memory, where that fits.
//! - [`Stack`], `thread_local_stack`: a hand-written `thread_local!` stack of up to 32.
//! - The peers: [`ObjectPoolCrate`] (`object_pool`), [`Linear`] (`lockfree_linear`),
//!   [`SpinLock`] (`lockfree_spinlock`), [`Opool`] (`opool`), [`OpoolLocal`]
//!   (`opool_local`), [`Slab`] (`sharded_slab`), [`Zero`] (`zeropool`, whose
//!   smallest class is 4 KiB) and [`BytePoolCrate`] (`byte_pool`), set up as in
//!   `object.rs` and `buffer.rs`.

use std::cell::RefCell;
use std::hint::black_box;
use std::io::Write;

use lockfree_object_pool::{
    LinearObjectPool, LinearReusable, SpinLockObjectPool, SpinLockReusable,
};
use opool::{LocalPool, RefGuard, RefLocalGuard};
use poolside_buffer::{ByteBuf, BytePool, RingBuf, RingPool, SizedBuf, SizedPool};
use poolside_core::FnCreate;
use poolside_object::{ObjectPool, Pooled};

use super::object::{clear_vec, SlabBuf, VecAllocator, POOL_SIZE, PREFILL};

/// Every buffer's capacity.
pub(crate) const SIZE: usize = 1024;

/// A pool of 1 KiB buffers, as the many-buffer shapes use it.
pub(crate) trait Buffers: 'static {
    /// A taken buffer; dropping it gives it back.
    type Held<'a>
    where
        Self: 'a;

    /// A pool for a caller that holds at most `held` buffers at once (only the ring's
    /// size depends on it).
    fn make(held: usize) -> Self;

    /// Takes a buffer and writes its first byte.
    fn take(&self) -> Self::Held<'_>;
}

/// Writes the first byte of an empty buffer.
#[inline]
fn touch(v: &mut Vec<u8>) {
    v.push(1);
    black_box(&mut *v);
}

/// Writes the first byte of a buffer that has a length.
#[inline]
fn touch_slice(s: &mut [u8]) {
    s[0] = 1;
    black_box(&mut *s);
}

/// No pool.
pub(crate) struct Fresh;

impl Buffers for Fresh {
    type Held<'a> = Vec<u8>;

    fn make(_: usize) -> Self {
        Fresh
    }

    #[inline]
    fn take(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(SIZE);
        touch(&mut v);
        v
    }
}

fn kib() -> Vec<u8> {
    Vec::with_capacity(SIZE)
}

type KibPolicy = FnCreate<Vec<u8>>;

/// poolside's object pool.
pub(crate) struct PoolsideObject(ObjectPool<Vec<u8>, KibPolicy>);

impl Buffers for PoolsideObject {
    type Held<'a> = Pooled<'a, Vec<u8>, KibPolicy>;

    fn make(_: usize) -> Self {
        PoolsideObject(ObjectPool::builder().create(kib).build().unwrap())
    }

    #[inline]
    fn take(&self) -> Self::Held<'_> {
        let mut v = self.0.get();
        touch(&mut v);
        v
    }
}

/// poolside's size-class pool.
pub(crate) struct PoolsideSized(SizedPool);

impl Buffers for PoolsideSized {
    type Held<'a> = SizedBuf<'a>;

    fn make(_: usize) -> Self {
        PoolsideSized(SizedPool::new())
    }

    #[inline]
    fn take(&self) -> SizedBuf<'_> {
        let mut b = self.0.get(SIZE).expect("a pooled size");
        touch(&mut b);
        b
    }
}

/// poolside's self-tuning byte pool.
pub(crate) struct PoolsideByte(BytePool);

impl Buffers for PoolsideByte {
    type Held<'a> = ByteBuf<'a>;

    fn make(_: usize) -> Self {
        PoolsideByte(BytePool::new())
    }

    #[inline]
    fn take(&self) -> ByteBuf<'_> {
        let mut b = self.0.get();
        b.reserve(SIZE);
        touch(&mut b);
        b
    }
}

/// poolside's ring of fixed slots.
pub(crate) struct PoolsideRing(RingPool);

impl Buffers for PoolsideRing {
    type Held<'a> = RingBuf<'a>;

    fn make(held: usize) -> Self {
        PoolsideRing(RingPool::new(held.max(8), SIZE).expect("a valid ring"))
    }

    #[inline]
    fn take(&self) -> RingBuf<'_> {
        let mut b = self.0.try_get().expect("a free slot");
        b.write_all(&[1]).expect("room");
        black_box(&mut *b);
        b
    }
}

thread_local! {
    static STACK: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// The hand-written stack keeps up to this many idle buffers per thread, as in
/// `object.rs`.
const STACK_DEPTH: usize = 32;

/// What one writes by hand: a per-thread stack.
pub(crate) struct Stack;

/// A buffer from [`Stack`], pushed back (cleared) when dropped.
pub(crate) struct StackHeld(Vec<u8>);

impl StackHeld {
    /// The buffer, which no longer goes back.
    pub(crate) fn into_inner(self) -> Vec<u8> {
        let mut this = std::mem::ManuallyDrop::new(self);
        std::mem::take(&mut this.0)
    }
}

impl Drop for StackHeld {
    fn drop(&mut self) {
        let mut v = std::mem::take(&mut self.0);
        v.clear();
        STACK.with(|s| {
            let mut s = s.borrow_mut();
            if s.len() < STACK_DEPTH {
                s.push(v);
            }
        });
    }
}

impl Buffers for Stack {
    type Held<'a> = StackHeld;

    fn make(_: usize) -> Self {
        Stack
    }

    #[inline]
    fn take(&self) -> StackHeld {
        let mut v = STACK.with(|s| s.borrow_mut().pop()).unwrap_or_else(kib);
        touch(&mut v);
        StackHeld(v)
    }
}

/// object-pool's `Mutex<Vec>`, which does not clean what comes back.
pub(crate) struct ObjectPoolCrate(object_pool::Pool<Vec<u8>>);

impl Buffers for ObjectPoolCrate {
    type Held<'a> = object_pool::Reusable<'a, Vec<u8>>;

    fn make(_: usize) -> Self {
        ObjectPoolCrate(object_pool::Pool::new(PREFILL, kib))
    }

    #[inline]
    fn take(&self) -> Self::Held<'_> {
        let mut v = self.0.pull(kib);
        v.clear();
        touch(&mut v);
        v
    }
}

/// lockfree-object-pool's linear pool.
pub(crate) struct Linear(LinearObjectPool<Vec<u8>>);

impl Buffers for Linear {
    type Held<'a> = LinearReusable<'a, Vec<u8>>;

    fn make(_: usize) -> Self {
        Linear(LinearObjectPool::new(kib, clear_vec))
    }

    #[inline]
    fn take(&self) -> Self::Held<'_> {
        let mut v = self.0.pull();
        touch(&mut v);
        v
    }
}

/// lockfree-object-pool's spin-lock pool.
pub(crate) struct SpinLock(SpinLockObjectPool<Vec<u8>>);

impl Buffers for SpinLock {
    type Held<'a> = SpinLockReusable<'a, Vec<u8>>;

    fn make(_: usize) -> Self {
        SpinLock(SpinLockObjectPool::new(kib, clear_vec))
    }

    #[inline]
    fn take(&self) -> Self::Held<'_> {
        let mut v = self.0.pull();
        touch(&mut v);
        v
    }
}

/// opool's `ArrayQueue` pool.
pub(crate) struct Opool(opool::Pool<VecAllocator, Vec<u8>>);

impl Buffers for Opool {
    type Held<'a> = RefGuard<'a, VecAllocator, Vec<u8>>;

    fn make(_: usize) -> Self {
        Opool(opool::Pool::new(POOL_SIZE, VecAllocator { cap: SIZE }))
    }

    #[inline]
    fn take(&self) -> Self::Held<'_> {
        let mut v = self.0.get();
        touch(&mut v);
        v
    }
}

/// opool's `!Send` local pool.
pub(crate) struct OpoolLocal(LocalPool<VecAllocator, Vec<u8>>);

impl Buffers for OpoolLocal {
    type Held<'a> = RefLocalGuard<'a, VecAllocator, Vec<u8>>;

    fn make(_: usize) -> Self {
        OpoolLocal(LocalPool::new(POOL_SIZE, VecAllocator { cap: SIZE }))
    }

    #[inline]
    fn take(&self) -> Self::Held<'_> {
        let mut v = self.0.get();
        touch(&mut v);
        v
    }
}

/// sharded-slab's pool: a slot is created and used, and handed back with `clear`.
pub(crate) struct Slab(sharded_slab::Pool<SlabBuf>);

/// A used sharded-slab slot, cleared for reuse when dropped.
pub(crate) struct SlabHeld<'a> {
    pool: &'a sharded_slab::Pool<SlabBuf>,
    key: usize,
}

impl Drop for SlabHeld<'_> {
    fn drop(&mut self) {
        self.pool.clear(self.key);
    }
}

impl Buffers for Slab {
    type Held<'a> = SlabHeld<'a>;

    fn make(_: usize) -> Self {
        Slab(sharded_slab::Pool::new())
    }

    #[inline]
    fn take(&self) -> SlabHeld<'_> {
        let mut slot = self.0.create().expect("the shard has room");
        touch(&mut slot.0);
        SlabHeld {
            pool: &self.0,
            key: slot.key(),
        }
    }
}

/// zeropool: a 1 KiB view of its smallest class, 4 KiB.
pub(crate) struct Zero(zeropool::ZeroPool);

impl Buffers for Zero {
    type Held<'a> = zeropool::Buf<'a>;

    fn make(_: usize) -> Self {
        Zero(zeropool::ZeroPool::new())
    }

    #[inline]
    fn take(&self) -> zeropool::Buf<'_> {
        let mut b = self.0.alloc(SIZE);
        touch_slice(&mut b);
        b
    }
}

/// byte-pool, which reuses buffers of exactly the requested size.
pub(crate) struct BytePoolCrate(byte_pool::BytePool<Vec<u8>>);

impl Buffers for BytePoolCrate {
    type Held<'a> = byte_pool::Block<'a, Vec<u8>>;

    fn make(_: usize) -> Self {
        BytePoolCrate(byte_pool::BytePool::new())
    }

    #[inline]
    fn take(&self) -> Self::Held<'_> {
        let mut b = self.0.alloc(SIZE);
        touch_slice(&mut b);
        b
    }
}

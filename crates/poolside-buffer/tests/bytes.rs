//! `bytes` interop: the guards are `BufMut`, and a frozen guard gives its buffer back to
//! the pool when the last clone of its `Bytes` drops, not before.

use std::sync::LazyLock;

use bytes::{BufMut, Bytes};
use poolside_buffer::{BytePool, RingPool, SizedPool};
use poolside_core::Observable;

static SIZED: LazyLock<SizedPool> = LazyLock::new(SizedPool::new);
static RING: LazyLock<RingPool> = LazyLock::new(|| RingPool::new(2, 16).unwrap());
static BYTE: LazyLock<BytePool> = LazyLock::new(BytePool::new);

fn fill(buf: &mut impl BufMut) {
    buf.put_slice(b"HTTP/1.1 200 OK");
    buf.put_u8(b'\n');
}

#[test]
fn a_frozen_sized_buffer_comes_back_when_the_last_clone_drops() {
    let mut buf = SIZED.get(100).unwrap();
    fill(&mut buf);
    let frozen: Bytes = buf.freeze();
    let clone = frozen.clone();
    let slice = frozen.slice(0..4);
    assert_eq!(&slice[..], b"HTTP");
    drop(frozen);
    drop(clone);
    assert_eq!(SIZED.stats().in_use, 1, "a slice still holds it");
    drop(slice);
    let s = SIZED.stats();
    assert_eq!((s.in_use, s.puts), (0, 1));
    assert!(SIZED.get(100).unwrap().is_empty(), "back, and cleared");
}

#[test]
fn the_ring_guard_is_a_buf_mut_within_its_slot() {
    let mut buf = RING.try_get().unwrap();
    fill(&mut buf);
    assert_eq!(&buf[..], b"HTTP/1.1 200 OK\n");
    assert_eq!(buf.remaining_mut(), 0);
    let frozen = buf.freeze();
    assert_eq!(RING.free(), 1);
    assert_eq!(&frozen[..], b"HTTP/1.1 200 OK\n");
    drop(frozen);
    assert_eq!(RING.free(), 2);
}

#[test]
fn the_byte_pool_guard_freezes_too() {
    let mut buf = BYTE.get();
    fill(&mut buf);
    buf.put_bytes(b'x', 3);
    let frozen = buf.freeze();
    assert!(frozen.ends_with(b"xxx"));
    drop(frozen);
    assert_eq!(BYTE.stats().in_use, 0);
}

#[test]
fn an_owned_buffer_of_any_pool_freezes_and_keeps_its_pool_alive() {
    use std::sync::Arc;

    let pool = Arc::new(SizedPool::new());
    let mut buf = pool.get_owned(100).unwrap();
    fill(&mut buf);
    let frozen = buf.freeze();
    let watch = Arc::downgrade(&pool);
    drop(pool);
    assert!(
        watch.upgrade().is_some(),
        "the frozen buffer holds its pool"
    );
    assert_eq!(&frozen[..4], b"HTTP");
    let pool = watch.upgrade().unwrap();
    assert_eq!(pool.stats().in_use, 1);
    drop(frozen);
    assert_eq!((pool.stats().in_use, pool.stats().puts), (0, 1));
    drop(pool);
    assert!(
        watch.upgrade().is_none(),
        "and lets it go with its last clone"
    );

    let ring = RingPool::new(1, 16).unwrap();
    let watch = ring.observer();
    let mut buf = ring.get_owned();
    fill(&mut buf);
    drop(ring);
    let frozen = std::thread::spawn(move || buf.freeze()).join().unwrap();
    assert_eq!(&frozen[..], b"HTTP/1.1 200 OK\n");
    assert!(watch.upgrade().is_some(), "the frozen slot holds its ring");
    drop(frozen);
    assert!(
        watch.upgrade().is_none(),
        "and lets it go with its last clone"
    );

    let bytes = Arc::new(BytePool::new());
    let mut buf = bytes.get_owned();
    buf.put_bytes(b'y', 5);
    let frozen = std::thread::spawn(move || buf.freeze()).join().unwrap();
    assert_eq!(&frozen[..], b"yyyyy");
    drop(frozen);
    assert_eq!(bytes.stats().in_use, 0);
}

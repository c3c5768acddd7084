//! Guards dropped while their thread exits, from another thread-local's destructor.
//!
//! A lazily filled per-thread slot (a scratch buffer kept in a `thread_local!`) drops its
//! guard during thread teardown, possibly after other thread-locals are gone. The drop
//! must neither abort the process nor lose the buffer's accounting. Each test runs in a
//! child process ([`poolside_testkit::in_child`]), so an abort fails one test and a
//! printed panic is caught too.
#![cfg(not(miri))] // Miri cannot start the child process.

use std::cell::RefCell;
use std::sync::LazyLock;

use poolside_buffer::{ByteBuf, BytePool, RingBuf, RingPool, SizedBuf, SizedPool};
use poolside_testkit::in_child;

#[test]
fn a_ring_buffer_dropped_by_a_thread_locals_destructor_goes_back() {
    in_child(
        "a_ring_buffer_dropped_by_a_thread_locals_destructor_goes_back",
        || {
            static RING: LazyLock<RingPool> = LazyLock::new(|| RingPool::new(4, 64).unwrap());
            thread_local! {
                static HOLD: RefCell<Vec<RingBuf<'static>>> = const { RefCell::new(Vec::new()) };
            }
            std::thread::spawn(|| HOLD.with(|h| h.borrow_mut().push(RING.try_get().unwrap())))
                .join()
                .unwrap();
            assert_eq!(RING.free(), 4, "the slot went back");
            let stats = RING.stats();
            assert_eq!((stats.gets, stats.puts, stats.in_use), (1, 1, 0));
        },
    );
}

#[test]
fn a_plain_sized_buffer_dropped_by_a_thread_locals_destructor_is_counted() {
    in_child(
        "a_plain_sized_buffer_dropped_by_a_thread_locals_destructor_is_counted",
        || {
            static SIZED: LazyLock<SizedPool> = LazyLock::new(|| {
                SizedPool::builder()
                    .powers_of_two(64, 1024)
                    .build()
                    .unwrap()
            });
            thread_local! {
                static HOLD: RefCell<Vec<SizedBuf<'static>>> = const { RefCell::new(Vec::new()) };
            }
            std::thread::spawn(|| {
                HOLD.with(|h| {
                    let buf = SIZED.get(4096).unwrap();
                    assert!(buf.is_plain());
                    h.borrow_mut().push(buf);
                })
            })
            .join()
            .unwrap();
            let stats = SIZED.stats();
            assert_eq!((stats.gets, stats.puts, stats.in_use), (1, 1, 0));
            assert_eq!(stats.discards.oversized, 1);
        },
    );
}

#[test]
fn a_byte_buffer_dropped_by_a_thread_locals_destructor_is_kept() {
    in_child(
        "a_byte_buffer_dropped_by_a_thread_locals_destructor_is_kept",
        || {
            static BYTES: LazyLock<BytePool> = LazyLock::new(BytePool::new);
            thread_local! {
                static HOLD: RefCell<Vec<ByteBuf<'static>>> = const { RefCell::new(Vec::new()) };
            }
            std::thread::spawn(|| {
                HOLD.with(|h| {
                    // One round trip first, so the pool has touched this thread's state.
                    drop(BYTES.get());
                    h.borrow_mut().push(BYTES.get());
                })
            })
            .join()
            .unwrap();
            let stats = BYTES.stats();
            assert_eq!((stats.gets, stats.puts, stats.in_use), (2, 2, 0));
            assert_eq!(stats.discards.reset_panicked, 0, "the return ran cleanly");
            assert_eq!(stats.idle_objects, 1, "and the buffer was kept");
        },
    );
}

//! The counting allocator counts known allocations exactly, per thread.

use poolside_testkit::{measure, thread_counts, AllocCounts, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

#[test]
fn counts_known_allocations_exactly() {
    let ((), counts) = measure(|| {
        let v: Vec<u64> = Vec::with_capacity(10);
        drop(std::hint::black_box(v));
        let b = Box::new([7u8; 32]);
        drop(std::hint::black_box(b));
    });
    assert_eq!(
        counts,
        AllocCounts {
            allocs: 2,
            deallocs: 2,
            reallocs: 0,
            bytes: 80 + 32
        }
    );
}

#[test]
fn a_realloc_counts_as_an_allocation_of_the_new_size() {
    let mut v: Vec<u8> = Vec::with_capacity(8);
    let ((), counts) = measure(|| {
        v.reserve_exact(100);
        std::hint::black_box(&v);
    });
    assert_eq!(counts.allocs, 1);
    assert_eq!(counts.reallocs, 1);
    assert_eq!(counts.deallocs, 1);
    assert_eq!(counts.bytes, 100);
}

#[test]
fn nothing_allocated_counts_zero() {
    let mut v: Vec<u8> = Vec::with_capacity(64);
    let ((), counts) = measure(|| {
        v.extend_from_slice(&[1; 64]);
        v.clear();
    });
    assert_eq!(counts, AllocCounts::default());
}

#[test]
fn other_threads_do_not_count_on_this_one() {
    const BIG: u64 = 1 << 20;
    let before = thread_counts();
    let handle = std::thread::spawn(|| {
        let ((), counts) = measure(|| drop(std::hint::black_box(vec![0u8; BIG as usize])));
        counts
    });
    let theirs = handle.join().unwrap();
    assert_eq!((theirs.allocs, theirs.bytes), (1, BIG));
    // The spawn allocates a little here (the thread's handle); the 1 MiB does not count.
    let mine = thread_counts() - before;
    assert!(
        mine.bytes < BIG,
        "this thread's count includes the other thread's 1 MiB: {mine:?}"
    );
}

#[test]
fn installed_is_true_here() {
    assert!(poolside_testkit::installed());
}

//! Recycle policies and the panicking-reset helper.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use poolside_core::internals::{recycle_guarded, Discard};
use poolside_core::{CapPolicy, Capacity, DefaultPolicy, FnPolicy, Recycle, Reset, Verdict};
use poolside_testkit::quietly;

#[derive(Default, Reset)]
struct Response {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

#[test]
fn default_policy_makes_default_and_resets() {
    let policy = DefaultPolicy;
    let mut r: Response = policy.create();
    r.status = 500;
    r.headers.insert("a".into(), "b".into());
    r.body.extend_from_slice(&[0; 100]);
    let cap = r.body.capacity();
    assert_eq!(policy.recycle(&mut r), Verdict::Keep);
    assert_eq!(r.status, 0);
    assert!(r.headers.is_empty() && r.body.is_empty());
    assert_eq!(r.body.capacity(), cap);
    assert_eq!(Recycle::<Response>::retained_bytes(&policy, &r), 0);
}

#[test]
fn fn_policy_without_recycle_step_resets() {
    let policy = FnPolicy::new(|| Response {
        status: 200,
        ..Response::default()
    });
    let mut r = policy.create();
    assert_eq!(r.status, 200);
    r.body.push(1);
    assert_eq!(policy.recycle(&mut r), Verdict::Keep);
    // Reset gives the type's clean state, not the factory's: that is what a recycle step
    // is for (next test).
    assert_eq!(r.status, 0);
    assert!(r.body.is_empty());
}

#[test]
fn fn_policy_recycle_step_restores_the_factory_state_and_can_reject() {
    let policy = FnPolicy::new(|| Response {
        status: 200,
        ..Response::default()
    })
    .with_recycle(|r: &mut Response| {
        if r.status == 418 {
            return Verdict::Reject;
        }
        r.reset();
        r.status = 200;
        Verdict::Keep
    });
    let mut r = policy.create();
    r.status = 404;
    assert_eq!(policy.recycle(&mut r), Verdict::Keep);
    assert_eq!(r.status, 200);
    r.status = 418;
    assert_eq!(recycle_guarded(&policy, &mut r), Err(Discard::Rejected));
    assert!(format!("{policy:?}").contains("FnPolicy"));
}

#[test]
fn cap_policy_drops_or_shrinks_above_the_cap() {
    let dropping = CapPolicy::drop_above(DefaultPolicy, 1024);
    let mut small: Vec<u8> = Vec::with_capacity(1024);
    small.push(1);
    assert_eq!(recycle_guarded(&dropping, &mut small), Ok(()));
    assert!(small.is_empty());
    assert_eq!(dropping.retained_bytes(&small), small.capacity());

    let mut big: Vec<u8> = Vec::with_capacity(1025);
    assert_eq!(
        recycle_guarded(&dropping, &mut big),
        Err(Discard::Oversized)
    );

    let shrinking = CapPolicy::shrink_above(DefaultPolicy, 1024);
    let mut grown: Vec<u32> = Vec::with_capacity(10_000);
    grown.push(1);
    assert_eq!(recycle_guarded(&shrinking, &mut grown), Ok(()));
    assert!(grown.is_empty());
    assert!(grown.capacity_bytes() <= 1024, "{}", grown.capacity_bytes());
    assert_eq!(shrinking.max_bytes(), 1024);
    assert_eq!(*shrinking.inner(), DefaultPolicy);
}

#[test]
fn cap_policy_edges_zero_and_usize_max() {
    // A cap of 0 keeps only objects that own no memory at all.
    let zero = CapPolicy::drop_above(DefaultPolicy, 0);
    let mut empty: Vec<u8> = Vec::new();
    assert_eq!(recycle_guarded(&zero, &mut empty), Ok(()));
    let mut one = Vec::<u8>::with_capacity(1);
    assert_eq!(recycle_guarded(&zero, &mut one), Err(Discard::Oversized));
    let shrink_to_zero = CapPolicy::shrink_above(DefaultPolicy, 0);
    assert_eq!(recycle_guarded(&shrink_to_zero, &mut one), Ok(()));
    assert_eq!(one.capacity(), 0);

    // usize::MAX never caps, and shrinking to it is a no-op.
    let unbounded = CapPolicy::shrink_above(DefaultPolicy, usize::MAX);
    let mut big = Vec::<u64>::with_capacity(1 << 16);
    assert_eq!(recycle_guarded(&unbounded, &mut big), Ok(()));
    assert_eq!(big.capacity(), 1 << 16);
    big.shrink_to_bytes(usize::MAX);
    assert_eq!(big.capacity(), 1 << 16);
}

#[test]
fn a_hash_table_that_cannot_shrink_to_the_cap_is_dropped() {
    let mut map: HashMap<u64, u64> = HashMap::with_capacity(1000);
    map.insert(1, 1);
    let cap = map.capacity_bytes() / 3;
    let policy = CapPolicy::shrink_above(DefaultPolicy, cap);
    match recycle_guarded(&policy, &mut map) {
        Ok(()) => assert!(map.capacity_bytes() <= cap, "kept above the cap"),
        Err(reason) => assert_eq!(reason, Discard::Oversized),
    }
    // A cap between two bucket sizes cannot be met exactly: 100 entries need 128
    // buckets, so a cap of 100 entries' bytes is either met by shrinking or refused.
    let mut map: HashMap<u64, u64> = HashMap::with_capacity(100);
    let cap = 100 * 16;
    let kept = recycle_guarded(&CapPolicy::shrink_above(DefaultPolicy, cap), &mut map);
    assert!(kept.is_err() || map.capacity_bytes() <= cap);
}

#[test]
fn capacity_counts_bytes_not_elements() {
    let v: Vec<u64> = Vec::with_capacity(10);
    assert_eq!(v.capacity_bytes(), v.capacity() * 8);
    let s = String::with_capacity(33);
    assert_eq!(s.capacity_bytes(), s.capacity());
    let zst: Vec<()> = Vec::with_capacity(10);
    assert_eq!(zst.capacity_bytes(), 0);
    let mut map: HashMap<u32, u32> = HashMap::with_capacity(100);
    // At least an entry and a control byte per slot.
    assert!(map.capacity_bytes() >= map.capacity() * 9);
    map.shrink_to_bytes(0);
    assert_eq!(map.capacity(), 0);
}

#[test]
fn a_panicking_reset_discards_the_object_and_the_caller_lives_on() {
    let policy = FnPolicy::new(Vec::<u8>::new).with_recycle(|v: &mut Vec<u8>| {
        assert!(v.len() < 3, "too long to reset");
        v.clear();
        Verdict::Keep
    });
    let mut bad = vec![1, 2, 3];
    assert_eq!(
        recycle_guarded(&policy, &mut bad),
        Err(Discard::ResetPanicked)
    );
    // The same policy keeps working after the panic.
    let mut good = vec![1];
    assert_eq!(recycle_guarded(&policy, &mut good), Ok(()));
    assert!(good.is_empty());
}

#[test]
fn a_panicking_derived_reset_is_caught_too() {
    #[derive(Default)]
    struct Explosive;
    impl Reset for Explosive {
        fn reset(&mut self) {
            panic!("boom");
        }
    }
    #[derive(Default, Reset)]
    struct Holder {
        a: Vec<u8>,
        e: Explosive,
    }
    let mut h = Holder::default();
    assert_eq!(
        quietly(|| recycle_guarded(&DefaultPolicy, &mut h)),
        Err(Discard::ResetPanicked)
    );
    // Without the helper the panic would propagate.
    assert!(quietly(|| catch_unwind(AssertUnwindSafe(|| h.reset()))).is_err());
}

#[test]
fn policies_are_object_safe() {
    let policies: Vec<Box<dyn Recycle<Vec<u8>>>> = vec![
        Box::new(DefaultPolicy),
        Box::new(CapPolicy::drop_above(DefaultPolicy, 8)),
    ];
    let mut v = vec![0u8; 16];
    assert_eq!(
        recycle_guarded(policies[1].as_ref(), &mut v),
        Err(Discard::Oversized)
    );
    assert_eq!(recycle_guarded(policies[0].as_ref(), &mut v), Ok(()));
}

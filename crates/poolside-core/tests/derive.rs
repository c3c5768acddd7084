//! Runtime tests of `#[derive(Reset)]`: what each kind of struct and attribute resets.
#![cfg(feature = "derive")]

use std::collections::HashMap;
use std::fmt::Debug;

use poolside_core::Reset;

#[derive(Reset, Debug, Default)]
struct Named {
    status: u16,
    body: Vec<u8>,
    headers: HashMap<String, String>,
    name: String,
    flag: bool,
}

#[test]
fn named_struct_resets_every_field_and_keeps_capacity() {
    let mut n = Named {
        status: 404,
        body: Vec::with_capacity(256),
        headers: HashMap::with_capacity(16),
        name: String::with_capacity(32),
        flag: true,
    };
    n.body.extend_from_slice(b"not found");
    n.headers.insert("a".into(), "b".into());
    n.name.push_str("response");
    let (body_cap, headers_cap, name_cap) =
        (n.body.capacity(), n.headers.capacity(), n.name.capacity());

    n.reset();

    assert_eq!(n.status, 0);
    assert!(n.body.is_empty());
    assert!(n.headers.is_empty());
    assert!(n.name.is_empty());
    assert!(!n.flag);
    assert_eq!(n.body.capacity(), body_cap);
    assert_eq!(n.headers.capacity(), headers_cap);
    assert_eq!(n.name.capacity(), name_cap);
}

#[derive(Reset)]
struct Tuple(u32, Vec<u8>, Option<String>);

#[test]
fn tuple_struct() {
    let mut t = Tuple(7, vec![1, 2, 3], Some("x".into()));
    let cap = t.1.capacity();
    t.reset();
    assert_eq!(t.0, 0);
    assert!(t.1.is_empty());
    assert_eq!(t.1.capacity(), cap);
    assert_eq!(t.2, None);
}

#[derive(Reset, Debug, PartialEq)]
struct Unit;

#[derive(Reset)]
struct EmptyNamed {}

#[derive(Reset)]
struct EmptyTuple();

#[test]
fn unit_and_empty_structs() {
    let mut u = Unit;
    u.reset();
    assert_eq!(u, Unit);
    EmptyNamed {}.reset();
    EmptyTuple().reset();
}

#[derive(Reset)]
struct G<'a, T, const N: usize> {
    items: Vec<T>,
    arr: [u8; N],
    r: &'a mut Vec<u8>,
}

#[test]
fn generics_with_lifetime_type_and_const_params() {
    let mut outside = vec![1u8, 2, 3];
    let mut g = G::<'_, String, 4> {
        items: vec!["a".to_string()],
        arr: [9; 4],
        r: &mut outside,
    };
    g.reset();
    assert!(g.items.is_empty());
    assert_eq!(g.arr, [0; 4]);
    assert!(g.r.is_empty());
    assert!(outside.is_empty());
}

#[derive(Reset)]
struct Skipping {
    #[reset(skip)]
    id: u64,
    #[reset(skip)]
    label: String,
    data: Vec<u8>,
}

#[test]
fn skip_keeps_the_value() {
    let mut s = Skipping {
        id: 42,
        label: "keep me".into(),
        data: vec![1, 2],
    };
    s.reset();
    assert_eq!(s.id, 42);
    assert_eq!(s.label, "keep me");
    assert!(s.data.is_empty());
}

mod custom {
    pub(crate) fn to_one(value: &mut u32) {
        *value = 1;
    }

    pub(crate) struct Resetter;

    impl Resetter {
        pub(crate) fn fill(value: &mut String) {
            value.clear();
            value.push_str("filled");
        }
    }
}

fn clear_tag(tag: &mut String) {
    tag.clear();
    tag.push_str("none");
}

#[derive(Reset)]
struct WithFn {
    #[reset(with = clear_tag)]
    tag: String,
    #[reset(with = custom::to_one)]
    count: u32,
    #[reset(with = custom::Resetter::fill)]
    text: String,
    #[reset(with = poolside_core::reset_inner)]
    scratch: Option<Vec<u8>>,
    #[reset(with = <Vec<u8> as Reset>::reset)]
    qualified: Vec<u8>,
    rest: Vec<u8>,
}

#[test]
fn with_calls_the_function() {
    let mut w = WithFn {
        tag: "a".into(),
        count: 9,
        text: "t".into(),
        scratch: Some(Vec::with_capacity(64)),
        qualified: vec![1],
        rest: vec![2],
    };
    w.scratch.as_mut().unwrap().push(1);
    w.reset();
    assert_eq!(w.tag, "none");
    assert_eq!(w.count, 1);
    assert_eq!(w.text, "filled");
    let scratch = w.scratch.expect("reset_inner keeps Some");
    assert!(scratch.is_empty() && scratch.capacity() >= 64);
    assert!(w.qualified.is_empty());
    assert!(w.rest.is_empty());
}

mod reexport {
    pub(crate) use poolside_core as core_again;
}

#[derive(reexport::core_again::Reset)]
#[reset(crate = reexport::core_again)]
struct ThroughReexport {
    v: Vec<u8>,
}

#[test]
fn crate_attribute_through_a_reexport() {
    let mut t = ThroughReexport { v: vec![1] };
    reexport::core_again::Reset::reset(&mut t);
    assert!(t.v.is_empty());
}

#[derive(Reset)]
struct Where<T>
where
    T: Clone + Debug,
{
    items: Vec<T>,
    first: Option<T>,
}

fn reset_generic<T: Reset>(value: &mut T) {
    value.reset();
}

#[test]
fn where_clause_is_kept() {
    let mut w = Where {
        items: vec![1, 2],
        first: Some(1),
    };
    reset_generic(&mut w);
    assert!(w.items.is_empty());
    assert_eq!(w.first, None);
}

#[derive(Reset)]
struct Inner {
    count: usize,
    buf: Vec<u8>,
}

#[derive(Reset)]
struct Outer {
    inner: Inner,
    boxed: Box<Inner>,
    many: [Inner; 2],
}

fn inner() -> Inner {
    Inner {
        count: 3,
        buf: vec![1, 2, 3],
    }
}

#[test]
fn nested_derived_structs() {
    let mut o = Outer {
        inner: inner(),
        boxed: Box::new(inner()),
        many: [inner(), inner()],
    };
    o.reset();
    for i in [&o.inner, &*o.boxed, &o.many[0], &o.many[1]] {
        assert_eq!(i.count, 0);
        assert!(i.buf.is_empty());
        assert!(i.buf.capacity() >= 3);
    }
}

/// Has no `Reset` impl.
#[derive(Debug, PartialEq)]
struct NotReset(u8);

#[derive(Reset)]
struct SkippedParam<T> {
    #[reset(skip)]
    t: T,
    v: Vec<u8>,
}

#[derive(Reset)]
struct WithParam<T> {
    #[reset(with = forget_it)]
    t: T,
}

fn forget_it<T>(_: &mut T) {}

#[test]
fn a_param_only_in_skipped_or_with_fields_needs_no_reset() {
    let mut s = SkippedParam {
        t: NotReset(5),
        v: vec![1],
    };
    reset_generic(&mut s);
    assert_eq!(s.t, NotReset(5));
    assert!(s.v.is_empty());

    let mut w = WithParam { t: NotReset(6) };
    reset_generic(&mut w);
    assert_eq!(w.t, NotReset(6));
}

#[derive(Reset)]
struct PhantomParam<T> {
    marker: std::marker::PhantomData<T>,
    maybe: Option<T>,
    v: Vec<u8>,
}

#[test]
fn bounds_are_on_field_types_not_params() {
    // `PhantomData<T>` and `Option<T>` are `Reset` for any `T`, so `T` needs no `Reset`.
    let mut p = PhantomParam {
        marker: std::marker::PhantomData,
        maybe: Some(NotReset(1)),
        v: vec![1],
    };
    reset_generic(&mut p);
    assert!(p.maybe.is_none());
    assert!(p.v.is_empty());
}

/// A user-side trait named `Reset`, in scope where the derive expands.
#[allow(dead_code)]
mod shadow {
    pub(crate) trait Reset {
        fn reset(&mut self, extra: u8);
    }

    impl Reset for Vec<u8> {
        fn reset(&mut self, _: u8) {}
    }

    #[derive(poolside_core::Reset)]
    pub(crate) struct Clash {
        pub(crate) v: Vec<u8>,
    }
}

#[test]
fn a_local_trait_named_reset_does_not_clash() {
    let mut c = shadow::Clash { v: vec![1] };
    poolside_core::Reset::reset(&mut c);
    assert!(c.v.is_empty());
}

macro_rules! make_struct {
    ($name:ident, $field:ident: $ty:ty) => {
        #[derive(Reset)]
        struct $name {
            $field: $ty,
            other: Vec<u8>,
        }
    };
}

make_struct!(FromMacro, field: Vec<u32>);

#[test]
fn struct_from_a_macro_rules_macro() {
    let mut m = FromMacro {
        field: vec![1],
        other: vec![2],
    };
    m.reset();
    assert!(m.field.is_empty() && m.other.is_empty());
}

#[derive(Reset)]
struct RawNames {
    r#type: Vec<u8>,
    r#match: u8,
}

#[test]
fn raw_identifier_fields() {
    let mut r = RawNames {
        r#type: vec![1],
        r#match: 3,
    };
    r.reset();
    assert!(r.r#type.is_empty());
    assert_eq!(r.r#match, 0);
}

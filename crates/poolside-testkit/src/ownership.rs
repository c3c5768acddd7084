//! The ownership checker for stress tests.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Tracks which objects are held, and panics the moment one is held twice.
///
/// Give each pooled object an id from [`register`](OwnershipChecker::register) when it
/// is made, and call [`hold`](OwnershipChecker::hold) with it whenever a pool hands it
/// out; the returned [`Hold`] releases it when dropped. A second `hold` of an id that is
/// still held means the pool gave one object to two holders.
///
/// ```
/// use poolside_testkit::OwnershipChecker;
///
/// let checker = OwnershipChecker::new(2);
/// let id = checker.register();
/// let first = checker.hold(id);
/// let second = std::panic::catch_unwind(|| checker.hold(id));
/// assert!(second.is_err(), "a double hand-out must panic");
/// drop(first);
/// assert_eq!(checker.held(), 0);
/// ```
#[derive(Debug)]
pub struct OwnershipChecker {
    held: Box<[AtomicBool]>,
    registered: AtomicUsize,
    holds: AtomicU64,
}

impl OwnershipChecker {
    /// A checker for at most `capacity` objects.
    pub fn new(capacity: usize) -> Self {
        OwnershipChecker {
            held: (0..capacity).map(|_| AtomicBool::new(false)).collect(),
            registered: AtomicUsize::new(0),
            holds: AtomicU64::new(0),
        }
    }

    /// A new object's id.
    ///
    /// # Panics
    ///
    /// If more than `capacity` objects are registered: the pool made more objects than the
    /// test allows.
    pub fn register(&self) -> usize {
        let capacity = self.held.len();
        self.registered
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < capacity).then_some(n + 1)
            })
            .unwrap_or_else(|_| panic!("more than {capacity} objects were made"))
    }

    /// Marks `id` as held until the returned guard drops.
    ///
    /// # Panics
    ///
    /// If `id` is already held (a double hand-out) or was never registered.
    #[track_caller]
    pub fn hold(&self, id: usize) -> Hold<'_> {
        assert!(
            id < self.registered.load(Ordering::Relaxed),
            "object {id} was never registered"
        );
        // AcqRel pairs with the release in `Hold::drop`: the previous holder's writes
        // happen before this hold.
        let was_held = self.held[id].swap(true, Ordering::AcqRel);
        assert!(!was_held, "object {id} was handed to two holders at once");
        self.holds.fetch_add(1, Ordering::Relaxed);
        Hold { checker: self, id }
    }

    /// Objects held now.
    pub fn held(&self) -> usize {
        self.held
            .iter()
            .filter(|flag| flag.load(Ordering::Acquire))
            .count()
    }

    /// Objects registered so far.
    pub fn registered(&self) -> usize {
        self.registered.load(Ordering::Relaxed)
    }

    /// Holds taken so far.
    pub fn holds(&self) -> u64 {
        self.holds.load(Ordering::Relaxed)
    }
}

/// A held object; dropping it releases the hold.
#[derive(Debug)]
#[must_use = "dropping a Hold releases it at once"]
pub struct Hold<'a> {
    checker: &'a OwnershipChecker,
    id: usize,
}

impl Hold<'_> {
    /// The held object's id.
    pub fn id(&self) -> usize {
        self.id
    }
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        let was_held = self.checker.held[self.id].swap(false, Ordering::AcqRel);
        // Only a `Hold` releases, and each `Hold` once, so this holds unless the flags were
        // corrupted; don't panic in drop over it during unwinding.
        debug_assert!(was_held || std::thread::panicking());
    }
}

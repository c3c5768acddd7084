//! Pools that come and go, as in a service that makes a pool per connection or per
//! tenant: what making and dropping a pool costs with many others alive, and what the
//! drops cost a thread that keeps using a pool that stays.
//!
//! # Groups
//!
//! - `pool_churn`: one small pool made and dropped, with n other pools alive and n free
//!   indices left by pools dropped before them (2n made, every other one dropped), the
//!   state a service reaches after a peak. Each pool's id comes from one process-wide
//!   lock, and with the free indices in a min-heap a create and a drop cost O(log n)
//!   there; when every drop re-sorted the free list, the drop cost O(n) and dropping n
//!   pools O(n²). `alone` (the baseline) has no other pool; `1k_alive`, `10k_alive` and
//!   `100k_alive` have n = 1000, 10 000 and 100 000. The 100k set-up makes 200 000 pools
//!   (about 0.3 s and 180 MB at the peak), and criterion makes a case's routine again
//!   for each sample, so the pools are kept between samples (see `KEPT`).
//! - `pool_churn_hit`: a hit (a get and its return) on a pool that stays. `quiet` (the
//!   baseline) has nothing else going on; in `dropping`, another thread makes and drops
//!   pools as fast as it can, and every drop makes each thread sweep its table of caches
//!   at its next use of any pool; `dropping_1k_caches` is the same on a thread that also
//!   holds caches of 1000 other live pools, so each sweep walks 1000 entries. In
//!   `dropping_and_trimming_1ms` the other thread, once every millisecond (paced by the
//!   clock, asleep in between), makes and drops a pool and trims another one that it
//!   keeps: the rate of a service's maintenance, not a flood. A pool drop already sends
//!   every thread once through its slow path; a hit path that checks one process-wide
//!   generation would do the same for every trim and decay, so this is what such events
//!   cost a thread's hits at that rate. The counting pass counts the other thread's pools
//!   too, so B/op there is the churn's, not the hit's.

use std::cell::RefCell;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use poolside_core::NoStats;
use poolside_object::ObjectPool;

use super::{entry, warmed};
use crate::{Case, Routine};

/// A small pool, as a service might make per connection.
type Small = ObjectPool<Vec<u8>>;

fn small() -> Small {
    ObjectPool::builder()
        .max_idle(8)
        .thread_cache(4)
        .build()
        .expect("valid limits")
}

/// The cheapest pool there is, for the bystanders: only their ids matter.
type Bystander = ObjectPool<u8, poolside_core::DefaultPolicy, NoStats>;

fn bystander() -> Bystander {
    ObjectPool::builder()
        .max_idle(1)
        .thread_cache(0)
        .no_stats()
        .build()
        .expect("valid limits")
}

/// `n` live pools and `n` free indices among them: `2n` made, every other one dropped.
fn alive_with_holes(n: usize) -> Vec<Bystander> {
    let mut made: Vec<Option<Bystander>> = (0..2 * n).map(|_| Some(bystander())).collect();
    for pool in made.iter_mut().step_by(2) {
        *pool = None;
    }
    made.into_iter().flatten().collect()
}

thread_local! {
    /// The last `pool_churn` case's other pools, kept when its routine is dropped, so that
    /// the next routine of the same case (criterion makes one per sample) takes them
    /// instead of making 2n pools again. A case of another size, or any `pool_churn_hit`
    /// case, lets them go. These groups come last in the registry, so in a run of every
    /// case no other group runs beside them.
    static KEPT: RefCell<Option<Vec<Bystander>>> = const { RefCell::new(None) };
}

/// The other pools of a running `pool_churn` case, given back to `KEPT` when dropped.
struct Kept(Option<Vec<Bystander>>);

impl Drop for Kept {
    fn drop(&mut self) {
        let pools = self.0.take();
        let _ = KEPT.try_with(|kept| *kept.borrow_mut() = pools);
    }
}

/// Lets the kept pools go.
fn forget_kept() {
    let kept = KEPT.with(|kept| kept.borrow_mut().take());
    drop(kept);
}

/// Makes and drops one pool per operation with `n` others alive (and `n` free indices).
fn create_drop(n: usize) -> Box<dyn Routine> {
    let kept = KEPT.with(|kept| kept.borrow_mut().take());
    let alive = match kept {
        Some(pools) if pools.len() == n => pools,
        other => {
            // Another size's pools go first, so that only one set is ever alive.
            drop(other);
            alive_with_holes(n)
        }
    };
    let alive = Kept(Some(alive));
    warmed(move || {
        black_box(&alive);
        drop(black_box(small()));
    })
}

/// One hit on `pool`: a get and its return, touching the object.
fn hit(pool: &Small) {
    let mut buf = pool.get();
    buf.push(black_box(1));
}

fn quiet() -> Box<dyn Routine> {
    forget_kept();
    let pool = small();
    warmed(move || hit(&pool))
}

/// What the routine and the churning thread share.
struct Control {
    /// Whether to churn now: only while a run is timed.
    churn: AtomicBool,
    stop: AtomicBool,
    /// Pools the churning thread has dropped so far.
    dropped: AtomicU64,
}

/// What the churning thread does while a run is timed.
#[derive(Clone, Copy)]
enum Churn {
    /// Makes and drops pools as fast as it can.
    FlatOut,
    /// Every [`PACE`], makes and drops a pool and trims another; sleeps in between.
    Paced,
}

/// The period of [`Churn::Paced`].
const PACE: Duration = Duration::from_millis(1);

/// Hits on a pool of this thread while a second thread makes and drops pools. Only the
/// hits are timed; the second thread churns only during a run.
struct WhileDropping {
    pool: Small,
    /// Other live pools this thread holds caches of (they lengthen its sweeps).
    _cached: Vec<Small>,
    control: Arc<Control>,
    churner: Option<JoinHandle<()>>,
}

fn while_dropping(cached: usize, how: Churn) -> Box<dyn Routine> {
    forget_kept();
    let control = Arc::new(Control {
        churn: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        dropped: AtomicU64::new(0),
    });
    let churner = {
        let control = control.clone();
        std::thread::Builder::new()
            .name("bench-churner".into())
            .spawn(move || {
                // The pool the paced churn trims, given an idle object before each trim.
                let trimmed = matches!(how, Churn::Paced).then(small);
                let mut next = Instant::now();
                while !control.stop.load(Ordering::Acquire) {
                    if !control.churn.load(Ordering::Acquire) {
                        std::thread::park();
                        next = Instant::now();
                        continue;
                    }
                    drop(black_box(small()));
                    if let Some(trimmed) = &trimmed {
                        drop(trimmed.get());
                        black_box(trimmed.trim());
                    }
                    control.dropped.fetch_add(1, Ordering::Release);
                    if let Churn::Paced = how {
                        next += PACE;
                        let now = Instant::now();
                        match next.checked_duration_since(now) {
                            Some(wait) => std::thread::sleep(wait),
                            // Late (the machine is busy): start the clock again from now.
                            None => next = now,
                        }
                    }
                }
            })
            .expect("spawn the churning thread")
    };
    // This thread's caches of other pools: each holds an object, so none is empty.
    let cached: Vec<Small> = (0..cached).map(|_| small()).collect();
    for pool in &cached {
        hit(pool);
    }
    let pool = small();
    for _ in 0..super::WARM {
        hit(&pool);
    }
    Box::new(WhileDropping {
        pool,
        _cached: cached,
        control,
        churner: Some(churner),
    })
}

impl Routine for WhileDropping {
    fn run(&mut self, iters: u64) -> Duration {
        let churner = self.churner.as_ref().expect("the churner runs until drop");
        // Start the churn, and time only once it has begun.
        let before = self.control.dropped.load(Ordering::Acquire);
        self.control.churn.store(true, Ordering::Release);
        churner.thread().unpark();
        while self.control.dropped.load(Ordering::Acquire) == before {
            assert!(!churner.is_finished(), "the churning thread panicked");
            std::hint::spin_loop();
        }
        let start = Instant::now();
        for _ in 0..iters {
            hit(&self.pool);
        }
        let elapsed = start.elapsed();
        self.control.churn.store(false, Ordering::Release);
        elapsed
    }
}

impl Drop for WhileDropping {
    fn drop(&mut self) {
        self.control.stop.store(true, Ordering::Release);
        if let Some(churner) = self.churner.take() {
            churner.thread().unpark();
            let _ = churner.join();
        }
    }
}

pub(crate) fn register(all: &mut Vec<Case>) {
    const CHURN: &str = "pool_churn";
    const HIT: &str = "pool_churn_hit";
    all.extend([
        entry(CHURN, "alone", true, true, || create_drop(0)),
        entry(CHURN, "1k_alive", false, true, || create_drop(1_000)),
        entry(CHURN, "10k_alive", false, true, || create_drop(10_000)),
        entry(CHURN, "100k_alive", false, true, || create_drop(100_000)),
        //
        entry(HIT, "quiet", true, true, quiet),
        entry(HIT, "dropping", false, true, || {
            while_dropping(0, Churn::FlatOut)
        }),
        entry(HIT, "dropping_1k_caches", false, true, || {
            while_dropping(1_000, Churn::FlatOut)
        }),
        entry(HIT, "dropping_and_trimming_1ms", false, true, || {
            while_dropping(0, Churn::Paced)
        }),
    ]);
}

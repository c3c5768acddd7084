//! Loom models of the shortcut's arming protocol (`shortcut`). Run with `cargo xtask ci
//! loom` (`RUSTFLAGS="--cfg poolside_loom" cargo test --release --lib -- tests::loom::`).
//!
//! Under loom the pools never arm a shortcut (their models take the table every time),
//! so these check the protocol on its own: a thread arms its word around its read of
//! pools' epochs while other threads change those epochs and clear the word, as a trim
//! does. The property: a word armed at the end means its thread saw every change whose
//! clear came before, so no trim is missed. Making a clear a plain store, or the first
//! step of arming `Relaxed`, fails them.

use loom::sync::atomic::{AtomicU64, Ordering};
use loom::sync::Arc;
use loom::thread;

use crate::shortcut::Word;

const TAG: u64 = 7;

/// A trim: its pool's epoch moves on, then every word is cleared.
fn trim(epoch: &AtomicU64, word: &Word) {
    epoch.fetch_add(1, Ordering::Relaxed);
    word.clear();
}

#[test]
fn an_armed_shortcut_has_seen_the_trim_that_cleared_it_before() {
    loom::model(|| {
        let word = Arc::new(Word::new());
        let epoch = Arc::new(AtomicU64::new(0));
        let trimmer = {
            let (word, epoch) = (word.clone(), epoch.clone());
            thread::spawn(move || trim(&epoch, &word))
        };
        word.begin(TAG);
        let seen = epoch.load(Ordering::Relaxed);
        let armed = word.finish(TAG);
        trimmer.join().unwrap();
        if word.load() == TAG {
            assert!(armed);
            assert_eq!(seen, 1, "armed, but the trim before it was not seen");
        }
    });
}

/// Two trims of two pools by two threads: the word's last clear is the second's, and the
/// arming thread must see the first's change too (the clears are read-modify-writes, so
/// each continues the release sequence of the one before).
#[test]
fn an_armed_shortcut_has_seen_every_trim_before_it_not_only_the_last() {
    loom::model(|| {
        let word = Arc::new(Word::new());
        let epochs = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
        let trimmers: Vec<_> = (0..2)
            .map(|i| {
                let (word, epochs) = (word.clone(), epochs.clone());
                thread::spawn(move || trim(&epochs[i], &word))
            })
            .collect();
        word.begin(TAG);
        let seen = [
            epochs[0].load(Ordering::Relaxed),
            epochs[1].load(Ordering::Relaxed),
        ];
        word.finish(TAG);
        for t in trimmers {
            t.join().unwrap();
        }
        if word.load() == TAG {
            assert_eq!(seen, [1, 1], "armed, but a trim before it was not seen");
        }
    });
}

//! The case registry, one module per subject.

use crate::Case;

mod cache_order;
mod counters;
mod object;
mod reset;

pub(crate) fn register(all: &mut Vec<Case>) {
    reset::register(all);
    counters::register(all);
    object::register(all);
    cache_order::register(all);
}

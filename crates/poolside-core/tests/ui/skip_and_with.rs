use poolside_core::Reset;

fn to_zero(value: &mut u64) {
    *value = 0;
}

#[derive(Reset)]
struct Conflict {
    #[reset(skip, with = to_zero)]
    a: u64,
    #[reset(with = to_zero)]
    #[reset(skip)]
    b: u64,
}

fn main() {}

use poolside_core::Reset;

#[derive(Reset)]
#[reset(skip)]
struct Misplaced {
    data: Vec<u8>,
}

fn main() {}

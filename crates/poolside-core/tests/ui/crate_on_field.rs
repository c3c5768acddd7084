use poolside_core::Reset;

#[derive(Reset)]
struct Misplaced {
    #[reset(crate = poolside_core)]
    data: Vec<u8>,
}

fn main() {}

use poolside_core::Reset;

fn clear(value: &mut Vec<u8>) {
    value.clear();
}

#[derive(Reset)]
#[reset(crate = poolside_core)]
#[reset(crate = poolside_core)]
struct Twice {
    #[reset(skip, skip)]
    a: Vec<u8>,
    #[reset(with = clear)]
    #[reset(with = clear)]
    b: Vec<u8>,
}

fn main() {}

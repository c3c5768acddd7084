use poolside_core::Reset;

fn by_value(_: Vec<u8>) {}

#[derive(Reset)]
struct Wrong {
    #[reset(with = by_value)]
    data: Vec<u8>,
}

fn main() {}

use poolside_core::Reset;

#[derive(Reset)]
#[reset(krate = poolside_core)]
struct Buffers {
    #[reset(skp)]
    id: u64,
    #[reset(clear = Vec::clear, skip)]
    data: Vec<u8>,
}

fn main() {}

use poolside_core::Reset;

#[derive(Reset)]
struct SkipValue {
    #[reset(skip = true)]
    id: u64,
}

#[derive(Reset)]
#[reset(crate = "poolside_core")]
struct CrateString {
    data: Vec<u8>,
}

fn main() {}

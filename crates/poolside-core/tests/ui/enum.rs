use poolside_core::Reset;

#[derive(Reset)]
enum State {
    Idle,
    Busy(Vec<u8>),
}

fn main() {}

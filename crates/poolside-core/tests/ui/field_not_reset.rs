use poolside_core::Reset;

struct Socket;

#[derive(Reset)]
struct Connection {
    buffer: Vec<u8>,
    socket: Socket,
}

fn main() {}

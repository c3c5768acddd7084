use poolside_core::Reset;

#[derive(Reset)]
struct WithClosure {
    #[reset(with = |v: &mut Vec<u8>| v.clear())]
    data: Vec<u8>,
}

#[derive(Reset)]
struct WithString {
    #[reset(with = "Vec::clear")]
    data: Vec<u8>,
}

#[derive(Reset)]
struct WithCall {
    #[reset(with = Vec::clear())]
    data: Vec<u8>,
}

#[derive(Reset)]
struct WithNothing {
    #[reset(with)]
    data: Vec<u8>,
}

fn main() {}

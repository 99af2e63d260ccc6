//! The `iotcheck` binary.

fn main() {}

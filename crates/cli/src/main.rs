//! The `fillroute` command line (being written).
fn main() {}

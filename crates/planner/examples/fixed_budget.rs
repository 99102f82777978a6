//! Exact objective after a fixed, deterministic iteration budget: the pin
//! that a behaviour-preserving change of the search must reproduce.
//!
//! `cargo run --release -p fillroute-planner --example fixed_budget -- ITERS FILE...`
//! prints `name objective vehicles iterations` per file (seed 0, 1 thread).
#![allow(clippy::unwrap_used, missing_docs)]

use fillroute_planner::{SolveParams, check, io, solve};

fn main() {
    let mut args = std::env::args().skip(1);
    let iters: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: fixed_budget ITERS FILE...");
    for path in args {
        let bi = io::read_instance(std::path::Path::new(&path)).unwrap();
        let params = SolveParams {
            time_limit: None,
            max_iterations: Some(iters),
            seed: 0,
            ..SolveParams::default()
        };
        let out = solve(&bi.instance, &params);
        let rep = check(&bi.instance, &out.solution);
        assert_eq!(rep.objective, out.objective, "{}", bi.name);
        println!(
            "{} {} {} {} feasible={}",
            bi.name, out.objective, rep.vehicles, out.iterations, rep.feasible
        );
    }
}

//! Gap to the best known after a time or iteration budget, with the wall
//! time of the whole `solve` call (construction included): the quick
//! screening tool behind the X figures in BENCHMARKS-planner.md.
//!
//! `cargo run --release -p fillroute-planner --example gap -- (--secs S | --iters N) [--seed K] FILE...`
//! prints `name cost bks gap_pct routes iterations wall_s feasible` per file
//! (1 thread, the set's default objective).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use fillroute_planner::{SolveParams, check, io, solve};

fn main() {
    let mut params = SolveParams {
        time_limit: None,
        ..SolveParams::default()
    };
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("a value after the flag");
        match a.as_str() {
            "--secs" => params.time_limit = Some(Duration::from_secs_f64(val().parse().unwrap())),
            "--iters" => params.max_iterations = Some(val().parse().unwrap()),
            "--seed" => params.seed = val().parse().unwrap(),
            _ => files.push(a),
        }
    }
    for path in files {
        let bi = io::read_instance(std::path::Path::new(&path)).unwrap();
        let vf = bi.format.default_vehicles_first();
        let bi = bi.with_objective(vf);
        let t = Instant::now();
        let out = solve(&bi.instance, &params);
        let wall = t.elapsed().as_secs_f64();
        let rep = check(&bi.instance, &out.solution);
        if std::env::var_os("FR_DEBUG").is_some() {
            eprintln!("{:?}", out.operator_stats);
        }
        assert_eq!(rep.objective, out.objective, "{}", bi.name);
        let cost = rep.distance as f64 / bi.scale;
        let bks = io::reference(&bi, vf).map_or(f64::NAN, |r| r.0);
        println!(
            "{} {cost} {bks} {:.3} {} {} {wall:.2} {}",
            bi.name,
            100.0 * (cost - bks) / bks,
            rep.vehicles,
            out.iterations,
            rep.feasible
        );
    }
}

//! Shared fixtures: tiny instances on a plane, and a solve-then-check helper.
#![allow(dead_code, missing_docs)]

use fillroute_planner::*;

/// Euclidean matrix (rounded to integers) over points; travel time = distance.
pub fn plane(points: &[(f64, f64)]) -> Vec<f64> {
    let n = points.len();
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let (a, b) = (points[i], points[j]);
            m[i * n + j] = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt().round();
        }
    }
    m
}

/// Builder with one profile over `points` (location 0 is the depot).
pub fn builder(points: &[(f64, f64)]) -> InstanceBuilder {
    let m = plane(points);
    InstanceBuilder::new()
        .profile(m.clone(), m, 1.0)
        .depot("depot", 0)
}

pub fn params(iters: u64, seed: u64) -> SolveParams {
    SolveParams {
        time_limit: None,
        max_iterations: Some(iters),
        seed,
        ..SolveParams::default()
    }
}

/// Solves and asserts the independent checker agrees: no violations, and
/// the same objective as the search reports.
pub fn solve_checked(inst: &Instance, iters: u64) -> (Solution, CheckReport) {
    let out = solve(inst, &params(iters, 1));
    let rep = check(inst, &out.solution);
    let only_unserved = rep.violations.is_empty();
    assert!(
        only_unserved,
        "checker violations: {:?}\nsolution: {:?}",
        rep.violations, out.solution
    );
    assert_eq!(
        rep.objective, out.objective,
        "search and checker disagree on the objective"
    );
    (out.solution, rep)
}

/// Path to the shared benchmarks, or `None` (with a notice) when absent.
pub fn shared(sub: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/benchmarks")
        .join(sub);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} not found", p.display());
        None
    }
}

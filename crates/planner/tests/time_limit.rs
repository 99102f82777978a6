//! The time limit covers the whole `solve` call: building the search data,
//! the first plan and its local search included, so a city-scale day asked
//! for in half a second does not come back in three; and a fixed
//! iteration budget stays reproducible on large instances.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;
use std::time::{Duration, Instant};

use common::*;
use fillroute_planner::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// 1,000 stops on a 1,000 × 1,000 plane in 20 clusters (as in CVRPLIB's X
/// set), demands 1–10, trucks of 100, one truck per stop (an unlimited fleet).
fn city(stops: usize) -> Instance {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let centres: Vec<(f64, f64)> = (0..20)
        .map(|_| (rng.random_range(0.0..1000.0), rng.random_range(0.0..1000.0)))
        .collect();
    let mut points = vec![(500.0, 500.0)];
    for _ in 0..stops {
        let (cx, cy) = centres[rng.random_range(0..centres.len())];
        points.push((
            (cx + rng.random_range(-60.0..60.0f64)).clamp(0.0, 1000.0),
            (cy + rng.random_range(-60.0..60.0f64)).clamp(0.0, 1000.0),
        ));
    }
    builder(&points)
        .stops((0..stops).map(|i| Stop::new(format!("s{i}"), i + 1, rng.random_range(1..=10))))
        .vehicles((0..stops).map(|v| Vehicle::new(format!("v{v}"), vec![100], 0)))
        .objective(Objective::Weighted {
            unserved_weight: 1_000_000_000,
            vehicle_weight: 0,
        })
        .build()
        .unwrap()
}

#[test]
fn a_half_second_limit_is_honoured_on_a_thousand_stops() {
    let inst = city(1000);
    let limit = Duration::from_millis(500);
    let params = SolveParams {
        time_limit: Some(limit),
        ..SolveParams::default()
    };
    let t = Instant::now();
    let out = solve(&inst, &params);
    let took = t.elapsed();
    // Generous: this checks that nothing runs unbudgeted, not speed.
    assert!(
        took < 3 * limit,
        "asked for {limit:?}, solve took {took:?} ({} iterations)",
        out.iterations
    );
    let rep = check(&inst, &out.solution);
    assert!(rep.feasible, "{:?}", rep.violations.first());
    assert!(out.solution.unserved.is_empty());
    assert_eq!(rep.objective, out.objective);
}

#[test]
fn a_large_capacity_only_plan_repeats_exactly_for_a_seed_and_iteration_budget() {
    // Above 200 stops without windows, breaks or disposal trips the search
    // runs its localized local search after every step; a fixed budget
    // must still give the same plan on any machine.
    let inst = city(300);
    let run = || {
        let out = solve(&inst, &params(150, 3));
        let rep = check(&inst, &out.solution);
        assert!(rep.feasible, "{:?}", rep.violations.first());
        assert_eq!(rep.objective, out.objective);
        (out.objective, out.solution.routes.len(), out.iterations)
    };
    let first = run();
    assert_eq!(first.2, 150);
    assert_eq!(first, run());
}

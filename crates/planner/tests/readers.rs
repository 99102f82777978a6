//! Reader round trips on the shared benchmarks, every solution checked:
//! read → solve briefly → write `.sol` → read back → checker agrees; and the
//! published `.sol` files (MTVRPTWR) re-evaluate to their stated cost.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;
use common::*;
use fillroute_planner::*;
use std::path::Path;

fn round_trip(path: &Path, iters: u64) -> CheckReport {
    let bi = io::read_instance(path).unwrap_or_else(|e| panic!("{e}"));
    let out = solve(&bi.instance, &params(iters, 0));
    let rep = check(&bi.instance, &out.solution);
    assert!(
        rep.violations.is_empty(),
        "{}: {:?}",
        bi.name,
        rep.violations
    );
    assert_eq!(
        rep.objective, out.objective,
        "{}: search and checker disagree",
        bi.name
    );
    let text = io::write_sol(&bi, &out.solution, rep.distance as f64 / bi.scale);
    let sol = io::parse_sol(path, &text).unwrap();
    let back = io::solution_from_sol(&bi, &sol, path).unwrap();
    let rep2 = check(&bi.instance, &back);
    assert!(
        rep2.violations.is_empty(),
        "{} after .sol round trip: {:?}",
        bi.name,
        rep2.violations
    );
    assert_eq!(rep2.distance, rep.distance, "{}", bi.name);
    assert_eq!(rep2.vehicles, rep.vehicles, "{}", bi.name);
    rep
}

#[test]
fn augerat_instances_round_trip_through_sol_files() {
    let Some(dir) = shared("cvrp") else { return };
    for f in ["A/A-n32-k5.vrp", "B/B-n31-k5.vrp", "P/P-n16-k8.vrp"] {
        let rep = round_trip(&dir.join(f), 200);
        assert!(rep.feasible, "{f}");
    }
}

#[test]
fn packs_every_stop_of_a_capacity_tight_instance_into_its_capped_fleet() {
    // P-n55-k15 loads its 15 trucks to 99 %: greedy insertion leaves stops
    // out, and the search must pack them in rather than anneal around them.
    let Some(dir) = shared("cvrp/P") else { return };
    let bi = io::read_instance(&dir.join("P-n55-k15.vrp")).unwrap();
    for seed in 0..3 {
        let out = solve(&bi.instance, &params(20_000, seed));
        let rep = check(&bi.instance, &out.solution);
        assert!(
            rep.feasible,
            "seed {seed}: unserved {:?}",
            out.solution.unserved
        );
    }
}

#[test]
fn a_n32_k5_uses_nint_distances_and_reaches_the_optimum() {
    let Some(dir) = shared("cvrp/A") else { return };
    let bi = io::read_instance(&dir.join("A-n32-k5.vrp")).unwrap();
    assert_eq!(bi.instance.profiles()[0].distance.get(0, 1), 35); // nint(sqrt(14^2+32^2)=34.93)
    let out = solve(&bi.instance, &params(3000, 0));
    let rep = check(&bi.instance, &out.solution);
    assert!(rep.feasible);
    assert_eq!(rep.distance, 784);
    assert_eq!(io::reference(&bi, false), Some((784.0, None)));
}

#[test]
fn cmt_files_keep_real_distances_route_limits_and_last_node_depot() {
    let Some(dir) = shared("cvrp/CMT") else {
        return;
    };
    let bi = io::read_instance(&dir.join("CMT6.vrp")).unwrap();
    assert_eq!(
        bi.instance.depots()[0].location,
        50,
        "depot is the last node"
    );
    assert_eq!(bi.instance.vehicles()[0].max_duration, Some(200 * 10_000));
    assert_eq!(bi.instance.stops()[0].service, 10 * 10_000);
    let rep = round_trip(&dir.join("CMT6.vrp"), 300);
    assert!(rep.feasible);
    round_trip(&dir.join("CMT1.vrp"), 100);
}

#[test]
fn solomon_instances_round_trip_with_time_windows() {
    let Some(dir) = shared("vrptw-solomon") else {
        return;
    };
    for f in ["C101.txt", "R201.txt"] {
        let rep = round_trip(&dir.join(f), 100);
        assert!(rep.feasible, "{f}");
    }
    let bi = io::read_instance(&dir.join("RC101.txt")).unwrap();
    assert_eq!(io::reference(&bi, false), Some((1623.58, Some(15))));
}

#[test]
fn mtvrptw_published_solutions_check_at_their_stated_cost() {
    let Some(dir) = shared("mtvrptw-reloads") else {
        return;
    };
    for name in ["C201R0.25", "R201R0.5", "RC201R0.75"] {
        let path = dir.join(format!("{name}.vrp"));
        if !path.exists() {
            continue;
        }
        let bi = io::read_instance(&path).unwrap();
        let sol_path = dir.join(format!("{name}.sol"));
        let sol = io::read_sol(&sol_path).unwrap();
        let plan = io::solution_from_sol(&bi, &sol, &sol_path).unwrap();
        let rep = check(&bi.instance, &plan);
        assert!(rep.feasible, "{name}: {:?}", rep.violations);
        assert_eq!(Some(rep.distance as f64), sol.cost, "{name}");
        round_trip(&path, 100);
    }
}

#[test]
fn kim_instance_round_trips_with_landfills_lunch_and_caps() {
    let Some(dir) = shared("waste-kim2006") else {
        return;
    };
    let bi = io::read_instance(&dir.join("102_stop.txt")).unwrap();
    assert_eq!(bi.instance.sites().len(), 2);
    // Stop 0 -> 1 (landfill): 15387 ft = 262.3 s at 40 mph (benchmark.html).
    let (d, l) = (
        bi.instance.depots()[0].location,
        bi.instance.sites()[0].location,
    );
    assert_eq!(bi.instance.profiles()[0].distance.get(d, l), 15387);
    assert_eq!(bi.instance.profiles()[0].duration.get(d, l), 2623);
    let rep = round_trip(&dir.join("102_stop.txt"), 100);
    assert!(rep.feasible);
}

#[test]
#[ignore = "reads every shared instance; run with --ignored (release recommended)"]
fn every_shared_instance_reads_and_solves_feasibly() {
    let Some(dir) = shared("") else { return };
    for f in io::list_instances(&dir) {
        let rep = round_trip(&f, 20);
        assert!(rep.violations.is_empty(), "{}", f.display());
    }
}

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
    let mut back = io::solution_from_sol(&bi, &sol, path).unwrap();
    // A `.sol` lists routes only: stops a short search left out come back
    // as unserved, with the reasons the search gave.
    back.unserved = out.solution.unserved.clone();
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

/// A tiny CVRP in a scratch folder: depot node 1 at the origin, customers
/// 1, 2, 3 are nodes 2, 3, 4; `Route #1: 1 2` costs 20 and `Route #2: 3` 10.
fn tiny_vrp(test: &str) -> (std::path::PathBuf, io::BenchInstance) {
    let dir = std::env::temp_dir().join(format!("fillroute-readers-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("tiny.vrp");
    std::fs::write(&p, "NAME : tiny\nTYPE : CVRP\nDIMENSION : 4\nEDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : 10\nNODE_COORD_SECTION\n1 0 0\n2 3 4\n3 6 8\n4 0 5\nDEMAND_SECTION\n1 0\n2 5\n3 5\n4 5\nDEPOT_SECTION\n1\n-1\nEOF\n").unwrap();
    let bi = io::read_instance(&p).unwrap();
    (dir, bi)
}

#[test]
fn a_stated_cost_must_be_the_cost_of_the_routes() {
    let (dir, bi) = tiny_vrp("cost");
    let path = dir.join("x.sol");
    let right = io::parse_sol(&path, "Route #1: 1 2\nRoute #2: 3\nCost 30\n").unwrap();
    let c = io::check_sol(&bi, &right, &path).unwrap();
    assert!(c.report.feasible);
    assert_eq!(c.cost_mismatch(), None);
    let wrong = io::parse_sol(&path, "Route #1: 1 2\nRoute #2: 3\nCost 1\n").unwrap();
    let m = io::check_sol(&bi, &wrong, &path)
        .unwrap()
        .cost_mismatch()
        .unwrap();
    assert!(
        m.contains("Cost 1") && m.contains("cost 30") && m.contains("nearest integer"),
        "{m}"
    );
    // Nint sets are exact: half a unit off is wrong.
    let half = io::parse_sol(&path, "Route #1: 1 2\nRoute #2: 3\nCost 30.5\n").unwrap();
    assert!(
        io::check_sol(&bi, &half, &path)
            .unwrap()
            .cost_mismatch()
            .is_some()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_real_distance_cost_is_compared_to_the_decimals_it_states() {
    let Some(dir) = shared("vrptw-solomon") else {
        return;
    };
    let bi = io::read_instance(&dir.join("C101.txt")).unwrap();
    let out = solve(&bi.instance, &params(200, 0));
    let rep = check(&bi.instance, &out.solution);
    let cost = rep.distance as f64 / bi.scale;
    let path = dir.join("C101.sol");
    for (stated, ok) in [
        (format!("{cost:.2}"), true),
        (format!("{cost:.1}"), true),
        (format!("{:.2}", cost + 0.05), false),
        (format!("{:.0}", cost + 3.0), false),
    ] {
        let mut text = io::write_sol(&bi, &out.solution, cost);
        text = text.replace(
            &text[text.find("Cost").unwrap()..],
            &format!("Cost {stated}\n"),
        );
        let sol = io::parse_sol(&path, &text).unwrap();
        let m = io::check_sol(&bi, &sol, &path).unwrap().cost_mismatch();
        assert_eq!(m.is_none(), ok, "stated {stated} against {cost}: {m:?}");
    }
}

#[test]
fn violations_use_the_solution_files_numbering() {
    let (dir, bi) = tiny_vrp("names");
    let path = dir.join("x.sol");
    // Customer 2 (node id 3) twice on Route #7, which is over capacity too.
    let sol = io::parse_sol(&path, "Route #7: 1 2 2\nRoute #8: 3\n").unwrap();
    let v = io::check_sol(&bi, &sol, &path).unwrap().report.violations;
    assert!(
        v.contains(&"customer 2 served 2 times (on Route #7)".to_string()),
        "{v:?}"
    );
    assert!(
        v.iter()
            .any(|m| m.starts_with("Route #7 last trip: load 15")),
        "{v:?}"
    );
    assert!(
        v.iter()
            .all(|m| !m.contains("stop '") && !m.contains("route 0")),
        "{v:?}"
    );
    // The model's own names are unchanged for plans built in memory.
    let plan = io::solution_from_sol(&bi, &sol, &path).unwrap();
    let own = check(&bi.instance, &plan).violations;
    assert!(
        own.contains(&"stop '3' served 2 times (on route 0)".to_string()),
        "{own:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_unknown_customer_is_reported_with_its_route_and_line() {
    let (dir, bi) = tiny_vrp("unknown");
    let path = dir.join("x.sol");
    let sol = io::parse_sol(&path, "Route #1: 1 2\n\nRoute #2: 3 9\n").unwrap();
    let e = io::check_sol(&bi, &sol, &path).unwrap_err().to_string();
    assert!(
        e.contains("x.sol:3:") && e.contains("Route #2: unknown customer 9"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_published_solution_checks_feasible_at_its_stated_cost() {
    // X files: the fleet is unlimited, and 18 of the 85 solutions use more
    // routes than the `k` of the name. MTVRPTWR: DIMACS x10 truncation.
    for sub in ["cvrp/X", "mtvrptw-reloads"] {
        let Some(dir) = shared(sub) else { continue };
        let mut n = 0;
        for f in io::list_instances(&dir) {
            let sol_path = f.with_extension("sol");
            if !sol_path.exists() {
                continue;
            }
            let bi = io::read_instance(&f).unwrap_or_else(|e| panic!("{e}"));
            let sol = io::read_sol(&sol_path).unwrap();
            let c = io::check_sol(&bi, &sol, &sol_path).unwrap_or_else(|e| panic!("{e}"));
            assert!(c.report.feasible, "{}: {:?}", bi.name, c.report.violations);
            assert_eq!(c.cost_mismatch(), None, "{}", bi.name);
            n += 1;
        }
        assert!(n > 0, "{sub}: no solution files");
    }
}

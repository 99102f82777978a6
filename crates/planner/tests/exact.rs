//! The heuristic against proven optima: on many random small instances the
//! ruin-and-recreate search must find exactly the optimum that the exact
//! method (all feasible routes + set partitioning in HiGHS) proves. Also:
//! set partitioning over the search's pool never returns a worse plan than
//! the incumbent it was given.
//!
//! Matrices are Euclidean, rounded, then closed under shortest paths, so
//! they satisfy the triangle inequality exactly (the enumeration's
//! exactness condition; see `mip::exact`).
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use fillroute_planner::mip::{exact, set_partition};
use fillroute_planner::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Builds instance `k` of a family.
type Family = fn(u64) -> Instance;

/// Instances per feature family.
const PER_FAMILY: u64 = 25;
/// Search iterations for the heuristic side (small on purpose: these are
/// 6–10 stop instances).
const HEURISTIC_ITERATIONS: u64 = 4000;

/// Rounded Euclidean distances over random points, closed under shortest
/// paths (Floyd–Warshall) so the triangle inequality holds exactly.
fn metric(rng: &mut ChaCha8Rng, locations: usize) -> Vec<f64> {
    let pts: Vec<(f64, f64)> = (0..locations)
        .map(|_| (rng.random_range(0.0..100.0), rng.random_range(0.0..100.0)))
        .collect();
    let n = locations;
    let mut m = vec![0.0f64; n * n];
    for i in 0..n {
        for j in 0..n {
            let (a, b) = (pts[i], pts[j]);
            m[i * n + j] = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt().round();
        }
    }
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                let via = m[i * n + k] + m[k * n + j];
                if via < m[i * n + j] {
                    m[i * n + j] = via;
                }
            }
        }
    }
    m
}

fn distance_only() -> Objective {
    Objective::Weighted {
        unserved_weight: 1_000_000_000,
        vehicle_weight: 0,
    }
}

fn rng_for(family: u64, k: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(0x5eed_0000 + family * 1000 + k)
}

/// Capacitated VRP: 7–10 stops, routes of about three stops, a fleet one
/// larger than the bin-packing bound. Every fifth instance ranks vehicles
/// first (lexicographic objective).
fn cvrp(k: u64) -> Instance {
    let mut rng = rng_for(1, k);
    let n = rng.random_range(7..=10usize);
    let m = metric(&mut rng, n + 1);
    let cap = rng.random_range(15..=25i64);
    let stops: Vec<Stop> = (0..n)
        .map(|i| Stop::new(format!("s{i}"), i + 1, rng.random_range(1..=10)))
        .collect();
    let total: i64 = stops.iter().map(|s| s.demand[0]).sum();
    let fleet = ((total + cap - 1) / cap + 1) as usize;
    InstanceBuilder::new()
        .profile(m.clone(), m, 1.0)
        .depot("depot", 0)
        .stops(stops)
        .vehicles((0..fleet).map(|v| Vehicle::new(format!("v{v}"), vec![cap], 0)))
        .objective(if k % 5 == 4 {
            Objective::Lexicographic
        } else {
            distance_only()
        })
        .build()
        .expect("valid CVRP instance")
}

/// Time windows: 7–9 stops with one window each, service times, a shift,
/// capacity that binds loosely.
fn vrptw(k: u64) -> Instance {
    vrptw_with(k, false)
}

/// As [`vrptw`], but about a third of the stops get a second window.
fn vrptw_two_windows(k: u64) -> Instance {
    vrptw_with(k, true)
}

fn vrptw_with(k: u64, two_windows: bool) -> Instance {
    let mut rng = rng_for(if two_windows { 5 } else { 2 }, k);
    let n = rng.random_range(7..=9usize);
    let m = metric(&mut rng, n + 1);
    let stops: Vec<Stop> = (0..n)
        .map(|i| {
            let mut s = Stop::new(format!("s{i}"), i + 1, rng.random_range(1..=10));
            s.service = rng.random_range(5..=15);
            let reach = m[i + 1] as i64;
            let early = rng.random_range(0..=250i64);
            let late = (early + rng.random_range(15..=60)).max(reach + 5);
            s.windows.push(TimeWindow::new(early, late));
            if two_windows && rng.random_bool(0.35) {
                let e2 = late + rng.random_range(40..=120);
                s.windows.push(TimeWindow::new(e2, e2 + 30));
            }
            s
        })
        .collect();
    let fleet = 4;
    InstanceBuilder::new()
        .profile(m.clone(), m, 1.0)
        .depot("depot", 0)
        .stops(stops)
        .vehicles((0..fleet).map(|v| {
            let mut veh = Vehicle::new(format!("v{v}"), vec![30], 0);
            veh.shift = TimeWindow::new(0, 600);
            veh
        }))
        .objective(distance_only())
        .build()
        .expect("valid VRPTW instance")
}

/// Reloads: 6–8 bins, one or two landfills, a final unload before the
/// depot, two or three unloads per truck, trucks that hold two or three bins.
fn reloads(k: u64) -> Instance {
    reloads_with(k, false)
}

/// [`reloads`] re-planned mid-day: each truck starts at a bin or landfill
/// with a random load on board (up to full) and ends at the depot.
fn replanned(k: u64) -> Instance {
    reloads_with(k, true)
}

fn reloads_with(k: u64, mid_day: bool) -> Instance {
    let mut rng = rng_for(if mid_day { 5 } else { 3 }, k);
    let n = rng.random_range(6..=8usize);
    let nsites = rng.random_range(1..=2usize);
    let m = metric(&mut rng, n + 1 + nsites);
    let stops: Vec<Stop> = (0..n)
        .map(|i| Stop::new(format!("s{i}"), i + 1, rng.random_range(3..=8)))
        .collect();
    let cap = rng.random_range(12..=20i64);
    let trips = rng.random_range(2..=3usize);
    let fleet = 3;
    let mut b = InstanceBuilder::new()
        .profile(m.clone(), m, 1.0)
        .depot("depot", 0)
        .stops(stops);
    for d in 0..nsites {
        b = b.site(DisposalSite {
            id: format!("lf{d}"),
            location: n + 1 + d,
            hours: TimeWindow::OPEN,
            unload_time: 10,
            accepts: u64::MAX,
        });
    }
    let mut vehicles = Vec::new();
    for v in 0..fleet {
        let mut veh = Vehicle::new(format!("v{v}"), vec![cap], 0);
        veh.final_disposal_required = true;
        veh.max_disposal_trips = Some(trips);
        if mid_day {
            b = b.depot(format!("v{v} now"), rng.random_range(1..=n + nsites));
            veh.start_depot = 1 + v;
            veh.initial_load = vec![rng.random_range(0..=cap)];
        }
        vehicles.push(veh);
    }
    b.vehicles(vehicles)
        .objective(distance_only())
        .build()
        .expect("valid reload instance")
}

/// Optional stops with prizes: 7–10 stops, about half optional with prizes
/// comparable to their detours.
fn prizes(k: u64) -> Instance {
    let mut rng = rng_for(4, k);
    let n = rng.random_range(7..=10usize);
    let m = metric(&mut rng, n + 1);
    let cap = rng.random_range(15..=30i64);
    let stops: Vec<Stop> = (0..n)
        .map(|i| {
            let mut s = Stop::new(format!("s{i}"), i + 1, rng.random_range(1..=10));
            if rng.random_bool(0.5) {
                s.prize = Some(rng.random_range(5..=90));
            }
            s
        })
        .collect();
    let fleet = 3;
    InstanceBuilder::new()
        .profile(m.clone(), m, 1.0)
        .depot("depot", 0)
        .stops(stops)
        .vehicles((0..fleet).map(|v| Vehicle::new(format!("v{v}"), vec![cap], 0)))
        .objective(distance_only())
        .build()
        .expect("valid prize instance")
}

fn heuristic(inst: &Instance, seed: u64) -> SolveOutcome {
    solve(
        inst,
        &SolveParams {
            time_limit: None,
            max_iterations: Some(HEURISTIC_ITERATIONS),
            seed,
            ..SolveParams::default()
        },
    )
}

fn clean(inst: &Instance, sol: &Solution, who: &str, name: &str) -> CheckReport {
    let rep = check(inst, sol);
    assert!(
        rep.violations.is_empty(),
        "{name}: {who} plan fails the checker: {:?}\n{sol:?}",
        rep.violations
    );
    rep
}

/// Runs one family; returns the names of instances where the heuristic
/// missed the optimum (with both objectives).
fn family(name: &str, build: Family) -> Vec<String> {
    let t0 = Instant::now();
    let mut misses = Vec::new();
    let mut columns = 0usize;
    for k in 0..PER_FAMILY {
        let inst = build(k);
        let id = format!("{name}#{k} ({} stops)", inst.stops().len());
        let ex = exact::solve(&inst, &exact::ExactLimits::default())
            .unwrap_or_else(|e| panic!("{id}: exact method failed: {e}"));
        assert!(ex.proven, "{id}: optimality not proven");
        columns += ex.columns;
        let ex_rep = clean(&inst, &ex.solution, "exact", &id);
        assert_eq!(ex_rep.objective, ex.objective);
        let out = heuristic(&inst, k);
        let h_rep = clean(&inst, &out.solution, "heuristic", &id);
        assert!(
            h_rep.objective >= ex.objective,
            "{id}: heuristic {} beats the 'optimum' {}: the exact method misses routes\nheuristic: {:?}\nexact: {:?}",
            h_rep.objective,
            ex.objective,
            out.solution,
            ex.solution
        );
        if h_rep.objective != ex.objective {
            misses.push(format!(
                "{id}: heuristic {} vs optimum {}\n  heuristic: {:?}\n  optimum:   {:?}",
                h_rep.objective, ex.objective, out.solution.routes, ex.solution.routes
            ));
        }
    }
    eprintln!(
        "{name}: {} of {PER_FAMILY} at the optimum, {columns} columns in all, {:.1}s",
        PER_FAMILY as usize - misses.len(),
        t0.elapsed().as_secs_f64()
    );
    misses
}

fn assert_all_optimal(name: &str, misses: Vec<String>) {
    assert!(
        misses.is_empty(),
        "{name}: the heuristic missed the optimum on {} instance(s):\n{}",
        misses.len(),
        misses.join("\n")
    );
}

#[test]
fn heuristic_finds_the_proven_optimum_on_random_cvrp() {
    assert_all_optimal("cvrp", family("cvrp", cvrp));
}

#[test]
fn heuristic_finds_the_proven_optimum_with_time_windows() {
    assert_all_optimal("vrptw", family("vrptw", vrptw));
}

#[test]
fn heuristic_finds_the_proven_optimum_with_reloads() {
    assert_all_optimal("reloads", family("reloads", reloads));
}

#[test]
fn heuristic_finds_the_proven_optimum_for_trucks_replanned_mid_day() {
    assert_all_optimal("replanned", family("replanned", replanned));
}

#[test]
fn heuristic_finds_the_proven_optimum_with_optional_prizes() {
    assert_all_optimal("prizes", family("prizes", prizes));
}

/// The two exact methods share nothing but HiGHS; on CVRP they must agree.
#[test]
fn two_index_cuts_and_route_enumeration_agree_on_cvrp() {
    for k in 0..PER_FAMILY {
        let inst = cvrp(k);
        let en = exact::solve(&inst, &exact::ExactLimits::default()).expect("enumeration");
        let ti = exact::solve_two_index(&inst, Duration::from_secs(30)).expect("two-index");
        assert!(ti.proven);
        clean(&inst, &ti.solution, "two-index", &format!("cvrp#{k}"));
        assert_eq!(
            en.objective, ti.objective,
            "cvrp#{k}: enumeration {:?} vs two-index {:?}",
            en.solution.routes, ti.solution.routes
        );
    }
}

#[test]
fn two_index_declines_what_it_does_not_model() {
    let inst = vrptw(0);
    assert!(matches!(
        exact::solve_two_index(&inst, Duration::from_secs(5)),
        Err(mip::MipError::NotApplicable(_))
    ));
}

#[test]
fn exact_method_refuses_large_instances() {
    let mut rng = rng_for(9, 0);
    let m = metric(&mut rng, 21);
    let inst = InstanceBuilder::new()
        .profile(m.clone(), m, 1.0)
        .depot("depot", 0)
        .stops((1..21).map(|i| Stop::new(format!("s{i}"), i, 1)))
        .vehicle(Vehicle::new("v", vec![100], 0))
        .build()
        .expect("valid");
    assert!(matches!(
        exact::solve(&inst, &exact::ExactLimits::default()),
        Err(mip::MipError::TooLarge { stops: 20, .. })
    ));
}

/// Short searches leave room to improve: the MIP over their pools must
/// return checker-clean plans that are never worse than the incumbent.
#[test]
fn set_partitioning_never_returns_worse_than_the_incumbent() {
    let builders: [(&str, Family); 4] = [
        ("cvrp", cvrp),
        ("vrptw", vrptw),
        ("reloads", reloads),
        ("prizes", prizes),
    ];
    let mut improved = 0;
    let mut runs = 0;
    for (name, build) in builders {
        for k in 0..8 {
            let inst = build(k);
            for iters in [20, 300] {
                let out = solve(
                    &inst,
                    &SolveParams {
                        time_limit: None,
                        max_iterations: Some(iters),
                        seed: k,
                        ..SolveParams::default()
                    },
                );
                let inc = clean(&inst, &out.solution, "incumbent", name).objective;
                let sp =
                    set_partition::solve(&out.pool, &inst, &out.solution, Duration::from_secs(5))
                        .unwrap_or_else(|| panic!("{name}#{k}: set partitioning returned nothing"));
                let got = clean(&inst, &sp, "set-partitioning", name).objective;
                assert!(
                    got <= inc,
                    "{name}#{k}: MIP {got} worse than incumbent {inc}"
                );
                improved += usize::from(got < inc);
                runs += 1;
            }
        }
    }
    eprintln!("set partitioning improved the incumbent in {improved} of {runs} runs");
}

/// An incumbent whose routes are not in the pool still bounds the answer:
/// its routes become columns and the warm start.
#[test]
fn set_partitioning_keeps_an_incumbent_from_outside_the_pool() {
    for k in 0..6 {
        let inst = cvrp(k);
        let pool_from = heuristic(&inst, 100 + k);
        let incumbent = solve(
            &inst,
            &SolveParams {
                time_limit: None,
                max_iterations: Some(5),
                seed: 7 + k,
                ..SolveParams::default()
            },
        )
        .solution;
        let inc = clean(&inst, &incumbent, "incumbent", "cvrp").objective;
        let sp = set_partition::solve(&pool_from.pool, &inst, &incumbent, Duration::from_secs(5))
            .expect("a plan at least as good as the incumbent");
        let got = clean(&inst, &sp, "set-partitioning", "cvrp").objective;
        assert!(got <= inc);
        // With an empty time budget the answer may be missing, never worse.
        if let Some(sp0) = set_partition::solve(&pool_from.pool, &inst, &incumbent, Duration::ZERO)
        {
            assert!(clean(&inst, &sp0, "set-partitioning", "cvrp").objective <= inc);
        }
    }
}

/// The search's own evaluation must accept every optimal plan the checker
/// accepts: injected into a search, the plan keeps its objective. (When this
/// fails the search cannot even represent the optimum.)
#[test]
fn search_accepts_every_proven_optimal_plan() {
    let builders: [(&str, Family); 4] = [
        ("cvrp", cvrp),
        ("vrptw", vrptw),
        ("reloads", reloads),
        ("prizes", prizes),
    ];
    let mut rejected = Vec::new();
    for (name, build) in builders {
        for k in 0..PER_FAMILY {
            let inst = build(k);
            let ex = exact::solve(&inst, &exact::ExactLimits::default()).expect("exact");
            let mut s = Search::new(&inst, 0);
            s.inject(&ex.solution);
            if s.best_objective() != ex.objective {
                rejected.push(format!(
                    "{name}#{k}: search prices the optimum at {} (checker {})",
                    s.best_objective(),
                    ex.objective
                ));
            }
        }
    }
    assert!(rejected.is_empty(), "{}", rejected.join("\n"));
}

/// With two windows per stop the optimum may serve a stop in its second
/// window; the search must pick windows per stop to find it.
#[test]
fn heuristic_finds_the_proven_optimum_with_two_windows_per_stop() {
    assert_all_optimal("vrptw-2w", family("vrptw-2w", vrptw_two_windows));
}

/// Where set partitioning pays: pools merged from several short searches on
/// a larger instance hold better combinations than any one search found.
#[test]
fn set_partitioning_recombines_pools_of_short_searches() {
    let mut improved = 0;
    for k in 0..3u64 {
        let mut rng = rng_for(6, k);
        let n = 40;
        let m = metric(&mut rng, n + 1);
        let inst = InstanceBuilder::new()
            .profile(m.clone(), m, 1.0)
            .depot("depot", 0)
            .stops((0..n).map(|i| Stop::new(format!("s{i}"), i + 1, rng.random_range(1..=10))))
            .vehicles((0..12).map(|v| Vehicle::new(format!("v{v}"), vec![30], 0)))
            .objective(distance_only())
            .build()
            .expect("valid");
        let mut pool = RoutePool::default();
        let mut best: Option<(i64, Solution)> = None;
        for seed in 0..4 {
            let out = solve(
                &inst,
                &SolveParams {
                    time_limit: None,
                    max_iterations: Some(300),
                    seed,
                    ..SolveParams::default()
                },
            );
            pool.merge(&out.pool);
            let obj = clean(&inst, &out.solution, "search", "large").objective;
            if best.as_ref().is_none_or(|(b, _)| obj < *b) {
                best = Some((obj, out.solution));
            }
        }
        let (inc, incumbent) = best.expect("four runs");
        let t0 = Instant::now();
        let sp = set_partition::solve(&pool, &inst, &incumbent, Duration::from_secs(10))
            .expect("never worse than the incumbent, so never empty");
        let got = clean(&inst, &sp, "set-partitioning", "large").objective;
        assert!(
            got <= inc,
            "large#{k}: MIP {got} worse than incumbent {inc}"
        );
        eprintln!(
            "large#{k}: {} pool routes, incumbent {inc}, MIP {got} in {:.2}s",
            pool.len(),
            t0.elapsed().as_secs_f64()
        );
        improved += usize::from(got < inc);
    }
    eprintln!("set partitioning improved {improved} of 3 merged-pool incumbents");
}

/// Lunch breaks with time windows: 6–8 stops, a 30-minute break to start
/// within [100, 200], one window per stop.
fn breaks(k: u64) -> Instance {
    let base = vrptw_with(100 + k, false);
    let vehicles: Vec<Vehicle> = base
        .vehicles()
        .iter()
        .take(3)
        .cloned()
        .map(|mut v| {
            v.break_ = Some(Break {
                window: TimeWindow::new(100, 200),
                duration: 30,
            });
            v
        })
        .collect();
    base.with_vehicles(vehicles).expect("valid break instance")
}

#[test]
fn heuristic_finds_the_proven_optimum_with_lunch_breaks() {
    let misses = (0..10)
        .filter_map(|k| {
            let inst = breaks(k);
            let ex = exact::solve(&inst, &exact::ExactLimits::default()).expect("exact");
            assert!(ex.proven);
            clean(&inst, &ex.solution, "exact", "breaks");
            let out = heuristic(&inst, k);
            let h = clean(&inst, &out.solution, "heuristic", "breaks").objective;
            assert!(h >= ex.objective, "breaks#{k}: heuristic beats the optimum");
            (h != ex.objective).then(|| {
                format!(
                    "breaks#{k}: heuristic {h} vs optimum {}\n  heuristic: {:?}\n  optimum:   {:?}",
                    ex.objective, out.solution.routes, ex.solution.routes
                )
            })
        })
        .collect();
    assert_all_optimal("breaks", misses);
}

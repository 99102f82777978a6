//! One behaviour per model feature, each on a tiny instance, each solution
//! verified by the independent checker.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;
use common::*;
use fillroute_planner::*;

fn stop(id: &str, loc: usize, demand: i64) -> Stop {
    Stop::new(id, loc, demand)
}

fn landfill(id: &str, loc: usize) -> DisposalSite {
    DisposalSite {
        id: id.into(),
        location: loc,
        hours: TimeWindow::OPEN,
        unload_time: 5,
        accepts: u64::MAX,
    }
}

#[test]
fn serves_all_stops_within_capacity() {
    let pts = [
        (0.0, 0.0),
        (10.0, 0.0),
        (0.0, 10.0),
        (-10.0, 0.0),
        (0.0, -10.0),
    ];
    let inst = builder(&pts)
        .stops((1..5).map(|i| stop(&format!("b{i}"), i, 5)))
        .vehicles((0..2).map(|k| Vehicle::new(format!("v{k}"), vec![10], 0)))
        .objective(Objective::Weighted {
            unserved_weight: 1_000_000,
            vehicle_weight: 0,
        })
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 200);
    assert!(rep.feasible);
    assert_eq!(sol.routes.len(), 2);
}

#[test]
fn unloads_at_disposal_site_when_full() {
    // One truck of 10 yards, four 5-yard bins: it must unload midway.
    let pts = [
        (0.0, 0.0),
        (10.0, 0.0),
        (11.0, 0.0),
        (0.0, 10.0),
        (0.0, 11.0),
        (5.0, 5.0),
    ];
    let mut v = Vehicle::new("truck", vec![10], 0);
    v.final_disposal_required = true;
    let inst = builder(&pts)
        .site(landfill("lf", 5))
        .stops((1..5).map(|i| stop(&format!("b{i}"), i, 5)))
        .vehicle(v)
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 300);
    assert!(rep.feasible);
    let disposals = sol.routes[0]
        .visits
        .iter()
        .filter(|v| matches!(v, Visit::Disposal(_)))
        .count();
    assert_eq!(
        disposals, 2,
        "one unload when full, one before returning: {:?}",
        sol.routes[0]
    );
}

#[test]
fn ends_route_with_final_disposal_visit() {
    let pts = [(0.0, 0.0), (10.0, 0.0), (20.0, 0.0)];
    let mut v = Vehicle::new("truck", vec![10], 0);
    v.final_disposal_required = true;
    let inst = builder(&pts)
        .site(landfill("lf", 2))
        .stop(stop("b1", 1, 3))
        .vehicle(v)
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 50);
    assert!(rep.feasible);
    assert_eq!(sol.routes[0].visits.last(), Some(&Visit::Disposal(0)));
}

#[test]
fn picks_the_closest_landfill_for_the_final_unload() {
    let pts = [(0.0, 0.0), (10.0, 0.0), (100.0, 0.0), (12.0, 0.0)];
    let mut v = Vehicle::new("truck", vec![10], 0);
    v.final_disposal_required = true;
    let inst = builder(&pts)
        .site(landfill("far", 2))
        .site(landfill("near", 3))
        .stop(stop("b1", 1, 3))
        .vehicle(v)
        .build()
        .unwrap();
    let (sol, _) = solve_checked(&inst, 50);
    assert_eq!(sol.routes[0].visits.last(), Some(&Visit::Disposal(1)));
}

#[test]
fn limits_disposal_trips_per_vehicle() {
    // Each truck may unload once (its final unload): 20 yards need two trucks.
    let pts = [
        (0.0, 0.0),
        (10.0, 0.0),
        (11.0, 0.0),
        (0.0, 10.0),
        (0.0, 11.0),
        (5.0, 5.0),
    ];
    let trucks = (0..3).map(|k| {
        let mut v = Vehicle::new(format!("t{k}"), vec![10], 0);
        v.final_disposal_required = true;
        v.max_disposal_trips = Some(1);
        v
    });
    let inst = builder(&pts)
        .site(landfill("lf", 5))
        .stops((1..5).map(|i| stop(&format!("b{i}"), i, 5)))
        .vehicles(trucks)
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 300);
    assert!(rep.feasible);
    assert_eq!(sol.routes.len(), 2);
}

/// A line: depot at 0, bins at 10 and 20, the landfill at 30; one
/// 10-yard truck with two 5-yard bins that leaves with `on_board` yards.
fn loaded_line(on_board: i64) -> Instance {
    let pts = [(0.0, 0.0), (10.0, 0.0), (20.0, 0.0), (30.0, 0.0)];
    let mut v = Vehicle::new("truck", vec![10], 0);
    v.final_disposal_required = true;
    v.initial_load = vec![on_board];
    builder(&pts)
        .site(landfill("lf", 3))
        .stops([stop("b1", 1, 5), stop("b2", 2, 5)])
        .vehicle(v)
        .build()
        .unwrap()
}

#[test]
fn a_truck_that_starts_loaded_unloads_before_it_would_overrun() {
    let (empty, _) = solve_checked(&loaded_line(0), 200);
    assert_eq!(
        empty.routes[0].visits,
        [Visit::Stop(0), Visit::Stop(1), Visit::Disposal(0)],
        "an empty truck takes both bins in one trip"
    );
    // 4 yards on board: the second bin no longer fits the first trip.
    let (loaded, rep) = solve_checked(&loaded_line(4), 200);
    assert!(rep.feasible);
    assert_eq!(
        loaded.routes[0].visits,
        [
            Visit::Stop(0),
            Visit::Disposal(0),
            Visit::Stop(1),
            Visit::Disposal(0)
        ],
        "the loaded truck unloads between the bins"
    );
}

#[test]
fn a_full_truck_unloads_first_and_then_carries_a_full_load() {
    // Full at the start, and a bin that fills the whole truck.
    let pts = [(0.0, 0.0), (5.0, 0.0), (10.0, 0.0)];
    let mut v = Vehicle::new("truck", vec![10], 0);
    v.initial_load = vec![10];
    let inst = builder(&pts)
        .site(landfill("lf", 1))
        .stop(stop("big", 2, 10))
        .vehicle(v)
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 100);
    assert!(rep.feasible);
    assert_eq!(sol.routes[0].visits, [Visit::Disposal(0), Visit::Stop(0)]);
}

#[test]
fn a_loaded_truck_without_a_disposal_site_leaves_out_a_bin_it_has_no_room_for() {
    let pts = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)];
    let mut v = Vehicle::new("truck", vec![10], 0);
    v.initial_load = vec![7];
    let inst = builder(&pts)
        .stops([stop("small", 1, 3), stop("big", 2, 4)])
        .vehicle(v)
        .build()
        .unwrap();
    let (sol, _) = solve_checked(&inst, 100);
    assert_eq!(sol.routes[0].visits, [Visit::Stop(0)]);
    assert_eq!(sol.unserved, vec![(1, UnservedReason::Capacity)]);
}

#[test]
fn the_checker_rejects_a_first_trip_that_the_load_on_board_overruns() {
    let inst = loaded_line(4);
    let plan = |visits: Vec<Visit>| Solution {
        routes: vec![Route { vehicle: 0, visits }],
        unserved: Vec::new(),
    };
    let one_trip = check(
        &inst,
        &plan(vec![Visit::Stop(0), Visit::Stop(1), Visit::Disposal(0)]),
    );
    assert!(!one_trip.feasible);
    assert!(
        one_trip
            .violations
            .iter()
            .any(|v| v.contains("trip 1: load 14 exceeds capacity 10")),
        "{:?}",
        one_trip.violations
    );
    let two_trips = check(
        &inst,
        &plan(vec![
            Visit::Stop(0),
            Visit::Disposal(0),
            Visit::Stop(1),
            Visit::Disposal(0),
        ]),
    );
    assert!(two_trips.feasible, "{:?}", two_trips.violations);
}

#[test]
fn a_replanned_truck_starts_where_it_is_and_ends_at_home() {
    // Home at 0; the truck is at 2 with 6 yards on board; one 6-yard bin at 1.
    let pts = [(0.0, 0.0), (10.0, 0.0), (20.0, 0.0), (15.0, 0.0)];
    let mut v = Vehicle::new("truck", vec![10], 0);
    v.start_depot = 1;
    v.initial_load = vec![6];
    v.final_disposal_required = true;
    let inst = builder(&pts)
        .depot("truck now", 2)
        .site(landfill("lf", 3))
        .stop(stop("b1", 1, 6))
        .vehicle(v)
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 100);
    assert_eq!(
        sol.routes[0].visits,
        [Visit::Disposal(0), Visit::Stop(0), Visit::Disposal(0)]
    );
    // 20 -> 15 -> 10 -> 15 -> 0.
    assert_eq!(rep.distance, 5 + 5 + 5 + 15);
}

#[test]
fn takes_lunch_break_inside_its_window() {
    // Stops are spread over the day; the break must start in [100, 120].
    let pts = [
        (0.0, 0.0),
        (30.0, 0.0),
        (60.0, 0.0),
        (90.0, 0.0),
        (120.0, 0.0),
    ];
    let mut v = Vehicle::new("truck", vec![100], 0);
    v.break_ = Some(Break {
        window: TimeWindow::new(100, 120),
        duration: 60,
    });
    v.shift = TimeWindow::new(0, 1000);
    let inst = builder(&pts)
        .stops((1..5).map(|i| {
            let mut s = stop(&format!("b{i}"), i, 1);
            s.service = 10;
            s
        }))
        .vehicle(v)
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 200);
    assert!(rep.feasible);
    assert_eq!(
        sol.routes[0]
            .visits
            .iter()
            .filter(|v| **v == Visit::Break)
            .count(),
        1
    );
}

#[test]
fn a_crew_paid_from_its_shift_start_collects_before_lunch_not_after_an_idle_morning() {
    // Lunch may only start at 500 (latest 700); the work takes about 880, so
    // the route runs past the window and must take it. With the crew's time
    // counted from the shift start, bins come first, not an idle morning.
    let pts = [
        (0.0, 0.0),
        (10.0, 0.0),
        (20.0, 0.0),
        (30.0, 0.0),
        (40.0, 0.0),
    ];
    let mut v = Vehicle::truck("truck", 100, 0, TimeWindow::new(0, 2000), 1.0, 36.0);
    v.break_ = Some(Break {
        window: TimeWindow::new(500, 700),
        duration: 60,
    });
    let inst = builder(&pts)
        .stops((1..5).map(|i| {
            let mut s = stop(&format!("b{i}"), i, 1);
            s.service = 200;
            s
        }))
        .vehicle(v)
        .objective(Objective::COST)
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 300);
    assert!(rep.feasible);
    let visits = &sol.routes[0].visits;
    let first_stop = visits.iter().position(|v| matches!(v, Visit::Stop(_)));
    let lunch = visits.iter().position(|v| *v == Visit::Break);
    assert!(lunch.is_some(), "{visits:?}");
    assert!(first_stop < lunch, "{visits:?}");
    // Paid from 0: the work and the lunch.
    assert_eq!(rep.duration, 880 + 60, "{visits:?}");
}

/// One truck, lunch window [500, 700] of 60, bins on a line; `service` sets
/// how long the round takes (80 of driving plus 4 services).
fn lunch_day(service: i64) -> Instance {
    let pts = [
        (0.0, 0.0),
        (10.0, 0.0),
        (20.0, 0.0),
        (30.0, 0.0),
        (40.0, 0.0),
    ];
    let mut v = Vehicle::truck("truck", 100, 0, TimeWindow::new(0, 2000), 1.0, 36.0);
    v.break_ = Some(Break {
        window: TimeWindow::new(500, 700),
        duration: 60,
    });
    builder(&pts)
        .stops((1..5).map(|i| {
            let mut s = stop(&format!("b{i}"), i, 1);
            s.service = service;
            s
        }))
        .vehicle(v)
        .objective(Objective::COST)
        .build()
        .unwrap()
}

fn breaks(sol: &Solution) -> usize {
    sol.routes
        .iter()
        .flat_map(|r| &r.visits)
        .filter(|v| **v == Visit::Break)
        .count()
}

#[test]
fn a_morning_route_back_before_the_lunch_window_closes_takes_no_break() {
    // 80 of driving and 4 x 10 of service: back at 120, long before the
    // lunch window's latest start (700). No lunch, no wait for 500.
    let inst = lunch_day(10);
    let (sol, rep) = solve_checked(&inst, 300);
    assert!(rep.feasible, "{:?}", rep.violations);
    assert_eq!(breaks(&sol), 0, "{sol:?}");
    assert_eq!(rep.duration, 120);
}

#[test]
fn a_route_still_running_when_the_lunch_window_closes_takes_the_break() {
    // 80 + 4 x 160 = 720 of work: past the latest start (700).
    let inst = lunch_day(160);
    let (sol, rep) = solve_checked(&inst, 300);
    assert!(rep.feasible, "{:?}", rep.violations);
    assert_eq!(breaks(&sol), 1, "{sol:?}");
    assert_eq!(rep.duration, 720 + 60);
}

#[test]
fn the_checker_accepts_a_short_route_without_a_break_and_rejects_a_long_one() {
    let route = Route {
        vehicle: 0,
        visits: (0..4).map(Visit::Stop).collect(),
    };
    let sol = Solution {
        routes: vec![route],
        unserved: Vec::new(),
    };
    // Back at 700 exactly: the crew can still start lunch at the depot.
    let short = check(&lunch_day(155), &sol);
    assert!(short.feasible, "{:?}", short.violations);
    // Back at 704: the route ran past the window, and the crew had no lunch.
    let long = check(&lunch_day(156), &sol);
    assert!(!long.feasible);
    assert!(
        long.violations.iter().any(|v| v.contains("break")),
        "{:?}",
        long.violations
    );
    // More than one break is never right.
    let mut twice = sol.clone();
    twice.routes[0].visits.insert(1, Visit::Break);
    twice.routes[0].visits.insert(1, Visit::Break);
    assert!(!check(&lunch_day(156), &twice).feasible);
}

#[test]
fn skips_optional_bin_whose_detour_costs_more_than_its_prize() {
    let pts = [(0.0, 0.0), (10.0, 0.0), (0.0, 100.0)];
    let mut far = stop("far", 2, 1);
    far.prize = Some(50); // detour costs 200
    let inst = builder(&pts)
        .stop(stop("near", 1, 1))
        .stop(far)
        .vehicle(Vehicle::new("v", vec![10], 0))
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 100);
    assert!(rep.feasible);
    assert_eq!(sol.unserved, vec![(1, UnservedReason::NotWorthDetour)]);
}

#[test]
fn serves_optional_bin_whose_prize_exceeds_its_detour() {
    let pts = [(0.0, 0.0), (10.0, 0.0), (12.0, 0.0)];
    let mut next_door = stop("next-door", 2, 1);
    next_door.prize = Some(50); // detour costs 4
    let inst = builder(&pts)
        .stop(stop("near", 1, 1))
        .stop(next_door)
        .vehicle(Vehicle::new("v", vec![10], 0))
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 100);
    assert!(sol.unserved.is_empty());
    assert_eq!(rep.prizes, 50);
}

#[test]
fn reports_time_window_as_reason_for_unreachable_stop() {
    // Reachable from the depot on paper, but the driver must take a 100-unit
    // break starting by time 5, so the window [0, 30] can never be met.
    let pts = [(0.0, 0.0), (10.0, 0.0), (0.0, 5.0)];
    let mut v = Vehicle::new("v", vec![10], 0);
    v.break_ = Some(Break {
        window: TimeWindow::new(0, 5),
        duration: 100,
    });
    let mut tight = stop("tight", 1, 1);
    tight.windows = vec![TimeWindow::new(0, 30)];
    let inst = builder(&pts)
        .stop(tight)
        .stop(stop("easy", 2, 1))
        .vehicle(v)
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 100);
    assert_eq!(sol.unserved, vec![(0, UnservedReason::TimeWindow)]);
    assert_eq!(rep.unserved_required, 1);
}

#[test]
fn reports_capacity_as_reason_when_daily_cap_is_too_small() {
    let pts = [(0.0, 0.0), (10.0, 0.0)];
    let mut v = Vehicle::new("v", vec![10], 0);
    v.route_capacity = Some(vec![5]);
    let inst = builder(&pts)
        .stop(stop("big", 1, 8))
        .vehicle(v)
        .build()
        .unwrap();
    let (sol, _) = solve_checked(&inst, 50);
    assert_eq!(sol.unserved, vec![(0, UnservedReason::Capacity)]);
}

#[test]
fn reports_shift_as_reason_when_route_exceeds_max_duration() {
    let pts = [(0.0, 0.0), (50.0, 0.0)];
    let mut v = Vehicle::new("v", vec![10], 0);
    v.max_duration = Some(60);
    let inst = builder(&pts)
        .stop(stop("far", 1, 1))
        .vehicle(v)
        .build()
        .unwrap();
    let (sol, _) = solve_checked(&inst, 50);
    assert_eq!(sol.unserved, vec![(0, UnservedReason::ShiftOrDuration)]);
}

#[test]
fn reports_fleet_exhausted_when_no_vehicle_is_left() {
    let pts = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)];
    let inst = builder(&pts)
        .stop(stop("a", 1, 8))
        .stop(stop("b", 2, 8))
        .vehicle(Vehicle::new("v", vec![10], 0))
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 50);
    assert_eq!(sol.unserved.len(), 1);
    assert_eq!(sol.unserved[0].1, UnservedReason::FleetExhausted);
    assert!(!rep.feasible);
}

#[test]
fn respects_max_distance_per_route() {
    let pts = [(0.0, 0.0), (10.0, 0.0), (-10.0, 0.0)];
    let vs = (0..2).map(|k| {
        let mut v = Vehicle::new(format!("v{k}"), vec![10], 0);
        v.max_distance = Some(25);
        v
    });
    let inst = builder(&pts)
        .stop(stop("a", 1, 1))
        .stop(stop("b", 2, 1))
        .vehicles(vs)
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 50);
    assert!(rep.feasible);
    assert_eq!(
        sol.routes.len(),
        2,
        "one route of 40 would break the 25 limit"
    );
}

#[test]
fn serves_stops_inside_their_time_windows() {
    // The geometric order 1,2,3 is wrong for the windows; 3,2,1 is right.
    let pts = [(0.0, 0.0), (10.0, 0.0), (20.0, 0.0), (30.0, 0.0)];
    let mut stops = Vec::new();
    for (i, w) in [(1, (200, 260)), (2, (100, 160)), (3, (30, 60))] {
        let mut s = stop(&format!("b{i}"), i, 1);
        s.windows = vec![TimeWindow::new(w.0, w.1)];
        stops.push(s);
    }
    let inst = builder(&pts)
        .stops(stops)
        .vehicle(Vehicle::new("v", vec![10], 0))
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 100);
    assert!(rep.feasible);
    assert_eq!(sol.routes[0].stops().collect::<Vec<_>>(), vec![2, 1, 0]);
}

#[test]
fn accepts_any_of_several_time_windows() {
    let pts = [(0.0, 0.0), (10.0, 0.0)];
    let mut s = stop("b", 1, 1);
    s.windows = vec![TimeWindow::new(0, 5), TimeWindow::new(50, 80)];
    let inst = builder(&pts)
        .stop(s)
        .vehicle(Vehicle::new("v", vec![10], 0))
        .build()
        .unwrap();
    let (_, rep) = solve_checked(&inst, 20);
    assert!(rep.feasible);
}

#[test]
fn serves_stop_in_its_second_time_window_when_the_first_is_unreachable() {
    // `a`'s first (and widest) window closes before any truck can get there;
    // its second window opens after `b`'s closes: serve b first, then a.
    let pts = [(0.0, 0.0), (10.0, 0.0), (20.0, 0.0)];
    let mut a = stop("a", 1, 1);
    a.windows = vec![TimeWindow::new(0, 8), TimeWindow::new(100, 104)];
    let mut b = stop("b", 2, 1);
    b.windows = vec![TimeWindow::new(10, 40)];
    let inst = builder(&pts)
        .stops([a, b])
        .vehicle(Vehicle::new("v", vec![10], 0))
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 50);
    assert!(rep.feasible, "{:?}", sol);
    assert_eq!(sol.routes[0].stops().collect::<Vec<_>>(), vec![1, 0]);
}

#[test]
fn waits_for_release_before_leaving_the_depot() {
    let pts = [(0.0, 0.0), (10.0, 0.0)];
    let mut s = stop("late-goods", 1, 1);
    s.release = 100;
    s.windows = vec![TimeWindow::new(0, 115)];
    let inst = builder(&pts)
        .stop(s)
        .vehicle(Vehicle::new("v", vec![10], 0))
        .build()
        .unwrap();
    let (_, rep) = solve_checked(&inst, 20);
    assert!(rep.feasible);
    assert_eq!(
        rep.duration, 20,
        "departs at the release, no waiting counted"
    );
}

#[test]
fn reloads_at_the_depot_between_trips() {
    // Multi-trip: the depot doubles as a reload point.
    let pts = [(0.0, 0.0), (10.0, 0.0), (-10.0, 0.0)];
    let reload = DisposalSite {
        id: "reload".into(),
        location: 0,
        hours: TimeWindow::OPEN,
        unload_time: 0,
        accepts: u64::MAX,
    };
    let inst = builder(&pts)
        .site(reload)
        .stop(stop("a", 1, 8))
        .stop(stop("b", 2, 8))
        .vehicle(Vehicle::new("v", vec![10], 0))
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 100);
    assert!(rep.feasible);
    assert_eq!(sol.routes.len(), 1);
    assert!(sol.routes[0].visits.contains(&Visit::Disposal(0)));
}

#[test]
fn unloads_each_stream_only_where_it_is_accepted() {
    let pts = [(0.0, 0.0), (10.0, 0.0), (11.0, 0.0), (30.0, 0.0)];
    let mut v = Vehicle::new("v", vec![10], 0);
    v.final_disposal_required = true;
    let mut glass = stop("glass", 1, 1);
    glass.stream = 0b10;
    let near = DisposalSite {
        accepts: 0b01,
        ..landfill("paper-only", 2)
    };
    let far = DisposalSite {
        accepts: 0b11,
        ..landfill("all", 3)
    };
    let inst = builder(&pts)
        .site(near)
        .site(far)
        .stop(glass)
        .vehicle(v)
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 50);
    assert!(rep.feasible);
    assert_eq!(sol.routes[0].visits.last(), Some(&Visit::Disposal(1)));
}

#[test]
fn gives_skilled_stops_to_skilled_vehicles() {
    let pts = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)];
    let mut crane = Vehicle::new("crane", vec![10], 0);
    crane.skills = 1;
    let mut heavy = stop("underground", 1, 1);
    heavy.skills = 1;
    let inst = builder(&pts)
        .stop(heavy)
        .stop(stop("plain", 2, 1))
        .vehicle(Vehicle::new("plain-truck", vec![10], 0))
        .vehicle(crane)
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 100);
    assert!(rep.feasible);
    let route = sol
        .routes
        .iter()
        .find(|r| r.stops().any(|s| s == 0))
        .unwrap();
    assert_eq!(route.vehicle, 1);
}

#[test]
fn respects_every_capacity_dimension() {
    // Volume fits in one truck, weight does not.
    let pts = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)];
    let mut a = stop("a", 1, 0);
    a.demand = vec![2, 8];
    let mut b = stop("b", 2, 0);
    b.demand = vec![2, 8];
    let vs = (0..2).map(|k| Vehicle::new(format!("v{k}"), vec![10, 10], 0));
    let inst = builder(&pts).stop(a).stop(b).vehicles(vs).build().unwrap();
    let (sol, rep) = solve_checked(&inst, 50);
    assert!(rep.feasible);
    assert_eq!(sol.routes.len(), 2);
}

#[test]
fn caps_stops_per_driver_per_day() {
    let pts = [(0.0, 0.0), (10.0, 0.0), (11.0, 0.0), (12.0, 0.0)];
    let vs = (0..2).map(|k| {
        let mut v = Vehicle::new(format!("v{k}"), vec![100], 0);
        v.max_stops = Some(2);
        v
    });
    let inst = builder(&pts)
        .stops((1..4).map(|i| stop(&format!("b{i}"), i, 1)))
        .vehicles(vs)
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 100);
    assert!(rep.feasible);
    assert!(sol.routes.iter().all(|r| r.stops().count() <= 2));
}

#[test]
fn uses_fewer_vehicles_first_under_lexicographic_objective() {
    // Two routes are shorter, one route is possible: vehicles come first.
    let pts = [(0.0, 0.0), (10.0, 0.0), (-10.0, 0.0)];
    let vs = (0..2).map(|k| Vehicle::new(format!("v{k}"), vec![10], 0));
    let inst = builder(&pts)
        .stop(stop("a", 1, 1))
        .stop(stop("b", 2, 1))
        .vehicles(vs)
        .objective(Objective::Lexicographic)
        .build()
        .unwrap();
    let (sol, _) = solve_checked(&inst, 100);
    assert_eq!(sol.routes.len(), 1);
}

#[test]
fn charges_fixed_and_time_costs() {
    let pts = [(0.0, 0.0), (10.0, 0.0)];
    let mut v = Vehicle::new("v", vec![10], 0);
    v.fixed_cost = 1000;
    v.cost_per_distance = 2;
    v.cost_per_time = 3;
    let mut s = stop("b", 1, 1);
    s.service = 5;
    let inst = builder(&pts)
        .stop(s)
        .vehicle(v)
        .objective(Objective::Weighted {
            unserved_weight: 1 << 40,
            vehicle_weight: 0,
        })
        .build()
        .unwrap();
    let (_, rep) = solve_checked(&inst, 20);
    assert_eq!(rep.route_cost, 1000 + 2 * 20 + 3 * 25);
}

#[test]
fn uses_each_vehicles_own_travel_profile() {
    // Profile 1 (bikes) is twice as slow; only the fast truck makes the window.
    let pts = [(0.0, 0.0), (10.0, 0.0)];
    let m = plane(&pts);
    let slow: Vec<f64> = m.iter().map(|x| x * 2.0).collect();
    let mut s = stop("b", 1, 1);
    s.windows = vec![TimeWindow::new(0, 12)];
    let mut bike = Vehicle::new("bike", vec![10], 0);
    bike.profile = 1;
    bike.fixed_cost = 0;
    let mut truck = Vehicle::new("truck", vec![10], 0);
    truck.fixed_cost = 100;
    let inst = InstanceBuilder::new()
        .profile(m.clone(), m.clone(), 1.0)
        .profile(m, slow, 1.0)
        .depot("d", 0)
        .stop(s)
        .vehicle(bike)
        .vehicle(truck)
        .build()
        .unwrap();
    let (sol, rep) = solve_checked(&inst, 50);
    assert!(rep.feasible);
    assert_eq!(sol.routes[0].vehicle, 1);
}

#[test]
fn is_deterministic_for_a_seed() {
    let pts: Vec<(f64, f64)> = (0..25)
        .map(|i| ((i * 37 % 50) as f64, (i * 11 % 40) as f64))
        .collect();
    let inst = builder(&pts)
        .stops((1..25).map(|i| stop(&format!("b{i}"), i, 1 + (i as i64 % 4))))
        .vehicles((0..6).map(|k| Vehicle::new(format!("v{k}"), vec![15], 0)))
        .build()
        .unwrap();
    let a = solve(&inst, &params(300, 7));
    let b = solve(&inst, &params(300, 7));
    assert_eq!(a.solution, b.solution);
    assert_eq!(a.objective, b.objective);
}

#[test]
fn with_an_iteration_budget_a_time_limit_that_never_binds_changes_nothing() {
    let pts: Vec<(f64, f64)> = (0..41)
        .map(|i| ((i * 37 % 53) as f64, (i * 11 % 47) as f64))
        .collect();
    let inst = builder(&pts)
        .stops((1..41).map(|i| stop(&format!("b{i}"), i, 1 + (i as i64 % 4))))
        .vehicles((0..8).map(|k| Vehicle::new(format!("v{k}"), vec![15], 0)))
        .build()
        .unwrap();
    // The replay's safety net: a wall-clock limit far above what the
    // iterations take. Its size must not steer the search.
    let with = |secs: u64| SolveParams {
        time_limit: Some(std::time::Duration::from_secs(secs)),
        ..params(2_000, 7)
    };
    let a = solve(&inst, &with(30));
    let b = solve(&inst, &with(3_000));
    let c = solve(&inst, &params(2_000, 7));
    assert_eq!(a.iterations, 2_000);
    for o in [&a, &b, &c] {
        assert!(check(&inst, &o.solution).feasible);
    }
    assert_eq!(a.solution, b.solution);
    assert_eq!(a.solution, c.solution);
    assert_eq!(a.objective, c.objective);
}

#[test]
fn accepts_a_better_solution_injected_from_outside() {
    let pts = [(0.0, 0.0), (10.0, 0.0), (20.0, 0.0), (0.0, 10.0)];
    let inst = builder(&pts)
        .stops((1..4).map(|i| stop(&format!("b{i}"), i, 1)))
        .vehicles((0..3).map(|k| Vehicle::new(format!("v{k}"), vec![10], 0)))
        .objective(Objective::Weighted {
            unserved_weight: 1 << 40,
            vehicle_weight: 0,
        })
        .build()
        .unwrap();
    let mut search = Search::new(&inst, 0);
    let best = Solution {
        routes: vec![Route {
            vehicle: 0,
            visits: vec![Visit::Stop(0), Visit::Stop(1), Visit::Stop(2)],
        }],
        unserved: vec![],
    };
    search.inject(&best);
    let rep = check(&inst, &search.best_solution());
    assert!(rep.feasible);
    assert_eq!(search.best_objective(), rep.objective);
    assert!(rep.objective <= check(&inst, &best).objective);
    assert!(!search.pool().is_empty());
}

#[test]
fn feeds_set_partitioning_over_the_route_pool_back_into_the_search() {
    let pts: Vec<(f64, f64)> = (0..16)
        .map(|i| ((i * 37 % 61) as f64, (i * 23 % 47) as f64))
        .collect();
    let inst = builder(&pts)
        .stops((1..16).map(|i| stop(&format!("b{i}"), i, 1 + (i as i64 % 5))))
        .vehicles((0..6).map(|k| Vehicle::new(format!("v{k}"), vec![12], 0)))
        .objective(Objective::Weighted {
            unserved_weight: 1 << 40,
            vehicle_weight: 0,
        })
        .build()
        .unwrap();
    let with = SolveParams {
        set_partitioning: true,
        ..params(200, 3)
    };
    let out = solve(&inst, &with);
    let rep = check(&inst, &out.solution);
    assert!(rep.feasible, "{:?}", rep.violations);
    assert_eq!(rep.objective, out.objective);
}

//! One working day for one policy: the chosen bins become a routing
//! instance on a sub-matrix of the city, the planner solves it, the
//! independent checker must accept it, and the trucks then drive it in
//! simulated time so each bin is emptied at the moment its stop is reached.

use std::time::Duration;

use fillroute_pipeline::{BinStop, Day, Rates, build_day, visit_costs};
use fillroute_planner::{
    Break, DisposalSite, Instance, SolveParams, TimeWindow, Units, Vehicle, Visit, check, solve,
};

use crate::config::{Scenario, parse_clock};
use crate::error::{Result, ScenarioError};
use crate::world::World;

/// A bin the policy wants today.
#[derive(Debug, Clone)]
pub struct Request {
    /// Bin index.
    pub bin: usize,
    /// Compacted litres the planner should expect.
    pub demand: Units,
    /// `None`: must collect. `Some(prize)`: optional, in milli-euro.
    pub prize: Option<Units>,
    /// A must-collect outside the day's calendar area.
    pub emergency: bool,
}

/// A driven route.
#[derive(Debug, Clone)]
pub struct DrivenRoute {
    /// Truck index.
    pub truck: usize,
    /// World locations in driving order, depot to depot (disposal visits included).
    pub locations: Vec<usize>,
    /// `(bin, seconds after midnight)` of each pickup.
    pub pickups: Vec<(usize, i64)>,
}

/// The day's plan as driven.
#[derive(Debug, Clone, Default)]
pub struct DayPlan {
    /// Routes.
    pub routes: Vec<DrivenRoute>,
    /// Bins the planner left out, with the reason, and whether they were required.
    pub unserved: Vec<(usize, String, bool)>,
    /// Metres driven (from the checker).
    pub metres: i64,
    /// Seconds on the road (from the checker).
    pub seconds: i64,
    /// Routes the checker accepted.
    pub checked_routes: usize,
    /// The `planner_seconds` safety net stopped the search before its
    /// iteration budget: this plan depends on the machine's speed and load.
    pub cut_by_time: bool,
}

/// Plans and drives one day.
pub fn plan_day(
    s: &Scenario,
    world: &World,
    requests: &[Request],
    day: usize,
    policy: &str,
    seed: u64,
) -> Result<DayPlan> {
    if requests.is_empty() {
        return Ok(DayPlan::default());
    }
    let t = &s.trucks;
    // Locations of the instance: depots, sites, then the requested bins.
    let mut locs: Vec<usize> = (0..world.depots.len() + world.sites.len()).collect();
    locs.extend(requests.iter().map(|r| world.bin_location(r.bin)));
    let n = locs.len();
    let big = world.len();
    let mut dist = Vec::with_capacity(n * n);
    let mut dur = Vec::with_capacity(n * n);
    for &a in &locs {
        for &b in &locs {
            dist.push(f64::from(world.distance_m[a * big + b]));
            dur.push(f64::from(world.duration_s[a * big + b]));
        }
    }
    let shift = TimeWindow::new(
        parse_clock("trucks.shift[0]", &t.shift[0])?,
        parse_clock("trucks.shift[1]", &t.shift[1])?,
    );
    let depot = t
        .depot
        .as_ref()
        .and_then(|d| world.depots.iter().position(|x| &x.id == d))
        .unwrap_or(0);
    let mut day_in = Day {
        depots: world
            .depots
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect(),
        ..Day::default()
    };
    for (i, (site, cfg)) in world.sites.iter().zip(&s.disposal_sites).enumerate() {
        day_in.sites.push(DisposalSite {
            id: site.id.clone(),
            location: world.depots.len() + i,
            hours: TimeWindow::new(
                parse_clock("hours", &cfg.hours[0])?,
                parse_clock("hours", &cfg.hours[1])?,
            ),
            unload_time: (cfg.unload_minutes * 60.0).round() as Units,
            accepts: u64::MAX,
        });
    }
    for (k, r) in requests.iter().enumerate() {
        let bin = &world.bins[r.bin];
        day_in.stops.push(BinStop {
            id: bin.id.clone(),
            location: world.depots.len() + world.sites.len() + k,
            litres: r.demand,
            service_s: (t.service_minutes * 60.0).round() as Units,
            windows: bin
                .window
                .map(|(a, c)| vec![TimeWindow::new(a, c)])
                .unwrap_or_default(),
            prize: r.prize,
            skills: 0,
        });
    }
    let lunch = match &t.lunch {
        Some(l) => Some(Break {
            window: TimeWindow::new(
                parse_clock("lunch", &l.window[0])?,
                parse_clock("lunch", &l.window[1])?,
            ),
            duration: (l.minutes * 60.0).round() as Units,
        }),
        None => None,
    };
    for k in 0..t.count {
        let mut v = Vehicle::truck(
            format!("truck-{}", k + 1),
            t.capacity_litres.round() as Units,
            depot,
            shift,
            t.eur_per_km,
            t.eur_per_hour,
        );
        v.break_ = lunch;
        day_in.trucks.push(v);
    }
    day_in.final_disposal = t.final_disposal;
    let built = build_day(&dist, &dur, &day_in).map_err(|source| ScenarioError::Model {
        day,
        policy: policy.to_string(),
        source,
    })?;
    let instance = built.instance;
    // The instance's stops, in instance order.
    let kept: Vec<Request> = built.stop_of.iter().map(|&k| requests[k].clone()).collect();
    let params = SolveParams {
        time_limit: Some(Duration::from_secs_f64(s.run.planner_seconds)),
        max_iterations: Some(s.run.planner_iterations),
        seed,
        threads: 1,
        ..SolveParams::default()
    };
    let outcome = solve(&instance, &params);
    let report = check(&instance, &outcome.solution);
    if !report.feasible {
        return Err(ScenarioError::Checker {
            day,
            policy: policy.to_string(),
            violations: report.violations.join("; "),
        });
    }
    let mut plan = DayPlan {
        metres: report.distance,
        seconds: report.duration,
        checked_routes: outcome.solution.routes.len(),
        cut_by_time: outcome.iterations < s.run.planner_iterations,
        ..DayPlan::default()
    };
    for route in &outcome.solution.routes {
        plan.routes
            .push(drive(&instance, route.vehicle, &route.visits, &locs, &kept));
    }
    for &(stop, reason) in &outcome.solution.unserved {
        plan.unserved.push((
            kept[stop].bin,
            reason.to_string(),
            kept[stop].prize.is_none(),
        ));
    }
    for (k, why) in &built.refused {
        let r = &requests[*k];
        plan.unserved.push((r.bin, why.clone(), r.prize.is_none()));
    }
    Ok(plan)
}

/// Replays a route's timing: leave the depot at shift start, wait for
/// windows, opening hours and the lunch window, serve, unload.
fn drive(
    inst: &Instance,
    vehicle: usize,
    visits: &[Visit],
    locs: &[usize],
    requests: &[Request],
) -> DrivenRoute {
    let v = &inst.vehicles()[vehicle];
    let prof = &inst.profiles()[v.profile];
    let mut at = inst.depots()[v.start_depot].location;
    let mut t = v.shift.early;
    let mut route = DrivenRoute {
        truck: vehicle,
        locations: vec![locs[at]],
        pickups: Vec::new(),
    };
    for visit in visits {
        match *visit {
            Visit::Stop(i) => {
                let s = &inst.stops()[i];
                t += prof.duration.get(at, s.location);
                if let Some(w) = s.windows.iter().find(|w| w.late >= t) {
                    t = t.max(w.early);
                }
                at = s.location;
                route.locations.push(locs[at]);
                route.pickups.push((requests[i].bin, t));
                t += s.service;
            }
            Visit::Disposal(d) => {
                let site = &inst.sites()[d];
                t += prof.duration.get(at, site.location);
                t = t.max(site.hours.early) + site.unload_time;
                at = site.location;
                route.locations.push(locs[at]);
            }
            Visit::Break => {
                if let Some(b) = &v.break_ {
                    t = t.max(b.window.early) + b.duration;
                }
            }
        }
    }
    route
        .locations
        .push(locs[inst.depots()[v.end_depot].location]);
    route
}

pub use fillroute_forecast::VisitCost;

/// What one separate future visit to each bin would cost, in milli-euro.
///
/// Collecting a fullish bin today, while a truck passes, saves that visit;
/// the forecast-and-risk policy scales it by the bin's fill into the prize of
/// a may-collect stop, so the planner picks up neighbours of the bins it must
/// visit anyway and routes stay compact. Uses only the map and the fleet's
/// rates, never the bins' true fill rates; the pricing itself is
/// [`fillroute_pipeline::visit_costs`], shared with the nightly job.
pub fn future_visit_costs(s: &Scenario, world: &World) -> Vec<VisitCost> {
    let t = &s.trucks;
    let big = world.len();
    // Milli-euro, the instance's cost unit.
    let rates = Rates::per_km_and_hour(t.eur_per_km * 1000.0, t.eur_per_hour * 1000.0);
    let travel = |a: usize, b: usize| {
        Some((
            f64::from(world.distance_m[a * big + b]),
            f64::from(world.duration_s[a * big + b]),
        ))
    };
    let depot = t
        .depot
        .as_ref()
        .and_then(|d| world.depots.iter().position(|x| &x.id == d))
        .unwrap_or(0);
    let bins: Vec<usize> = (0..world.bins.len())
        .map(|b| world.bin_location(b))
        .collect();
    let service = vec![t.service_minutes * 60.0; bins.len()];
    let sites: Vec<usize> = (0..world.sites.len())
        .map(|x| world.site_location(x))
        .collect();
    visit_costs(travel, rates, &bins, &service, depot, &sites)
}

/// Bins a route is expected to serve after `served` pickups on `routes`
/// routes ([`fillroute_pipeline::bins_per_route`], as the nightly job
/// counts them).
pub fn bins_per_route(s: &Scenario, world: &World, served: usize, routes: usize) -> f64 {
    let mean_litres =
        world.bins.iter().map(|b| b.litres).sum::<f64>() / world.bins.len().max(1) as f64;
    fillroute_pipeline::bins_per_route(
        served,
        routes,
        s.trucks.capacity_litres * s.trucks.compaction,
        mean_litres,
    )
}

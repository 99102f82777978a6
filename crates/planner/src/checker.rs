//! Independent checker: recomputes feasibility and cost of a [`Solution`]
//! from the instance alone, by plain forward simulation.
//!
//! It shares no code with the search (which works on concatenated segment
//! data), so a bug in one is caught by the other. Every solution in every test
//! goes through [`check`].
//!
//! Sums saturate rather than wrap: a solution read from a file may repeat a
//! stop any number of times, and the report must still be true (over the
//! limits), not a wrapped-around small number.

use crate::model::{FAR, Instance, Units};
use crate::solution::{Solution, Visit};

/// Outcome of [`check`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Every constraint holds.
    pub feasible: bool,
    /// Human-readable violations, one per broken constraint.
    pub violations: Vec<String>,
    /// Total distance (units).
    pub distance: Units,
    /// Total minimal route duration (units).
    pub duration: Units,
    /// Used vehicles.
    pub vehicles: usize,
    /// Fixed + distance + time costs of the routes.
    pub route_cost: Units,
    /// Prizes of served optional stops.
    pub prizes: Units,
    /// Required stops left out.
    pub unserved_required: usize,
    /// Single number under the instance objective.
    pub objective: Units,
}

/// How violations name routes, stops and disposal sites.
///
/// The defaults name what the model knows (route index, stop and site ids),
/// which is right for plans built in memory. A check of a file should speak
/// the file's language instead, so that a user can find the line to fix:
/// `io::check_sol` names customers and `Route #k` as the `.sol` does.
pub trait Naming {
    /// Route `k` of the solution.
    fn route(&self, k: usize) -> String {
        format!("route {k}")
    }
    /// Stop `i` of the instance (`i` is a valid index).
    fn stop(&self, instance: &Instance, i: usize) -> String {
        format!("stop '{}'", instance.stops()[i].id)
    }
    /// Disposal site `d` of the instance (`d` is a valid index).
    fn site(&self, instance: &Instance, d: usize) -> String {
        format!("disposal '{}'", instance.sites()[d].id)
    }
}

/// The model's own names: route indices and ids.
struct ModelNames;
impl Naming for ModelNames {}

/// Recomputes feasibility and cost of `solution` on `instance`.
pub fn check(instance: &Instance, solution: &Solution) -> CheckReport {
    check_named(instance, solution, &ModelNames)
}

/// [`check`], with violations worded by `names`.
pub fn check_named(instance: &Instance, solution: &Solution, names: &dyn Naming) -> CheckReport {
    let mut r = CheckReport::default();
    let stops = instance.stops();
    let sites = instance.sites();
    let mut served = vec![0usize; stops.len()];
    let mut vehicle_used = vec![false; instance.vehicles().len()];
    let dims = instance.dims();

    for (k, route) in solution.routes.iter().enumerate() {
        let rname = || names.route(k);
        let Some(v) = instance.vehicles().get(route.vehicle) else {
            r.violations
                .push(format!("{}: unknown vehicle {}", rname(), route.vehicle));
            continue;
        };
        if route.visits.is_empty() {
            continue;
        }
        if std::mem::replace(&mut vehicle_used[route.vehicle], true) {
            r.violations
                .push(format!("{}: vehicle '{}' used twice", rname(), v.id));
        }
        let prof = &instance.profiles()[v.profile];
        let start_loc = instance.depots()[v.start_depot].location;
        let end_loc = instance.depots()[v.end_depot].location;

        // Trip releases: each trip (maximal run between depot/disposal) may
        // depart no earlier than the largest release of its stops.
        let mut trip_release = Vec::new();
        let mut cur = Units::MIN;
        for visit in &route.visits {
            match visit {
                Visit::Stop(i) if *i < stops.len() => cur = cur.max(stops[*i].release),
                Visit::Disposal(d) if *d < sites.len() => {
                    trip_release.push(cur);
                    cur = Units::MIN;
                }
                _ => {}
            }
        }
        trip_release.push(cur);

        // Forward simulation from the earliest departure; track waiting and
        // the forward slack to find the minimal duration afterwards.
        let mut t = v.shift.early.max(trip_release[0]);
        let start_time = v.shift.early;
        let mut waits: Units = t.saturating_sub(start_time);
        // How far departure could move; a crew paid from the shift start leaves then.
        let mut slack = if v.paid_from_shift_start {
            0
        } else {
            v.shift.late.saturating_sub(start_time)
        };
        let mut loc = start_loc;
        let mut dist: Units = 0;
        // The first trip starts with what the truck already carries.
        let mut load: Vec<Units> = (0..dims).map(|d| v.initial_load_in(d)).collect();
        let mut total = vec![0 as Units; dims];
        let mut trip_streams: u64 = 0;
        let mut trip = 0usize;
        let mut nstops = 0usize;
        let mut ndisposal = 0usize;
        let mut nbreaks = 0usize;
        // Event: arrive at `arrive`, window [e, l]; returns start time. The
        // name is only worded when there is a violation to report.
        let event = |arrive: Units,
                     e: Units,
                     l: Units,
                     what: &dyn Fn() -> String,
                     r: &mut CheckReport,
                     waits: &mut Units,
                     slack: &mut Units| {
            let start = arrive.max(e);
            *waits = waits.saturating_add(start.saturating_sub(arrive));
            if start > l {
                r.violations.push(format!(
                    "{} (vehicle '{}'): {} starts at {start}, after {l}",
                    rname(),
                    v.id,
                    what()
                ));
            }
            *slack = (*slack).min(waits.saturating_add(l.saturating_sub(start)));
            start
        };
        for visit in &route.visits {
            match *visit {
                Visit::Stop(i) => {
                    let Some(s) = stops.get(i) else {
                        r.violations.push(format!("{}: unknown stop {i}", rname()));
                        continue;
                    };
                    served[i] += 1;
                    nstops += 1;
                    if v.skills & s.skills != s.skills {
                        r.violations.push(format!(
                            "{}: vehicle '{}' lacks skills of {}",
                            rname(),
                            v.id,
                            names.stop(instance, i)
                        ));
                    }
                    if v.streams & s.stream != s.stream {
                        r.violations.push(format!(
                            "{}: vehicle '{}' does not collect the stream of {}",
                            rname(),
                            v.id,
                            names.stop(instance, i)
                        ));
                    }
                    trip_streams |= s.stream;
                    dist = dist.saturating_add(prof.distance.get(loc, s.location));
                    let arrive = t.saturating_add(prof.duration.get(loc, s.location));
                    // Earliest-startable window among the stop's windows.
                    let (e, l) = if s.windows.is_empty() {
                        (Units::MIN, FAR)
                    } else {
                        s.windows
                            .iter()
                            .filter(|w| arrive.max(w.early) <= w.late)
                            .map(|w| (w.early, w.late))
                            .min_by_key(|&(e, _)| arrive.max(e))
                            .unwrap_or((s.windows[0].early, s.windows[0].late))
                    };
                    let start = event(
                        arrive,
                        e,
                        l,
                        &|| names.stop(instance, i),
                        &mut r,
                        &mut waits,
                        &mut slack,
                    );
                    t = start.saturating_add(s.service);
                    loc = s.location;
                    for d in 0..dims {
                        load[d] = load[d].saturating_add(s.demand[d]);
                        total[d] = total[d].saturating_add(s.demand[d]);
                    }
                    if let Some(p) = s.prize {
                        r.prizes = r.prizes.saturating_add(p);
                    }
                }
                Visit::Disposal(d) => {
                    let Some(site) = sites.get(d) else {
                        r.violations
                            .push(format!("{}: unknown disposal site {d}", rname()));
                        continue;
                    };
                    ndisposal += 1;
                    for (dim, &l) in load.iter().enumerate() {
                        if l > v.capacity[dim] {
                            r.violations.push(format!(
                                "{} trip {}: load {l} exceeds capacity {} in dimension {dim}",
                                rname(),
                                trip + 1,
                                v.capacity[dim]
                            ));
                        }
                    }
                    if trip_streams & !site.accepts != 0 {
                        r.violations.push(format!(
                            "{}: {} does not accept the streams of trip {}",
                            rname(),
                            names.site(instance, d),
                            trip + 1
                        ));
                    }
                    dist = dist.saturating_add(prof.distance.get(loc, site.location));
                    let arrive = t.saturating_add(prof.duration.get(loc, site.location));
                    let start = event(
                        arrive,
                        site.hours.early,
                        site.hours.late,
                        &|| names.site(instance, d),
                        &mut r,
                        &mut waits,
                        &mut slack,
                    );
                    t = start.saturating_add(site.unload_time);
                    loc = site.location;
                    load.iter_mut().for_each(|l| *l = 0);
                    trip_streams = 0;
                    trip += 1;
                    // Release of the next trip: departure waits for it.
                    let rel = trip_release[trip];
                    if rel > t {
                        waits = waits.saturating_add(rel - t);
                        t = rel;
                    }
                }
                Visit::Break => {
                    nbreaks += 1;
                    match v.break_ {
                        None => r.violations.push(format!(
                            "{}: vehicle '{}' has no break but one is planned",
                            rname(),
                            v.id
                        )),
                        Some(b) => {
                            let start = event(
                                t,
                                b.window.early,
                                b.window.late,
                                &|| "break".to_string(),
                                &mut r,
                                &mut waits,
                                &mut slack,
                            );
                            t = start.saturating_add(b.duration);
                        }
                    }
                }
            }
        }
        for (dim, &l) in load.iter().enumerate() {
            if l > v.capacity[dim] {
                r.violations.push(format!(
                    "{} last trip: load {l} exceeds capacity {} in dimension {dim}",
                    rname(),
                    v.capacity[dim]
                ));
            }
        }
        if v.final_disposal_required
            && !matches!(
                route
                    .visits
                    .iter()
                    .rev()
                    .find(|x| !matches!(x, Visit::Break)),
                Some(Visit::Disposal(_))
            )
        {
            r.violations.push(format!(
                "{}: vehicle '{}' must unload at a disposal site before returning",
                rname(),
                v.id
            ));
        }
        if let Some(m) = v.max_disposal_trips
            && ndisposal > m
        {
            r.violations.push(format!(
                "{}: {ndisposal} disposal visits, vehicle allows {m}",
                rname()
            ));
        }
        if let Some(rc) = &v.route_capacity {
            for d in 0..dims {
                if total[d] > rc[d] {
                    r.violations.push(format!(
                        "{}: daily load {} exceeds route capacity {} in dimension {d}",
                        rname(),
                        total[d],
                        rc[d]
                    ));
                }
            }
        }
        if let Some(m) = v.max_stops
            && nstops > m
        {
            r.violations.push(format!(
                "{}: {nstops} stops, vehicle allows {m} per day",
                rname()
            ));
        }
        dist = dist.saturating_add(prof.distance.get(loc, end_loc));
        let arrive = t.saturating_add(prof.duration.get(loc, end_loc));
        // The lunch rule: a route still out when the break window's latest
        // start passes takes one break; a route back by then needs none.
        match v.break_ {
            Some(b) if nstops > 0 => {
                if nbreaks > 1 {
                    r.violations
                        .push(format!("{}: {nbreaks} breaks, at most 1", rname()));
                } else if nbreaks == 0 && arrive > b.window.late {
                    r.violations.push(format!(
                        "{}: no break, but the route returns at {arrive}, after the break window's latest start {}: plan the break",
                        rname(),
                        b.window.late
                    ));
                }
            }
            _ if nbreaks > 0 && v.break_.is_some() => r.violations.push(format!(
                "{}: {nbreaks} breaks on a route with no stops",
                rname()
            )),
            _ => {}
        }
        let end = event(
            arrive,
            Units::MIN,
            v.shift.late,
            &|| "return to depot".to_string(),
            &mut r,
            &mut waits,
            &mut slack,
        );
        // Postponing departure by min(slack, waits) removes that much waiting.
        let duration = end
            .saturating_sub(start_time)
            .saturating_sub(slack.min(waits).max(0));
        if let Some(md) = v.max_duration
            && duration > md
        {
            r.violations.push(format!(
                "{}: duration {duration} exceeds maximum {md}",
                rname()
            ));
        }
        if let Some(md) = v.max_distance
            && dist > md
        {
            r.violations
                .push(format!("{}: distance {dist} exceeds maximum {md}", rname()));
        }
        r.vehicles += 1;
        r.distance = r.distance.saturating_add(dist);
        r.duration = r.duration.saturating_add(duration);
        r.route_cost = r.route_cost.saturating_add(
            v.fixed_cost
                .saturating_add(v.cost_per_distance.saturating_mul(dist))
                .saturating_add(v.cost_per_time.saturating_mul(duration)),
        );
    }
    let mut twice = false;
    for (i, s) in stops.iter().enumerate() {
        twice |= served[i] > 1;
        if served[i] == 0 && s.prize.is_none() {
            r.unserved_required += 1;
            if !solution.unserved.iter().any(|&(u, _)| u == i) {
                r.violations.push(format!(
                    "required {} is neither served nor reported unserved",
                    names.stop(instance, i)
                ));
            }
        }
    }
    if twice {
        r.violations
            .extend(served_more_than_once(instance, solution, &served, names));
    }
    for &(u, _) in &solution.unserved {
        if u < served.len() && served[u] > 0 {
            r.violations.push(format!(
                "{} reported unserved but is served",
                names.stop(instance, u)
            ));
        }
    }
    let (uw, vw) = instance.objective().weights();
    r.objective = uw
        .saturating_mul(r.unserved_required as Units)
        .saturating_add(vw.saturating_mul(r.vehicles as Units))
        .saturating_add(r.route_cost)
        .saturating_sub(r.prizes);
    r.feasible = r.violations.is_empty() && r.unserved_required == 0;
    r
}

/// One violation per stop served more than once, naming the routes that
/// serve it (a second pass: duplicates are rare, so the first pass only
/// counts).
fn served_more_than_once(
    instance: &Instance,
    solution: &Solution,
    served: &[usize],
    names: &dyn Naming,
) -> Vec<String> {
    let mut routes: Vec<Vec<usize>> = vec![Vec::new(); served.len()];
    for (k, route) in solution.routes.iter().enumerate() {
        if instance.vehicles().get(route.vehicle).is_none() {
            continue;
        }
        for visit in &route.visits {
            if let Visit::Stop(i) = *visit
                && served.get(i).is_some_and(|&n| n > 1)
                && routes[i].last() != Some(&k)
            {
                routes[i].push(k);
            }
        }
    }
    (0..served.len())
        .filter(|&i| served[i] > 1)
        .map(|i| {
            let on: Vec<String> = routes[i].iter().map(|&k| names.route(k)).collect();
            format!(
                "{} served {} times (on {})",
                names.stop(instance, i),
                served[i],
                on.join(", ")
            )
        })
        .collect()
}

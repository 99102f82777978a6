//! Independent checker: recomputes feasibility and cost of a [`Solution`]
//! from the instance alone, by plain forward simulation.
//!
//! It shares no code with the search (which works on concatenated segment
//! data), so a bug in one is caught by the other. Every solution in every test
//! goes through [`check`].

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

/// Recomputes feasibility and cost of `solution` on `instance`.
pub fn check(instance: &Instance, solution: &Solution) -> CheckReport {
    let mut r = CheckReport::default();
    let stops = instance.stops();
    let sites = instance.sites();
    let mut served = vec![0usize; stops.len()];
    let mut vehicle_used = vec![false; instance.vehicles().len()];
    let dims = instance.dims();

    for (k, route) in solution.routes.iter().enumerate() {
        let Some(v) = instance.vehicles().get(route.vehicle) else {
            r.violations
                .push(format!("route {k}: unknown vehicle {}", route.vehicle));
            continue;
        };
        if route.visits.is_empty() {
            continue;
        }
        if std::mem::replace(&mut vehicle_used[route.vehicle], true) {
            r.violations
                .push(format!("route {k}: vehicle '{}' used twice", v.id));
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
                Visit::Disposal(_) => {
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
        let mut waits: Units = t - start_time;
        let mut slack = v.shift.late - start_time; // how far departure could move
        let mut loc = start_loc;
        let mut dist: Units = 0;
        let mut load = vec![0 as Units; dims];
        let mut total = vec![0 as Units; dims];
        let mut trip_streams: u64 = 0;
        let mut trip = 0usize;
        let mut nstops = 0usize;
        let mut ndisposal = 0usize;
        let mut nbreaks = 0usize;
        // Event: arrive at `arrive`, window [e, l]; returns start time.
        let event = |arrive: Units,
                     e: Units,
                     l: Units,
                     what: &str,
                     r: &mut CheckReport,
                     waits: &mut Units,
                     slack: &mut Units| {
            let start = arrive.max(e);
            *waits += start - arrive;
            if start > l {
                r.violations.push(format!(
                    "route {k} (vehicle '{}'): {what} starts at {start}, after {l}",
                    v.id
                ));
            }
            *slack = (*slack).min(*waits + l - start);
            start
        };
        for (pos, visit) in route.visits.iter().enumerate() {
            match *visit {
                Visit::Stop(i) => {
                    let Some(s) = stops.get(i) else {
                        r.violations.push(format!("route {k}: unknown stop {i}"));
                        continue;
                    };
                    served[i] += 1;
                    nstops += 1;
                    if v.skills & s.skills != s.skills {
                        r.violations.push(format!(
                            "route {k}: vehicle '{}' lacks skills of stop '{}'",
                            v.id, s.id
                        ));
                    }
                    if v.streams & s.stream != s.stream {
                        r.violations.push(format!(
                            "route {k}: vehicle '{}' does not collect the stream of stop '{}'",
                            v.id, s.id
                        ));
                    }
                    trip_streams |= s.stream;
                    dist += prof.distance.get(loc, s.location);
                    let arrive = t + prof.duration.get(loc, s.location);
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
                        &format!("stop '{}'", s.id),
                        &mut r,
                        &mut waits,
                        &mut slack,
                    );
                    t = start + s.service;
                    loc = s.location;
                    for d in 0..dims {
                        load[d] += s.demand[d];
                        total[d] += s.demand[d];
                    }
                    if let Some(p) = s.prize {
                        r.prizes += p;
                    }
                }
                Visit::Disposal(d) => {
                    let Some(site) = sites.get(d) else {
                        r.violations
                            .push(format!("route {k}: unknown disposal site {d}"));
                        continue;
                    };
                    ndisposal += 1;
                    for (dim, &l) in load.iter().enumerate() {
                        if l > v.capacity[dim] {
                            r.violations.push(format!("route {k} trip {trip}: load {l} exceeds capacity {} in dimension {dim}", v.capacity[dim]));
                        }
                    }
                    if trip_streams & !site.accepts != 0 {
                        r.violations.push(format!(
                            "route {k}: site '{}' does not accept the streams of trip {trip}",
                            site.id
                        ));
                    }
                    dist += prof.distance.get(loc, site.location);
                    let arrive = t + prof.duration.get(loc, site.location);
                    let start = event(
                        arrive,
                        site.hours.early,
                        site.hours.late,
                        &format!("disposal '{}'", site.id),
                        &mut r,
                        &mut waits,
                        &mut slack,
                    );
                    t = start + site.unload_time;
                    loc = site.location;
                    load.iter_mut().for_each(|l| *l = 0);
                    trip_streams = 0;
                    trip += 1;
                    // Release of the next trip: departure waits for it.
                    let rel = trip_release[trip];
                    if rel > t {
                        waits += rel - t;
                        t = rel;
                    }
                }
                Visit::Break => {
                    nbreaks += 1;
                    match v.break_ {
                        None => r.violations.push(format!(
                            "route {k}: vehicle '{}' has no break but one is planned",
                            v.id
                        )),
                        Some(b) => {
                            let start = event(
                                t,
                                b.window.early,
                                b.window.late,
                                "break",
                                &mut r,
                                &mut waits,
                                &mut slack,
                            );
                            t = start + b.duration;
                        }
                    }
                }
            }
            let _ = pos;
        }
        for (dim, &l) in load.iter().enumerate() {
            if l > v.capacity[dim] {
                r.violations.push(format!(
                    "route {k} last trip: load {l} exceeds capacity {} in dimension {dim}",
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
                "route {k}: vehicle '{}' must unload at a disposal site before returning",
                v.id
            ));
        }
        if let Some(m) = v.max_disposal_trips
            && ndisposal > m {
                r.violations.push(format!(
                    "route {k}: {ndisposal} disposal visits, vehicle allows {m}"
                ));
            }
        if let Some(rc) = &v.route_capacity {
            for d in 0..dims {
                if total[d] > rc[d] {
                    r.violations.push(format!(
                        "route {k}: daily load {} exceeds route capacity {} in dimension {d}",
                        total[d], rc[d]
                    ));
                }
            }
        }
        if let Some(m) = v.max_stops
            && nstops > m {
                r.violations.push(format!(
                    "route {k}: {nstops} stops, vehicle allows {m} per day"
                ));
            }
        let want_breaks = usize::from(v.break_.is_some() && nstops > 0);
        if nbreaks != want_breaks {
            r.violations.push(format!(
                "route {k}: {nbreaks} breaks, expected {want_breaks}"
            ));
        }
        dist += prof.distance.get(loc, end_loc);
        let arrive = t + prof.duration.get(loc, end_loc);
        let end = event(
            arrive,
            Units::MIN,
            v.shift.late,
            "return to depot",
            &mut r,
            &mut waits,
            &mut slack,
        );
        // Postponing departure by min(slack, waits) removes that much waiting.
        let duration = end - start_time - slack.min(waits).max(0);
        if let Some(md) = v.max_duration
            && duration > md {
                r.violations.push(format!(
                    "route {k}: duration {duration} exceeds maximum {md}"
                ));
            }
        if let Some(md) = v.max_distance
            && dist > md {
                r.violations
                    .push(format!("route {k}: distance {dist} exceeds maximum {md}"));
            }
        if nstops > 0 || !route.visits.is_empty() {
            r.vehicles += 1;
            r.distance += dist;
            r.duration += duration;
            r.route_cost += v.fixed_cost + v.cost_per_distance * dist + v.cost_per_time * duration;
        }
    }
    for (i, s) in stops.iter().enumerate() {
        if served[i] > 1 {
            r.violations
                .push(format!("stop '{}' served {} times", s.id, served[i]));
        }
        if served[i] == 0 && s.prize.is_none() {
            r.unserved_required += 1;
            if !solution.unserved.iter().any(|&(u, _)| u == i) {
                r.violations.push(format!(
                    "required stop '{}' is neither served nor reported unserved",
                    s.id
                ));
            }
        }
    }
    for &(u, _) in &solution.unserved {
        if u < served.len() && served[u] > 0 {
            r.violations
                .push(format!("stop {u} reported unserved but is served"));
        }
    }
    let (uw, vw) = instance.objective().weights();
    r.objective =
        uw * r.unserved_required as Units + vw * r.vehicles as Units + r.route_cost - r.prizes;
    r.feasible = r.violations.is_empty() && r.unserved_required == 0;
    r
}

//! Set partitioning over the search's route pool.
//!
//! The search meets many good routes that never end up in the same plan; the
//! MIP picks the best combination of them. Every pool route is re-priced by
//! the checker on each vehicle type it fits (so a route found for one truck
//! can be driven by another type), only the cheapest route per
//! (type, stop set) is kept, and the incumbent's routes are always columns,
//! so the incumbent is a feasible warm start (HiGHS `setSolution`) and the
//! answer is never worse than it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::{Column, Fleet, Pricer, assemble, solve_partition, stops_of};
use crate::checker::check;
use crate::model::{Instance, Units};
use crate::search::RoutePool;
use crate::solution::{Solution, UnservedReason, Visit};

/// Above this many vehicle types, pool routes are priced only on their own type.
const CROSS_TYPE_LIMIT: usize = 8;

/// Best plan the MIP finds over `pool` plus the incumbent's routes, within
/// `budget`, checked by [`check`].
///
/// Returns `None` when HiGHS fails or finds nothing at least as good as the
/// incumbent (then there is nothing to feed back). A returned plan passes the
/// checker without violations, and its objective is never above the
/// incumbent's (when the incumbent itself passes the checker).
pub fn solve(
    pool: &RoutePool,
    instance: &Instance,
    incumbent: &Solution,
    budget: Duration,
) -> Option<Solution> {
    let deadline = Instant::now() + budget;
    let fleet = Fleet::of(instance);
    let mut pricer = Pricer::new(instance);
    let mut columns: Vec<Column> = Vec::new();
    let mut by_key: HashMap<(usize, Vec<usize>), usize> = HashMap::new();
    let mut add = |columns: &mut Vec<Column>, vtype: usize, visits: &[Visit], cost: Units| {
        let stops = stops_of(visits);
        match by_key.get(&(vtype, stops.clone())) {
            Some(&c) if columns[c].cost <= cost => c,
            Some(&c) => {
                columns[c].visits = visits.to_vec();
                columns[c].cost = cost;
                c
            }
            None => {
                columns.push(Column {
                    vtype,
                    visits: visits.to_vec(),
                    stops: stops.clone(),
                    cost,
                });
                by_key.insert((vtype, stops), columns.len() - 1);
                columns.len() - 1
            }
        }
    };

    // Incumbent first: its columns make the warm start.
    let mut start = Some(Vec::new());
    let mut per_type = vec![0usize; fleet.types.len()];
    for r in incumbent.routes.iter().filter(|r| !r.visits.is_empty()) {
        let Some(&t) = fleet.type_of.get(r.vehicle) else {
            start = None;
            continue;
        };
        match pricer.price(fleet.representative(t), &r.visits) {
            Some(cost) => {
                let c = add(&mut columns, t, &r.visits, cost);
                per_type[t] += 1;
                if let Some(s) = start.as_mut() {
                    s.push(c);
                }
            }
            None => start = None,
        }
    }
    if per_type
        .iter()
        .zip(&fleet.types)
        .any(|(&k, vs)| k > vs.len())
    {
        start = None;
    }

    // Pool routes in a fixed order, so ties break the same way every run.
    let mut routes: Vec<(&crate::solution::Route, Units)> = pool.routes().collect();
    routes.sort_by_cached_key(|(r, c)| (*c, r.vehicle, visit_key(&r.visits)));
    let cross = fleet.types.len() <= CROSS_TYPE_LIMIT;
    for (r, _) in routes {
        if Instant::now() >= deadline {
            break;
        }
        let Some(&own) = fleet.type_of.get(r.vehicle) else {
            continue;
        };
        let types: Vec<usize> = if cross {
            (0..fleet.types.len()).collect()
        } else {
            vec![own]
        };
        for t in types {
            if let Some(cost) = pricer.price(fleet.representative(t), &r.visits) {
                add(&mut columns, t, &r.visits, cost);
            }
        }
    }
    if columns.is_empty() {
        return None;
    }
    // Two incumbent routes collapsing onto one column would double-count it.
    if let Some(s) = &start {
        let mut seen = vec![false; instance.stops().len()];
        let mut distinct = s.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let overlap = s
            .iter()
            .flat_map(|&c| columns[c].stops.iter())
            .any(|&i| std::mem::replace(&mut seen[i], true));
        if overlap || distinct.len() != s.len() {
            start = None;
        }
    }

    let mut covered = vec![false; instance.stops().len()];
    for c in &columns {
        for &i in &c.stops {
            covered[i] = true;
        }
    }
    let allow_unserved = instance
        .stops()
        .iter()
        .enumerate()
        .any(|(i, s)| s.prize.is_none() && !covered[i])
        || incumbent
            .unserved
            .iter()
            .any(|&(i, _)| instance.stops().get(i).is_some_and(|s| s.prize.is_none()));

    let part = solve_partition(instance, &fleet, &columns, start, allow_unserved, deadline).ok()?;
    let reasons: HashMap<usize, UnservedReason> = incumbent.unserved.iter().copied().collect();
    let sol = assemble(instance, &fleet, &columns, &part.chosen, |i| {
        reasons.get(&i).copied().unwrap_or_else(|| {
            if instance.stops()[i].prize.is_some() {
                UnservedReason::NotWorthDetour
            } else {
                UnservedReason::FleetExhausted
            }
        })
    });
    let rep = check(instance, &sol);
    if !rep.violations.is_empty() {
        return None;
    }
    let inc = check(instance, incumbent);
    if inc.violations.is_empty() && rep.objective > inc.objective {
        return None;
    }
    Some(sol)
}

/// A sortable form of a visit sequence.
fn visit_key(visits: &[Visit]) -> Vec<(u8, usize)> {
    visits
        .iter()
        .map(|v| match *v {
            Visit::Stop(i) => (0, i),
            Visit::Disposal(d) => (1, d),
            Visit::Break => (2, 0),
        })
        .collect()
}

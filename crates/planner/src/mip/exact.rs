//! Exact optimum of small instances, so tests can prove the heuristic
//! optimal rather than merely "good".
//!
//! Two methods:
//!
//! | feature | [`solve`] (route enumeration + set partitioning) | [`solve_two_index`] (two-index + capacity cuts) |
//! |---|---|---|
//! | capacity (multi-dimensional) | yes | one dimension |
//! | time windows (several per stop), service times, shifts | yes | no |
//! | disposal trips / reloads, final disposal, max trips | yes | no |
//! | release dates | yes | no |
//! | breaks | yes | no |
//! | optional stops with prizes | yes | no |
//! | max duration / distance / stops, daily caps | yes | no |
//! | initial load on board | yes | no |
//! | heterogeneous fleet, skills, streams, fleet limits | yes | one vehicle type |
//! | asymmetric matrices | yes | no (symmetric only) |
//!
//! [`solve`] enumerates every elementary route with a depth-first search
//! that prunes only on necessary conditions (trip load, route caps, lateness
//! of a prefix, which never improve by extending it), prices every complete
//! route with the independent checker, keeps the cheapest route per
//! (vehicle type, stop set), and solves set partitioning over all of them to
//! optimality. It is exact when travel times and distances satisfy the
//! triangle inequality: it inserts disposal visits only between stops (and a
//! final one when required, and a first one when the truck starts loaded),
//! never back to back, which loses nothing then.
//!
//! [`solve_two_index`] is the textbook CVRP model (edge variables, degree
//! rows, rounded-capacity cuts `x(δ(S)) ≥ 2⌈q(S)/Q⌉` separated on each
//! integer solution's components and added until none is violated). It
//! shares nothing with the enumeration except HiGHS, so agreement of the two
//! on CVRP checks both.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use good_lp::{
    Expression, ProblemVariables, Solution as _, SolutionStatus, SolverModel, Variable, highs,
    variable,
};

use super::{Column, Fleet, MipError, Pricer, assemble, solve_partition};
use crate::checker::check;
use crate::model::{FAR, Instance, Objective, Units, Vehicle};
use crate::solution::{Route, Solution, UnservedReason, Visit};

/// Budgets of the exact methods.
#[derive(Clone, Debug)]
pub struct ExactLimits {
    /// Largest instance accepted.
    pub max_stops: usize,
    /// Partial routes the enumeration may visit (per vehicle type).
    pub max_nodes: u64,
    /// Wall-clock limit for HiGHS.
    pub time_limit: Duration,
}

impl Default for ExactLimits {
    fn default() -> Self {
        ExactLimits {
            max_stops: 12,
            max_nodes: 5_000_000,
            time_limit: Duration::from_secs(60),
        }
    }
}

/// An exact answer.
#[derive(Clone, Debug)]
pub struct ExactOutcome {
    /// The optimal plan (checker-clean).
    pub solution: Solution,
    /// Its objective, as [`check`] computes it.
    pub objective: Units,
    /// HiGHS proved optimality (false only when the time limit hit).
    pub proven: bool,
    /// Columns (routes) in the final model, or cuts added for the two-index model.
    pub columns: usize,
}

/// Optimal plan by enumerating all feasible routes and set partitioning.
pub fn solve(instance: &Instance, limits: &ExactLimits) -> Result<ExactOutcome, MipError> {
    let n = instance.stops().len();
    if n > limits.max_stops || n > 63 {
        return Err(MipError::TooLarge {
            stops: n,
            max: limits.max_stops.min(63),
        });
    }
    let deadline = Instant::now() + limits.time_limit;
    let fleet = Fleet::of(instance);
    let mut columns = Vec::new();
    for t in 0..fleet.types.len() {
        let v = fleet.representative(t);
        let mut e = Enumerator {
            inst: instance,
            vehicle: &instance.vehicles()[v],
            vidx: v,
            pricer: Pricer::new(instance),
            best: HashMap::new(),
            nodes: 0,
            max_nodes: limits.max_nodes,
            visits: Vec::new(),
            front: dominance_sound(instance, &instance.vehicles()[v]).then(HashMap::new),
        };
        e.dfs(0)?;
        let mut found: Vec<(u64, (Units, Vec<Visit>))> = e.best.into_iter().collect();
        found.sort_unstable_by_key(|(m, _)| *m);
        for (_, (cost, visits)) in found {
            columns.push(Column {
                vtype: t,
                stops: super::stops_of(&visits),
                visits,
                cost,
            });
        }
    }
    let part = solve_partition(instance, &fleet, &columns, None, true, deadline)?;
    let sol = assemble(instance, &fleet, &columns, &part.chosen, |i| {
        if instance.stops()[i].prize.is_some() {
            UnservedReason::NotWorthDetour
        } else {
            UnservedReason::FleetExhausted
        }
    });
    finish(instance, sol, part.proven, columns.len())
}

fn finish(
    instance: &Instance,
    solution: Solution,
    proven: bool,
    columns: usize,
) -> Result<ExactOutcome, MipError> {
    let rep = check(instance, &solution);
    if !rep.violations.is_empty() {
        return Err(MipError::Rejected(rep.violations));
    }
    Ok(ExactOutcome {
        solution,
        objective: rep.objective,
        proven,
        columns,
    })
}

/// What a prefix leaves for its extensions.
struct Tail {
    dist: Units,
    time: Units,
    load: [Units; crate::model::MAX_DIMS],
    streams: u64,
}

/// Non-dominated (distance, time) labels per prefix state.
type Front =
    HashMap<(u64, Visit, usize, [Units; crate::model::MAX_DIMS], u64), Vec<(Units, Units)>>;

/// Depth-first enumeration of the routes of one vehicle type.
struct Enumerator<'a> {
    inst: &'a Instance,
    vehicle: &'a Vehicle,
    vidx: usize,
    pricer: Pricer<'a>,
    /// Cheapest (cost, visits) per stop set.
    best: HashMap<u64, (Units, Vec<Visit>)>,
    nodes: u64,
    max_nodes: u64,
    /// Current prefix: stops and disposal visits, no break.
    visits: Vec<Visit>,
    /// Dominance labels, when sound for this vehicle (see [`dominance_sound`]).
    front: Option<Front>,
}

/// Dominance between prefixes with equal state is sound when a prefix's
/// future depends only on where and when it ends and what the current trip
/// holds: no time cost or duration cap (waiting is free), no break (it may
/// be inserted earlier in the route), and no release date later than the
/// shift start (a later stop would shift its whole trip).
fn dominance_sound(inst: &Instance, v: &Vehicle) -> bool {
    v.cost_per_time == 0
        && v.max_duration.is_none()
        && v.break_.is_none()
        && inst.stops().iter().all(|s| s.release <= v.shift.early)
}

impl Enumerator<'_> {
    fn dfs(&mut self, mask: u64) -> Result<(), MipError> {
        self.nodes += 1;
        if self.nodes > self.max_nodes {
            return Err(MipError::TooManyRoutes {
                limit: self.max_nodes,
            });
        }
        let v = self.vehicle;
        let ndisp = self
            .visits
            .iter()
            .filter(|x| matches!(x, Visit::Disposal(_)))
            .count();
        let last_is_stop = matches!(self.visits.last(), Some(Visit::Stop(_)));
        if last_is_stop {
            self.complete(mask);
        }
        for i in 0..self.inst.stops().len() {
            let s = &self.inst.stops()[i];
            if mask & (1 << i) != 0
                || v.skills & s.skills != s.skills
                || v.streams & s.stream != s.stream
            {
                continue;
            }
            self.visits.push(Visit::Stop(i));
            if self.keep(mask | (1 << i), ndisp) {
                self.dfs(mask | (1 << i))?;
            }
            self.visits.pop();
        }
        // A mid-route unload, only after a stop (or first, to unload what
        // the truck starts with), leaving room for a final one.
        let reserve = usize::from(v.final_disposal_required);
        let trips_left = v
            .max_disposal_trips
            .is_none_or(|m| ndisp + 1 + reserve <= m);
        if (last_is_stop || (self.visits.is_empty() && v.starts_loaded())) && trips_left {
            for d in 0..self.inst.sites().len() {
                self.visits.push(Visit::Disposal(d));
                if self.keep(mask, ndisp + 1) {
                    self.dfs(mask)?;
                }
                self.visits.pop();
            }
        }
        Ok(())
    }

    /// Whether the current prefix is worth extending: it passes
    /// [`Self::prefix_ok`] and, when dominance is sound, no explored prefix
    /// with the same stops, last visit, unload count and trip contents
    /// arrived no later over no longer a distance.
    fn keep(&mut self, mask: u64, ndisp: usize) -> bool {
        let Some(tail) = self.prefix_ok() else {
            return false;
        };
        let Some(front) = self.front.as_mut() else {
            return true;
        };
        let Some(&last) = self.visits.last() else {
            return true;
        };
        let key = (mask, last, ndisp, tail.load, tail.streams);
        let labels = front.entry(key).or_default();
        if labels
            .iter()
            .any(|&(d, t)| d <= tail.dist && t <= tail.time)
        {
            return false;
        }
        labels.retain(|&(d, t)| !(tail.dist <= d && tail.time <= t));
        labels.push((tail.dist, tail.time));
        true
    }

    /// Prices every completion of the current prefix (final unload, break
    /// position) and keeps the cheapest per stop set.
    fn complete(&mut self, mask: u64) {
        let v = self.vehicle;
        let mut bodies: Vec<Vec<Visit>> = Vec::new();
        if v.final_disposal_required {
            for d in 0..self.inst.sites().len() {
                let mut b = self.visits.clone();
                b.push(Visit::Disposal(d));
                bodies.push(b);
            }
        } else {
            bodies.push(self.visits.clone());
        }
        for body in bodies {
            let candidates: Vec<Vec<Visit>> = if v.break_.is_some() {
                // No break (a route back before the window closes), or one.
                std::iter::once(body.clone())
                    .chain((0..=body.len()).map(|p| {
                        let mut b = body.clone();
                        b.insert(p, Visit::Break);
                        b
                    }))
                    .collect()
            } else {
                vec![body]
            };
            for cand in candidates {
                if let Some(cost) = self.pricer.price(self.vidx, &cand) {
                    let e = self.best.entry(mask).or_insert((Units::MAX, Vec::new()));
                    if cost < e.0 {
                        *e = (cost, cand);
                    }
                }
            }
        }
    }

    /// Necessary conditions for the prefix to extend to a feasible route.
    /// Extending a prefix never lowers a trip's load, a running total, the
    /// distance so far, or any arrival time (a later stop can only raise its
    /// trip's release), so a prefix failing here has no feasible extension.
    fn prefix_ok(&self) -> Option<Tail> {
        let inst = self.inst;
        let v = self.vehicle;
        let stops = inst.stops();
        let sites = inst.sites();
        let dims = inst.dims();
        let prof = &inst.profiles()[v.profile];
        // Trip releases known so far.
        let mut releases = Vec::new();
        let mut cur = Units::MIN;
        for x in &self.visits {
            match *x {
                Visit::Stop(i) => cur = cur.max(stops[i].release),
                Visit::Disposal(_) => {
                    releases.push(cur);
                    cur = Units::MIN;
                }
                Visit::Break => {}
            }
        }
        releases.push(cur);
        let mut t = v.shift.early.max(releases[0]);
        let mut loc = inst.depots()[v.start_depot].location;
        let mut dist: Units = 0;
        let mut load: [Units; crate::model::MAX_DIMS] =
            std::array::from_fn(|d| v.initial_load_in(d));
        let mut total = [0 as Units; crate::model::MAX_DIMS];
        let mut streams = 0u64;
        let mut trip = 0usize;
        let mut nstops = 0usize;
        for x in &self.visits {
            match *x {
                Visit::Stop(i) => {
                    let s = &stops[i];
                    dist += prof.distance.get(loc, s.location);
                    let arrive = t + prof.duration.get(loc, s.location);
                    let start = if s.windows.is_empty() {
                        Some(arrive)
                    } else {
                        s.windows
                            .iter()
                            .filter(|w| arrive.max(w.early) <= w.late)
                            .map(|w| arrive.max(w.early))
                            .min()
                    };
                    let start = start?;
                    t = start + s.service;
                    loc = s.location;
                    for d in 0..dims {
                        load[d] += s.demand[d];
                        total[d] += s.demand[d];
                        if load[d] > v.capacity[d] {
                            return None;
                        }
                    }
                    streams |= s.stream;
                    nstops += 1;
                }
                Visit::Disposal(d) => {
                    let site = &sites[d];
                    if streams & !site.accepts != 0 {
                        return None;
                    }
                    dist += prof.distance.get(loc, site.location);
                    let arrive = t + prof.duration.get(loc, site.location);
                    let start = arrive.max(site.hours.early);
                    if start > site.hours.late {
                        return None;
                    }
                    t = start + site.unload_time;
                    loc = site.location;
                    load = [0; crate::model::MAX_DIMS];
                    streams = 0;
                    trip += 1;
                    t = t.max(releases[trip]);
                }
                Visit::Break => {}
            }
            if t > v.shift.late {
                return None;
            }
        }
        if let Some(rc) = &v.route_capacity
            && (0..dims).any(|d| total[d] > rc[d])
        {
            return None;
        }
        if v.max_stops.is_some_and(|m| nstops > m) {
            return None;
        }
        if v.max_distance.is_some_and(|m| dist > m) {
            return None;
        }
        Some(Tail {
            dist,
            time: t,
            load,
            streams,
        })
    }
}

/// Optimal CVRP plan from the two-index formulation with lazily added
/// rounded-capacity cuts. Applies to one vehicle type, one depot, one
/// capacity dimension, symmetric distances, required stops, and no time or
/// disposal features; otherwise returns [`MipError::NotApplicable`].
pub fn solve_two_index(
    instance: &Instance,
    time_limit: Duration,
) -> Result<ExactOutcome, MipError> {
    let deadline = Instant::now() + time_limit;
    let fleet = Fleet::of(instance);
    if fleet.types.len() != 1 {
        return Err(MipError::NotApplicable("more than one vehicle type"));
    }
    let v = &instance.vehicles()[0];
    let k_max = instance.vehicles().len();
    if instance.dims() != 1 {
        return Err(MipError::NotApplicable("more than one capacity dimension"));
    }
    if v.start_depot != v.end_depot {
        return Err(MipError::NotApplicable("open routes"));
    }
    if v.starts_loaded() {
        return Err(MipError::NotApplicable("vehicle starts with a load"));
    }
    if v.final_disposal_required
        || v.break_.is_some()
        || v.max_duration.is_some()
        || v.max_distance.is_some()
        || v.max_stops.is_some()
        || v.route_capacity.is_some()
        || v.cost_per_time != 0
        || v.shift.late < FAR
    {
        return Err(MipError::NotApplicable(
            "vehicle has time, duration, break or disposal limits",
        ));
    }
    let stops = instance.stops();
    if stops.iter().any(|s| {
        s.prize.is_some()
            || !s.windows.is_empty()
            || s.release > v.shift.early
            || v.skills & s.skills != s.skills
            || v.streams & s.stream != s.stream
    }) {
        return Err(MipError::NotApplicable(
            "stops have prizes, windows, releases or skills",
        ));
    }
    let n = stops.len();
    let prof = &instance.profiles()[v.profile];
    let depot = instance.depots()[v.start_depot].location;
    // Node 0 is the depot, node i+1 is stop i.
    let loc = |a: usize| if a == 0 { depot } else { stops[a - 1].location };
    for a in 0..=n {
        for b in 0..=n {
            if prof.distance.get(loc(a), loc(b)) != prof.distance.get(loc(b), loc(a)) {
                return Err(MipError::NotApplicable("asymmetric distances"));
            }
        }
    }
    let q: Vec<Units> = stops.iter().map(|s| s.demand[0]).collect();
    let cap = v.capacity[0];
    let (_, vw) = instance.objective().weights();
    let per_vehicle = v.fixed_cost + vw;
    if matches!(instance.objective(), Objective::Lexicographic) && n > 0 {
        // Fewest vehicles first: solve for K = bin-packing-free lower bound
        // upward, taking the first K that is feasible (cost is then minimal
        // among plans with that many vehicles).
        let lb = q.iter().sum::<Units>().div_euclid(cap.max(1))
            + Units::from(q.iter().sum::<Units>() % cap.max(1) != 0);
        for k in (lb.max(1) as usize)..=k_max {
            match two_index(instance, &q, cap, k..=k, 0, deadline)? {
                Some(out) => return Ok(out),
                None => continue,
            }
        }
        return Err(MipError::Solver("no feasible vehicle count".into()));
    }
    match two_index(instance, &q, cap, 1..=k_max, per_vehicle, deadline)? {
        Some(out) => Ok(out),
        None => Err(MipError::Solver("infeasible".into())),
    }
}

/// One two-index model with the number of routes in `k`; `Ok(None)` when
/// infeasible.
fn two_index(
    instance: &Instance,
    q: &[Units],
    cap: Units,
    k: std::ops::RangeInclusive<usize>,
    per_vehicle: Units,
    deadline: Instant,
) -> Result<Option<ExactOutcome>, MipError> {
    let n = q.len();
    let v = &instance.vehicles()[0];
    let prof = &instance.profiles()[v.profile];
    let depot = instance.depots()[v.start_depot].location;
    let loc = |a: usize| {
        if a == 0 {
            depot
        } else {
            instance.stops()[a - 1].location
        }
    };
    let mut cuts: Vec<Vec<usize>> = Vec::new(); // stop sets S (nodes 1..=n)
    let mut proven = true;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(MipError::Solver("time limit in cut loop".into()));
        }
        let mut vars = ProblemVariables::new();
        // Edges (a, b), a < b; depot edges may be used twice (one-stop route).
        let mut edges: Vec<(usize, usize, Variable)> = Vec::new();
        for a in 0..=n {
            for b in (a + 1)..=n {
                let ub = if a == 0 { 2.0 } else { 1.0 };
                edges.push((a, b, vars.add(variable().integer().min(0.0).max(ub))));
            }
        }
        let kv = vars.add(
            variable()
                .integer()
                .min(*k.start() as f64)
                .max(*k.end() as f64),
        );
        let obj: Expression = edges
            .iter()
            .map(|&(a, b, x)| {
                prof.distance.get(loc(a), loc(b)) as f64 * v.cost_per_distance as f64 * x
            })
            .sum::<Expression>()
            + per_vehicle as f64 * kv;
        let mut model = vars
            .minimise(obj)
            .using(highs)
            .set_option("output_flag", false)
            .set_option("mip_rel_gap", 0.0)
            .set_option("mip_abs_gap", 0.5)
            .set_time_limit(left.as_secs_f64().max(0.01));
        for node in 0..=n {
            let deg: Expression = edges
                .iter()
                .filter(|e| e.0 == node || e.1 == node)
                .map(|e| e.2)
                .sum();
            if node == 0 {
                model.add_constraint(deg.eq(2.0 * kv));
            } else {
                model.add_constraint(deg.eq(2.0));
            }
        }
        for s in &cuts {
            let inside = |a: usize| s.contains(&a);
            let cut: Expression = edges
                .iter()
                .filter(|e| inside(e.0) != inside(e.1))
                .map(|e| e.2)
                .sum();
            let need: Units = s.iter().map(|&a| q[a - 1]).sum();
            let rhs = 2 * ((need + cap - 1) / cap).max(1);
            model.add_constraint(cut.geq(rhs as f64));
        }
        let sol = match model.solve() {
            Ok(s) => s,
            Err(good_lp::ResolutionError::Infeasible) => return Ok(None),
            Err(e) => return Err(MipError::Solver(e.to_string())),
        };
        proven &= matches!(sol.status(), SolutionStatus::Optimal);
        let val = |x: Variable| sol.value(x).round() as usize;
        // Components among stops over used stop-stop edges.
        let mut comp: Vec<usize> = (0..=n).collect();
        fn find(c: &mut [usize], a: usize) -> usize {
            let mut r = a;
            while c[r] != r {
                r = c[r];
            }
            c[a] = r;
            r
        }
        for &(a, b, x) in &edges {
            if a > 0 && val(x) > 0 {
                let (ra, rb) = (find(&mut comp, a), find(&mut comp, b));
                comp[ra] = rb;
            }
        }
        let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
        for a in 1..=n {
            let r = find(&mut comp, a);
            groups.entry(r).or_default().push(a);
        }
        let mut violated = false;
        let mut sets: Vec<Vec<usize>> = groups.into_values().collect();
        sets.sort();
        for s in &sets {
            let crossing: usize = edges
                .iter()
                .filter(|e| s.contains(&e.0) != s.contains(&e.1))
                .map(|e| val(e.2))
                .sum();
            let need: Units = s.iter().map(|&a| q[a - 1]).sum();
            let rhs = 2 * ((need + cap - 1) / cap).max(1) as usize;
            if crossing < rhs {
                cuts.push(s.clone());
                violated = true;
            }
        }
        if violated {
            continue;
        }
        // Each component is one route: walk it from the depot.
        let mut routes = Vec::new();
        let adj = |a: usize| -> Vec<usize> {
            let mut r = Vec::new();
            for &(x, y, var) in &edges {
                let m = val(var);
                if x == a {
                    r.extend(std::iter::repeat_n(y, m));
                } else if y == a {
                    r.extend(std::iter::repeat_n(x, m));
                }
            }
            r
        };
        for (vehicle, s) in sets.iter().enumerate() {
            let first = *s
                .iter()
                .find(|&&a| adj(a).contains(&0))
                .ok_or_else(|| MipError::Solver("component not attached to depot".into()))?;
            let mut visits = vec![Visit::Stop(first - 1)];
            let (mut prev, mut cur) = (0usize, first);
            loop {
                let nb = adj(cur);
                // Step to the neighbour that is not where we came from.
                let mut next = None;
                let mut skipped = false;
                for &b in &nb {
                    if b == prev && !skipped {
                        skipped = true;
                        continue;
                    }
                    next = Some(b);
                }
                match next {
                    Some(0) | None => break,
                    Some(b) => {
                        visits.push(Visit::Stop(b - 1));
                        prev = cur;
                        cur = b;
                    }
                }
            }
            routes.push(Route { vehicle, visits });
        }
        let solution = Solution {
            routes,
            unserved: Vec::new(),
        };
        return finish(instance, solution, proven, cuts.len()).map(Some);
    }
}

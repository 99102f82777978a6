//! The search: construction by regret-free greedy insertion, then an
//! iterated ruin-and-recreate loop (SISR string removal, random and worst
//! removal, greedy insertion with blinks) under simulated annealing, with a
//! fleet-minimisation phase when vehicles come first in the objective (its
//! acceptance also rules while a required stop is left out) and a granular
//! local search (see `ls.rs`) on new best solutions.

mod ls;
mod ops;
mod pool;
pub(crate) mod segment;
mod state;
mod swap_star;

use std::time::{Duration, Instant};

pub use pool::RoutePool;

use crate::model::{FAR, Instance, Units};
use crate::solution::{Solution, UnservedReason};
use ops::Rng;
use state::{Data, State};

/// When to stop and how to randomise.
#[derive(Clone, Debug)]
pub struct SolveParams {
    /// Wall-clock budget.
    pub time_limit: Option<Duration>,
    /// Ruin-and-recreate iterations (per thread).
    pub max_iterations: Option<u64>,
    /// Stop after this many iterations without a new best.
    pub max_no_improvement: Option<u64>,
    /// Seed; thread `t` uses `seed + t`.
    pub seed: u64,
    /// Independent searches run in parallel; the best result wins.
    pub threads: usize,
    /// Warm start (e.g. from a previous plan or a MIP).
    pub initial: Option<Solution>,
    /// Interleave set partitioning over the route pool (HiGHS, about 5 % of
    /// the budget) with the search, feeding improvements back. Off by
    /// default until it has been benchmarked.
    pub set_partitioning: bool,
}

impl Default for SolveParams {
    fn default() -> Self {
        SolveParams {
            time_limit: Some(Duration::from_secs(5)),
            max_iterations: None,
            max_no_improvement: None,
            seed: 0,
            threads: 1,
            initial: None,
            set_partitioning: false,
        }
    }
}

/// What [`solve`] returns.
#[derive(Clone, Debug)]
pub struct SolveOutcome {
    /// Best solution, with a reason for each unserved stop.
    pub solution: Solution,
    /// Its objective under the instance's objective (search arithmetic).
    pub objective: Units,
    /// Iterations run (summed over threads).
    pub iterations: u64,
    /// Distinct good routes seen, for set partitioning.
    pub pool: RoutePool,
}

/// Solves `instance`: the usual entry point.
pub fn solve(instance: &Instance, params: &SolveParams) -> SolveOutcome {
    let threads = params.threads.max(1);
    let run = |t: usize| {
        let mut s = Search::new(instance, params.seed.wrapping_add(t as u64));
        if let Some(init) = &params.initial {
            s.inject(init);
        }
        if params.set_partitioning && instance.stops().len() >= 10 {
            // Slices of search, each followed by set partitioning over the
            // pool (see mip/INTEGRATION.md); the MIP gets ~5 % of the time.
            let slices: u32 = 4;
            for _ in 0..slices {
                s.run(
                    params.time_limit.map(|d| d * 19 / 20 / slices),
                    params.max_iterations.map(|m| m / u64::from(slices)),
                    params.max_no_improvement,
                );
                let budget = params
                    .time_limit
                    .map_or(Duration::from_millis(500), |d| d / 20 / slices);
                if let Some(sp) =
                    crate::mip::set_partition::solve(s.pool(), instance, &s.best_solution(), budget)
                    && crate::check(instance, &sp).objective < s.best_objective()
                {
                    s.inject(&sp);
                }
            }
        } else {
            s.run(
                params.time_limit,
                params.max_iterations,
                params.max_no_improvement,
            );
        }
        (
            s.best_objective(),
            s.iterations,
            s.best_solution(),
            s.pool.clone(),
        )
    };
    let mut results: Vec<_> = if threads == 1 {
        vec![run(0)]
    } else {
        std::thread::scope(|sc| {
            let hs: Vec<_> = (0..threads).map(|t| sc.spawn(move || run(t))).collect();
            hs.into_iter()
                .map(|h| h.join().expect("search thread panicked"))
                .collect()
        })
    };
    let iterations = results.iter().map(|r| r.1).sum();
    // Ties go to the lowest thread index: deterministic.
    let best = (0..results.len())
        .min_by_key(|&i| results[i].0)
        .unwrap_or(0);
    let mut pool = RoutePool::default();
    for r in &results {
        pool.merge(&r.3);
    }
    let (objective, _, solution, _) = results.swap_remove(best);
    SolveOutcome {
        solution,
        objective,
        iterations,
        pool,
    }
}

/// A resumable search. The MIP hook: run it in slices with [`Search::run`],
/// read [`Search::pool`], solve a set-partitioning model over the pool, and
/// hand the result back with [`Search::inject`].
pub struct Search<'a> {
    data: Data<'a>,
    cur: State,
    best: State,
    best_obj: Units,
    rng: Rng,
    /// Iterations done so far.
    pub iterations: u64,
    pool: RoutePool,
    weights: [f64; 3],
}

impl<'a> Search<'a> {
    /// Builds the initial solution by greedy insertion.
    pub fn new(instance: &'a Instance, seed: u64) -> Self {
        let data = Data::new(instance);
        let mut rng = Rng::new(seed);
        let mut cur = State::empty(&data);
        let cap = data.veh.len();
        let touched = ops::recreate(&data, &mut cur, &mut rng, 0.0, cap);
        for r in touched {
            ops::polish(&data, &mut cur.routes[r]);
        }
        let best = cur.clone();
        let best_obj = best.objective(&data);
        let mut s = Search {
            data,
            cur,
            best,
            best_obj,
            rng,
            iterations: 0,
            pool: RoutePool::default(),
            weights: [8.0, 1.0, 1.0],
        };
        s.pool.add_state(&s.data, &s.best);
        s
    }

    /// Objective of the best solution (search arithmetic, same as the checker's).
    pub fn best_objective(&self) -> Units {
        self.best_obj
    }

    /// The best solution found, with reasons for unserved stops.
    pub fn best_solution(&self) -> Solution {
        let mut sol = self.best.to_solution(&self.data);
        sol.unserved = self
            .best
            .unassigned
            .iter()
            .map(|&u| (u as usize, self.reason(u)))
            .collect();
        sol.unserved.sort_unstable();
        sol
    }

    /// The pool of distinct good routes seen so far.
    pub fn pool(&self) -> &RoutePool {
        &self.pool
    }

    /// Adopts `sol` as current (and best, when better). Unknown or infeasible
    /// routes are dropped and their stops reinserted.
    pub fn inject(&mut self, sol: &Solution) {
        let mut st = State::from_solution(&self.data, sol);
        let bad: Vec<usize> = (0..st.routes.len())
            .filter(|&r| !st.routes[r].feasible)
            .collect();
        for r in bad {
            let stops: Vec<u32> = st.routes[r]
                .nodes
                .iter()
                .copied()
                .filter(|&x| ops::is_stop(&self.data, x))
                .collect();
            ops::remove_stops(&self.data, &mut st, &stops);
        }
        let cap = self.data.veh.len();
        ops::recreate(&self.data, &mut st, &mut self.rng, 0.0, cap);
        let obj = st.objective(&self.data);
        if obj < self.best_obj {
            self.best = st.clone();
            self.best_obj = obj;
            self.pool.add_state(&self.data, &self.best);
        }
        self.cur = st;
    }

    fn reason(&self, u: u32) -> UnservedReason {
        let data = &self.data;
        let stop = &data.inst.stops()[u as usize];
        let compat: Vec<usize> = (0..data.veh.len())
            .filter(|&v| data.veh[v].allowed[u as usize])
            .collect();
        if compat.is_empty() {
            return UnservedReason::Skill;
        }
        let useg = data.segs[u as usize];
        let mut open = useg;
        open.h.early = -FAR;
        open.h.late = FAR;
        let mut reason = UnservedReason::ShiftOrDuration;
        for &v in &compat {
            let solo = |w: &segment::Seg| ops::solo_route(data, v, u, *w);
            let s = solo(&useg);
            if data
                .wins(u)
                .iter()
                .any(|w| data.route_cost(v, &solo(w)).is_some())
            {
                return if stop.prize.is_some() {
                    UnservedReason::NotWorthDetour
                } else {
                    UnservedReason::FleetExhausted
                };
            }
            if s.excess > 0 || (0..segment::MAXD).any(|d| s.total[d] > data.veh[v].route_cap[d]) {
                reason = UnservedReason::Capacity;
            } else if data
                .route_cost(v, &ops::solo_route(data, v, u, open))
                .is_some()
            {
                reason = UnservedReason::TimeWindow;
            }
        }
        reason
    }

    /// Runs until one limit is hit. Each call restarts the cooling schedule.
    pub fn run(
        &mut self,
        time_limit: Option<Duration>,
        max_iter: Option<u64>,
        max_no_improve: Option<u64>,
    ) {
        let t0 = Instant::now();
        let limit = time_limit.map(|d| d.as_secs_f64());
        if limit.is_none() && max_iter.is_none() && max_no_improve.is_none() {
            return;
        }
        let n = self.data.n.max(1);
        let mut fleet_cap = self.data.veh.len();
        // Fleet minimisation while vehicles dominate the objective.
        let fleet_phase_end = if self.data.vehicle_weight > 0 && self.data.veh.len() > 1 {
            0.5
        } else {
            0.0
        };
        let mut in_fleet_phase = fleet_phase_end > 0.0;
        let mut absences = vec![0u64; n];
        if in_fleet_phase {
            fleet_cap = self.remove_smallest_route();
        }
        let data = &self.data;
        let edges = (self
            .best
            .routes
            .iter()
            .map(|r| r.nodes.len() + 1)
            .sum::<usize>())
        .max(1) as f64;
        let route_costs: Units = self
            .best
            .routes
            .iter()
            .map(|r| {
                r.cost
                    - if r.nstops() > 0 {
                        data.veh[r.veh].fixed
                    } else {
                        0
                    }
            })
            .sum();
        let avg_edge = (route_costs as f64 / edges).max(1.0);
        // Tuning overrides for experiments (FR_T0, FR_TF, FR_CBAR, FR_WR,
        // FR_SOFT, FR_PENK); the defaults are the measured settings.
        let envf = |k: &str, d: f64| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
        };
        // Annealing from 5 to 0.1 average edges: the cooler 0.5 -> 0.005
        // left Solomon's long-route classes (C2, R2, RC2) stuck on a wrong
        // route count (BENCHMARKS-planner.md, 2026-12-02).
        let t_start = envf("FR_T0", 5.0) * avg_edge;
        let t_end = envf("FR_TF", 0.1) * avg_edge;
        let soft_cap = !self.data.has_reloads && envf("FR_SOFT", 0.0) > 0.0;
        let max_dem = self.data.demand0.iter().copied().max().unwrap_or(1).max(1);
        if soft_cap {
            let maxd = self.data.depot_dist.iter().copied().max().unwrap_or(1);
            self.data
                .cap_pen
                .set((envf("FR_PENK", 4.0) as Units * maxd / max_dem).max(1));
            self.cur.refresh(&self.data);
        }
        let mut feas_count = 0u32;
        let pen_floor = (self.data.cap_pen.get() / 4).max(1);
        let mut since_best = 0u64;
        let mut cur_cost = self.cur.cost(&self.data);
        let mut it_local = 0u64;
        let cbar = envf("FR_CBAR", 10.0).min(n as f64 * 0.4).max(1.0);
        let wr = envf("FR_WR", 0.5);
        self.weights = [8.0, wr, wr];
        loop {
            let frac = match (limit, max_iter) {
                (Some(l), _) => t0.elapsed().as_secs_f64() / l,
                (None, Some(m)) => it_local as f64 / m as f64,
                _ => (since_best as f64 / max_no_improve.unwrap_or(1) as f64).min(0.99),
            };
            if frac >= 1.0
                || max_iter.is_some_and(|m| it_local >= m)
                || max_no_improve.is_some_and(|m| since_best >= m)
            {
                break;
            }
            if in_fleet_phase && frac >= fleet_phase_end {
                in_fleet_phase = false;
                self.cur = self.best.clone();
                fleet_cap = self.data.veh.len();
                cur_cost = self.cur.cost(&self.data);
            }
            it_local += 1;
            self.iterations += 1;
            since_best += 1;
            let data = &self.data;
            let saved_unassigned = self.cur.unassigned.clone();
            let saved_route_of = self.cur.route_of.clone();
            self.cur.journal.clear();
            self.cur.journaling = true;
            let cand = &mut self.cur;
            let wsum: f64 = self.weights.iter().sum();
            let pick = self.rng.f64() * wsum;
            let op = if pick < self.weights[0] {
                0
            } else if pick < self.weights[0] + self.weights[1] {
                1
            } else {
                2
            };
            match op {
                0 => ops::ruin_strings(data, cand, &mut self.rng, cbar, 10.0),
                1 => ops::ruin_random(data, cand, &mut self.rng, (2.0 * cbar) as usize),
                _ => ops::ruin_worst(data, cand, &mut self.rng, (2.0 * cbar) as usize),
            }
            let touched = ops::recreate(data, cand, &mut self.rng, 0.01, fleet_cap);
            if data.has_reloads || data.veh.iter().any(|v| v.brk.is_some()) {
                for r in touched {
                    cand.touch(r);
                    ops::polish(data, &mut cand.routes[r]);
                }
            }
            cand.journaling = false;
            let cand_cost = cand.cost(data);
            if soft_cap {
                feas_count += u32::from(cand.excess() == 0);
                if it_local.is_multiple_of(100) {
                    // Aim at ~30% capacity-feasible candidates (as HGS does).
                    let p = data.cap_pen.get();
                    let np = if feas_count < 30 {
                        (p as f64 * 1.3).ceil() as Units
                    } else {
                        ((p as f64 * 0.9) as Units).max(pen_floor)
                    };
                    feas_count = 0;
                    if np != p {
                        data.cap_pen.set(np);
                        self.cur.refresh(&self.data);
                        for (_, r) in self.cur.journal.iter_mut() {
                            r.refresh(&self.data);
                        }
                        // Re-price the state the candidate is compared with.
                        let st = &self.cur;
                        cur_cost = (0..st.routes.len())
                            .map(|i| {
                                st.journal
                                    .iter()
                                    .find(|(j, _)| *j == i)
                                    .map(|(_, r)| r.cost)
                                    .unwrap_or(st.routes[i].cost)
                            })
                            .sum::<Units>()
                            + saved_unassigned
                                .iter()
                                .map(|&u| self.data.penalty[u as usize])
                                .sum::<Units>();
                    }
                }
            }
            let data = &self.data;
            let cand = &mut self.cur;
            let cand_cost = if soft_cap { cand.cost(data) } else { cand_cost };
            let mut score = 0.0;
            // Packing mode (fleet minimisation, or required stops left out
            // on a tight fleet): accept what leaves fewer stops out, or
            // stops that were left out less often, before any annealing.
            let packing = in_fleet_phase
                || saved_unassigned
                    .iter()
                    .any(|&u| data.inst.stops()[u as usize].prize.is_none());
            let accepted = if packing {
                let ca = cand.unassigned.len();
                let cu = saved_unassigned.len();
                let sa: u64 = cand.unassigned.iter().map(|&u| absences[u as usize]).sum();
                let su: u64 = saved_unassigned.iter().map(|&u| absences[u as usize]).sum();
                ca < cu || sa < su || (ca == cu && cand_cost < cur_cost)
            } else {
                let temp = t_start * (t_end / t_start).powf(frac.clamp(0.0, 1.0));
                let threshold = cur_cost as f64 - temp * self.rng.f64().max(1e-300).ln();
                (cand_cost as f64) < threshold
            };
            if accepted {
                score = if cand_cost < cur_cost { 2.0 } else { 0.5 };
                cur_cost = cand_cost;
            } else {
                for (i, r) in self.cur.journal.drain(..) {
                    self.cur.routes[i] = r;
                }
                self.cur.unassigned = saved_unassigned;
                self.cur.route_of = saved_route_of;
            }
            if packing {
                for &u in &self.cur.unassigned {
                    absences[u as usize] += 1;
                }
            }
            if in_fleet_phase {
                if self.cur.unassigned.is_empty() {
                    self.consider_best();
                    since_best = 0;
                    fleet_cap = self.remove_smallest_route();
                    cur_cost = self.cur.cost(&self.data);
                }
            } else if accepted
                && (cur_cost < self.best_obj || self.cur.objective(&self.data) < self.best_obj)
            {
                ls::improve(&self.data, &mut self.cur, fleet_cap);
                cur_cost = self.cur.cost(&self.data);
                if self.consider_best() {
                    since_best = 0;
                    score = 4.0;
                }
            }
            if wr > 0.0 {
                self.weights[op] = 0.99 * self.weights[op] + 0.01 * (1.0 + 4.0 * score);
            }
        }
        if in_fleet_phase {
            self.cur = self.best.clone();
        }
        if soft_cap {
            self.data.cap_pen.set(0);
            self.cur.refresh(&self.data);
            self.best.refresh(&self.data);
        }
    }

    fn consider_best(&mut self) -> bool {
        if self.cur.excess() != 0 {
            return false;
        }
        let obj = self.cur.objective(&self.data);
        if obj < self.best_obj {
            self.best = self.cur.clone();
            self.best_obj = obj;
            self.pool.add_state(&self.data, &self.best);
            true
        } else {
            false
        }
    }

    /// Empties the route with the fewest stops; returns the new fleet cap.
    fn remove_smallest_route(&mut self) -> usize {
        let used = self.cur.used();
        if used <= 1 {
            return used.max(1);
        }
        let r = (0..self.cur.routes.len())
            .filter(|&r| self.cur.routes[r].nstops() > 0)
            .min_by_key(|&r| self.cur.routes[r].nstops())
            .unwrap_or(0);
        let stops: Vec<u32> = self.cur.routes[r]
            .nodes
            .iter()
            .copied()
            .filter(|&x| ops::is_stop(&self.data, x))
            .collect();
        ops::remove_stops(&self.data, &mut self.cur, &stops);
        used - 1
    }
}

//! The search: construction by regret-free greedy insertion, then an
//! iterated ruin-and-recreate loop (SISR string removal, random and worst
//! removal, greedy insertion with blinks) under simulated annealing, with a
//! fleet-minimisation phase when vehicles come first in the objective (its
//! acceptance also rules while a required stop is left out) and a granular
//! local search (see `ls.rs`) on new best solutions. Large capacity-only
//! instances (over 200 stops, no windows, breaks or disposal trips) are
//! searched the localized way instead (after FILO): each stop is inserted
//! only into routes holding one of its 20 nearest stops, every candidate
//! gets a local search of the routes the step changed, and the annealing
//! is colder.
//!
//! The parts are kept apart so that each can change alone: stopping and
//! acceptance criteria are values (`criteria.rs`), penalties are set by a
//! manager outside the search data (`penalty.rs`), and local-search
//! operators are objects that price a move before applying it and keep
//! statistics (`operator.rs`, `ls.rs`, `swap_star.rs`). The search does not
//! know the MIP: [`crate::solver`] runs both.

mod criteria;
mod ls;
mod operator;
mod ops;
mod penalty;
mod pool;
pub(crate) mod segment;
mod state;
mod swap_star;

use std::time::{Duration, Instant};

pub use criteria::Stopping;
pub use operator::OperatorStats;
pub use pool::RoutePool;

use crate::model::{FAR, Instance, Units};
use crate::solution::{Solution, UnservedReason};
use criteria::{Annealing, Packing};
use ls::LocalSearch;
use ops::Rng;
use penalty::PenaltyManager;
use state::{Data, State};

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
    ls: LocalSearch,
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
            ls: LocalSearch::new(),
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

    /// How often each local-search operator was tried and kept, by name.
    pub fn operator_stats(&self) -> Vec<(&'static str, OperatorStats)> {
        self.ls.stats()
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
        self.ls.forget();
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

    /// Runs until one limit is hit (see [`Search::run_until`]).
    pub fn run(
        &mut self,
        time_limit: Option<Duration>,
        max_iter: Option<u64>,
        max_no_improve: Option<u64>,
    ) {
        self.run_until(&Stopping {
            time_limit,
            max_iterations: max_iter,
            max_no_improvement: max_no_improve,
        });
    }

    /// Runs until `stop` says so. Each call restarts the cooling schedule.
    pub fn run_until(&mut self, stop: &Stopping) {
        let t0 = Instant::now();
        if stop.is_unbounded() {
            return;
        }
        // The local search can take seconds on a poor plan of 1,000 stops:
        // it stops at the time limit too.
        let deadline = stop.time_limit.map(|l| t0 + l);
        self.ls.forget();
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
        // The localized search anneals local optima, whose costs differ
        // less: 0.1 -> 0.005 (X screening, BENCHMARKS-planner.md).
        let (t_start, t_end) = if self.data.ls_every {
            (0.1, 0.005)
        } else {
            (5.0, 0.1)
        };
        let annealing = Annealing {
            start: envf("FR_T0", t_start) * avg_edge,
            end: envf("FR_TF", t_end) * avg_edge,
        };
        let soft_cap = !self.data.has_reloads && envf("FR_SOFT", 0.0) > 0.0;
        let max_dem = self.data.demand0.iter().copied().max().unwrap_or(1).max(1);
        let mut penalties = PenaltyManager::off();
        if soft_cap {
            let maxd = self.data.depot_dist.iter().copied().max().unwrap_or(1);
            penalties =
                PenaltyManager::new((envf("FR_PENK", 4.0) as Units * maxd / max_dem).max(1));
            self.data.cap_pen = penalties.capacity();
            self.cur.refresh(&self.data);
        }
        let mut since_best = 0u64;
        let mut cur_cost = self.cur.cost(&self.data);
        let mut it_local = 0u64;
        let cbar = envf("FR_CBAR", 10.0).min(n as f64 * 0.4).max(1.0);
        let wr = envf("FR_WR", 0.5);
        self.weights = [8.0, wr, wr];
        loop {
            let elapsed = t0.elapsed().as_secs_f64();
            let frac = stop.progress(elapsed, it_local, since_best);
            if stop.done(frac, elapsed, it_local, since_best) {
                break;
            }
            if in_fleet_phase && frac >= fleet_phase_end {
                in_fleet_phase = false;
                self.cur = self.best.clone();
                self.ls.forget();
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
            if data.ls_every && !in_fleet_phase {
                // Localized local search on every candidate (FILO's idea):
                // only pairs of stops near the changed routes are tried.
                for &(r, _) in &self.cur.journal {
                    self.ls.changed(r);
                }
                self.ls.improve(&self.data, &mut self.cur, deadline);
            }
            let data = &self.data;
            let cand = &mut self.cur;
            cand.journaling = false;
            let cand_cost = cand.cost(data);
            if soft_cap && let Some(np) = penalties.register(cand.excess() == 0) {
                self.data.cap_pen = np;
                self.cur.refresh(&self.data);
                self.ls.forget();
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
                Packing.accepts(
                    (cand.unassigned.as_slice(), cand_cost),
                    (saved_unassigned.as_slice(), cur_cost),
                    &absences,
                )
            } else {
                annealing.accepts(cand_cost, cur_cost, frac, &mut self.rng)
            };
            if accepted {
                for &(r, _) in &self.cur.journal {
                    self.ls.changed(r);
                }
                score = if cand_cost < cur_cost { 2.0 } else { 0.5 };
                cur_cost = cand_cost;
            } else {
                for (i, r) in self.cur.journal.drain(..) {
                    self.cur.routes[i] = r;
                    self.ls.changed(i);
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
                self.ls.improve(&self.data, &mut self.cur, deadline);
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
            self.data.cap_pen = 0;
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

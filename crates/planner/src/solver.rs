//! The solver layer: one entry point, [`solve`], above the heuristic search
//! ([`crate::search`]) and the set-partitioning MIP ([`crate::mip`]).
//!
//! The search knows nothing of the MIP and the MIP knows the search only
//! through its [`RoutePool`](crate::RoutePool); this layer runs threads,
//! interleaves the two when asked, and picks the best result, so neither
//! lower layer imports the other's driver.

use std::time::{Duration, Instant};

use crate::model::{Instance, Units};
use crate::search::{OperatorStats, RoutePool, Search, Stopping};
use crate::solution::Solution;

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

impl SolveParams {
    /// The stopping criterion these limits make.
    pub fn stopping(&self) -> Stopping {
        Stopping {
            time_limit: self.time_limit,
            max_iterations: self.max_iterations,
            max_no_improvement: self.max_no_improvement,
        }
    }
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
    /// Local-search operators by name: tried and kept (summed over threads).
    pub operator_stats: Vec<(&'static str, OperatorStats)>,
}

/// Solves `instance`: the usual entry point.
pub fn solve(instance: &Instance, params: &SolveParams) -> SolveOutcome {
    let started = Instant::now();
    let threads = params.threads.max(1);
    let run = |t: usize| {
        let mut s = Search::new(instance, params.seed.wrapping_add(t as u64));
        if let Some(init) = &params.initial {
            s.inject(init);
        }
        // Construction counts against the time limit: the search gets
        // what is left of it.
        let time_limit = params
            .time_limit
            .map(|l| l.saturating_sub(started.elapsed()));
        if params.set_partitioning && instance.stops().len() >= 10 {
            // Slices of search, each followed by set partitioning over the
            // pool (see mip/INTEGRATION.md); the MIP gets ~5 % of the time.
            let slices: u32 = 4;
            for _ in 0..slices {
                s.run_until(&Stopping {
                    time_limit: time_limit.map(|d| d * 19 / 20 / slices),
                    max_iterations: params.max_iterations.map(|m| m / u64::from(slices)),
                    max_no_improvement: params.max_no_improvement,
                });
                let budget = time_limit.map_or(Duration::from_millis(500), |d| d / 20 / slices);
                if let Some(sp) =
                    crate::mip::set_partition::solve(s.pool(), instance, &s.best_solution(), budget)
                    && crate::check(instance, &sp).objective < s.best_objective()
                {
                    s.inject(&sp);
                }
            }
        } else {
            s.run_until(&Stopping {
                time_limit,
                ..params.stopping()
            });
        }
        (
            s.best_objective(),
            s.iterations,
            s.best_solution(),
            s.pool().clone(),
            s.operator_stats(),
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
    let mut operator_stats = results[0].4.clone();
    for r in &results {
        pool.merge(&r.3);
    }
    for r in &results[1..] {
        for (total, (_, s)) in operator_stats.iter_mut().zip(&r.4) {
            total.1.add(s);
        }
    }
    let (objective, _, solution, _, _) = results.swap_remove(best);
    SolveOutcome {
        solution,
        objective,
        iterations,
        pool,
        operator_stats,
    }
}

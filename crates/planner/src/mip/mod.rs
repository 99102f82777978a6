//! MIP with HiGHS (through `good_lp`) where MIP pays.
//!
//! The metaheuristic finds good routes fast but cannot prove anything; a MIP
//! over routes can recombine them optimally and, on tiny instances, prove
//! the heuristic optimal. Both methods here share one set-partitioning core
//! ([`solve_partition`]): one binary per column (a vehicle *type* plus a
//! visit sequence), each required stop covered exactly once, each optional
//! stop at most once, and at most as many columns per type as the fleet has
//! vehicles of that type.
//!
//! - [`set_partition::solve`]: recombines the search's [`crate::RoutePool`],
//!   warm-started with the incumbent, under a time budget.
//! - [`exact::solve`]: enumerates *every* elementary feasible route of a
//!   small instance and solves the same model to optimality, which is exact
//!   for every model feature the checker knows (capacity, windows, reloads,
//!   releases, breaks, prizes, shifts, caps).
//! - [`exact::solve_two_index`]: a classic two-index CVRP formulation with
//!   rounded-capacity cuts added lazily; an independent cross-check of the
//!   enumeration on pure CVRP.
//!
//! Column costs come from the independent [`crate::check`] on a one-route
//! plan, never from search arithmetic, so a column's price is the objective's
//! own price. Objectives are integers; HiGHS runs with zero relative gap and
//! an absolute gap below one unit, so "optimal" means exactly optimal. The
//! lexicographic objective is solved level by level (unserved, vehicles,
//! cost) instead of with its huge weights, which floats cannot hold exactly.

pub mod exact;
pub mod set_partition;

use std::collections::HashMap;
use std::time::Instant;

use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution as _, SolutionStatus, SolverModel,
    Variable, highs, variable,
};
use thiserror::Error;

use crate::checker::check;
use crate::model::{Instance, Objective, Units};
use crate::solution::{Route, Solution, UnservedReason, Visit};

/// Why a MIP method gave no answer.
#[derive(Debug, Error, PartialEq)]
pub enum MipError {
    /// The exact methods are for small instances only.
    #[error(
        "instance has {stops} stops but the exact method accepts at most {max}: use the heuristic (`solve`) instead"
    )]
    TooLarge {
        /// Stops in the instance.
        stops: usize,
        /// Limit.
        max: usize,
    },
    /// Route enumeration exceeded its node budget.
    #[error(
        "route enumeration explored more than {limit} partial routes: shrink the instance or raise `ExactLimits::max_nodes`"
    )]
    TooManyRoutes {
        /// The budget that was exceeded.
        limit: u64,
    },
    /// The formulation does not model this instance.
    #[error("the two-index formulation does not apply: {0}; use `exact::solve`")]
    NotApplicable(&'static str),
    /// HiGHS failed or found nothing within the time limit.
    #[error("HiGHS found no solution: {0}")]
    Solver(String),
    /// The assembled plan failed the independent checker (a bug).
    #[error("the checker rejected the MIP plan: {0:?}")]
    Rejected(Vec<String>),
}

/// Vehicles with identical attributes (all but the id) form one type; a
/// route feasible for one is feasible, at the same cost, for all of them.
#[derive(Clone, Debug)]
pub(crate) struct Fleet {
    /// Vehicle indices per type, in instance order.
    pub types: Vec<Vec<usize>>,
    /// Type of each vehicle.
    pub type_of: Vec<usize>,
}

impl Fleet {
    pub fn of(instance: &Instance) -> Self {
        // Comparing the Debug form with the id blanked stays correct when
        // fields are added to `Vehicle`.
        let mut keys: HashMap<String, usize> = HashMap::new();
        let mut types: Vec<Vec<usize>> = Vec::new();
        let mut type_of = Vec::with_capacity(instance.vehicles().len());
        for (k, v) in instance.vehicles().iter().enumerate() {
            let mut anon = v.clone();
            anon.id.clear();
            let t = *keys.entry(format!("{anon:?}")).or_insert_with(|| {
                types.push(Vec::new());
                types.len() - 1
            });
            types[t].push(k);
            type_of.push(t);
        }
        Fleet { types, type_of }
    }
    /// A vehicle standing for type `t`.
    pub fn representative(&self, t: usize) -> usize {
        self.types[t][0]
    }
}

/// One candidate route for the set-partitioning model.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    pub vtype: usize,
    pub visits: Vec<Visit>,
    /// Served stops, sorted.
    pub stops: Vec<usize>,
    /// Route cost minus prizes, as the checker prices it (no vehicle weight).
    pub cost: Units,
}

/// Prices single routes with the independent checker.
pub(crate) struct Pricer<'a> {
    inst: &'a Instance,
    required: Vec<usize>,
    mark: Vec<bool>,
}

impl<'a> Pricer<'a> {
    pub fn new(inst: &'a Instance) -> Self {
        let required = (0..inst.stops().len())
            .filter(|&i| inst.stops()[i].prize.is_none())
            .collect();
        Pricer {
            inst,
            required,
            mark: vec![false; inst.stops().len()],
        }
    }

    /// Cost (route cost minus prizes) of `visits` on `vehicle`, or `None`
    /// when the checker finds any violation.
    pub fn price(&mut self, vehicle: usize, visits: &[Visit]) -> Option<Units> {
        if visits.is_empty() {
            return None;
        }
        for v in visits {
            if let Visit::Stop(i) = *v {
                if i >= self.mark.len() {
                    return None;
                }
                self.mark[i] = true;
            }
        }
        let unserved = self
            .required
            .iter()
            .filter(|&&i| !self.mark[i])
            .map(|&i| (i, UnservedReason::FleetExhausted))
            .collect();
        for v in visits {
            if let Visit::Stop(i) = *v {
                self.mark[i] = false;
            }
        }
        let sol = Solution {
            routes: vec![Route {
                vehicle,
                visits: visits.to_vec(),
            }],
            unserved,
        };
        let rep = check(self.inst, &sol);
        rep.violations
            .is_empty()
            .then_some(rep.route_cost - rep.prizes)
    }
}

/// Sorted stops of a visit sequence.
pub(crate) fn stops_of(visits: &[Visit]) -> Vec<usize> {
    let mut s: Vec<usize> = visits
        .iter()
        .filter_map(|v| match v {
            Visit::Stop(i) => Some(*i),
            _ => None,
        })
        .collect();
    s.sort_unstable();
    s
}

/// Result of [`solve_partition`].
#[derive(Clone, Debug)]
pub(crate) struct Partition {
    /// Chosen column indices.
    pub chosen: Vec<usize>,
    /// Every level was solved to proven optimality.
    pub proven: bool,
}

/// One optimisation level of the objective.
#[derive(Clone, Copy, Debug)]
enum Level {
    Unserved,
    Vehicles,
    Cost,
    Weighted { unserved: f64, vehicle: f64 },
}

/// Solves the set-partitioning model over `columns`, level by level for the
/// lexicographic objective. `start` (column indices) warm-starts HiGHS and
/// must be feasible; `allow_unserved` adds a slack per required stop.
pub(crate) fn solve_partition(
    inst: &Instance,
    fleet: &Fleet,
    columns: &[Column],
    start: Option<Vec<usize>>,
    allow_unserved: bool,
    deadline: Instant,
) -> Result<Partition, MipError> {
    let levels: Vec<Level> = match inst.objective() {
        Objective::Lexicographic => {
            let mut l = Vec::new();
            if allow_unserved {
                l.push(Level::Unserved);
            }
            l.push(Level::Vehicles);
            l.push(Level::Cost);
            l
        }
        Objective::Weighted {
            unserved_weight,
            vehicle_weight,
        } => vec![Level::Weighted {
            unserved: unserved_weight as f64,
            vehicle: vehicle_weight as f64,
        }],
    };
    let mut current = start;
    let mut proven = true;
    // Bounds fixed by earlier levels: (max unserved, max vehicles).
    let mut fix_unserved: Option<usize> = None;
    let mut fix_vehicles: Option<usize> = None;
    for level in levels {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            proven = false;
            break;
        }
        let res = solve_level(
            inst,
            fleet,
            columns,
            current.as_deref(),
            allow_unserved,
            level,
            (fix_unserved, fix_vehicles),
            left.as_secs_f64(),
        );
        match res {
            Ok((chosen, optimal)) => {
                proven &= optimal;
                let unserved = count_unserved(inst, columns, &chosen);
                match level {
                    Level::Unserved => fix_unserved = Some(unserved),
                    Level::Vehicles => fix_vehicles = Some(chosen.len()),
                    _ => {}
                }
                current = Some(chosen);
            }
            Err(e) => {
                if current.is_none() {
                    return Err(e);
                }
                // Keep the last feasible answer; it is just not improved.
                proven = false;
                break;
            }
        }
    }
    match current {
        Some(chosen) => Ok(Partition { chosen, proven }),
        None => Err(MipError::Solver("no level was solved".into())),
    }
}

fn count_unserved(inst: &Instance, columns: &[Column], chosen: &[usize]) -> usize {
    let mut served = vec![false; inst.stops().len()];
    for &c in chosen {
        for &s in &columns[c].stops {
            served[s] = true;
        }
    }
    inst.stops()
        .iter()
        .enumerate()
        .filter(|(i, s)| s.prize.is_none() && !served[*i])
        .count()
}

#[allow(clippy::too_many_arguments)]
fn solve_level(
    inst: &Instance,
    fleet: &Fleet,
    columns: &[Column],
    start: Option<&[usize]>,
    allow_unserved: bool,
    level: Level,
    (fix_unserved, fix_vehicles): (Option<usize>, Option<usize>),
    seconds: f64,
) -> Result<(Vec<usize>, bool), MipError> {
    let n = inst.stops().len();
    let mut in_start = vec![false; columns.len()];
    if let Some(s) = start {
        for &c in s {
            in_start[c] = true;
        }
    }
    let mut start_served = vec![false; n];
    for (c, col) in columns.iter().enumerate() {
        if in_start[c] {
            for &s in &col.stops {
                start_served[s] = true;
            }
        }
    }
    let mut vars = ProblemVariables::new();
    let x: Vec<Variable> = (0..columns.len())
        .map(|c| {
            let def = variable().binary();
            vars.add(if start.is_some() {
                def.initial(if in_start[c] { 1.0 } else { 0.0 })
            } else {
                def
            })
        })
        .collect();
    let u: Vec<Option<Variable>> = (0..n)
        .map(|i| {
            (allow_unserved && inst.stops()[i].prize.is_none()).then(|| {
                let def = variable().binary();
                vars.add(if start.is_some() {
                    def.initial(if start_served[i] { 0.0 } else { 1.0 })
                } else {
                    def
                })
            })
        })
        .collect();
    let sum_u: Expression = u.iter().flatten().copied().sum();
    let sum_x: Expression = x.iter().copied().sum();
    let cost: Expression = columns
        .iter()
        .zip(&x)
        .map(|(c, &v)| c.cost as f64 * v)
        .sum();
    let objective = match level {
        Level::Unserved => sum_u.clone(),
        Level::Vehicles => sum_x.clone(),
        Level::Cost => cost,
        Level::Weighted { unserved, vehicle } => {
            cost + unserved * sum_u.clone() + vehicle * sum_x.clone()
        }
    };
    let mut model = vars
        .minimise(objective)
        .using(highs)
        .set_option("output_flag", false)
        .set_option("mip_rel_gap", 0.0)
        .set_option("mip_abs_gap", 0.5)
        .set_time_limit(seconds.max(0.01));
    // Coverage rows.
    let mut cover: Vec<Expression> = vec![Expression::default(); n];
    for (c, col) in columns.iter().enumerate() {
        for &s in &col.stops {
            cover[s] += x[c];
        }
    }
    for (i, mut row) in cover.into_iter().enumerate() {
        if let Some(ui) = u[i] {
            row += ui;
        }
        if inst.stops()[i].prize.is_none() {
            if u[i].is_none() && !columns.iter().any(|c| c.stops.contains(&i)) {
                return Err(MipError::Solver(format!(
                    "required stop '{}' is in no column",
                    inst.stops()[i].id
                )));
            }
            model.add_constraint(row.eq(1.0));
        } else {
            model.add_constraint(row.leq(1.0));
        }
    }
    // Fleet rows.
    for (t, vs) in fleet.types.iter().enumerate() {
        let row: Expression = columns
            .iter()
            .zip(&x)
            .filter(|(c, _)| c.vtype == t)
            .map(|(_, &v)| v)
            .sum();
        model.add_constraint(row.leq(vs.len() as f64));
    }
    if let Some(k) = fix_unserved {
        model.add_constraint(sum_u.leq(k as f64));
    }
    if let Some(k) = fix_vehicles {
        model.add_constraint(sum_x.leq(k as f64));
    }
    let sol = model.solve().map_err(|e| match e {
        ResolutionError::Infeasible => MipError::Solver("infeasible".into()),
        other => MipError::Solver(other.to_string()),
    })?;
    let optimal = matches!(sol.status(), SolutionStatus::Optimal);
    let chosen = (0..columns.len())
        .filter(|&c| sol.value(x[c]) > 0.5)
        .collect();
    Ok((chosen, optimal))
}

/// Turns chosen columns into a plan: concrete vehicles per type (in index
/// order), routes sorted by vehicle, and a reason for every unserved stop.
pub(crate) fn assemble(
    inst: &Instance,
    fleet: &Fleet,
    columns: &[Column],
    chosen: &[usize],
    reason: impl Fn(usize) -> UnservedReason,
) -> Solution {
    let mut next = vec![0usize; fleet.types.len()];
    let mut served = vec![false; inst.stops().len()];
    let mut routes = Vec::with_capacity(chosen.len());
    for &c in chosen {
        let col = &columns[c];
        let vehicle = fleet.types[col.vtype][next[col.vtype]];
        next[col.vtype] += 1;
        for &s in &col.stops {
            served[s] = true;
        }
        routes.push(Route {
            vehicle,
            visits: col.visits.clone(),
        });
    }
    routes.sort_by_key(|r| r.vehicle);
    let unserved = (0..inst.stops().len())
        .filter(|&i| !served[i])
        .map(|i| (i, reason(i)))
        .collect();
    Solution { routes, unserved }
}

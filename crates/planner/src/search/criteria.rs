//! Stopping and acceptance criteria as values: what ends a run, and which
//! candidate plans the ruin-and-recreate loop keeps.

use std::time::Duration;

use super::ops::Rng;
use crate::model::Units;

/// When a run stops: at the first limit reached. Iteration limits make a
/// run reproducible on any machine; a time limit does not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stopping {
    /// Wall-clock budget.
    pub time_limit: Option<Duration>,
    /// Ruin-and-recreate iterations.
    pub max_iterations: Option<u64>,
    /// Iterations without a new best.
    pub max_no_improvement: Option<u64>,
}

impl Stopping {
    /// No limit is set: a run under it does nothing rather than run forever.
    pub fn is_unbounded(&self) -> bool {
        self.time_limit.is_none()
            && self.max_iterations.is_none()
            && self.max_no_improvement.is_none()
    }

    /// How far the run is, from 0 towards 1: by iterations when there is an
    /// iteration budget (a time limit then only stops the run, so the search
    /// replays exactly while the budget binds), else by time when
    /// time-limited, else by iterations without improvement (below 1).
    /// It drives the cooling schedule and the fleet phase.
    pub(crate) fn progress(&self, elapsed_secs: f64, iterations: u64, since_best: u64) -> f64 {
        match (self.time_limit, self.max_iterations) {
            (Some(l), _) if l.is_zero() => 1.0,
            (_, Some(m)) => iterations as f64 / m as f64,
            (Some(l), None) => elapsed_secs / l.as_secs_f64(),
            _ => (since_best as f64 / self.max_no_improvement.unwrap_or(1) as f64).min(0.99),
        }
    }

    /// Whether the run is over at `progress`, `elapsed_secs` into it.
    pub(crate) fn done(
        &self,
        progress: f64,
        elapsed_secs: f64,
        iterations: u64,
        since_best: u64,
    ) -> bool {
        progress >= 1.0
            || self
                .time_limit
                .is_some_and(|l| elapsed_secs >= l.as_secs_f64())
            || self.max_iterations.is_some_and(|m| iterations >= m)
            || self.max_no_improvement.is_some_and(|m| since_best >= m)
    }
}

/// Simulated annealing on the search cost, cooling geometrically from
/// `start` to `end` (cost units) over the run's progress.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Annealing {
    pub start: f64,
    pub end: f64,
}

impl Annealing {
    fn temperature(&self, progress: f64) -> f64 {
        self.start * (self.end / self.start).powf(progress.clamp(0.0, 1.0))
    }

    /// Accepts `cand` over `cur` with the annealing's random threshold.
    pub fn accepts(&self, cand: Units, cur: Units, progress: f64, rng: &mut Rng) -> bool {
        let threshold = cur as f64 - self.temperature(progress) * rng.f64().max(1e-300).ln();
        (cand as f64) < threshold
    }
}

/// Absence-based acceptance (SISR's fleet minimisation), used while the
/// fleet is being cut or a required stop is out: accept what leaves fewer
/// stops out, or stops that were out less often, before comparing costs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Packing;

impl Packing {
    /// `*_out` are the stops left out; `absences` counts how often each was.
    pub fn accepts(
        &self,
        (cand_out, cand): (&[u32], Units),
        (cur_out, cur): (&[u32], Units),
        absences: &[u64],
    ) -> bool {
        let sum = |out: &[u32]| -> u64 { out.iter().map(|&u| absences[u as usize]).sum() };
        cand_out.len() < cur_out.len()
            || sum(cand_out) < sum(cur_out)
            || (cand_out.len() == cur_out.len() && cand < cur)
    }
}

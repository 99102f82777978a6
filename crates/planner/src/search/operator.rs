//! Local-search operators as objects (PyVRP's `LocalSearchOperator`):
//! [`NodeOperator::evaluate`] prices a move and changes nothing, [`apply`]
//! performs a priced [`Move`], and each operator keeps [`OperatorStats`].

use super::ops::{cleanup, is_stop};
use super::state::{Data, State};
use crate::model::Units;

/// How often an operator was tried and how often its move was kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OperatorStats {
    /// Calls of `evaluate` (one per neighbour pair or route pair tried).
    pub evaluations: u64,
    /// Improving moves applied and kept.
    pub applied: u64,
}

impl OperatorStats {
    /// Adds another's counts (e.g. from another thread).
    pub fn add(&mut self, other: &OperatorStats) {
        self.evaluations += other.evaluations;
        self.applied += other.applied;
    }
}

/// A priced move: new node lists (and final disposal sites) for routes
/// whose costs summed to `base`, `delta` cheaper or dearer.
pub(crate) struct Move {
    pub base: Units,
    pub delta: Units,
    pub changes: Vec<(usize, Vec<u32>, usize)>,
}

/// A move that brings stop `u` next to one of its neighbours `v`.
pub(crate) trait NodeOperator {
    /// Name in statistics.
    fn name(&self) -> &'static str;
    /// Whether it moves inside one route (`u` and `v` share a route) or
    /// between two.
    fn intra(&self) -> bool;
    /// The first improving move for `u` at `(route, position)` next to `v`
    /// at `(route, position)`, or `None`. Changes nothing.
    fn evaluate(
        &self,
        data: &Data,
        st: &State,
        u: u32,
        at_u: (usize, usize),
        at_v: (usize, usize),
    ) -> Option<Move>;
}

fn commit(data: &Data, st: &mut State, r: usize, nodes: Vec<u32>, site: usize) {
    // Inside a ruin-and-recreate step the move can still be undone.
    st.touch(r);
    st.routes[r].nodes = nodes;
    st.routes[r].final_site = site;
    cleanup(data, &mut st.routes[r]);
    st.routes[r].rebuild(data);
    for &x in &st.routes[r].nodes {
        if is_stop(data, x) {
            st.route_of[x as usize] = r;
        }
    }
}

/// Performs `mv`. With several windows per stop a move is evaluated with the
/// other stops' windows fixed, and the rebuild may re-pick them; then, or
/// when `verify` asks for it, the move is undone unless the rebuilt routes
/// are really cheaper. Returns whether the move was kept.
pub(crate) fn apply(data: &Data, st: &mut State, mv: Move, verify: bool) -> bool {
    let Move { base, changes, .. } = mv;
    let verify = verify || data.multi_window;
    let saved: Vec<_> = if verify {
        changes
            .iter()
            .map(|(r, _, _)| st.routes[*r].clone())
            .collect()
    } else {
        Vec::new()
    };
    let routes: Vec<usize> = changes.iter().map(|(r, _, _)| *r).collect();
    for (r, nodes, site) in changes {
        commit(data, st, r, nodes, site);
    }
    if !verify || routes.iter().map(|&r| st.routes[r].cost).sum::<Units>() < base {
        return true;
    }
    for (&r, old) in routes.iter().zip(saved) {
        st.routes[r] = old;
        for &x in &st.routes[r].nodes {
            if is_stop(data, x) {
                st.route_of[x as usize] = r;
            }
        }
    }
    false
}

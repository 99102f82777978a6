//! Pool of distinct good routes, the input of a set-partitioning MIP.

use std::collections::HashMap;

use super::state::{Data, State};
use crate::model::Units;
use crate::solution::{Route, Solution};

/// Distinct feasible routes seen on improving solutions, with their costs.
/// Capped; the cheapest-per-stop routes are kept when it overflows.
#[derive(Clone, Debug, Default)]
pub struct RoutePool {
    routes: HashMap<Route, Units>,
}

const CAP: usize = 20_000;

impl RoutePool {
    /// Routes and their costs (fixed + distance + time, in search units).
    pub fn routes(&self) -> impl Iterator<Item = (&Route, Units)> {
        self.routes.iter().map(|(r, &c)| (r, c))
    }
    /// Number of routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
    pub(crate) fn add_state(&mut self, data: &Data, st: &State) {
        let sol: Solution = st.to_solution(data);
        let costs: Vec<Units> = st
            .routes
            .iter()
            .filter(|r| r.nstops() > 0)
            .map(|r| r.cost)
            .collect();
        for (route, c) in sol.routes.into_iter().zip(costs) {
            self.routes.entry(route).or_insert(c);
        }
        if self.routes.len() > CAP {
            let mut v: Vec<(Route, Units)> = self.routes.drain().collect();
            v.sort_by_key(|(r, c)| c / (r.visits.len().max(1) as Units));
            v.truncate(CAP / 2);
            self.routes = v.into_iter().collect();
        }
    }
    /// Adds all routes of `other`.
    pub fn merge(&mut self, other: &RoutePool) {
        for (r, &c) in &other.routes {
            self.routes.entry(r.clone()).or_insert(c);
        }
    }
}

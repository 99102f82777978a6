//! Solutions as plain data: what the search returns, what the checker reads,
//! and what the `.sol` writer prints.

use std::fmt;

/// One visit in a route, between the start and end depots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Visit {
    /// Serve stop `i` (index into [`crate::Instance::stops`]).
    Stop(usize),
    /// Unload at disposal site `d` (index into [`crate::Instance::sites`]).
    Disposal(usize),
    /// The driver's break, taken where the vehicle is.
    Break,
}

/// The visits of one vehicle.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Route {
    /// Vehicle index.
    pub vehicle: usize,
    /// Visits in order, excluding the depots.
    pub visits: Vec<Visit>,
}

impl Route {
    /// Served stops in order.
    pub fn stops(&self) -> impl Iterator<Item = usize> + '_ {
        self.visits.iter().filter_map(|v| {
            if let Visit::Stop(i) = v {
                Some(*i)
            } else {
                None
            }
        })
    }
}

/// Why a stop was left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnservedReason {
    /// No vehicle may carry its demand (or the trip it would join).
    Capacity,
    /// Its time window cannot be met on any route.
    TimeWindow,
    /// Serving it breaks a shift, maximum duration or maximum distance.
    ShiftOrDuration,
    /// No available vehicle has the skill or stream.
    Skill,
    /// It is optional and its detour costs more than its prize.
    NotWorthDetour,
    /// Feasible alone, but no vehicle had room left for it.
    FleetExhausted,
}

impl fmt::Display for UnservedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            UnservedReason::Capacity => "capacity",
            UnservedReason::TimeWindow => "time window",
            UnservedReason::ShiftOrDuration => "shift or duration",
            UnservedReason::Skill => "skill",
            UnservedReason::NotWorthDetour => "optional and not worth its detour",
            UnservedReason::FleetExhausted => "fleet exhausted",
        };
        f.write_str(s)
    }
}

/// A full plan: routes of used vehicles, and stops left out with a reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Solution {
    /// Non-empty routes.
    pub routes: Vec<Route>,
    /// Stops not served, each with a reason.
    pub unserved: Vec<(usize, UnservedReason)>,
}

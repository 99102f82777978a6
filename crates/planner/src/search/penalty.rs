//! Penalty management, kept out of the search data: the manager owns the
//! adaptive policy and the search hands the current price to its cost
//! function when the manager changes it.
//!
//! Only the capacity penalty is managed today (an experiment, off unless
//! `FR_SOFT` is set): with it, a route may exceed its capacity at a price
//! per unit of excess, which the manager raises while too few candidates
//! are capacity-feasible and lowers otherwise, as hybrid genetic search does.

use crate::model::Units;

/// Candidates between two penalty updates.
const WINDOW: u32 = 100;
/// Feasible candidates wanted per window (about 30 %, as HGS aims).
const TARGET: u32 = 30;

/// Adaptive capacity penalty.
#[derive(Clone, Debug)]
pub(crate) struct PenaltyManager {
    capacity: Units,
    floor: Units,
    feasible: u32,
    seen: u32,
}

impl PenaltyManager {
    /// No capacity penalty: capacity is a hard constraint.
    pub fn off() -> Self {
        Self::new(0)
    }

    /// Starts at `capacity` per unit of excess; never goes below a quarter.
    pub fn new(capacity: Units) -> Self {
        Self {
            capacity,
            floor: (capacity / 4).max(1),
            feasible: 0,
            seen: 0,
        }
    }

    /// Price per unit of capacity excess (0 = hard capacity).
    pub fn capacity(&self) -> Units {
        self.capacity
    }

    /// Records one candidate; at the end of each window returns the new
    /// price when it changed.
    pub fn register(&mut self, feasible: bool) -> Option<Units> {
        self.feasible += u32::from(feasible);
        self.seen += 1;
        if !self.seen.is_multiple_of(WINDOW) {
            return None;
        }
        let p = self.capacity;
        let np = if self.feasible < TARGET {
            (p as f64 * 1.3).ceil() as Units
        } else {
            ((p as f64 * 0.9) as Units).max(self.floor)
        };
        self.feasible = 0;
        self.capacity = np;
        (np != p).then_some(np)
    }
}

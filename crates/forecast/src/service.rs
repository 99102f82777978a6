//! "Was the bin really emptied?": services inferred from a sharp fall in fill.

use serde::{Deserialize, Serialize};

use crate::error::{Result, check_param};
use crate::reading::{Detection, Observation, ServiceEvent};
use crate::time::Timestamp;

/// When a fall between consecutive readings counts as a service.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServiceDetection {
    /// Minimum fall in fill fraction (e.g. 0.35).
    pub min_drop: f64,
    /// The reading after the fall must be at or below this level (e.g. 0.3).
    pub max_level_after: f64,
    /// Reported and detected events closer than this many hours are the same service.
    pub merge_within_hours: f64,
}

impl Default for ServiceDetection {
    fn default() -> Self {
        Self {
            min_drop: 0.35,
            max_level_after: 0.3,
            merge_within_hours: 12.0,
        }
    }
}

impl ServiceDetection {
    /// Checks the thresholds make sense.
    pub fn validate(&self) -> Result<()> {
        check_param(
            "min_drop",
            self.min_drop,
            0.05..=1.5,
            "use a fall between 0.05 and 1.5 (e.g. 0.35)",
        )?;
        check_param(
            "max_level_after",
            self.max_level_after,
            0.0..=1.0,
            "use a level between 0 and 1 (e.g. 0.3)",
        )?;
        check_param(
            "merge_within_hours",
            self.merge_within_hours,
            0.0..=168.0,
            "use 0..=168 hours (e.g. 12)",
        )
    }

    /// Services found in sorted observations.
    ///
    /// A single misread must not fake a service, so the level before the fall is the *lower* of
    /// the two previous readings of the same cycle (a lone high misread does not count), and a
    /// fall whose next reading jumps straight back up (to within half the drop of the old level)
    /// is treated as a low misread. A fall in the latest reading is reported unconfirmed.
    pub fn detect(&self, obs: &[Observation]) -> Vec<ServiceEvent> {
        let mut events = Vec::new();
        let mut cycle_start = 0;
        for i in 1..obs.len() {
            let prev = obs[i - 1].fill.get();
            let before = if i >= 2 && i - 2 >= cycle_start {
                prev.min(obs[i - 2].fill.get())
            } else {
                prev
            };
            let after = obs[i].fill.get();
            if before - after < self.min_drop || after > self.max_level_after {
                continue;
            }
            let next = obs.get(i + 1).map(|o| o.fill.get());
            if next.is_some_and(|n| n >= before - self.min_drop / 2.0) {
                continue; // low misread: the bin is still full at the next reading
            }
            events.push(ServiceEvent {
                at: obs[i].at,
                detection: Detection::FillDrop {
                    from: before,
                    to: after,
                    previous_at: obs[i - 1].at,
                    confirmed: next.is_some(),
                },
            });
            cycle_start = i;
        }
        events
    }

    /// Detected events merged with reported ones (`reported` wins when both describe the same
    /// service), sorted, limited to `as_of`.
    pub fn merge(
        &self,
        detected: &[ServiceEvent],
        reported: &[ServiceEvent],
        as_of: Timestamp,
    ) -> Vec<ServiceEvent> {
        let window = (self.merge_within_hours * 3600.0) as i64;
        let mut all: Vec<ServiceEvent> =
            reported.iter().copied().filter(|e| e.at <= as_of).collect();
        for d in detected.iter().filter(|e| e.at <= as_of) {
            if !reported.iter().any(|r| (r.at.0 - d.at.0).abs() <= window) {
                all.push(*d);
            }
        }
        all.sort_by_key(|e| e.at);
        all
    }
}

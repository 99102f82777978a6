//! Instants as unix seconds, and the weekday-weighted "effective time" the fill model runs on.

use serde::{Deserialize, Serialize};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// An instant in unix seconds (UTC). Whole seconds are plenty for bins that fill over days,
/// and an integer keeps ordering exact and serialisation trivial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Latest instant accepted from outside: 2200-01-01 00:00 UTC. Readings, as-of and planning
    /// dates beyond it (or before 1970) are rejected, so date arithmetic never overflows.
    pub const MAX: Timestamp = Timestamp(7_258_118_400);

    /// Accepts unix seconds in `0..=MAX`, naming `field` in the error.
    pub fn checked(value: i64, field: &str) -> crate::error::Result<Self> {
        if (0..=Self::MAX.0).contains(&value) {
            Ok(Self(value))
        } else {
            Err(crate::error::ForecastError::InvalidTimestamp {
                field: field.into(),
                value,
            })
        }
    }

    /// Unix seconds.
    pub fn secs(self) -> i64 {
        self.0
    }

    /// Signed days from `earlier` to `self`.
    pub fn days_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / DAY as f64
    }

    /// This instant moved by a (possibly fractional, possibly negative) number of days.
    pub fn plus_days(self, days: f64) -> Timestamp {
        Timestamp(self.0.saturating_add((days * DAY as f64).round() as i64))
    }

    /// Local weekday, Monday = 0, given the zone's offset from UTC in seconds.
    pub fn weekday(self, utc_offset_secs: i32) -> usize {
        // 1970-01-01 was a Thursday (index 3).
        let local_day = (self.0 + i64::from(utc_offset_secs)).div_euclid(DAY);
        (local_day + 3).rem_euclid(7) as usize
    }
}

/// The weekdays a hauler collects on, Monday first. A bin's decision looks
/// ahead to the next working day, so on a Friday of a Monday-to-Friday week
/// the horizon is three days, not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkWeek(pub [bool; 7]);

impl WorkWeek {
    /// Monday to Friday.
    pub const MONDAY_TO_FRIDAY: WorkWeek = WorkWeek([true, true, true, true, true, false, false]);

    /// Days from `weekday` (Monday = 0) to the next working day after it,
    /// 1..=7 (7 when no day is marked: a week is the longest look-ahead).
    pub fn days_to_next(&self, weekday: usize) -> f64 {
        (1..=7).find(|g| self.0[(weekday + g) % 7]).unwrap_or(7) as f64
    }
}

/// Multiplicative per-weekday fill-rate factors (Monday first), mean 1.
///
/// The model's clock runs at `factor[weekday]` "effective days" per calendar day, so a bin that
/// fills twice as fast at weekends simply sees weekend hours count double.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WeekdayFactors {
    /// Factor per local weekday, Monday = 0.
    pub factors: [f64; 7],
    /// Offset of the bin's zone from UTC, seconds (where "Monday" starts).
    pub utc_offset_secs: i32,
}

impl WeekdayFactors {
    /// No weekday effect.
    pub fn flat(utc_offset_secs: i32) -> Self {
        Self {
            factors: [1.0; 7],
            utc_offset_secs,
        }
    }

    /// True when every factor is 1.
    pub fn is_flat(&self) -> bool {
        self.factors.iter().all(|&f| (f - 1.0).abs() < 1e-12)
    }

    /// Effective days elapsed from `from` to `to` (negative if `to < from`).
    pub fn effective_days(&self, from: Timestamp, to: Timestamp) -> f64 {
        if to < from {
            return -self.effective_days(to, from);
        }
        if self.is_flat() {
            return to.days_since(from);
        }
        let off = i64::from(self.utc_offset_secs);
        let (mut t, end) = (from.0 + off, to.0 + off);
        let mut total = 0.0;
        // Whole weeks contribute sum(factors) each; skip them in one step.
        let weeks = (end - t) / (7 * DAY);
        if weeks > 0 {
            total += weeks as f64 * self.factors.iter().sum::<f64>();
            t += weeks * 7 * DAY;
        }
        while t < end {
            let day = t.div_euclid(DAY);
            let next = ((day + 1) * DAY).min(end);
            let wd = (day + 3).rem_euclid(7) as usize;
            total += self.factors[wd] * (next - t) as f64 / DAY as f64;
            t = next;
        }
        total
    }

    /// Seconds of exposure on each local weekday between `from` and `to`.
    pub(crate) fn exposure_days(utc_offset_secs: i32, from: Timestamp, to: Timestamp) -> [f64; 7] {
        let mut out = [0.0; 7];
        let off = i64::from(utc_offset_secs);
        let (mut t, end) = (from.0 + off, to.0 + off);
        while t < end {
            let day = t.div_euclid(DAY);
            let next = ((day + 1) * DAY).min(end);
            out[(day + 3).rem_euclid(7) as usize] += (next - t) as f64 / DAY as f64;
            t = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_was_a_thursday_and_2026_11_30_is_a_monday() {
        assert_eq!(Timestamp(0).weekday(0), 3);
        let week = WorkWeek::MONDAY_TO_FRIDAY;
        assert_eq!(week.days_to_next(0), 1.0, "Monday to Tuesday");
        assert_eq!(week.days_to_next(4), 3.0, "Friday to Monday");
        assert_eq!(week.days_to_next(5), 2.0, "Saturday to Monday");
        assert_eq!(WorkWeek([false; 7]).days_to_next(2), 7.0);
        // 2026-11-30 00:00 UTC.
        assert_eq!(Timestamp(1_795_996_800).weekday(0), 0);
    }

    #[test]
    fn effective_days_weights_each_weekday() {
        let mut f = WeekdayFactors::flat(0);
        f.factors[0] = 2.0; // Monday counts double
        let monday = Timestamp(1_795_996_800);
        assert!((f.effective_days(monday, monday.plus_days(1.0)) - 2.0).abs() < 1e-9);
        assert!((f.effective_days(monday, monday.plus_days(7.0)) - 8.0).abs() < 1e-9);
        assert!((f.effective_days(monday.plus_days(1.0), monday) + 2.0).abs() < 1e-9);
    }
}

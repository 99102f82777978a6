//! Where the services read "now" from.
//!
//! Ingestion refuses photos stamped too far in the future or too long ago,
//! and planning refuses dates before today, both against the wall clock. A
//! scenario replay drives the same services through simulated days in a few
//! seconds each, so it needs their "now" to be its simulated time. Rather
//! than a test-only bypass of those checks, the services take a [`Clock`] in
//! their configuration: [`Clock::System`] in production (the default), or a
//! [`SimulatedClock`] that the replay moves forward and the services read.
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;

/// The source of "now" for a service.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The machine's clock (production).
    #[default]
    System,
    /// A clock someone else moves (scenario replay); shared, cheap to clone.
    Simulated(SimulatedClock),
}

impl Clock {
    /// The current instant, in UTC.
    pub fn now(&self) -> OffsetDateTime {
        match self {
            Self::System => OffsetDateTime::now_utc(),
            Self::Simulated(c) => c.now(),
        }
    }
}

impl From<SimulatedClock> for Clock {
    fn from(c: SimulatedClock) -> Self {
        Self::Simulated(c)
    }
}

/// A clock that stands still until it is set; every clone reads and moves
/// the same instant (millisecond resolution).
#[derive(Debug, Clone)]
pub struct SimulatedClock(Arc<AtomicI64>);

impl SimulatedClock {
    /// A clock showing `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self(Arc::new(AtomicI64::new(unix_ms(start))))
    }

    /// The instant it shows.
    pub fn now(&self) -> OffsetDateTime {
        let ms = self.0.load(Ordering::SeqCst);
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Moves it to `t` (forward or back: the replay owns the timeline).
    pub fn set(&self, t: OffsetDateTime) {
        self.0.store(unix_ms(t), Ordering::SeqCst);
    }
}

fn unix_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simulated_clock_is_shared_by_its_clones() {
        let start = OffsetDateTime::from_unix_timestamp(1_796_000_000).expect("valid");
        let sim = SimulatedClock::new(start);
        let service: Clock = sim.clone().into();
        assert_eq!(service.now(), start);
        let later = start + time::Duration::days(3);
        sim.set(later);
        assert_eq!(service.now(), later);
    }

    #[test]
    fn the_default_clock_is_the_system_clock() {
        let before = OffsetDateTime::now_utc();
        let now = Clock::default().now();
        assert!(now >= before && now <= OffsetDateTime::now_utc());
    }
}

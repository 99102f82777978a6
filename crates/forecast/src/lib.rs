//! Per-bin fill forecasting and collect/skip decisions for fillroute.
//!
//! Routing is only as good as the list of bins it is given: collect too early and trucks haul
//! air, too late and bins overflow. This crate turns a bin's noisy history (classifier readings
//! with class probabilities, sensor and driver reports) into a forecast the planner can trust —
//! a robust fill rate pooled over past cycles, a weekday pattern once there is history for it,
//! and honest uncertainty that becomes P(overflow before the next truck) — and turns that
//! into an explainable must / may / skip decision, optionally over a collection calendar of
//! compact day-areas (`calendar`), where a bin's horizon is its area's next sweep. It is a
//! pure library (no I/O, no clock), so the ingestion workers, the nightly planner and the
//! scenario simulator compute the same numbers, and the backtest can measure them against
//! simulated ground truth.
//!
//! ```
//! use fillroute_forecast::{History, ModelConfig, Reading, Source, Timestamp, fit};
//! let t0 = Timestamp(1_795_996_800);
//! let readings: Vec<Reading> = (0..6)
//!     .map(|i| Reading::new(t0.plus_days(i as f64 * 0.5), 0.1 + 0.05 * i as f64, Source::Sensor))
//!     .collect();
//! let config = ModelConfig::default();
//! let history = History::new(&readings, &config.noise)?;
//! let forecast = fit(&history, &[], t0.plus_days(2.5), &config)?;
//! assert!(forecast.expected_fill(t0.plus_days(3.5)) > 0.4);
//! # Ok::<(), fillroute_forecast::ForecastError>(())
//! ```
#![forbid(unsafe_code)]

pub mod backtest;
pub mod calendar;
pub mod classes;
pub mod decision;
pub mod error;
pub mod forecast;
pub mod model;
pub mod reading;
pub mod service;
pub mod stats;
pub mod time;
pub mod visit;

pub use calendar::{Area, Calendar, CalendarBin, CalendarParams, CalendarPolicy, sweep_areas};
pub use classes::FillClass;
pub use decision::{
    Action, BinState, Decision, DecisionNumbers, Policy, Reason, Request, RiskPolicy, Sweep, decide,
};
pub use error::{ForecastError, Result};
pub use forecast::{CurvePoint, Forecast, RateBasis, TimeToLevel};
pub use model::{ModelConfig, RatePrior, fit};
pub use reading::{
    Detection, FillFraction, History, NoiseConfig, Observation, Reading, ServiceEvent, Source,
    confirming_service,
};
pub use service::ServiceDetection;
pub use time::{Timestamp, WeekdayFactors, WorkWeek};
pub use visit::{VisitCost, bins_per_load, future_visit_costs};

//! The nightly planning job. Every evening a dispatcher needs tomorrow's
//! routes for each region: which bins must, may or need not be collected
//! (from each bin's forecast, with the reason and the numbers kept), and
//! checked truck routes on the real road network, with disposal trips, lunch
//! breaks, shifts and time windows. This crate owns that job and nothing else:
//! it imports road networks into PostGIS and loads them back ([`network`]),
//! plans a region's day and writes it as one draft ([`job`]), over the
//! region's collection calendar when it has one ([`calendar`]), and reads plans
//! back as maps and GeoJSON ([`view`]). All SQL is
//! in `fillroute-store`; the CLI and the gRPC adapter call the same functions.
#![forbid(unsafe_code)]

pub mod calendar;
pub mod dashboard;
pub mod error;
pub mod job;
pub mod network;
pub mod onboard;
pub mod replan;
pub mod view;

pub use error::{PlanningError, Result};
pub use fillroute_forecast::RiskPolicy;
pub use job::{PlanRequest, PlanSummary, Progress, ProgressFn, plan_day};
pub use network::{ImportReport, LoadedNetwork, NetworkCache, import_road_file, read_road_file};
pub use replan::{ReplanRequest, replan_from};

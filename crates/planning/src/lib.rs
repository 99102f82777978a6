//! The nightly planning job. Every evening a dispatcher needs tomorrow's
//! routes for each region: which bins must, may or need not be collected
//! (from each bin's forecast, with the reason and the numbers kept), and
//! checked truck routes on the real road network, with disposal trips, lunch
//! breaks, shifts and time windows. This crate owns that job and nothing else:
//! it imports road networks into PostGIS and loads them back ([`network`]),
//! and it will plan a region's day and write the plan as one draft. All SQL is
//! in `fillroute-store`; the CLI and the gRPC adapter call the same functions.
#![forbid(unsafe_code)]

pub mod error;
pub mod network;

pub use error::{PlanningError, Result};
pub use network::{ImportReport, LoadedNetwork, NetworkCache, import_road_file, read_road_file};

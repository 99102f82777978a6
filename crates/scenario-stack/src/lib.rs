//! `fillroute scenario run --stack`: the scenario replay driving the real
//! services instead of calling the libraries in one process.
//!
//! The embedded replay (`fillroute-scenario`) proves the algorithms; this
//! crate proves the system. It starts the vision service, the ingest
//! service, vision workers and the planner service in-process on loopback
//! ports against real PostgreSQL/PostGIS and NATS JetStream ([`services`]),
//! registers the scenario's city through the store and `IngestService`
//! ([`city`]), and replays the days ([`replay`]): every photo travels
//! camera → gRPC → object store → JetStream → worker → `VisionService` →
//! PostGIS, and every working day is planned by the nightly job behind
//! `PlannerService`. The services read "now" from a simulated clock
//! (`fillroute-clock`) that the replay moves, so a week passes in a minute.
#![forbid(unsafe_code)]

pub mod city;
pub mod error;
pub mod replay;
pub mod services;

pub use error::{Result, StackError};
pub use replay::{StackRun, run};
pub use services::StackOptions;

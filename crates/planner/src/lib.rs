//! Route planner for waste trucks.
//!
//! Bins need emptying only when full, so routes change every day; this crate
//! turns "which bins, which trucks" into routes that respect capacity, time
//! windows, shifts, lunch breaks and trips to the landfill, and measures the
//! engine against public benchmarks so we know how good "good" is.
//!
//! - [`model`]: the immutable, validated [`Instance`] ([`InstanceBuilder`]).
//! - [`checker`]: [`check`] recomputes feasibility and cost from scratch,
//!   sharing no code with the search.
//! - [`solve`] ([`solver`]): the entry point above the ruin-and-recreate
//!   search with constant-time segment evaluation ([`search`]) and the
//!   set-partitioning MIP ([`mip`]); the search does not import the MIP,
//!   which reads only the search's [`RoutePool`].
//! - [`io`]: benchmark readers (TSPLIB/CVRPLIB, CMT, Solomon, MTVRPTWR,
//!   Kim 2006), reference values and `.sol` files.
//!
//! # How a plan is found
//! Greedy insertion builds a first plan; then each iteration ruins part of
//! it (SISR strings, random or worst removal, picked adaptively) and
//! recreates it by cheapest insertion with blinks, accepted by simulated
//! annealing. New best plans get a granular local search (relocate, or-opt,
//! swap, 2-opt*, 2-opt, and SWAP* when no stop has time windows); on large
//! capacity-only instances every candidate gets that local search, limited
//! to the routes the step changed, before the annealing judges it. When
//! vehicles come first, the first half of the budget removes routes one at a
//! time (SISR's absence-based fleet minimisation); the same absence-based
//! acceptance replaces annealing whenever the current plan leaves a required
//! stop out, so a tight fleet is packed rather than annealed around. Every
//! move is priced in constant time from prefix/suffix segment data that
//! carries distance, duration/time warp, per-trip load, trip release dates
//! and streams; disposal visits are reset points inside that data, and
//! breaks are visits taken at the previous location.
//!
//! Results are deterministic for a seed, thread count and iteration limit;
//! under a time limit they also depend on machine speed.
//!
//! # MIP hook
//! The search is resumable: [`Search::run`] for a slice of time, then read
//! [`Search::pool`] (a [`RoutePool`] of distinct good routes with exact
//! costs) to build a set-partitioning model, and feed its solution back with
//! [`Search::inject`]. Exact small-instance formulations can use [`check`] to
//! verify and compare objectives, which are integers in both worlds.
#![forbid(unsafe_code)]

pub mod checker;
pub mod io;
pub mod mip;
pub mod model;
pub mod search;
pub mod solution;
pub mod solver;

pub use checker::{CheckReport, check};
pub use model::{
    Break, Depot, DisposalSite, Instance, InstanceBuilder, Mask, ModelError, Objective, Stop,
    TimeWindow, Units, Vehicle,
};
pub use search::{OperatorStats, RoutePool, Search, Stopping};
pub use solution::{Route, Solution, UnservedReason, Visit};
pub use solver::{SolveOutcome, SolveParams, solve};

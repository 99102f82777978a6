//! Scenario replay: the product's promise, made measurable.
//!
//! A scenario file describes a city (roads, depots, disposal sites, bins
//! from land-use zones), a fleet, lid cameras and the collection policies to
//! compare. The simulator runs it day by day: bins fill (ground truth the
//! policies never see), cameras photograph the true fill with the lid-camera
//! renderer and the real vision model reads the photos, readings feed the
//! per-bin forecasts and the collect/skip decision, the planner routes the
//! trucks (every plan re-verified by the planner's independent checker), and
//! the trucks drive the routes in simulated time, emptying each bin when its
//! stop is reached. Every policy sees the same city and the same luck, and a
//! seed replays a run exactly, so the KPI table is a fair comparison.
//!
//! ```no_run
//! use fillroute_scenario::{Scenario, Vision, World, kpi_table, run};
//! let scenario = Scenario::from_file("scenarios/small.toml".as_ref())?;
//! let world = World::build(&scenario)?;
//! let mut vision = Vision::load_or_train(scenario.run.seed, 24, 32, 2, |_| {})?;
//! let result = run(&scenario, &world, &mut vision, |_| {})?;
//! println!("{}", kpi_table(&result));
//! # Ok::<(), fillroute_scenario::ScenarioError>(())
//! ```
#![forbid(unsafe_code)]

pub mod compare;
pub mod config;
pub mod error;
pub mod output;
pub mod plan;
pub mod sim;
pub mod sweep;
pub mod truth;
pub mod vision;
pub mod world;

pub use compare::{Comparison, compare, comparison_table, plot_frontier};
pub use config::{PolicyConfig, Scenario};
pub use error::{Result, ScenarioError};
pub use output::{WRITE_PHASE, kpi_table, phase_table, write_outputs};
pub use sim::{DayKpis, PolicyKpis, Progress, RunResult, run};
pub use vision::{ReaderConfusion, ReaderMode, Vision};
pub use world::{MatrixCache, World};

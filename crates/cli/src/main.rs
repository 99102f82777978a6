//! The `fillroute` command line: a thin shell over the domain crates.
//!
//! Each subcommand parses its arguments, calls one domain function, and
//! prints the result. Exit codes: 0 success, 1 runtime failure, 2 bad usage;
//! the planning commands use the finer table in [`exit`].

mod bench;
mod bins;
mod db;
mod demo;
mod exit;
mod fleet;
mod ingest;
mod plan;
mod roads;
mod route;
mod scenario;
mod vision;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "fillroute",
    version,
    about = "Empty the bins that need it, not the bins on the calendar."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Route-planner tools: check a solution file.
    #[command(subcommand)]
    Route(route::RouteCmd),
    /// The main job on embedded defaults.
    Demo(demo::DemoArgs),
    /// Device uploads and vision workers (PostGIS + NATS JetStream).
    #[command(subcommand)]
    Ingest(ingest::IngestCmd),
    /// Replay a scenario: cameras → vision → forecasts → decisions → routes, KPI table per policy.
    #[command(subcommand)]
    Scenario(scenario::ScenarioCmd),
    /// Read bin-camera images: train, evaluate, classify.
    #[command(subcommand)]
    Vision(vision::VisionCmd),
    /// The nightly planning job: decide every bin, route the trucks, store a draft plan.
    Plan(plan::PlanArgs),
    /// Road networks in PostGIS: import OSM or GeoJSON files.
    #[command(subcommand)]
    Roads(roads::RoadsCmd),
    /// Benchmarks against public instances.
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// The database: create it on a fresh server, apply migrations.
    #[command(subcommand)]
    Db(db::DbCmd),
    /// Depots, disposal sites, trucks and planning regions.
    #[command(subcommand)]
    Fleet(fleet::FleetCmd),
    /// Bins: bulk import from CSV or GeoJSON, validated before anything is written.
    #[command(subcommand)]
    Bins(bins::BinsCmd),
}

/// Structured logs on stderr for the long-running services (`RUST_LOG` filters;
/// JSON when `FILLROUTE_LOG_JSON=1`, for log shippers).
pub fn init_logging() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("FILLROUTE_LOG_JSON").is_ok_and(|v| v == "1") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Roads(cmd) => return roads::run(cmd),
        Command::Plan(args) => return plan::run(args),
        Command::Db(cmd) => return db::run(cmd),
        Command::Fleet(cmd) => return fleet::run(cmd),
        Command::Bins(cmd) => return bins::run(cmd),
        Command::Route(cmd) => route::run(cmd),
        Command::Bench(cmd) => bench::run(cmd),
        Command::Vision(cmd) => vision::run(cmd),
        Command::Demo(args) => demo::run(args),
        Command::Ingest(cmd) => ingest::run(cmd),
        Command::Scenario(cmd) => scenario::run(cmd),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

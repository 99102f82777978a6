//! The `fillroute scenario` subcommand as a stand-alone binary, so this crate
//! can be exercised end to end before the CLI wires it in:
//! `cargo run --release -p fillroute-scenario --example scenario_cli -- run scenarios/small.toml`.

#[path = "../../cli/src/scenario.rs"]
mod scenario;

use clap::Parser;

/// `scenario_cli <run|check> ...`
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: scenario::ScenarioCmd,
}

fn main() -> anyhow::Result<()> {
    scenario::run(Cli::parse().cmd)
}

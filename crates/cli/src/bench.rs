//! `fillroute bench ...` (owned by the planner work; stub).
use clap::Subcommand;

/// Bench subcommands.
#[derive(Subcommand)]
pub enum BenchCmd {
    /// Placeholder.
    Check,
}

/// Runs a bench subcommand.
pub fn run(_cmd: BenchCmd) -> anyhow::Result<()> {
    anyhow::bail!("not yet implemented")
}

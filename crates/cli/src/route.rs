//! `fillroute route ...` (owned by the planner work; stub).
use clap::Subcommand;

/// Route subcommands.
#[derive(Subcommand)]
pub enum RouteCmd {
    /// Placeholder.
    Check,
}

/// Runs a route subcommand.
pub fn run(_cmd: RouteCmd) -> anyhow::Result<()> {
    anyhow::bail!("not yet implemented")
}

//! `fillroute roads ...`: road networks in PostGIS.

use crate::exit;
use clap::{Args, Subcommand};
use fillroute_planning::PlanningError;
use fillroute_planning::network::{default_network_name, import_road_file};
use fillroute_store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

/// Road network subcommands.
#[derive(Subcommand)]
pub enum RoadsCmd {
    /// Import OSM PBF, OSM XML (.osm, .osm.gz) or GeoJSON roads as a named network;
    /// re-importing a name replaces its graph and bumps its version.
    Import(ImportArgs),
}

/// `roads import`.
#[derive(Args)]
pub struct ImportArgs {
    /// The road file; its format is read from its content.
    pub file: PathBuf,
    /// Network name (default: the file name up to its first dot).
    #[arg(long)]
    pub network: Option<String>,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

/// Runs a roads subcommand; see [`crate::exit`] for the exit codes.
pub fn run(cmd: RoadsCmd) -> ExitCode {
    crate::init_logging();
    let result = tokio::runtime::Runtime::new()
        .map_err(|e| PlanningError::Internal(e.to_string()))
        .and_then(|rt| {
            rt.block_on(async move {
                match cmd {
                    RoadsCmd::Import(args) => import(args).await,
                }
            })
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => exit::failure(&e),
    }
}

async fn import(args: ImportArgs) -> Result<(), PlanningError> {
    let name = args
        .network
        .unwrap_or_else(|| default_network_name(&args.file));
    let store = Store::connect(&args.db.database_url).await?;
    store.migrate().await?;
    let r = import_road_file(&store, &args.file, &name).await?;
    println!(
        "network {} version {}: {} nodes, {} directed edges from {} (read {:.2} s, PostGIS {:.2} s; {} nodes outside the main component dropped)",
        r.network.name,
        r.network.version,
        r.network.node_count,
        r.network.edge_count,
        r.network.source_file,
        r.read_seconds,
        r.write_seconds,
        r.build.nodes_dropped
    );
    Ok(())
}

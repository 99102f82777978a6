//! `fillroute bins import FILE [--dry-run]`: many bins at once, from CSV or
//! GeoJSON. Every row is checked first (see [`fillroute_planning::onboard`]);
//! one bad row means nothing is written, and the report names every bad row.

use crate::exit;
use clap::{Args, Subcommand};
use fillroute_planning::PlanningError;
use fillroute_planning::onboard::{BIN_COLUMNS, OPTIONAL_BIN_COLUMNS, import_bins};
use fillroute_store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

/// Bin subcommands.
#[derive(Subcommand)]
pub enum BinsCmd {
    /// Import bins from a .csv (header: lon,lat,capacity_litres,waste_stream,service_time_s,
    /// container_type,customer[,window,fill_rate_prior,fill_rate_prior_log_sd]) or a .geojson FeatureCollection of Points with the
    /// same properties; window is "HH:MM-HH:MM" local time, every day. All rows or none.
    Import(ImportArgs),
}

/// `bins import`.
#[derive(Args)]
pub struct ImportArgs {
    /// The .csv or .geojson file.
    pub file: PathBuf,
    /// Validate and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

/// Runs a bins subcommand; exit 2 when any row is refused (see [`crate::exit`]).
pub fn run(cmd: BinsCmd) -> ExitCode {
    let result = tokio::runtime::Runtime::new()
        .map_err(|e| PlanningError::Internal(e.to_string()))
        .and_then(|rt| {
            rt.block_on(async move {
                match cmd {
                    BinsCmd::Import(a) => import(a).await,
                }
            })
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => exit::failure(&e),
    }
}

async fn import(a: ImportArgs) -> Result<(), PlanningError> {
    let store = Store::connect(&a.db.database_url).await?;
    let report = import_bins(&store, &a.file, a.dry_run).await?;
    let file = a.file.display();
    let regions = report
        .per_region
        .iter()
        .map(|(r, n)| format!("{r}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    if !report.refused.is_empty() {
        println!(
            "{file}: {} of {} rows refused; nothing was written",
            report.refused.len(),
            report.rows
        );
        for (at, problems) in &report.refused {
            for p in problems {
                println!("  {at}: {p}");
            }
        }
        return Err(PlanningError::invalid(
            "FILE",
            file,
            format!(
                "fix the {} rows listed above and import the file again (columns: {}; optional: {})",
                report.refused.len(),
                BIN_COLUMNS.join(","),
                OPTIONAL_BIN_COLUMNS.join(",")
            ),
        ));
    }
    if a.dry_run {
        println!(
            "{file}: all {} rows valid (dry run, nothing written); per region: {regions}",
            report.rows
        );
    } else {
        let ids = match (report.ids.first(), report.ids.last()) {
            (Some(a), Some(b)) => format!("ids {a}..={b} in file order"),
            _ => "no ids".into(),
        };
        println!(
            "{file}: {} bins imported in one transaction ({ids}); per region: {regions}",
            report.ids.len()
        );
    }
    Ok(())
}

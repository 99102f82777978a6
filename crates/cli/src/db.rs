//! `fillroute db ...`: the first step on a fresh PostgreSQL server, so a new
//! operator never writes SQL to get a database the other commands can use.

use crate::exit;
use clap::Subcommand;
use fillroute_planning::PlanningError;
use fillroute_store::Store;
use std::process::ExitCode;

/// Database subcommands.
#[derive(Subcommand)]
pub enum DbCmd {
    /// Create the database named in the URL if the server lacks it
    /// (through the server's `postgres` database), then apply the migrations.
    Create(crate::ingest::DbArgs),
    /// Apply pending migrations to an existing database (idempotent).
    Migrate(crate::ingest::DbArgs),
}

/// Runs a db subcommand; see [`crate::exit`] for the exit codes.
pub fn run(cmd: DbCmd) -> ExitCode {
    let result = tokio::runtime::Runtime::new()
        .map_err(|e| PlanningError::Internal(e.to_string()))
        .and_then(|rt| rt.block_on(dispatch(cmd)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => exit::failure(&e),
    }
}

async fn dispatch(cmd: DbCmd) -> Result<(), PlanningError> {
    let (url, created) = match cmd {
        DbCmd::Create(db) => {
            let created = Store::create_database(&db.database_url).await?;
            (db.database_url, Some(created))
        }
        DbCmd::Migrate(db) => (db.database_url, None),
    };
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let name = url.rsplit('/').next().unwrap_or_default();
    let name = name.split('?').next().unwrap_or_default();
    match created {
        Some(true) => println!("database {name} created and migrated"),
        Some(false) => println!("database {name} already existed; migrations applied"),
        None => println!("database {name} migrated"),
    }
    Ok(())
}

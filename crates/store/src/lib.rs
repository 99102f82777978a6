//! Every SQL statement fillroute runs, behind one typed API. SQL lives in one
//! crate so that the schema (`migrations/`) and the statements that depend on
//! it change together and are checked together: each statement is a
//! compile-time-checked `sqlx::query!` against the real PostGIS schema, and
//! the committed offline data (`.sqlx/`) lets the workspace build with no
//! database at hand. Geometry crosses the boundary as plain longitude and
//! latitude and is built by PostGIS itself (`ST_MakePoint`), so no Rust type
//! ever has to agree with PostGIS on a binary encoding. Errors are classified
//! once here (unavailable / not found / constraint) so every caller can tell a
//! retryable outage from a bad request without inspecting driver errors.

mod bins;
mod calendar;
mod devices;
mod error;
mod fleet;
mod history;
mod images;
mod plans;
mod readings;
mod roads;
#[cfg(feature = "testing")]
pub mod testing;
mod types;

pub use bins::PointPlacement;
pub use calendar::{StoredArea, StoredCalendar};
pub use error::StoreError;
/// A decision's action, as [`NewDecision::action`] stores it.
pub use fillroute_forecast::Action;
pub use fleet::{
    Area, BinOverview, BinSweep, DisposalSiteRow, MissedPickup, NewDisposalSite, NewPlace,
    NewRegion, NewTruck, RegionBin, RegionId, RegionRow, TruckRow,
};
pub use history::{BinHistory, RegionClock, stamp};
pub use plans::{
    DecisionRow, NewDecision, NewPlan, NewPlanRoute, NewPlanStop, PlanDayLock, PlanId,
    PlanRouteRow, PlanRow, PlanStopRow, StopKind,
};
pub use roads::{NetworkId, NewRoadNetwork, RoadEdge, RoadGraphRows, RoadNetworkInfo};
pub use types::*;

use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

/// The schema, embedded at build time from the workspace's `migrations/`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// A connection pool plus the statements that use it; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    /// Connects to `url` (a `postgres://` URL) with a small pool that gives
    /// up quickly, so an outage surfaces as [`StoreError::Unavailable`]
    /// within seconds instead of stalling requests.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = Self::options().connect(url).await?;
        Ok(Self { pool })
    }

    /// Like [`Store::connect`] but opens no connection until the first query,
    /// so a service can start (and answer `UNAVAILABLE`) while the database is down.
    pub fn connect_lazy(url: &str) -> Result<Self, StoreError> {
        let pool = Self::options().connect_lazy(url)?;
        Ok(Self { pool })
    }

    fn options() -> PgPoolOptions {
        PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(3))
    }

    /// Wraps an existing pool.
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The underlying pool (for callers composing their own transactions).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies pending migrations (idempotent).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Creates the database named in `url` when the server lacks it, by way
    /// of the server's `postgres` maintenance database, so a fresh server
    /// needs no hand-written SQL. Returns whether it was created.
    pub async fn create_database(url: &str) -> Result<bool, StoreError> {
        use sqlx::ConnectOptions as _;
        let options: sqlx::postgres::PgConnectOptions = url.parse()?;
        let name = options.get_database().unwrap_or("postgres").to_owned();
        let mut admin = options.clone().database("postgres").connect().await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut admin)
                .await?;
        if !exists {
            // Identifiers cannot be bound: quote it, doubling any quote inside.
            let quoted = format!("\"{}\"", name.replace('"', "\"\""));
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}")))
                .execute(&mut admin)
                .await?;
        }
        sqlx::Connection::close(admin).await?;
        Ok(!exists)
    }
}

//! `fillroute fleet ...`: depots, disposal sites, trucks and regions, so the
//! nightly job can run on a fresh database without hand-written PostGIS SQL.
//! Validation lives in [`fillroute_planning::onboard`]; this module only
//! parses flags and prints.

use crate::exit;
use clap::{Args, Subcommand};
use fillroute_planning::PlanningError;
use fillroute_planning::onboard::{
    self, RegionArea, RegionSpec, RegionUpdate, SiteSpec, TruckSpec, TruckUpdate,
};
use fillroute_store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

/// Fleet subcommands.
#[derive(Subcommand)]
pub enum FleetCmd {
    /// Depots: where trucks start and end their day.
    #[command(subcommand)]
    Depot(DepotCmd),
    /// Disposal sites: where full trucks unload.
    #[command(subcommand)]
    Site(SiteCmd),
    /// Trucks: capacity, shift and costs, based at a depot.
    #[command(subcommand)]
    Truck(TruckCmd),
    /// Planning regions: the bins inside a polygon, planned from one depot on one road network.
    #[command(subcommand)]
    Region(RegionCmd),
}

/// `fleet depot ...`.
#[derive(Subcommand)]
pub enum DepotCmd {
    /// Register a depot (names are unique).
    Add(DepotAdd),
    /// List depots.
    List(crate::ingest::DbArgs),
}

/// `fleet depot add`.
#[derive(Args)]
pub struct DepotAdd {
    /// Unique name; trucks and regions refer to it.
    #[arg(long)]
    pub name: String,
    /// Longitude, degrees (WGS 84).
    #[arg(long, allow_negative_numbers = true)]
    pub lon: f64,
    /// Latitude, degrees (WGS 84).
    #[arg(long, allow_negative_numbers = true)]
    pub lat: f64,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

/// `fleet site ...`.
#[derive(Subcommand)]
pub enum SiteCmd {
    /// Register a disposal site.
    Add(SiteAdd),
    /// List disposal sites.
    List(crate::ingest::DbArgs),
}

/// `fleet site add`.
#[derive(Args)]
pub struct SiteAdd {
    /// Name shown to dispatchers.
    #[arg(long)]
    pub name: String,
    /// Longitude, degrees (WGS 84).
    #[arg(long, allow_negative_numbers = true)]
    pub lon: f64,
    /// Latitude, degrees (WGS 84).
    #[arg(long, allow_negative_numbers = true)]
    pub lat: f64,
    /// Opening hours, local time HH:MM-HH:MM.
    #[arg(long, default_value = "06:00-20:00")]
    pub hours: String,
    /// Minutes a truck spends unloading.
    #[arg(long, default_value_t = 15.0, allow_negative_numbers = true)]
    pub unload_minutes: f64,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

/// `fleet truck ...`.
#[derive(Subcommand)]
pub enum TruckCmd {
    /// Register a truck at a depot.
    Add(TruckAdd),
    /// Change a truck's name, depot, capacity, shift or costs (only the flags given).
    Update(TruckUpd),
    /// List trucks.
    List(crate::ingest::DbArgs),
}

/// `fleet truck add`.
#[derive(Args)]
pub struct TruckAdd {
    /// Name shown to dispatchers.
    #[arg(long)]
    pub name: String,
    /// Home depot's name.
    #[arg(long)]
    pub depot: String,
    /// Litres it carries per trip.
    #[arg(long, allow_negative_numbers = true)]
    pub capacity_litres: i64,
    /// Shift, local time HH:MM-HH:MM.
    #[arg(long, default_value = "06:00-14:00")]
    pub shift: String,
    /// Cost per km driven.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub cost_per_km: f64,
    /// Cost per hour out of the depot (crew and truck).
    #[arg(long, default_value_t = 40.0, allow_negative_numbers = true)]
    pub cost_per_hour: f64,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

/// `fleet region ...`.
#[derive(Subcommand)]
pub enum RegionCmd {
    /// Register a planning region (`fillroute plan --region NAME`).
    Add(RegionAdd),
    /// Change a region's depot, network, UTC offset or lunch rule (only the flags given).
    Update(RegionUpd),
    /// List regions.
    List(crate::ingest::DbArgs),
}

/// `fleet region add`.
#[derive(Args)]
pub struct RegionAdd {
    /// Unique name.
    #[arg(long)]
    pub name: String,
    /// GeoJSON file with the region's Polygon (or give --bbox).
    #[arg(long, conflicts_with = "bbox", required_unless_present = "bbox")]
    pub polygon: Option<PathBuf>,
    /// min_lon,min_lat,max_lon,max_lat instead of a polygon file.
    #[arg(long, allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Depot name its trucks start from.
    #[arg(long)]
    pub depot: String,
    /// Road network name (as given to `fillroute roads import --network`).
    #[arg(long)]
    pub network: String,
    /// Local offset from UTC, +HH:MM or -HH:MM (used without --time-zone).
    #[arg(long, default_value = "+00:00", allow_hyphen_values = true)]
    pub utc_offset: String,
    /// IANA time zone, e.g. Europe/Andorra: local dates, shifts and lunch
    /// follow it through daylight saving changes.
    #[arg(long)]
    pub time_zone: Option<String>,
    /// Window the lunch break starts in, local time HH:MM-HH:MM.
    #[arg(long, default_value = "11:30-13:30")]
    pub lunch: String,
    /// Lunch length in minutes (0: no break).
    #[arg(long, default_value_t = 30, allow_negative_numbers = true)]
    pub lunch_minutes: i64,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

/// `fleet truck update`.
#[derive(Args)]
pub struct TruckUpd {
    /// Truck id (`fillroute fleet truck list`).
    pub id: i64,
    /// New name.
    #[arg(long)]
    pub name: Option<String>,
    /// New home depot's name.
    #[arg(long)]
    pub depot: Option<String>,
    /// New litres per trip.
    #[arg(long, allow_negative_numbers = true)]
    pub capacity_litres: Option<i64>,
    /// New shift, local time HH:MM-HH:MM.
    #[arg(long)]
    pub shift: Option<String>,
    /// New cost per km.
    #[arg(long, allow_negative_numbers = true)]
    pub cost_per_km: Option<f64>,
    /// New cost per hour.
    #[arg(long, allow_negative_numbers = true)]
    pub cost_per_hour: Option<f64>,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

/// `fleet region update`.
#[derive(Args)]
pub struct RegionUpd {
    /// Region name.
    pub name: String,
    /// New depot name.
    #[arg(long)]
    pub depot: Option<String>,
    /// New road network name.
    #[arg(long)]
    pub network: Option<String>,
    /// New offset from UTC, +HH:MM or -HH:MM (used without a time zone).
    #[arg(long, allow_hyphen_values = true)]
    pub utc_offset: Option<String>,
    /// New IANA time zone, e.g. Europe/Andorra ("none" to use the fixed offset).
    #[arg(long)]
    pub time_zone: Option<String>,
    /// New lunch window, local time HH:MM-HH:MM.
    #[arg(long)]
    pub lunch: Option<String>,
    /// New lunch length in minutes.
    #[arg(long, allow_negative_numbers = true)]
    pub lunch_minutes: Option<i64>,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

/// Runs a fleet subcommand; see [`crate::exit`] for the exit codes.
pub fn run(cmd: FleetCmd) -> ExitCode {
    let result = tokio::runtime::Runtime::new()
        .map_err(|e| PlanningError::Internal(e.to_string()))
        .and_then(|rt| rt.block_on(dispatch(cmd)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => exit::failure(&e),
    }
}

async fn connect(db: &crate::ingest::DbArgs) -> Result<Store, PlanningError> {
    Ok(Store::connect(&db.database_url).await?)
}

fn hhmm(s: i32) -> String {
    format!("{:02}:{:02}", s / 3600, s % 3600 / 60)
}

fn offset(s: i32) -> String {
    let sign = if s < 0 { '-' } else { '+' };
    format!("{sign}{}", hhmm(s.abs()))
}

/// A region's clock as listed: its time zone, else its fixed offset.
fn zone(r: &fillroute_store::RegionRow) -> String {
    r.time_zone
        .clone()
        .unwrap_or_else(|| format!("UTC{}", offset(r.utc_offset_s)))
}

async fn dispatch(cmd: FleetCmd) -> Result<(), PlanningError> {
    match cmd {
        FleetCmd::Depot(DepotCmd::Add(a)) => {
            let store = connect(&a.db).await?;
            let id = onboard::add_depot(&store, &a.name, a.lon, a.lat).await?;
            println!("depot {id} \"{}\" added", a.name.trim());
        }
        FleetCmd::Depot(DepotCmd::List(db)) => {
            let store = connect(&db).await?;
            println!("id\tname\tlon\tlat");
            for (id, d) in onboard::depots(&store).await? {
                println!("{id}\t{}\t{}\t{}", d.name, d.lon, d.lat);
            }
        }
        FleetCmd::Site(SiteCmd::Add(a)) => {
            let store = connect(&a.db).await?;
            let spec = SiteSpec {
                name: a.name,
                lon: a.lon,
                lat: a.lat,
                hours: a.hours,
                unload_minutes: a.unload_minutes,
            };
            let id = onboard::add_site(&store, &spec).await?;
            println!("disposal site {id} \"{}\" added", spec.name.trim());
        }
        FleetCmd::Site(SiteCmd::List(db)) => {
            let store = connect(&db).await?;
            println!("id\tname\tlon\tlat\thours\tunload_min");
            for s in onboard::sites(&store).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}-{}\t{}",
                    s.id,
                    s.name,
                    s.lon,
                    s.lat,
                    hhmm(s.opens_s),
                    hhmm(s.closes_s),
                    f64::from(s.service_time_s) / 60.0
                );
            }
        }
        FleetCmd::Truck(TruckCmd::Add(a)) => {
            let store = connect(&a.db).await?;
            let spec = TruckSpec {
                name: a.name,
                depot: a.depot,
                capacity_litres: a.capacity_litres,
                shift: a.shift,
                cost_per_km: a.cost_per_km,
                cost_per_hour: a.cost_per_hour,
            };
            let id = onboard::add_truck(&store, &spec).await?;
            println!(
                "truck {id} \"{}\" added at depot \"{}\"",
                spec.name.trim(),
                spec.depot
            );
        }
        FleetCmd::Truck(TruckCmd::Update(a)) => {
            let store = connect(&a.db).await?;
            let update = TruckUpdate {
                id: a.id,
                name: a.name,
                depot: a.depot,
                capacity_litres: a.capacity_litres,
                shift: a.shift,
                cost_per_km: a.cost_per_km,
                cost_per_hour: a.cost_per_hour,
            };
            let t = onboard::update_truck(&store, &update).await?;
            println!("truck {} \"{}\" updated", t.id, t.truck.name);
        }
        FleetCmd::Truck(TruckCmd::List(db)) => {
            let store = connect(&db).await?;
            println!("id\tname\tdepot_id\tcapacity_l\tshift\tcost_per_km\tcost_per_hour");
            for t in onboard::trucks(&store).await? {
                let k = &t.truck;
                println!(
                    "{}\t{}\t{}\t{}\t{}-{}\t{}\t{}",
                    t.id,
                    k.name,
                    k.depot_id,
                    k.capacity_litres,
                    hhmm(k.shift_start_s),
                    hhmm(k.shift_end_s),
                    k.cost_per_km,
                    k.cost_per_hour
                );
            }
        }
        FleetCmd::Region(RegionCmd::Add(a)) => {
            let store = connect(&a.db).await?;
            let area = match (a.polygon, a.bbox) {
                (Some(path), _) => RegionArea::GeoJson(path),
                (None, Some(b)) => RegionArea::Bbox(b),
                (None, None) => {
                    return Err(PlanningError::invalid(
                        "--polygon",
                        "(missing)",
                        "give --polygon FILE.geojson or --bbox min_lon,min_lat,max_lon,max_lat",
                    ));
                }
            };
            let spec = RegionSpec {
                name: a.name,
                area,
                depot: a.depot,
                network: a.network,
                utc_offset: a.utc_offset,
                time_zone: a.time_zone,
                lunch: a.lunch,
                lunch_minutes: a.lunch_minutes,
            };
            let id = onboard::add_region(&store, &spec).await?;
            println!(
                "region {id} \"{}\" added (depot \"{}\", network \"{}\")",
                spec.name.trim(),
                spec.depot,
                spec.network
            );
        }
        FleetCmd::Region(RegionCmd::Update(a)) => {
            let store = connect(&a.db).await?;
            let update = RegionUpdate {
                name: a.name,
                depot: a.depot,
                network: a.network,
                utc_offset: a.utc_offset,
                time_zone: a.time_zone,
                lunch: a.lunch,
                lunch_minutes: a.lunch_minutes,
            };
            let r = onboard::update_region(&store, &update).await?;
            println!(
                "region {} \"{}\" updated (depot \"{}\", time {}, lunch {}-{} for {} min)",
                r.id,
                r.name,
                r.depot_name,
                zone(&r),
                hhmm(r.lunch_opens_s),
                hhmm(r.lunch_closes_s),
                r.lunch_minutes
            );
        }
        FleetCmd::Region(RegionCmd::List(db)) => {
            let store = connect(&db).await?;
            println!("id\tname\tdepot\tnetwork_id\ttime\tlunch\tlunch_min\tbbox");
            for r in onboard::regions(&store).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}-{}\t{}\t{},{},{},{}",
                    r.id,
                    r.name,
                    r.depot_name,
                    r.network.0,
                    zone(&r),
                    hhmm(r.lunch_opens_s),
                    hhmm(r.lunch_closes_s),
                    r.lunch_minutes,
                    r.bbox[0],
                    r.bbox[1],
                    r.bbox[2],
                    r.bbox[3]
                );
            }
        }
    }
    Ok(())
}

//! Scenario files: the TOML a user writes, parsed strictly (unknown keys are
//! errors, so a typo never silently falls back to a default) and validated
//! so that every error names the field, the value and the fix.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::macros::{date, format_description};
use time::{Date, Month};

use fillroute_forecast::{CalendarPolicy, RatePrior};
use fillroute_roads::EARTH_RADIUS_M;

use crate::error::{Result, ScenarioError, invalid};

/// A whole scenario: a city, its bins, trucks and cameras, and the policies to compare.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name, used in output file names.
    pub name: String,
    /// What the scenario is for.
    #[serde(default)]
    pub description: String,
    /// First simulated day, `YYYY-MM-DD` (local date).
    pub start_date: String,
    /// Local time zone offset from UTC, hours.
    #[serde(default)]
    pub utc_offset_hours: i32,
    /// Horizon, seeds and budgets.
    pub run: RunConfig,
    /// The road network.
    pub roads: RoadsConfig,
    /// Depots where shifts start and end.
    pub depots: Vec<SiteConfig>,
    /// Landfills and transfer stations.
    #[serde(default)]
    pub disposal_sites: Vec<DisposalConfig>,
    /// The bins.
    pub bins: BinsConfig,
    /// The fleet.
    pub trucks: TrucksConfig,
    /// Lid cameras.
    pub cameras: CamerasConfig,
    /// Collection policies to compare.
    pub policies: Vec<PolicyConfig>,
    /// Folder the scenario was read from; relative paths resolve against it.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// Horizon, seed and budgets.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Simulated days.
    pub days: usize,
    /// Seed of everything random (bins, fill, cameras, planner).
    pub seed: u64,
    /// Planner wall-clock budget per day and policy, seconds.
    #[serde(default = "default_planner_seconds")]
    pub planner_seconds: f64,
    /// Planner iteration cap per day, so runs are reproducible whatever the
    /// machine's speed (the time budget is only a safety net).
    #[serde(default = "default_planner_iterations")]
    pub planner_iterations: u64,
    /// Days (1-based) to draw HTML route maps for with `--out`.
    #[serde(default)]
    pub map_days: Vec<usize>,
}

fn default_planner_seconds() -> f64 {
    2.0
}
fn default_planner_iterations() -> u64 {
    3000
}

/// A road network: a file or a generated grid city.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadsConfig {
    /// OSM `.osm.pbf`, `.osm`/`.osm.gz` or `.geojson`, relative to the scenario file.
    pub file: Option<PathBuf>,
    /// A generated grid city (used when `file` is absent).
    pub grid: Option<GridConfig>,
    /// Furthest a bin, depot or site may lie from the road, metres.
    #[serde(default = "default_snap")]
    pub snap_max_m: f64,
}

fn default_snap() -> f64 {
    300.0
}

/// Grid city parameters (see `fillroute_roads::GridCity`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridConfig {
    /// Blocks west–east.
    pub blocks_x: u32,
    /// Blocks south–north.
    pub blocks_y: u32,
    /// Block edge, metres.
    #[serde(default = "default_block")]
    pub block_m: f64,
    /// Every n-th street is a 50 km/h arterial.
    #[serde(default = "default_arterial")]
    pub arterial_every: u32,
    /// Share of one-way residential streets.
    #[serde(default = "default_one_way")]
    pub one_way_share: f64,
    /// South-west corner `[lon, lat]`.
    #[serde(default = "default_origin")]
    pub origin: [f64; 2],
}

fn default_block() -> f64 {
    120.0
}
fn default_arterial() -> u32 {
    5
}
fn default_one_way() -> f64 {
    0.3
}
fn default_origin() -> [f64; 2] {
    [4.35, 50.85]
}

/// A depot.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Unique id.
    pub id: String,
    /// `[lon, lat]`.
    pub at: [f64; 2],
}

/// A disposal site.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisposalConfig {
    /// Unique id.
    pub id: String,
    /// `[lon, lat]`.
    pub at: [f64; 2],
    /// Opening hours `["HH:MM", "HH:MM"]`.
    #[serde(default = "default_hours")]
    pub hours: [String; 2],
    /// Unloading time, minutes.
    #[serde(default = "default_unload")]
    pub unload_minutes: f64,
}

fn default_hours() -> [String; 2] {
    ["05:00".into(), "20:00".into()]
}
fn default_unload() -> f64 {
    15.0
}

/// Bins: generated from distributions, plus an optional explicit list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinsConfig {
    /// Bins to generate.
    #[serde(default)]
    pub count: usize,
    /// Land-use zones the generated bins are drawn from.
    #[serde(default)]
    pub zones: Vec<ZoneConfig>,
    /// Fill at the start of day 1, drawn uniformly from `[min, max]`.
    #[serde(default = "default_initial")]
    pub initial_fill: [f64; 2],
    /// Multiplier of the fill rate per weekday, Monday first.
    #[serde(default = "default_weekday")]
    pub weekday_pattern: [f64; 7],
    /// Log-normal day-to-day noise of the fill rate (sd of the log).
    #[serde(default = "default_noise")]
    pub noise_log_sd: f64,
    /// Days with more waste (festivals, holidays).
    #[serde(default)]
    pub holidays: Vec<HolidayConfig>,
    /// Bins given one by one.
    #[serde(default)]
    pub explicit: Vec<ExplicitBin>,
    /// Contractual maximum days between services (none by default).
    pub max_interval_days: Option<f64>,
    /// Centre of the service area `[lon, lat]` (default: the middle of the road network).
    pub center: Option<[f64; 2]>,
    /// Only place generated bins within this distance of the centre, metres.
    pub radius_m: Option<f64>,
}

fn default_initial() -> [f64; 2] {
    [0.0, 0.6]
}
fn default_weekday() -> [f64; 7] {
    [1.0; 7]
}
fn default_noise() -> f64 {
    0.25
}

/// A land-use zone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneConfig {
    /// Zone name (residential, commercial, ...).
    pub name: String,
    /// Share of generated bins.
    pub share: f64,
    /// Mean fill rate, fraction of the container per day.
    pub rate_mean: f64,
    /// Spread of the per-bin mean rate between bins (sd of the log).
    #[serde(default = "default_rate_sd")]
    pub rate_log_sd: f64,
    /// Container sizes to draw from, litres.
    pub containers_litres: Vec<f64>,
    /// Only place this zone's bins within this distance of the network centre, metres.
    pub within_m: Option<f64>,
    /// Service window `["HH:MM", "HH:MM"]` (e.g. before shops open).
    pub window: Option<[String; 2]>,
}

fn default_rate_sd() -> f64 {
    0.4
}

impl ZoneConfig {
    /// The fill rate a city plans with for this zone's bins: the zone's
    /// mean, never a bin's own true rate, with the spread between its bins
    /// plus 0.2 for the figure's own error. The replay fits every bin with it
    /// as the prior and `--stack` registers it with each bin, so both fit as
    /// production does for a bin registered with `fill_rate_prior`.
    pub fn planning_prior(&self) -> RatePrior {
        RatePrior {
            rate_per_day: self.rate_mean.clamp(1e-3, 10.0),
            log_sd: self.rate_log_sd.hypot(0.2).clamp(0.05, 5.0),
        }
    }
}

/// A day with more waste.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayConfig {
    /// Simulated day, 1-based.
    pub day: usize,
    /// Fill-rate multiplier that day.
    pub factor: f64,
}

/// One explicitly placed bin.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplicitBin {
    /// Unique id.
    pub id: String,
    /// `[lon, lat]`.
    pub at: [f64; 2],
    /// Container volume, litres.
    pub litres: f64,
    /// Mean fill per day.
    pub rate: f64,
    /// Fill at the start of day 1.
    #[serde(default)]
    pub fill: f64,
}

/// The fleet.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrucksConfig {
    /// Number of trucks.
    pub count: usize,
    /// Depot id (default: the first depot).
    pub depot: Option<String>,
    /// Compacted litres per trip (unloading at a disposal site resets it).
    pub capacity_litres: f64,
    /// How much the truck compacts: litres of bin content per litre of body.
    #[serde(default = "default_compaction")]
    pub compaction: f64,
    /// Shift `["HH:MM", "HH:MM"]`.
    pub shift: [String; 2],
    /// Lunch break.
    pub lunch: Option<LunchConfig>,
    /// Minutes at each bin.
    #[serde(default = "default_service")]
    pub service_minutes: f64,
    /// Running cost per km, euro.
    #[serde(default = "default_eur_km")]
    pub eur_per_km: f64,
    /// Crew and truck cost per hour, euro.
    #[serde(default = "default_eur_hour")]
    pub eur_per_hour: f64,
    /// Working weekdays, Monday first.
    #[serde(default = "default_workdays")]
    pub weekdays: [bool; 7],
    /// Must end each shift with a disposal visit.
    #[serde(default = "default_true")]
    pub final_disposal: bool,
}

fn default_compaction() -> f64 {
    3.0
}
fn default_service() -> f64 {
    1.5
}
fn default_eur_km() -> f64 {
    1.5
}
fn default_eur_hour() -> f64 {
    45.0
}
fn default_workdays() -> [bool; 7] {
    [true, true, true, true, true, true, false]
}
fn default_true() -> bool {
    true
}

/// The driver's lunch break.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LunchConfig {
    /// Window for the start of the break.
    pub window: [String; 2],
    /// Length, minutes.
    pub minutes: f64,
}

/// Lid cameras and the vision model that reads them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CamerasConfig {
    /// Images per bin per day.
    pub per_day: usize,
    /// Probability that an image comes from a dark lens.
    #[serde(default)]
    pub dark_lens_rate: f64,
    /// Probability that a camera sends nothing on a given day.
    #[serde(default)]
    pub silent_rate: f64,
    /// Rendered training images per fill class for the run's classifier.
    #[serde(default = "default_train")]
    pub train_per_class: usize,
    /// Images per backbone call.
    #[serde(default = "default_batch")]
    pub batch: usize,
}

fn default_train() -> usize {
    24
}
fn default_batch() -> usize {
    32
}

/// A collection policy to compare.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum PolicyConfig {
    /// Every bin `per_week` times a week on fixed weekdays, one compact
    /// calendar area after another.
    Fixed {
        /// Name in tables.
        name: String,
        /// Collections per week.
        per_week: u8,
    },
    /// A fixed schedule a good dispatcher sets without sensors: each bin 1, 2
    /// or 3 times a week from its long-run fill rate, on an aligned calendar of
    /// compact areas.
    Tuned {
        /// Name in tables.
        name: String,
        /// Fill a bin should reach between two collections (sets its cadence).
        target_fill: f64,
    },
    /// Collect when the expected fill reaches `fill`.
    Threshold {
        /// Name in tables.
        name: String,
        /// Fill that triggers a collection.
        fill: f64,
    },
    /// Collect when the overflow risk before the next working day is above
    /// `risk_level`; offer bins above `may_fill` as optional stops with a prize.
    ForecastRisk {
        /// Name in tables.
        name: String,
        /// Must-collect probability.
        risk_level: f64,
        /// Optional-stop fill.
        may_fill: f64,
        /// Cost of one overflow, euro (the optional stop's prize scales with it).
        overflow_eur: f64,
        /// Decide over the collection calendar: in today's area up to the
        /// area's next sweep, elsewhere only emergencies. Without it, every bin
        /// looks one working day ahead.
        #[serde(default)]
        calendar: Option<CalendarPolicy>,
        /// Read the true fill instead of the camera photos (an upper bound, not a policy).
        #[serde(default)]
        oracle: bool,
    },
}

impl PolicyConfig {
    /// Name in tables and file names.
    pub fn name(&self) -> &str {
        match self {
            PolicyConfig::Fixed { name, .. }
            | PolicyConfig::Tuned { name, .. }
            | PolicyConfig::Threshold { name, .. }
            | PolicyConfig::ForecastRisk { name, .. } => name,
        }
    }
    /// Whether the policy reads the cameras (fixed schedules do not).
    pub fn uses_cameras(&self) -> bool {
        !matches!(
            self,
            PolicyConfig::Fixed { .. } | PolicyConfig::Tuned { .. }
        )
    }
}

/// Most locations (depots, disposal sites and bins) in one scenario: the
/// travel matrix between them all is computed once and held for the run.
pub const MAX_LOCATIONS: usize = 10_000;
/// Most camera images in one run (each is rendered and read by the model,
/// and every policy keeps every reading).
pub const MAX_IMAGES: usize = 5_000_000;
/// Most policies compared in one run.
pub const MAX_POLICIES: usize = 20;

/// A name that becomes part of output file names: short, no path
/// separators, spaces or control characters.
fn file_name_part(field: &str, name: &str, example: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("{name:?}"),
            format!(
                "use a short name (at most 64 characters) without spaces or slashes, e.g. {example}"
            ),
        ))
    }
}

/// Refuses a grid city that would run off the globe: its north-east corner,
/// laid out as `GridCity::build` lays it out, must stay within lat 90 and lon 180.
fn grid_on_the_globe(g: &GridConfig) -> Result<()> {
    let m_per_deg = EARTH_RADIUS_M.to_radians();
    let cos = g.origin[1].to_radians().cos().max(1e-6);
    let north = g.origin[1] + f64::from(g.blocks_y) * g.block_m / m_per_deg;
    let east = g.origin[0] + f64::from(g.blocks_x) * g.block_m / (m_per_deg * cos);
    if north <= 90.0 && east <= 180.0 {
        return Ok(());
    }
    Err(invalid(
        "roads.grid",
        format!(
            "{}x{} blocks of {} m from {:?}, reaching lon {east:.4}, lat {north:.4}",
            g.blocks_x, g.blocks_y, g.block_m, g.origin
        ),
        "keep the grid within lat 90 and lon 180: move roads.grid.origin south or west, or use fewer or shorter blocks",
    ))
}

/// `"HH:MM"` to seconds after midnight.
pub fn parse_clock(field: &str, s: &str) -> Result<i64> {
    let bad = || {
        invalid(
            field,
            format!("{s:?}"),
            "write a time of day as \"HH:MM\", e.g. \"06:30\"",
        )
    };
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..=24).contains(&h) || !(0..60).contains(&m) || h * 60 + m > 24 * 60 {
        return Err(bad());
    }
    Ok(h * 3600 + m * 60)
}

/// The first date a scenario may start on: simulated time counts days from the Unix epoch.
pub const FIRST_DATE: Date = date!(1970 - 01 - 01);
/// The last date a scenario may simulate: far enough for any plan, and well
/// inside what every clock downstream (planner, PostgreSQL, the stack replay) handles.
pub const LAST_DATE: Date = date!(2200 - 12 - 31);

/// `"YYYY-MM-DD"`, a date that exists (no 31 February rolled into March),
/// between [`FIRST_DATE`] and [`LAST_DATE`].
pub fn parse_calendar_date(field: &str, s: &str) -> Result<Date> {
    let bad = |fix: String| invalid(field, format!("{s:?}"), fix);
    let shape = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return Err(bad(
            "write a date as \"YYYY-MM-DD\", e.g. \"2026-11-30\"".into()
        ));
    }
    let date = Date::parse(s, format_description!("[year]-[month]-[day]")).map_err(|_| {
        // The shape is right, so the month or the day does not exist: say which.
        let year: i32 = s[..4].parse().unwrap_or(FIRST_DATE.year());
        match s[5..7].parse::<u8>().ok().and_then(|m| Month::try_from(m).ok()) {
            Some(month) => {
                let days = time::util::days_in_month(month, year);
                bad(format!(
                    "{month} {year} has {days} days: write a day of 01..={days}, e.g. \"{year:04}-{:02}-{days:02}\"",
                    u8::from(month)
                ))
            }
            None => bad(format!(
                "write a month of 01..=12, e.g. \"{year:04}-11-30\""
            )),
        }
    })?;
    if !(FIRST_DATE..=LAST_DATE).contains(&date) {
        return Err(bad(format!("use a date from {FIRST_DATE} to {LAST_DATE}")));
    }
    Ok(date)
}

/// `"YYYY-MM-DD"` (see [`parse_calendar_date`]) to days since 1970-01-01.
pub fn parse_date(field: &str, s: &str) -> Result<i64> {
    Ok((parse_calendar_date(field, s)? - FIRST_DATE).whole_days())
}

impl Scenario {
    /// The planning fill rate of a bin of the named zone (`None` for an
    /// explicit bin outside every zone: the model's default).
    pub fn planning_prior(&self, zone: &str) -> Option<RatePrior> {
        self.bins
            .zones
            .iter()
            .find(|z| z.name == zone)
            .map(ZoneConfig::planning_prior)
    }

    /// Reads and validates a scenario file: `scenario check` and `scenario
    /// run` both start here, so both refuse the same files.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::from_toml_str_in(&text, base_dir).map_err(|e| match e {
            ScenarioError::Parse { message, .. } => ScenarioError::Parse {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Parses and validates scenario TOML (relative paths resolve against the current folder).
    pub fn from_toml_str(text: &str) -> Result<Self> {
        Self::from_toml_str_in(text, PathBuf::new())
    }

    /// Parses and validates scenario TOML whose relative paths resolve against `base_dir`.
    pub fn from_toml_str_in(text: &str, base_dir: PathBuf) -> Result<Self> {
        let mut s: Scenario = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            path: PathBuf::from("<scenario>"),
            message: e.to_string(),
        })?;
        s.base_dir = base_dir;
        s.validate()?;
        Ok(s)
    }

    /// Checks every value that parses but would make the run meaningless or
    /// exhaust the machine. The one validation of a scenario: `scenario
    /// check` and `scenario run` (after its overrides) both call it, so a file
    /// `check` accepts is not refused by `run` for anything the file says
    /// (only for what the road data says: a point too far from any road).
    pub fn validate(&self) -> Result<()> {
        let range = |field: &str, v: f64, lo: f64, hi: f64, fix: &str| -> Result<()> {
            if v.is_finite() && v >= lo && v <= hi {
                Ok(())
            } else {
                Err(invalid(field, v, fix))
            }
        };
        file_name_part("name", &self.name, "\"small\"")?;
        let start = parse_calendar_date("start_date", &self.start_date)?;
        range(
            "utc_offset_hours",
            f64::from(self.utc_offset_hours),
            -12.0,
            14.0,
            "use an offset in -12..=14 hours",
        )?;
        if !(1..=366).contains(&self.run.days) {
            return Err(invalid("run.days", self.run.days, "simulate 1..=366 days"));
        }
        let last = start.saturating_add(time::Duration::days(self.run.days as i64 - 1));
        if last > LAST_DATE {
            return Err(invalid(
                "run.days",
                self.run.days,
                format!(
                    "the last simulated day, {last}, is after {LAST_DATE}: simulate at most {} days from {start} or start earlier",
                    (LAST_DATE - start).whole_days() + 1
                ),
            ));
        }
        range(
            "run.planner_seconds",
            self.run.planner_seconds,
            0.05,
            600.0,
            "give the planner 0.05..=600 seconds per day",
        )?;
        if self.run.planner_iterations == 0 {
            return Err(invalid(
                "run.planner_iterations",
                0,
                "allow at least 1 iteration (a few thousand is typical)",
            ));
        }
        for (i, &d) in self.run.map_days.iter().enumerate() {
            if d == 0 || d > self.run.days {
                return Err(invalid(
                    format!("run.map_days[{i}]"),
                    d,
                    format!("pick a day in 1..={}", self.run.days),
                ));
            }
        }
        let lonlat = |field: String, at: [f64; 2]| -> Result<()> {
            if at[0].is_finite()
                && at[1].is_finite()
                && (-180.0..=180.0).contains(&at[0])
                && (-90.0..=90.0).contains(&at[1])
            {
                Ok(())
            } else {
                Err(invalid(
                    field,
                    format!("{at:?}"),
                    "write [lon, lat] in degrees, longitude first",
                ))
            }
        };
        match (&self.roads.file, &self.roads.grid) {
            (None, None) => {
                return Err(invalid(
                    "roads",
                    "neither `file` nor `grid`",
                    "set roads.file to an OSM extract or add a [roads.grid] table",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "roads",
                    "both `file` and `grid`",
                    "keep only one of roads.file and [roads.grid]",
                ));
            }
            (None, Some(g)) => {
                let blocks = u64::from(g.blocks_x) * u64::from(g.blocks_y);
                if blocks == 0 || blocks > 250_000 {
                    return Err(invalid(
                        "roads.grid.blocks_x",
                        format!("{}x{}", g.blocks_x, g.blocks_y),
                        "use 1..=250000 blocks in total",
                    ));
                }
                range(
                    "roads.grid.block_m",
                    g.block_m,
                    10.0,
                    2000.0,
                    "use a block edge of 10..=2000 m",
                )?;
                range(
                    "roads.grid.one_way_share",
                    g.one_way_share,
                    0.0,
                    1.0,
                    "use a share in 0..=1",
                )?;
                if g.arterial_every == 0 {
                    return Err(invalid(
                        "roads.grid.arterial_every",
                        0,
                        "use 1 or more (every n-th street is an arterial)",
                    ));
                }
                lonlat("roads.grid.origin".into(), g.origin)?;
                grid_on_the_globe(g)?;
            }
            (Some(file), None) => {
                let path = self.base_dir.join(file);
                if !path.is_file() {
                    return Err(invalid(
                        "roads.file",
                        path.display(),
                        "point to an existing .osm.pbf, .osm, .osm.gz or .geojson extract (paths are relative to the scenario file)",
                    ));
                }
            }
        }
        range(
            "roads.snap_max_m",
            self.roads.snap_max_m,
            1.0,
            10_000.0,
            "use 1..=10000 m",
        )?;
        if self.depots.is_empty() {
            return Err(invalid(
                "depots",
                "[]",
                "add a [[depots]] table with an id and `at = [lon, lat]`",
            ));
        }
        let mut ids = std::collections::HashSet::new();
        for (i, d) in self.depots.iter().enumerate() {
            lonlat(format!("depots[{i}].at"), d.at)?;
            if !ids.insert(d.id.clone()) {
                return Err(invalid(
                    format!("depots[{i}].id"),
                    format!("{:?}", d.id),
                    "give every depot and site its own id",
                ));
            }
        }
        for (i, d) in self.disposal_sites.iter().enumerate() {
            lonlat(format!("disposal_sites[{i}].at"), d.at)?;
            if !ids.insert(d.id.clone()) {
                return Err(invalid(
                    format!("disposal_sites[{i}].id"),
                    format!("{:?}", d.id),
                    "give every depot and site its own id",
                ));
            }
            let open = parse_clock(&format!("disposal_sites[{i}].hours[0]"), &d.hours[0])?;
            let close = parse_clock(&format!("disposal_sites[{i}].hours[1]"), &d.hours[1])?;
            if open >= close {
                return Err(invalid(
                    format!("disposal_sites[{i}].hours"),
                    format!("{:?}", d.hours),
                    "make opening come before closing",
                ));
            }
            range(
                &format!("disposal_sites[{i}].unload_minutes"),
                d.unload_minutes,
                0.0,
                240.0,
                "use 0..=240 minutes",
            )?;
        }
        let b = &self.bins;
        if b.count == 0 && b.explicit.is_empty() {
            return Err(invalid(
                "bins.count",
                0,
                "generate some bins (bins.count > 0 with [[bins.zones]]) or list [[bins.explicit]] bins",
            ));
        }
        let locations = self.depots.len() + self.disposal_sites.len() + b.count + b.explicit.len();
        if locations > MAX_LOCATIONS {
            return Err(invalid(
                if b.explicit.is_empty() {
                    "bins.count"
                } else {
                    "bins"
                },
                format!(
                    "{} generated + {} explicit bins (with the depots and disposal sites, {locations} locations)",
                    b.count,
                    b.explicit.len()
                ),
                format!(
                    "keep bins, depots and disposal sites within {MAX_LOCATIONS} locations: the travel matrix grows with the square of the count ({MAX_LOCATIONS} take about 1.6 GB)"
                ),
            ));
        }
        if b.count > 0 && b.zones.is_empty() {
            return Err(invalid(
                "bins.zones",
                "[]",
                "add at least one [[bins.zones]] table to generate bins from",
            ));
        }
        let share: f64 = b.zones.iter().map(|z| z.share).sum();
        for (i, z) in b.zones.iter().enumerate() {
            let f = |name: &str| format!("bins.zones[{i}].{name}");
            range(
                &f("share"),
                z.share,
                0.0,
                1.0,
                "use a share in 0..=1; shares are normalised to sum to 1",
            )?;
            range(
                &f("rate_mean"),
                z.rate_mean,
                0.001,
                2.0,
                "use a mean fill rate of 0.001..=2 containers per day (0.1 = full in 10 days)",
            )?;
            range(&f("rate_log_sd"), z.rate_log_sd, 0.0, 2.0, "use 0..=2")?;
            if z.containers_litres.is_empty() {
                return Err(invalid(
                    f("containers_litres"),
                    "[]",
                    "list at least one container size, e.g. [240, 1100]",
                ));
            }
            for (k, &l) in z.containers_litres.iter().enumerate() {
                range(
                    &f(&format!("containers_litres[{k}]")),
                    l,
                    10.0,
                    40_000.0,
                    "use 10..=40000 litres",
                )?;
            }
            if let Some(w) = z.within_m {
                range(
                    &f("within_m"),
                    w,
                    10.0,
                    1e6,
                    "use a radius of 10 m or more, or leave it out",
                )?;
            }
            if let Some([a, c]) = &z.window {
                let (a, c) = (
                    parse_clock(&f("window[0]"), a)?,
                    parse_clock(&f("window[1]"), c)?,
                );
                if a >= c {
                    return Err(invalid(
                        f("window"),
                        format!("{:?}", z.window),
                        "make the window start before it ends",
                    ));
                }
            }
        }
        if b.count > 0 && share <= 0.0 {
            return Err(invalid(
                "bins.zones[*].share",
                share,
                "give at least one zone a positive share",
            ));
        }
        if !(0.0..=1.3).contains(&b.initial_fill[0])
            || !(b.initial_fill[0]..=1.3).contains(&b.initial_fill[1])
        {
            return Err(invalid(
                "bins.initial_fill",
                format!("{:?}", b.initial_fill),
                "use [min, max] with 0 <= min <= max <= 1.3",
            ));
        }
        for (i, &w) in b.weekday_pattern.iter().enumerate() {
            range(
                &format!("bins.weekday_pattern[{i}]"),
                w,
                0.0,
                10.0,
                "use multipliers in 0..=10 (1 = an average day)",
            )?;
        }
        range(
            "bins.noise_log_sd",
            b.noise_log_sd,
            0.0,
            2.0,
            "use 0..=2 (0.25 is typical)",
        )?;
        for (i, h) in b.holidays.iter().enumerate() {
            if h.day == 0 || h.day > self.run.days {
                return Err(invalid(
                    format!("bins.holidays[{i}].day"),
                    h.day,
                    format!("pick a day in 1..={}", self.run.days),
                ));
            }
            range(
                &format!("bins.holidays[{i}].factor"),
                h.factor,
                0.0,
                20.0,
                "use a multiplier in 0..=20",
            )?;
        }
        for (i, e) in b.explicit.iter().enumerate() {
            lonlat(format!("bins.explicit[{i}].at"), e.at)?;
            range(
                &format!("bins.explicit[{i}].litres"),
                e.litres,
                10.0,
                40_000.0,
                "use 10..=40000 litres",
            )?;
            range(
                &format!("bins.explicit[{i}].rate"),
                e.rate,
                0.0,
                2.0,
                "use 0..=2 containers per day",
            )?;
            range(
                &format!("bins.explicit[{i}].fill"),
                e.fill,
                0.0,
                1.3,
                "use 0..=1.3",
            )?;
        }
        if let Some(c) = b.center {
            lonlat("bins.center".into(), c)?;
        }
        if let Some(r) = b.radius_m {
            range(
                "bins.radius_m",
                r,
                10.0,
                1e6,
                "use a radius of 10 m or more, or leave it out",
            )?;
        }
        if let Some(m) = b.max_interval_days {
            range(
                "bins.max_interval_days",
                m,
                1.0,
                365.0,
                "use 1..=365 days or leave it out",
            )?;
        }
        let t = &self.trucks;
        if !(1..=500).contains(&t.count) {
            return Err(invalid("trucks.count", t.count, "use 1..=500 trucks"));
        }
        if let Some(d) = &t.depot
            && !self.depots.iter().any(|x| &x.id == d)
        {
            return Err(invalid(
                "trucks.depot",
                format!("{d:?}"),
                "name one of the [[depots]] ids",
            ));
        }
        range(
            "trucks.capacity_litres",
            t.capacity_litres,
            100.0,
            200_000.0,
            "use 100..=200000 litres per trip",
        )?;
        range(
            "trucks.compaction",
            t.compaction,
            1.0,
            10.0,
            "use 1..=10 (3 is a typical rear loader)",
        )?;
        let largest = b
            .zones
            .iter()
            .flat_map(|z| z.containers_litres.iter().copied())
            .chain(b.explicit.iter().map(|e| e.litres))
            .fold(0.0, f64::max);
        if largest * 1.3 / t.compaction > t.capacity_litres {
            return Err(invalid(
                "trucks.capacity_litres",
                t.capacity_litres,
                format!(
                    "a full {largest} L container does not fit: raise the capacity above {:.0} L or the compaction",
                    largest * 1.3 / t.compaction
                ),
            ));
        }
        let s0 = parse_clock("trucks.shift[0]", &t.shift[0])?;
        let s1 = parse_clock("trucks.shift[1]", &t.shift[1])?;
        if s0 >= s1 {
            return Err(invalid(
                "trucks.shift",
                format!("{:?}", t.shift),
                "make the shift start before it ends, e.g. [\"06:00\", \"14:00\"]",
            ));
        }
        // The planner refuses a bin no truck can reach within its window.
        for (i, z) in b.zones.iter().enumerate() {
            if let Some(w) = &z.window
                && (parse_clock("window", &w[1])? <= s0 || parse_clock("window", &w[0])? >= s1)
            {
                return Err(invalid(
                    format!("bins.zones[{i}].window"),
                    format!("{w:?}"),
                    format!(
                        "make the service window overlap the trucks' shift {:?}",
                        t.shift
                    ),
                ));
            }
        }
        if let Some(l) = &t.lunch {
            let a = parse_clock("trucks.lunch.window[0]", &l.window[0])?;
            let c = parse_clock("trucks.lunch.window[1]", &l.window[1])?;
            if a > c || a < s0 || c > s1 {
                return Err(invalid(
                    "trucks.lunch.window",
                    format!("{:?}", l.window),
                    "put the lunch window inside the shift, start before end",
                ));
            }
            range(
                "trucks.lunch.minutes",
                l.minutes,
                0.0,
                180.0,
                "use 0..=180 minutes",
            )?;
        }
        range(
            "trucks.service_minutes",
            t.service_minutes,
            0.0,
            60.0,
            "use 0..=60 minutes per bin",
        )?;
        range(
            "trucks.eur_per_km",
            t.eur_per_km,
            0.0,
            100.0,
            "use 0..=100 euro per km",
        )?;
        range(
            "trucks.eur_per_hour",
            t.eur_per_hour,
            0.0,
            1000.0,
            "use 0..=1000 euro per hour",
        )?;
        if !t.weekdays.iter().any(|&w| w) {
            return Err(invalid(
                "trucks.weekdays",
                format!("{:?}", t.weekdays),
                "mark at least one working weekday (Monday first)",
            ));
        }
        if t.final_disposal && self.disposal_sites.is_empty() {
            return Err(invalid(
                "trucks.final_disposal",
                true,
                "add a [[disposal_sites]] table or set final_disposal = false",
            ));
        }
        let c = &self.cameras;
        if !(1..=24).contains(&c.per_day) {
            return Err(invalid(
                "cameras.per_day",
                c.per_day,
                "take 1..=24 images per bin per day",
            ));
        }
        range(
            "cameras.dark_lens_rate",
            c.dark_lens_rate,
            0.0,
            0.5,
            "use a probability in 0..=0.5",
        )?;
        range(
            "cameras.silent_rate",
            c.silent_rate,
            0.0,
            0.5,
            "use a probability in 0..=0.5",
        )?;
        if !(4..=500).contains(&c.train_per_class) {
            return Err(invalid(
                "cameras.train_per_class",
                c.train_per_class,
                "render 4..=500 training images per class (80 reads the fill classes at about 70 %)",
            ));
        }
        if !(1..=256).contains(&c.batch) {
            return Err(invalid(
                "cameras.batch",
                c.batch,
                "use 1..=256 images per backbone call",
            ));
        }
        // Cameras also shoot on day 0, before the first collection day.
        let bins = b.count + b.explicit.len();
        let images = (self.run.days + 1)
            .saturating_mul(bins)
            .saturating_mul(c.per_day);
        if images > MAX_IMAGES {
            return Err(invalid(
                "cameras.per_day",
                format!(
                    "{} ({} days + day 0, {bins} bins: {images} images)",
                    c.per_day, self.run.days
                ),
                format!(
                    "keep a run within {MAX_IMAGES} camera images: fewer images per day, bins or days"
                ),
            ));
        }
        if self.policies.is_empty() {
            return Err(invalid(
                "policies",
                "[]",
                "add [[policies]] tables, e.g. kind = \"fixed\" and kind = \"forecast_risk\"",
            ));
        }
        if self.policies.len() > MAX_POLICIES {
            return Err(invalid(
                "policies",
                format!("{} tables", self.policies.len()),
                format!(
                    "compare at most {MAX_POLICIES} policies in one run (each keeps every bin's readings)"
                ),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (i, p) in self.policies.iter().enumerate() {
            let f = |name: &str| format!("policies[{i}].{name}");
            // Route maps are written as `map-day{day}-{policy}.html`.
            file_name_part(&f("name"), p.name(), "\"fill-driven\"")?;
            if !names.insert(p.name().to_string()) {
                return Err(invalid(
                    f("name"),
                    format!("{:?}", p.name()),
                    "give every policy its own name",
                ));
            }
            match p {
                PolicyConfig::Fixed { per_week, .. } => {
                    let work = t.weekdays.iter().filter(|&&w| w).count();
                    if *per_week == 0 || usize::from(*per_week) > work {
                        return Err(invalid(
                            f("per_week"),
                            per_week,
                            format!("use 1..={work} (the trucks' working days per week)"),
                        ));
                    }
                }
                PolicyConfig::Tuned { target_fill, .. } => range(
                    &f("target_fill"),
                    *target_fill,
                    0.1,
                    1.3,
                    "use a fill in 0.1..=1.3 (0.8 is typical)",
                )?,
                PolicyConfig::Threshold { fill, .. } => range(
                    &f("fill"),
                    *fill,
                    0.05,
                    1.3,
                    "use a fill in 0.05..=1.3 (0.75 is typical)",
                )?,
                PolicyConfig::ForecastRisk {
                    risk_level,
                    may_fill,
                    overflow_eur,
                    calendar,
                    ..
                } => {
                    range(
                        &f("risk_level"),
                        *risk_level,
                        0.0,
                        1.0,
                        "use a probability in 0..=1 (0.1 is typical)",
                    )?;
                    range(
                        &f("may_fill"),
                        *may_fill,
                        0.0,
                        1.3,
                        "use a fill in 0..=1.3 (0.6 is typical)",
                    )?;
                    range(
                        &f("overflow_eur"),
                        *overflow_eur,
                        0.0,
                        1e6,
                        "use a non-negative cost in euro",
                    )?;
                    if let Some(c) = calendar {
                        // The library's own check, named as the scenario
                        // file names it.
                        c.validate().map_err(|e| match e {
                            fillroute_forecast::ForecastError::InvalidParameter {
                                field,
                                value,
                                fix,
                            } => invalid(f(&format!("calendar.{field}")), value, fix),
                            other => other.into(),
                        })?;
                        let work = t.weekdays.iter().filter(|&&w| w).count();
                        if c.max_per_week == 0 || usize::from(c.max_per_week) > work {
                            return Err(invalid(
                                f("calendar.max_per_week"),
                                c.max_per_week,
                                format!("use 1..={work} (the trucks' working days per week)"),
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The scenario with one key set, as `scenario sweep --set` writes it:
    /// a dotted path through the file's tables, with list entries named by
    /// their `name` or `id` (`policies.fill-driven.risk_level`,
    /// `bins.zones.commercial.rate_mean`, `run.planner_iterations`). A key
    /// the scenario format does not have is an error naming it; the result
    /// is validated like a file.
    pub fn with_setting(&self, key: &str, value: &toml::Value) -> Result<Self> {
        let shown = value.to_string();
        if key == "run.seed" {
            return Err(invalid(key, &shown, "give seeds with --seeds, not --set"));
        }
        let mut root = toml::Value::try_from(self)
            .map_err(|e| invalid(key, &shown, format!("the scenario does not serialise: {e}")))?;
        let parts: Vec<&str> = key.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(invalid(
                "--set",
                key,
                "write a dotted key such as policies.fill-driven.risk_level=0.3,0.45",
            ));
        }
        let existed = set_path(&mut root, &parts, 0, value)?;
        let mut out: Scenario = root.try_into().map_err(|e: toml::de::Error| {
            let why = e.message().to_string();
            if existed {
                invalid(key, &shown, format!("a value of the wrong type: {why}"))
            } else {
                invalid(
                    key,
                    &shown,
                    format!("not a key of the scenario format ({why}); scenarios/README.md lists the keys"),
                )
            }
        })?;
        out.base_dir.clone_from(&self.base_dir);
        out.validate()?;
        Ok(out)
    }

    /// The built-in scenario used when no file is given (the same as `scenarios/small.toml`).
    pub fn default_small() -> Self {
        let mut s = Self::from_toml_str(SMALL_TOML).expect("the embedded small scenario is valid");
        s.base_dir = PathBuf::from(".");
        s
    }
}

/// Sets the dotted key `parts` below `at` (which is `parts[..depth]`) to
/// `value`; returns whether the key was there before (a new one may still be
/// a valid optional key).
fn set_path(
    at: &mut toml::Value,
    parts: &[&str],
    depth: usize,
    value: &toml::Value,
) -> Result<bool> {
    let key = parts.join(".");
    let here = match parts[..depth].join(".") {
        h if h.is_empty() => "the scenario".to_string(),
        h => format!("`{h}`"),
    };
    let head = parts[depth];
    let last = depth + 1 == parts.len();
    match at {
        toml::Value::Table(t) => {
            if last {
                return Ok(t.insert(head.to_string(), value.clone()).is_some());
            }
            let known: Vec<String> = t.keys().cloned().collect();
            let Some(next) = t.get_mut(head) else {
                return Err(invalid(
                    key,
                    value,
                    format!("{here} has no table `{head}`; it has {known:?}"),
                ));
            };
            set_path(next, parts, depth + 1, value)
        }
        toml::Value::Array(items) => {
            let name_of = |v: &toml::Value| {
                v.get("name")
                    .or_else(|| v.get("id"))
                    .and_then(|n| n.as_str())
                    .map(str::to_string)
            };
            let names: Vec<String> = items.iter().filter_map(name_of).collect();
            let found = items
                .iter()
                .position(|v| name_of(v).as_deref() == Some(head))
                .or_else(|| head.parse::<usize>().ok().filter(|&i| i < items.len()));
            let Some(i) = found else {
                return Err(invalid(
                    key,
                    value,
                    format!("{here} has no entry `{head}`; name one of {names:?}"),
                ));
            };
            if last {
                return Err(invalid(
                    key,
                    value,
                    format!("set a field of the entry `{head}`, not the whole entry"),
                ));
            }
            set_path(&mut items[i], parts, depth + 1, value)
        }
        _ => Err(invalid(
            key,
            value,
            format!("{here} is a value, not a table"),
        )),
    }
}

/// `scenarios/small.toml`, embedded so the main command runs with no file.
pub const SMALL_TOML: &str = include_str!("../../../scenarios/small.toml");

//! Onboarding a fleet without SQL: depots, disposal sites, trucks, regions and
//! bulk bin imports, each validated here before anything is written, so the
//! CLI (and any future admin RPC) share one set of rules and one wording of
//! "this value is wrong, give this instead". A bulk import checks every row
//! first and writes all rows in one transaction, or none.

use crate::{PlanningError, Result};
use fillroute_forecast::RatePrior;
use fillroute_store::{
    DisposalSiteRow, NewBin, NewDisposalSite, NewPlace, NewRegion, NewTruck, RegionId, RegionRow,
    Store, TimeWindow, TruckRow,
};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Parses `HH:MM` (00:00 to 24:00) into seconds after local midnight.
pub fn parse_hhmm(field: &'static str, raw: &str) -> Result<i32> {
    hhmm(raw).ok_or_else(|| {
        PlanningError::invalid(
            field,
            raw,
            "give a local time as HH:MM between 00:00 and 24:00, e.g. 06:30",
        )
    })
}

fn hhmm(raw: &str) -> Option<i32> {
    let (h, m) = raw.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    let s = h * 3600 + m * 60;
    ((0..24).contains(&h) && (0..60).contains(&m) || (h == 24 && m == 0)).then_some(s)
}

/// Parses `HH:MM-HH:MM` (opening before closing) into seconds after local midnight.
pub fn parse_span(field: &'static str, raw: &str) -> Result<(i32, i32)> {
    span(raw).ok_or_else(|| {
        PlanningError::invalid(
            field,
            raw,
            "give local times as HH:MM-HH:MM with the start before the end, e.g. 06:00-14:00",
        )
    })
}

fn span(raw: &str) -> Option<(i32, i32)> {
    let (a, b) = raw.split_once('-')?;
    let (a, b) = (hhmm(a)?, hhmm(b)?);
    (a < b).then_some((a, b))
}

/// Parses a UTC offset (`+01:00`, `-05:30`, `0`) into seconds.
pub fn parse_utc_offset(field: &'static str, raw: &str) -> Result<i32> {
    let bad = || {
        PlanningError::invalid(
            field,
            raw,
            "give the offset from UTC as +HH:MM or -HH:MM between -14:00 and +14:00, e.g. +01:00",
        )
    };
    let t = raw.trim();
    if t == "0" || t == "Z" {
        return Ok(0);
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let s = hhmm(rest).ok_or_else(bad)?;
    if s > 14 * 3600 {
        return Err(bad());
    }
    Ok(sign * s)
}

fn check_name(field: &'static str, name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.len() > 200 {
        return Err(PlanningError::invalid(
            field,
            name,
            "give a name of 1 to 200 characters",
        ));
    }
    Ok(n.to_owned())
}

fn check_lon(field: &'static str, lon: f64) -> Result<f64> {
    if lon.is_finite() && (-180.0..=180.0).contains(&lon) {
        Ok(lon)
    } else {
        Err(PlanningError::invalid(
            field,
            lon,
            "give a longitude in degrees between -180 and 180 (WGS 84)",
        ))
    }
}

fn check_lat(field: &'static str, lat: f64) -> Result<f64> {
    if lat.is_finite() && (-90.0..=90.0).contains(&lat) {
        Ok(lat)
    } else {
        Err(PlanningError::invalid(
            field,
            lat,
            "give a latitude in degrees between -90 and 90 (WGS 84)",
        ))
    }
}

fn check_money(field: &'static str, v: f64) -> Result<f64> {
    if v.is_finite() && (0.0..1e6).contains(&v) {
        Ok(v)
    } else {
        Err(PlanningError::invalid(
            field,
            v,
            "give a cost of at least 0 and below 1000000",
        ))
    }
}

/// Registers a depot; names are unique so trucks and regions can refer to them.
pub async fn add_depot(store: &Store, name: &str, lon: f64, lat: f64) -> Result<i64> {
    let place = NewPlace {
        name: check_name("--name", name)?,
        lon: check_lon("--lon", lon)?,
        lat: check_lat("--lat", lat)?,
    };
    if store
        .depots()
        .await?
        .iter()
        .any(|(_, d)| d.name == place.name)
    {
        return Err(PlanningError::invalid(
            "--name",
            &place.name,
            "a depot of that name exists; choose another name (see `fillroute fleet depot list`)",
        ));
    }
    Ok(store.insert_depot(&place).await?)
}

/// Every depot, by id.
pub async fn depots(store: &Store) -> Result<Vec<(i64, NewPlace)>> {
    Ok(store.depots().await?)
}

async fn depot_id(store: &Store, name: &str) -> Result<i64> {
    let all = store.depots().await?;
    all.iter()
        .find(|(_, d)| d.name == name)
        .map(|(id, _)| *id)
        .ok_or_else(|| {
            let known: Vec<&str> = all.iter().map(|(_, d)| d.name.as_str()).collect();
            PlanningError::invalid(
                "--depot",
                name,
                if known.is_empty() {
                    "no depot is registered yet; add one first with `fillroute fleet depot add`"
                        .to_owned()
                } else {
                    format!("give one of the registered depots: {}", known.join(", "))
                },
            )
        })
}

/// A disposal site as the operator gives it.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    /// Name shown to dispatchers.
    pub name: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Opening hours, `HH:MM-HH:MM` local time.
    pub hours: String,
    /// Minutes a truck spends unloading.
    pub unload_minutes: f64,
}

/// Registers a disposal site.
pub async fn add_site(store: &Store, s: &SiteSpec) -> Result<i64> {
    let (opens_s, closes_s) = parse_span("--hours", &s.hours)?;
    if !(s.unload_minutes.is_finite() && (0.0..=600.0).contains(&s.unload_minutes)) {
        return Err(PlanningError::invalid(
            "--unload-minutes",
            s.unload_minutes,
            "give the unloading time in minutes, 0 to 600",
        ));
    }
    let site = NewDisposalSite {
        place: NewPlace {
            name: check_name("--name", &s.name)?,
            lon: check_lon("--lon", s.lon)?,
            lat: check_lat("--lat", s.lat)?,
        },
        service_time_s: (s.unload_minutes * 60.0).round() as i32,
        opens_s,
        closes_s,
    };
    Ok(store.insert_disposal_site(&site).await?)
}

/// Every disposal site, by id.
pub async fn sites(store: &Store) -> Result<Vec<DisposalSiteRow>> {
    Ok(store.disposal_sites().await?)
}

/// A truck as the operator gives it.
#[derive(Debug, Clone)]
pub struct TruckSpec {
    /// Name shown to dispatchers.
    pub name: String,
    /// Home depot's name.
    pub depot: String,
    /// Litres per trip.
    pub capacity_litres: i64,
    /// Shift, `HH:MM-HH:MM` local time.
    pub shift: String,
    /// Cost per km driven.
    pub cost_per_km: f64,
    /// Cost per hour out of the depot.
    pub cost_per_hour: f64,
}

/// Registers a truck at a named depot.
pub async fn add_truck(store: &Store, t: &TruckSpec) -> Result<i64> {
    let name = check_name("--name", &t.name)?;
    let (shift_start_s, shift_end_s) = parse_span("--shift", &t.shift)?;
    let capacity_litres = i32::try_from(t.capacity_litres)
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(|| {
            PlanningError::invalid(
                "--capacity-litres",
                t.capacity_litres,
                "give the litres the truck carries per trip, a whole number above 0",
            )
        })?;
    let cost_per_km = check_money("--cost-per-km", t.cost_per_km)?;
    let cost_per_hour = check_money("--cost-per-hour", t.cost_per_hour)?;
    let depot_id = depot_id(store, &t.depot).await?;
    Ok(store
        .insert_truck(&NewTruck {
            name,
            depot_id,
            capacity_litres,
            shift_start_s,
            shift_end_s,
            cost_per_km,
            cost_per_hour,
        })
        .await?)
}

/// Every truck, by id.
pub async fn trucks(store: &Store) -> Result<Vec<TruckRow>> {
    Ok(store.trucks().await?)
}

/// Where a region's polygon comes from.
#[derive(Debug, Clone)]
pub enum RegionArea {
    /// `min_lon,min_lat,max_lon,max_lat`.
    Bbox(String),
    /// A GeoJSON file holding one Polygon (bare, as a Feature, or the only
    /// polygon of a FeatureCollection); only its outer ring is used.
    GeoJson(std::path::PathBuf),
}

/// A region as the operator gives it.
#[derive(Debug, Clone)]
pub struct RegionSpec {
    /// Unique name (`fillroute plan --region NAME`).
    pub name: String,
    /// Its polygon.
    pub area: RegionArea,
    /// Depot name its trucks start from.
    pub depot: String,
    /// Road network name (`fillroute roads import --network`).
    pub network: String,
    /// Offset from UTC, `+HH:MM` (used without a time zone).
    pub utc_offset: String,
    /// IANA time zone name, e.g. `Europe/Andorra`.
    pub time_zone: Option<String>,
    /// Lunch window, `HH:MM-HH:MM`: the break starts inside it.
    pub lunch: String,
    /// Lunch length, minutes (0: no lunch rule).
    pub lunch_minutes: i64,
}

/// Registers a planning region.
pub async fn add_region(store: &Store, r: &RegionSpec) -> Result<RegionId> {
    let name = check_name("--name", &r.name)?;
    let ring = match &r.area {
        RegionArea::Bbox(raw) => parse_bbox(raw)?,
        RegionArea::GeoJson(path) => read_polygon(path)?,
    };
    let utc_offset_s = parse_utc_offset("--utc-offset", &r.utc_offset)?;
    let time_zone = r
        .time_zone
        .as_deref()
        .map(|z| crate::job::check_time_zone("--time-zone", z))
        .transpose()?;
    let (lunch_opens_s, lunch_closes_s) = parse_span("--lunch", &r.lunch)?;
    let lunch_minutes = i32::try_from(r.lunch_minutes)
        .ok()
        .filter(|m| (0..=240).contains(m))
        .ok_or_else(|| {
            PlanningError::invalid(
                "--lunch-minutes",
                r.lunch_minutes,
                "give the break length in minutes, 0 (no break) to 240",
            )
        })?;
    if store.region_by_name(&name).await?.is_some() {
        return Err(PlanningError::invalid(
            "--name",
            &name,
            "a region of that name exists; choose another name (see `fillroute fleet region list`)",
        ));
    }
    let depot_id = depot_id(store, &r.depot).await?;
    let network = store.road_network_by_name(&r.network).await?.ok_or_else(|| {
        PlanningError::invalid("--network", &r.network, "import the road network first with `fillroute roads import FILE --network NAME`, and give that NAME")
    })?;
    Ok(store
        .insert_region(&NewRegion {
            name,
            ring,
            depot_id,
            network: network.id,
            utc_offset_s,
            time_zone,
            lunch_opens_s,
            lunch_closes_s,
            lunch_minutes,
        })
        .await?)
}

/// Every region with its depot and bounding box, by name.
pub async fn regions(store: &Store) -> Result<Vec<RegionRow>> {
    let mut out = Vec::new();
    for name in store.region_names().await? {
        out.extend(store.region_by_name(&name).await?);
    }
    Ok(out)
}

/// Parses `min_lon,min_lat,max_lon,max_lat` into a closed ring.
pub fn parse_bbox(raw: &str) -> Result<Vec<[f64; 2]>> {
    let bad = |why: &str| {
        PlanningError::invalid(
            "--bbox",
            raw,
            format!(
                "give min_lon,min_lat,max_lon,max_lat in degrees with min < max, e.g. 1.40,42.42,1.80,42.66 ({why})"
            ),
        )
    };
    let v: Vec<f64> = raw
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| bad("not four numbers"))?;
    let [x0, y0, x1, y1] = v[..] else {
        return Err(bad("not four numbers"));
    };
    let lon_ok = |x: f64| x.is_finite() && (-180.0..=180.0).contains(&x);
    let lat_ok = |y: f64| y.is_finite() && (-90.0..=90.0).contains(&y);
    if !(lon_ok(x0) && lon_ok(x1) && lat_ok(y0) && lat_ok(y1)) {
        return Err(bad("out of range"));
    }
    if x0 >= x1 || y0 >= y1 {
        return Err(bad("empty box"));
    }
    Ok(vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]])
}

/// Reads the outer ring of the one Polygon in a GeoJSON file.
pub fn read_polygon(path: &Path) -> Result<Vec<[f64; 2]>> {
    let shown = path.display().to_string();
    let bad = |why: String| {
        PlanningError::invalid(
            "--polygon",
            &shown,
            format!("give a GeoJSON file with one Polygon ([lon, lat] in WGS 84) ({why})"),
        )
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let mut polygons = Vec::new();
    collect_polygons(&json, &mut polygons);
    let [coords] = &polygons[..] else {
        return Err(bad(format!("{} polygons found", polygons.len())));
    };
    let ring = coords
        .first()
        .and_then(|r| r.as_array())
        .ok_or_else(|| bad("the polygon has no outer ring".into()))?;
    let mut out = Vec::with_capacity(ring.len());
    for (i, p) in ring.iter().enumerate() {
        let xy = p
            .as_array()
            .filter(|a| a.len() >= 2)
            .and_then(|a| Some([a[0].as_f64()?, a[1].as_f64()?]))
            .filter(|[x, y]| {
                x.is_finite()
                    && y.is_finite()
                    && (-180.0..=180.0).contains(x)
                    && (-90.0..=90.0).contains(y)
            })
            .ok_or_else(|| {
                bad(format!(
                    "position {i} of the ring is not [lon, lat] in range"
                ))
            })?;
        out.push(xy);
    }
    if out.len() < 4 || out.first() != out.last() {
        return Err(bad(
            "the ring needs at least 4 positions, the last equal to the first".into(),
        ));
    }
    let area2: f64 = out
        .windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum();
    if area2.abs() < 1e-12 {
        return Err(bad("the ring encloses no area".into()));
    }
    Ok(out)
}

fn collect_polygons<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a Vec<serde_json::Value>>) {
    match v.get("type").and_then(|t| t.as_str()) {
        Some("Polygon") => out.extend(v.get("coordinates").and_then(|c| c.as_array())),
        Some("Feature") => {
            if let Some(g) = v.get("geometry") {
                collect_polygons(g, out);
            }
        }
        Some("FeatureCollection") => {
            for f in v
                .get("features")
                .and_then(|f| f.as_array())
                .into_iter()
                .flatten()
            {
                collect_polygons(f, out);
            }
        }
        _ => {}
    }
}

/// One row of a bin file: where it is in the file, the bin it describes
/// when it parsed, and everything wrong with it.
#[derive(Debug, Clone)]
pub struct BinRow {
    /// `line 7` (CSV, counting the header as line 1) or `feature 3` (GeoJSON, from 1).
    pub at: String,
    /// The bin, when every field parsed.
    pub bin: Option<NewBin>,
    /// What is wrong, one sentence per problem, each naming the field and the fix.
    pub problems: Vec<String>,
}

/// What a bulk import found and did.
#[derive(Debug, Clone, Default)]
pub struct BinImportReport {
    /// Rows read.
    pub rows: usize,
    /// Rows with problems, in file order: `(line N | feature N, problems)`.
    pub refused: Vec<(String, Vec<String>)>,
    /// Good rows per region name.
    pub per_region: BTreeMap<String, usize>,
    /// Ids of the bins written, in file order (none on a dry run or when any row was refused).
    pub ids: Vec<fillroute_store::BinId>,
}

/// The optional CSV columns: a time window and the planning fill rate.
pub const OPTIONAL_BIN_COLUMNS: [&str; 3] = ["window", "fill_rate_prior", "fill_rate_prior_log_sd"];

/// The CSV columns, in any order; [`OPTIONAL_BIN_COLUMNS`] may be left out.
pub const BIN_COLUMNS: [&str; 7] = [
    "lon",
    "lat",
    "capacity_litres",
    "waste_stream",
    "service_time_s",
    "container_type",
    "customer",
];

/// Validates every row of a `.csv` or `.geojson` bin file and, when all are
/// good and `dry_run` is false, writes them in one transaction. Nothing is
/// written when any row is refused; the report names every problem row.
pub async fn import_bins(store: &Store, path: &Path, dry_run: bool) -> Result<BinImportReport> {
    let mut rows = read_bin_file(path)?;
    // Same coordinates twice in the file.
    let mut seen: HashMap<(u64, u64), String> = HashMap::new();
    for row in &mut rows {
        if let Some(b) = &row.bin {
            let key = ((b.lon + 0.0).to_bits(), (b.lat + 0.0).to_bits());
            if let Some(first) = seen.get(&key) {
                row.problems.push(format!("same coordinates ({}, {}) as {first}: one bin per position; remove the duplicate or fix its coordinates", b.lon, b.lat));
            } else {
                seen.insert(key, row.at.clone());
            }
        }
    }
    // Region and stored bins, for every row whose position parsed.
    let placed: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].bin.is_some()).collect();
    let points: Vec<[f64; 2]> = placed
        .iter()
        .filter_map(|&i| rows[i].bin.as_ref().map(|b| [b.lon, b.lat]))
        .collect();
    let placements = if points.is_empty() {
        Vec::new()
    } else {
        store.locate_points(&points).await?
    };
    let mut report = BinImportReport {
        rows: rows.len(),
        ..BinImportReport::default()
    };
    for (&i, p) in placed.iter().zip(&placements) {
        let row = &mut rows[i];
        let Some(b) = &row.bin else { continue };
        match &p.region {
            Some(region) => *report.per_region.entry(region.clone()).or_default() += 1,
            None => row.problems.push(format!(
                "({}, {}) is outside every region, so it would never be planned: add a region that covers it (`fillroute fleet region add`) or fix lon/lat",
                b.lon, b.lat
            )),
        }
        if p.bin_exists {
            row.problems.push(format!("a bin is already stored at ({}, {}): was this file imported before? remove the row", b.lon, b.lat));
        }
    }
    report.refused = rows
        .iter()
        .filter(|r| !r.problems.is_empty())
        .map(|r| (r.at.clone(), r.problems.clone()))
        .collect();
    if report.refused.is_empty() && !dry_run {
        let bins: Vec<NewBin> = rows.into_iter().filter_map(|r| r.bin).collect();
        report.ids = store.insert_bins(&bins).await?;
    }
    Ok(report)
}

/// Reads a bin file by its extension (`.csv`, `.geojson` or `.json`) and
/// checks each row on its own (not against the database or other rows).
pub fn read_bin_file(path: &Path) -> Result<Vec<BinRow>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let shown = path.display().to_string();
    match ext.as_str() {
        "csv" => read_csv(path, &shown),
        "geojson" | "json" => read_geojson(path, &shown),
        _ => Err(PlanningError::invalid(
            "FILE",
            shown,
            "give a .csv or .geojson file",
        )),
    }
}

fn file_error(shown: &str, why: impl std::fmt::Display) -> PlanningError {
    PlanningError::invalid(
        "FILE",
        shown,
        format!(
            "{why}; give a CSV with a header row {} (optional: {}) or a GeoJSON FeatureCollection of Point features with those properties",
            BIN_COLUMNS.join(","),
            OPTIONAL_BIN_COLUMNS.join(",")
        ),
    )
}

fn read_csv(path: &Path, shown: &str) -> Result<Vec<BinRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .map_err(|e| file_error(shown, e))?;
    let headers = reader.headers().map_err(|e| file_error(shown, e))?.clone();
    let index: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    let missing: Vec<&str> = BIN_COLUMNS
        .iter()
        .copied()
        .filter(|c| !index.contains_key(c))
        .collect();
    if !missing.is_empty() {
        return Err(file_error(
            shown,
            format!("the header lacks {}", missing.join(", ")),
        ));
    }
    if let Some(extra) = headers
        .iter()
        .find(|h| !BIN_COLUMNS.contains(h) && !OPTIONAL_BIN_COLUMNS.contains(h))
    {
        return Err(file_error(shown, format!("unknown column `{extra}`")));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| file_error(shown, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let get = |c: &str| index.get(c).and_then(|&i| record.get(i)).map(str::to_owned);
        rows.push(check_row(format!("line {line}"), get));
    }
    Ok(rows)
}

fn read_geojson(path: &Path, shown: &str) -> Result<Vec<BinRow>> {
    let text = std::fs::read_to_string(path).map_err(|e| file_error(shown, e))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| file_error(shown, format!("not JSON: {e}")))?;
    let features = json
        .get("features")
        .and_then(|f| f.as_array())
        .filter(|_| json.get("type").and_then(|t| t.as_str()) == Some("FeatureCollection"))
        .ok_or_else(|| file_error(shown, "not a FeatureCollection"))?;
    let mut rows = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let at = format!("feature {}", i + 1);
        let geometry = f.get("geometry");
        let coords = geometry
            .filter(|g| g.get("type").and_then(|t| t.as_str()) == Some("Point"))
            .and_then(|g| g.get("coordinates"))
            .and_then(|c| c.as_array());
        let Some(coords) = coords else {
            rows.push(BinRow {
                at,
                bin: None,
                problems: vec![
                    "geometry is not a Point: give each bin as a Point [lon, lat]".into(),
                ],
            });
            continue;
        };
        let props = f.get("properties").and_then(|p| p.as_object());
        let text_of = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => Some(s.trim().to_owned()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        };
        let get = |c: &str| match c {
            "lon" => coords.first().and_then(text_of),
            "lat" => coords.get(1).and_then(text_of),
            _ => props.and_then(|p| p.get(c)).and_then(text_of),
        };
        rows.push(check_row(at, get));
    }
    Ok(rows)
}

/// Checks one row's fields; `get` returns a column's text, if present.
fn check_row(at: String, get: impl Fn(&str) -> Option<String>) -> BinRow {
    let mut problems = Vec::new();
    let text = |c: &str| get(c).filter(|s| !s.is_empty());
    let mut number = |c: &str, range: std::ops::RangeInclusive<f64>, fix: &str| -> Option<f64> {
        match text(c) {
            None => {
                problems.push(format!("{c} is missing: {fix}"));
                None
            }
            Some(raw) => match raw.parse::<f64>() {
                Ok(v) if v.is_finite() && range.contains(&v) => Some(v),
                _ => {
                    problems.push(format!("{c} = {raw}: {fix}"));
                    None
                }
            },
        }
    };
    let lon = number(
        "lon",
        -180.0..=180.0,
        "give a longitude in degrees between -180 and 180",
    );
    let lat = number(
        "lat",
        -90.0..=90.0,
        "give a latitude in degrees between -90 and 90",
    );
    let capacity = number(
        "capacity_litres",
        1.0..=1e6,
        "give the volume in litres, a whole number above 0",
    )
    .filter(|v| v.fract() == 0.0);
    let service = number(
        "service_time_s",
        0.0..=86_400.0,
        "give the time to empty it in whole seconds, 0 to 86400",
    )
    .filter(|v| v.fract() == 0.0);
    if text("capacity_litres").is_some_and(|r| {
        r.parse::<f64>()
            .is_ok_and(|v| v.is_finite() && v >= 1.0 && v.fract() != 0.0)
    }) {
        problems.push("capacity_litres is not a whole number: give whole litres".into());
    }
    if text("service_time_s").is_some_and(|r| {
        r.parse::<f64>()
            .is_ok_and(|v| v.is_finite() && v >= 0.0 && v.fract() != 0.0)
    }) {
        problems.push("service_time_s is not a whole number: give whole seconds".into());
    }
    let mut word = |c: &str, fix: &str| -> Option<String> {
        let v = text(c);
        if v.is_none() {
            problems.push(format!("{c} is missing: {fix}"));
        }
        v
    };
    let stream = word(
        "waste_stream",
        "give the waste stream, e.g. residual, paper, glass",
    );
    let container = word(
        "container_type",
        "give the container type, e.g. 1100l-wheelie",
    );
    let customer = word("customer", "give who owns or pays for the bin");
    let window = match text("window") {
        None => Some(Vec::new()),
        Some(raw) => match span(&raw) {
            Some((opens_s, closes_s)) => Some(vec![TimeWindow {
                weekday: None,
                opens_s,
                closes_s,
            }]),
            None => {
                problems.push(format!("window = {raw}: give local times as HH:MM-HH:MM with the start before the end, e.g. 07:00-12:00, or leave it empty"));
                None
            }
        },
    };
    let optional = |c: &str| -> Result<Option<f64>, String> {
        match text(c) {
            None => Ok(None),
            Some(raw) => match raw.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                _ => Err(format!("{c} = {raw}: give a number, or leave it empty")),
            },
        }
    };
    let rate_prior = match (
        optional("fill_rate_prior"),
        optional("fill_rate_prior_log_sd"),
    ) {
        (Err(e), _) | (_, Err(e)) => {
            problems.push(e);
            None
        }
        (Ok(rate), Ok(sd)) => match RatePrior::from_fields(rate, sd) {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        },
    };
    let bin = match (
        lon, lat, capacity, service, stream, container, customer, window, rate_prior,
    ) {
        (
            Some(lon),
            Some(lat),
            Some(c),
            Some(s),
            Some(waste_stream),
            Some(container_type),
            Some(customer),
            Some(time_windows),
            Some(rate_prior),
        ) if problems.is_empty() => Some(NewBin {
            rate_prior,
            lon,
            lat,
            capacity_litres: c as i32,
            waste_stream,
            service_time_s: s as i32,
            container_type,
            customer,
            time_windows,
        }),
        _ => None,
    };
    BinRow { at, bin, problems }
}

/// Changes to a truck; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct TruckUpdate {
    /// The truck's id (`fillroute fleet truck list`).
    pub id: i64,
    /// New name.
    pub name: Option<String>,
    /// New home depot's name.
    pub depot: Option<String>,
    /// New litres per trip.
    pub capacity_litres: Option<i64>,
    /// New shift, `HH:MM-HH:MM`.
    pub shift: Option<String>,
    /// New cost per km.
    pub cost_per_km: Option<f64>,
    /// New cost per hour.
    pub cost_per_hour: Option<f64>,
}

/// Updates a truck with the same checks as [`add_truck`]; all changes or none.
pub async fn update_truck(store: &Store, u: &TruckUpdate) -> Result<TruckRow> {
    let mut row = store
        .trucks()
        .await?
        .into_iter()
        .find(|t| t.id == u.id)
        .ok_or_else(|| {
            PlanningError::invalid(
                "ID",
                u.id,
                "give a truck id from `fillroute fleet truck list`",
            )
        })?;
    let t = &mut row.truck;
    if let Some(name) = &u.name {
        t.name = check_name("--name", name)?;
    }
    if let Some(shift) = &u.shift {
        (t.shift_start_s, t.shift_end_s) = parse_span("--shift", shift)?;
    }
    if let Some(c) = u.capacity_litres {
        t.capacity_litres = i32::try_from(c).ok().filter(|c| *c > 0).ok_or_else(|| {
            PlanningError::invalid(
                "--capacity-litres",
                c,
                "give the litres the truck carries per trip, a whole number above 0",
            )
        })?;
    }
    if let Some(v) = u.cost_per_km {
        t.cost_per_km = check_money("--cost-per-km", v)?;
    }
    if let Some(v) = u.cost_per_hour {
        t.cost_per_hour = check_money("--cost-per-hour", v)?;
    }
    if let Some(depot) = &u.depot {
        t.depot_id = depot_id(store, depot).await?;
    }
    store.update_truck(&row).await?;
    Ok(row)
}

/// Changes to a region's settings; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct RegionUpdate {
    /// The region's name.
    pub name: String,
    /// New depot name.
    pub depot: Option<String>,
    /// New road network name.
    pub network: Option<String>,
    /// New UTC offset, `+HH:MM` (used without a time zone).
    pub utc_offset: Option<String>,
    /// New IANA time zone; `none` removes it (the fixed offset applies).
    pub time_zone: Option<String>,
    /// New lunch window, `HH:MM-HH:MM`.
    pub lunch: Option<String>,
    /// New lunch length, minutes.
    pub lunch_minutes: Option<i64>,
}

/// Updates a region's depot, network, offset, time zone or lunch rule; all changes or none.
pub async fn update_region(store: &Store, u: &RegionUpdate) -> Result<RegionRow> {
    let mut r = store.region_by_name(&u.name).await?.ok_or_else(|| {
        PlanningError::invalid(
            "NAME",
            &u.name,
            "give a region name from `fillroute fleet region list`",
        )
    })?;
    if let Some(o) = &u.utc_offset {
        r.utc_offset_s = parse_utc_offset("--utc-offset", o)?;
    }
    match u.time_zone.as_deref() {
        Some("none") => r.time_zone = None,
        Some(z) => r.time_zone = Some(crate::job::check_time_zone("--time-zone", z)?),
        None => {}
    }
    if let Some(l) = &u.lunch {
        (r.lunch_opens_s, r.lunch_closes_s) = parse_span("--lunch", l)?;
    }
    if let Some(m) = u.lunch_minutes {
        r.lunch_minutes = i32::try_from(m)
            .ok()
            .filter(|m| (0..=240).contains(m))
            .ok_or_else(|| {
                PlanningError::invalid(
                    "--lunch-minutes",
                    m,
                    "give the break length in minutes, 0 (no break) to 240",
                )
            })?;
    }
    if let Some(depot) = &u.depot {
        r.depot_id = depot_id(store, depot).await?;
        r.depot_name = depot.clone();
    }
    if let Some(network) = &u.network {
        r.network = store
            .road_network_by_name(network)
            .await?
            .ok_or_else(|| {
                PlanningError::invalid("--network", network, "import the road network first with `fillroute roads import FILE --network NAME`, and give that NAME")
            })?
            .id;
    }
    store.update_region_settings(&r).await?;
    Ok(r)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_local_hours_and_minutes() {
        assert_eq!(parse_hhmm("--x", "06:30").unwrap(), 6 * 3600 + 1800);
        assert_eq!(parse_hhmm("--x", "24:00").unwrap(), 86_400);
        assert!(parse_hhmm("--x", "24:01").is_err());
        assert!(parse_hhmm("--x", "6").is_err());
        assert_eq!(parse_span("--x", "06:00-14:00").unwrap(), (21_600, 50_400));
        assert!(parse_span("--x", "14:00-06:00").is_err());
        assert_eq!(parse_utc_offset("--x", "+05:30").unwrap(), 19_800);
        assert_eq!(parse_utc_offset("--x", "-01:00").unwrap(), -3600);
        assert!(parse_utc_offset("--x", "+15:00").is_err());
    }

    #[test]
    fn a_bad_row_names_every_problem() {
        let row = check_row("line 2".into(), |c| {
            match c {
                "lon" => Some("NaN"),
                "lat" => Some("95"),
                "capacity_litres" => Some("0"),
                "service_time_s" => Some("60"),
                "waste_stream" => Some("residual"),
                "container_type" => Some(""),
                "customer" => Some("x"),
                _ => None,
            }
            .map(str::to_owned)
        });
        assert!(row.bin.is_none());
        let all = row.problems.join("\n");
        for field in [
            "lon = NaN",
            "lat = 95",
            "capacity_litres = 0",
            "container_type is missing",
        ] {
            assert!(all.contains(field), "{field} in {all}");
        }
    }

    #[test]
    fn a_bbox_becomes_a_closed_ring() {
        let ring = parse_bbox("1.4,42.4,1.8,42.7").unwrap();
        assert_eq!(ring.len(), 5);
        assert_eq!(ring.first(), ring.last());
        assert!(parse_bbox("1.8,42.4,1.4,42.7").is_err());
        assert!(parse_bbox("1,2,3").is_err());
    }
}

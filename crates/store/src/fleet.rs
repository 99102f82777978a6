//! Depots, disposal sites, trucks and planning regions, and the per-region
//! reads the nightly planner and the dashboard make (bins with their windows,
//! readings, services, open requests, and the fleet overview).

use crate::{BinId, Detection, NetworkId, Reading, ServiceEvent, Store, StoreError, parse_source};
use fillroute_forecast::{ModelConfig, RatePrior};
use time::OffsetDateTime;

/// A planning region's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionId(pub i64);

impl std::fmt::Display for RegionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A named point (depot or disposal site) to register.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlace {
    /// Name shown to dispatchers.
    pub name: String,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
}

/// A disposal site to register.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDisposalSite {
    /// Name and position.
    pub place: NewPlace,
    /// Unloading time, seconds.
    pub service_time_s: i32,
    /// Opening, seconds after local midnight.
    pub opens_s: i32,
    /// Closing, seconds after local midnight.
    pub closes_s: i32,
}

/// A stored disposal site.
#[derive(Debug, Clone, PartialEq)]
pub struct DisposalSiteRow {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Unloading time, seconds.
    pub service_time_s: i32,
    /// Opening, seconds after local midnight.
    pub opens_s: i32,
    /// Closing, seconds after local midnight.
    pub closes_s: i32,
}

/// A truck to register.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTruck {
    /// Name shown to dispatchers.
    pub name: String,
    /// Home depot.
    pub depot_id: i64,
    /// Litres it carries per trip.
    pub capacity_litres: i32,
    /// Shift start, seconds after local midnight.
    pub shift_start_s: i32,
    /// Shift end, seconds after local midnight.
    pub shift_end_s: i32,
    /// Cost per km driven.
    pub cost_per_km: f64,
    /// Cost per hour out of the depot (crew and truck time, waiting included).
    pub cost_per_hour: f64,
}

/// A stored truck.
#[derive(Debug, Clone, PartialEq)]
pub struct TruckRow {
    /// Its id.
    pub id: i64,
    /// The registration as given.
    pub truck: NewTruck,
}

/// A region to register: bins inside `ring` are planned from `depot_id` on `network`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRegion {
    /// Unique name (`fillroute plan --region NAME`).
    pub name: String,
    /// Closed ring of `[lon, lat]` (first point repeated last).
    pub ring: Vec<[f64; 2]>,
    /// Depot its trucks start from.
    pub depot_id: i64,
    /// Road network to route on.
    pub network: NetworkId,
    /// Local time offset from UTC, seconds (used when `time_zone` is unset).
    pub utc_offset_s: i32,
    /// IANA time zone (e.g. `Europe/Andorra`); daylight saving follows it.
    pub time_zone: Option<String>,
    /// Lunch may start from, seconds after local midnight.
    pub lunch_opens_s: i32,
    /// Lunch must start by, seconds after local midnight.
    pub lunch_closes_s: i32,
    /// Lunch length, minutes (0 = no lunch rule).
    pub lunch_minutes: i32,
}

/// A stored region with its depot's position and bounding box.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRow {
    /// Its id.
    pub id: RegionId,
    /// Its name.
    pub name: String,
    /// Depot id.
    pub depot_id: i64,
    /// Depot name.
    pub depot_name: String,
    /// Depot `[lon, lat]`.
    pub depot_at: [f64; 2],
    /// Road network.
    pub network: NetworkId,
    /// Local time offset from UTC, seconds (used when `time_zone` is unset).
    pub utc_offset_s: i32,
    /// IANA time zone (e.g. `Europe/Andorra`); daylight saving follows it.
    pub time_zone: Option<String>,
    /// Lunch window start, seconds after local midnight.
    pub lunch_opens_s: i32,
    /// Lunch window end, seconds after local midnight.
    pub lunch_closes_s: i32,
    /// Lunch length, minutes.
    pub lunch_minutes: i32,
    /// The weekdays its trucks collect on, Monday first (default Monday to Friday).
    pub working_weekdays: [bool; 7],
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
}

/// A bin of a region with what planning needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionBin {
    /// Its id.
    pub id: BinId,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Volume, litres.
    pub capacity_litres: i32,
    /// Service time, seconds.
    pub service_time_s: i32,
    /// Contractual maximum days between services.
    pub max_interval_days: Option<f64>,
    /// `(weekday or -1 for every day, opens_s, closes_s)`.
    pub windows: Vec<(i16, i32, i32)>,
    /// An open request: `customer` or `driver`.
    pub open_request: Option<String>,
    /// Its planning fill rate, the forecast's prior ([`crate::NewBin::rate_prior`]).
    pub rate_prior: Option<RatePrior>,
}

/// A planned pickup that did not happen ([`Store::missed_pickups`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MissedPickup {
    /// The plan stop.
    pub stop_id: i64,
    /// Its plan.
    pub plan: crate::PlanId,
    /// The bin.
    pub bin: BinId,
    /// When the truck was due.
    pub eta: OffsetDateTime,
    /// The truck's name.
    pub truck: String,
}

/// Where to look: a region, a bounding box, or both.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Area {
    /// Bins inside this region's polygon.
    pub region: Option<RegionId>,
    /// Bins inside `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
}

/// One bin on the dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct BinOverview {
    /// Its id.
    pub id: BinId,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Volume, litres.
    pub capacity_litres: i32,
    /// Latest fill, if any reading.
    pub fill: Option<f32>,
    /// When it was read.
    pub observed_at: Option<OffsetDateTime>,
    /// Forecast time it is full.
    pub full_at: Option<OffsetDateTime>,
    /// Fill gained per hour.
    pub rate_per_hour: Option<f32>,
    /// Latest decision's action (`must`, `may`, `skip`).
    pub action: Option<String>,
    /// Latest decision's reason.
    pub reason: Option<String>,
    /// Latest decision's explanation.
    pub explanation: Option<String>,
    /// Health flags of its cameras.
    pub health_flags: Vec<String>,
    /// Last service.
    pub last_service: Option<OffsetDateTime>,
    /// Its place in a region's collection calendar, if one was built.
    pub sweep: Option<BinSweep>,
}

/// A bin's place in its region's collection calendar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinSweep {
    /// The calendar's region.
    pub region: RegionId,
    /// Its area.
    pub area: usize,
    /// The area's local sweep weekdays, Monday first.
    pub weekdays: [bool; 7],
    /// The region's local date when it was read.
    pub local_today: time::Date,
}

/// Seven weekday flags (Monday first) from a stored `boolean[]`; missing
/// days read as not working.
pub(crate) fn week(days: &[bool]) -> [bool; 7] {
    std::array::from_fn(|d| days.get(d).copied().unwrap_or(false))
}

fn point(lon: f64, lat: f64) -> [f64; 2] {
    [lon, lat]
}

impl Store {
    /// Registers a depot.
    pub async fn insert_depot(&self, d: &NewPlace) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar!(
            "INSERT INTO depots (name, geom) VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326)) RETURNING id",
            d.name,
            d.lon,
            d.lat
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Registers a disposal site.
    pub async fn insert_disposal_site(&self, s: &NewDisposalSite) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"INSERT INTO disposal_sites (name, geom, service_time_s, opens_s, closes_s)
               VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326), $4, $5, $6) RETURNING id"#,
            s.place.name,
            s.place.lon,
            s.place.lat,
            s.service_time_s,
            s.opens_s,
            s.closes_s
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Registers a truck.
    pub async fn insert_truck(&self, t: &NewTruck) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"INSERT INTO trucks (name, depot_id, capacity_litres, shift_start_s, shift_end_s, cost_per_km, cost_per_hour)
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"#,
            t.name,
            t.depot_id,
            t.capacity_litres,
            t.shift_start_s,
            t.shift_end_s,
            t.cost_per_km,
            t.cost_per_hour
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Registers a region.
    pub async fn insert_region(&self, r: &NewRegion) -> Result<RegionId, StoreError> {
        let lon: Vec<f64> = r.ring.iter().map(|p| p[0]).collect();
        let lat: Vec<f64> = r.ring.iter().map(|p| p[1]).collect();
        Ok(RegionId(
            sqlx::query_scalar!(
                r#"INSERT INTO regions (name, geom, depot_id, network_id, utc_offset_s, lunch_opens_s, lunch_closes_s, lunch_minutes, time_zone)
                   VALUES ($1, ST_SetSRID(ST_MakePolygon(ST_MakeLine(ARRAY(
                       SELECT ST_MakePoint(u.x, u.y) FROM UNNEST($2::float8[], $3::float8[]) WITH ORDINALITY AS u(x, y, o) ORDER BY u.o))), 4326),
                       $4, $5, $6, $7, $8, $9, $10)
                   RETURNING id"#,
                r.name,
                &lon,
                &lat,
                r.depot_id,
                r.network.0,
                r.utc_offset_s,
                r.lunch_opens_s,
                r.lunch_closes_s,
                r.lunch_minutes,
                r.time_zone
            )
            .fetch_one(&self.pool)
            .await?,
        ))
    }

    /// The region called `name`.
    pub async fn region_by_name(&self, name: &str) -> Result<Option<RegionRow>, StoreError> {
        let r = sqlx::query!(
            r#"SELECT r.id, r.name, r.depot_id, d.name AS depot_name, ST_X(d.geom) AS "dlon!", ST_Y(d.geom) AS "dlat!",
                      r.network_id, r.utc_offset_s, r.lunch_opens_s, r.lunch_closes_s, r.lunch_minutes,
                      r.working_weekdays, r.time_zone,
                      ST_XMin(r.geom) AS "x0!", ST_YMin(r.geom) AS "y0!", ST_XMax(r.geom) AS "x1!", ST_YMax(r.geom) AS "y1!"
               FROM regions r JOIN depots d ON d.id = r.depot_id WHERE r.name = $1"#,
            name
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.map(|r| RegionRow {
            id: RegionId(r.id),
            name: r.name,
            depot_id: r.depot_id,
            depot_name: r.depot_name,
            depot_at: point(r.dlon, r.dlat),
            network: NetworkId(r.network_id),
            utc_offset_s: r.utc_offset_s,
            time_zone: r.time_zone,
            lunch_opens_s: r.lunch_opens_s,
            lunch_closes_s: r.lunch_closes_s,
            lunch_minutes: r.lunch_minutes,
            working_weekdays: week(&r.working_weekdays),
            bbox: [r.x0, r.y0, r.x1, r.y1],
        }))
    }

    /// The region's name by id.
    pub async fn region_name(&self, id: RegionId) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar!("SELECT name FROM regions WHERE id = $1", id.0)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Every region's name, sorted (for "did you mean" hints).
    pub async fn region_names(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar!("SELECT name FROM regions ORDER BY name")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The trucks based at `depot_id`, by id.
    pub async fn trucks_of_depot(&self, depot_id: i64) -> Result<Vec<TruckRow>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT id, name, depot_id, capacity_litres, shift_start_s, shift_end_s, cost_per_km, cost_per_hour
               FROM trucks WHERE depot_id = $1 ORDER BY id"#,
            depot_id
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| TruckRow {
                id: r.id,
                truck: NewTruck {
                    name: r.name,
                    depot_id: r.depot_id,
                    capacity_litres: r.capacity_litres,
                    shift_start_s: r.shift_start_s,
                    shift_end_s: r.shift_end_s,
                    cost_per_km: r.cost_per_km,
                    cost_per_hour: r.cost_per_hour,
                },
            })
            .collect())
    }

    /// Disposal sites within `radius_m` of the region's polygon.
    pub async fn disposal_sites_near_region(
        &self,
        region: RegionId,
        radius_m: f64,
    ) -> Result<Vec<DisposalSiteRow>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT s.id, s.name, ST_X(s.geom) AS "lon!", ST_Y(s.geom) AS "lat!", s.service_time_s, s.opens_s, s.closes_s
               FROM disposal_sites s, regions r
               WHERE r.id = $1 AND ST_DWithin(s.geom::geography, r.geom::geography, $2)
               ORDER BY s.id"#,
            region.0,
            radius_m
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| DisposalSiteRow {
                id: r.id,
                name: r.name,
                lon: r.lon,
                lat: r.lat,
                service_time_s: r.service_time_s,
                opens_s: r.opens_s,
                closes_s: r.closes_s,
            })
            .collect())
    }

    /// The bins inside the region's polygon, by id, with windows and open requests.
    pub async fn bins_in_region(&self, region: RegionId) -> Result<Vec<RegionBin>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT b.id, ST_X(b.geom) AS "lon!", ST_Y(b.geom) AS "lat!", b.capacity_litres, b.service_time_s,
                      b.max_interval_days, b.fill_rate_prior, b.fill_rate_prior_log_sd,
                      ARRAY(SELECT coalesce(w.weekday, -1::int2) FROM bin_time_windows w WHERE w.bin_id = b.id ORDER BY w.opens_s) AS "weekdays!",
                      ARRAY(SELECT w.opens_s FROM bin_time_windows w WHERE w.bin_id = b.id ORDER BY w.opens_s) AS "opens!",
                      ARRAY(SELECT w.closes_s FROM bin_time_windows w WHERE w.bin_id = b.id ORDER BY w.opens_s) AS "closes!",
                      (SELECT q.source FROM collection_requests q WHERE q.bin_id = b.id AND q.resolved_at IS NULL
                       ORDER BY q.requested_at LIMIT 1) AS request
               FROM bins b JOIN regions r ON ST_Within(b.geom, r.geom)
               WHERE r.id = $1 ORDER BY b.id"#,
            region.0
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| RegionBin {
                id: BinId(r.id),
                lon: r.lon,
                lat: r.lat,
                capacity_litres: r.capacity_litres,
                service_time_s: r.service_time_s,
                max_interval_days: r.max_interval_days,
                windows: r
                    .weekdays
                    .into_iter()
                    .zip(r.opens)
                    .zip(r.closes)
                    .map(|((w, o), c)| (w, o, c))
                    .collect(),
                open_request: r.request,
                rate_prior: rate_prior(r.fill_rate_prior, r.fill_rate_prior_log_sd),
            })
            .collect())
    }

    /// Sets a bin's contractual maximum interval.
    pub async fn set_max_interval(&self, bin: BinId, days: Option<f64>) -> Result<(), StoreError> {
        sqlx::query!(
            "UPDATE bins SET max_interval_days = $2 WHERE id = $1",
            bin.0,
            days
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records an open collection request (`customer` or `driver`).
    pub async fn request_collection(&self, bin: BinId, source: &str) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar!(
            "INSERT INTO collection_requests (bin_id, source) VALUES ($1, $2) RETURNING id",
            bin.0,
            source
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Readings of every bin in the region since `since`, by bin then time.
    pub async fn readings_in_region(
        &self,
        region: RegionId,
        since: OffsetDateTime,
    ) -> Result<Vec<Reading>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT f.id, f.bin_id, f.observed_at, f.fill_fraction, f.class_probabilities, f.source, f.sensor_kind,
                      f.model_version, f.image_id
               FROM fill_readings f JOIN bins b ON b.id = f.bin_id JOIN regions r ON ST_Within(b.geom, r.geom)
               WHERE r.id = $1 AND f.observed_at >= $2
               ORDER BY f.bin_id, f.observed_at, f.id"#,
            region.0,
            since
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Reading {
                id: r.id,
                bin: BinId(r.bin_id),
                observed_at: r.observed_at,
                fill_fraction: r.fill_fraction,
                probabilities: r.class_probabilities,
                source: parse_source(&r.source, r.sensor_kind.as_deref()),
                model_version: r.model_version,
                image: r.image_id.map(crate::ImageId),
            })
            .collect())
    }

    /// Service events of every bin in the region since `since`, by bin then time.
    pub async fn service_events_in_region(
        &self,
        region: RegionId,
        since: OffsetDateTime,
    ) -> Result<Vec<ServiceEvent>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT e.id, e.bin_id, e.serviced_at, e.detection, e.fill_before, e.fill_after
               FROM service_events e JOIN bins b ON b.id = e.bin_id JOIN regions r ON ST_Within(b.geom, r.geom)
               WHERE r.id = $1 AND e.serviced_at >= $2
               ORDER BY e.bin_id, e.serviced_at, e.id"#,
            region.0,
            since
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ServiceEvent {
                id: r.id,
                bin: BinId(r.bin_id),
                serviced_at: r.serviced_at,
                detection: Detection::parse(&r.detection),
                fill_before: r.fill_before,
                fill_after: r.fill_after,
            })
            .collect())
    }

    /// Bins in the area with their latest fill, forecast, decision, camera
    /// health and last service, by id: those with an id above `after_id`, at
    /// most `limit` of them (`None`: all).
    pub async fn fleet_overview(
        &self,
        area: Area,
        after_id: i64,
        limit: Option<i64>,
    ) -> Result<Vec<BinOverview>, StoreError> {
        let [x0, y0, x1, y1] = area.bbox.map_or([None; 4], |b| b.map(Some));
        let rows = sqlx::query!(
            r#"SELECT b.id, ST_X(b.geom) AS "lon!", ST_Y(b.geom) AS "lat!", b.capacity_litres,
                      lr.fill_fraction AS "fill?", lr.observed_at AS "observed_at?",
                      fc.full_at, fc.rate_per_hour AS "rate_per_hour?",
                      dc.action AS "action?", dc.reason AS "reason?", dc.explanation AS "explanation?",
                      ARRAY(SELECT DISTINCT unnest(v.health_flags) FROM devices v WHERE v.bin_id = b.id AND v.revoked_at IS NULL) AS "health_flags!",
                      (SELECT max(e.serviced_at) FROM service_events e WHERE e.bin_id = b.id) AS last_service
               FROM bins b
               LEFT JOIN LATERAL (SELECT f.fill_fraction, f.observed_at FROM fill_readings f WHERE f.bin_id = b.id
                                  ORDER BY f.observed_at DESC, f.id DESC LIMIT 1) lr ON true
               LEFT JOIN bin_forecasts fc ON fc.bin_id = b.id
               LEFT JOIN LATERAL (SELECT d.action, d.reason, d.explanation FROM plan_decisions d JOIN plans p ON p.id = d.plan_id
                                  WHERE d.bin_id = b.id ORDER BY p.plan_date DESC, p.created_at DESC LIMIT 1) dc ON true
               WHERE ($1::int8 IS NULL OR ST_Within(b.geom, (SELECT g.geom FROM regions g WHERE g.id = $1)))
                 AND ($2::float8 IS NULL OR b.geom && ST_MakeEnvelope($2, $3, $4, $5, 4326))
                 AND b.id > $6
               ORDER BY b.id LIMIT $7"#,
            area.region.map(|r| r.0),
            x0,
            y0,
            x1,
            y1,
            after_id,
            limit
        )
        .fetch_all(&self.pool)
        .await?;
        let mut bins: Vec<BinOverview> = rows
            .into_iter()
            .map(|r| BinOverview {
                id: BinId(r.id),
                lon: r.lon,
                lat: r.lat,
                capacity_litres: r.capacity_litres,
                fill: r.fill,
                observed_at: r.observed_at,
                full_at: r.full_at,
                rate_per_hour: r.rate_per_hour,
                action: r.action,
                reason: r.reason,
                explanation: r.explanation,
                health_flags: r.health_flags,
                last_service: r.last_service,
                sweep: None,
            })
            .collect();
        let ids: Vec<i64> = bins.iter().map(|b| b.id.0).collect();
        // The region's local date: in its IANA zone, or at its fixed offset.
        let sweeps = sqlx::query(
            "SELECT DISTINCT ON (c.bin_id) c.bin_id, c.region_id, c.area, a.weekdays,
                    CASE WHEN r.time_zone IS NULL
                         THEN (now() AT TIME ZONE 'UTC' + make_interval(secs => r.utc_offset_s))::date
                         ELSE (now() AT TIME ZONE r.time_zone)::date END AS local_today
             FROM calendar_bins c
             JOIN calendar_areas a USING (region_id, area)
             JOIN regions r ON r.id = c.region_id
             WHERE c.bin_id = ANY($1) AND ($2::int8 IS NULL OR c.region_id = $2)
             ORDER BY c.bin_id, c.region_id",
        )
        .bind(&ids)
        .bind(area.region.map(|r| r.0))
        .fetch_all(&self.pool)
        .await?;
        let mut by_bin: std::collections::HashMap<i64, BinSweep> = std::collections::HashMap::new();
        for r in sweeps {
            use sqlx::Row;
            by_bin.insert(
                r.try_get("bin_id")?,
                BinSweep {
                    region: RegionId(r.try_get("region_id")?),
                    area: usize::try_from(r.try_get::<i32, _>("area")?).unwrap_or(0),
                    weekdays: week(&r.try_get::<Vec<bool>, _>("weekdays")?),
                    local_today: r.try_get("local_today")?,
                },
            );
        }
        for b in &mut bins {
            b.sweep = by_bin.remove(&b.id.0);
        }
        Ok(bins)
    }

    /// Readings with an id above `after_id` in the area, oldest first, at most `limit`
    /// (the live dashboard's cursor), with their image's camera-health flags.
    pub async fn readings_after(
        &self,
        area: Area,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<(Reading, Vec<String>)>, StoreError> {
        let [x0, y0, x1, y1] = area.bbox.map_or([None; 4], |b| b.map(Some));
        let rows = sqlx::query!(
            r#"SELECT f.id, f.bin_id, f.observed_at, f.fill_fraction, f.class_probabilities, f.source, f.sensor_kind,
                      f.model_version, f.image_id, coalesce(i.health_flags, '{}') AS "flags!"
               FROM fill_readings f JOIN bins b ON b.id = f.bin_id LEFT JOIN images i ON i.id = f.image_id
               WHERE f.id > $1
                 AND ($2::int8 IS NULL OR ST_Within(b.geom, (SELECT g.geom FROM regions g WHERE g.id = $2)))
                 AND ($3::float8 IS NULL OR b.geom && ST_MakeEnvelope($3, $4, $5, $6, 4326))
               ORDER BY f.id LIMIT $7"#,
            after_id,
            area.region.map(|r| r.0),
            x0,
            y0,
            x1,
            y1,
            limit
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    Reading {
                        id: r.id,
                        bin: BinId(r.bin_id),
                        observed_at: r.observed_at,
                        fill_fraction: r.fill_fraction,
                        probabilities: r.class_probabilities,
                        source: parse_source(&r.source, r.sensor_kind.as_deref()),
                        model_version: r.model_version,
                        image: r.image_id.map(crate::ImageId),
                    },
                    r.flags,
                )
            })
            .collect())
    }

    /// Bin stops of committed plans in the area whose ETA lies in
    /// `[eta_from, eta_to]` and whose bin has no service event since the
    /// plan's day began, oldest first: pickups the trucks missed. A plan that
    /// has a committed re-plan is superseded by it and not counted.
    pub async fn missed_pickups(
        &self,
        area: Area,
        eta_from: OffsetDateTime,
        eta_to: OffsetDateTime,
    ) -> Result<Vec<MissedPickup>, StoreError> {
        let [x0, y0, x1, y1] = area.bbox.map_or([None; 4], |b| b.map(Some));
        let rows = sqlx::query!(
            r#"SELECT s.id, p.id AS plan_id, s.bin_id AS "bin_id!", s.eta AS "eta!", t.name AS truck
               FROM plan_stops s
               JOIN plan_routes r ON r.id = s.route_id
               JOIN plans p ON p.id = r.plan_id
               JOIN trucks t ON t.id = r.truck_id
               JOIN bins b ON b.id = s.bin_id
               WHERE s.kind = 'bin' AND s.status <> 'done'
                 AND s.eta >= $1 AND s.eta <= $2
                 AND p.status IN ('committed', 'executed')
                 AND NOT EXISTS (SELECT 1 FROM plans c WHERE c.parent_plan_id = p.id
                                 AND c.status IN ('committed', 'executed'))
                 AND NOT EXISTS (SELECT 1 FROM service_events e WHERE e.bin_id = s.bin_id
                                 AND e.serviced_at >= p.horizon_start)
                 AND ($3::int8 IS NULL OR ST_Within(b.geom, (SELECT g.geom FROM regions g WHERE g.id = $3)))
                 AND ($4::float8 IS NULL OR b.geom && ST_MakeEnvelope($4, $5, $6, $7, 4326))
               ORDER BY s.eta, s.id"#,
            eta_from,
            eta_to,
            area.region.map(|r| r.0),
            x0,
            y0,
            x1,
            y1
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| MissedPickup {
                stop_id: r.id,
                plan: crate::PlanId(r.plan_id),
                bin: BinId(r.bin_id),
                eta: r.eta,
                truck: r.truck,
            })
            .collect())
    }

    /// The highest reading id so far (a live stream starts after it).
    pub async fn last_reading_id(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar!(r#"SELECT coalesce(max(id), 0) AS "id!" FROM fill_readings"#)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}

/// The onboarding reads (`fillroute fleet ... list`). Plain queries rather
/// than `query!`: they only read back what the inserts above wrote.
impl Store {
    /// Every depot, by id.
    pub async fn depots(&self) -> Result<Vec<(i64, NewPlace)>, StoreError> {
        let rows: Vec<(i64, String, f64, f64)> =
            sqlx::query_as("SELECT id, name, ST_X(geom), ST_Y(geom) FROM depots ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, lon, lat)| (id, NewPlace { name, lon, lat }))
            .collect())
    }

    /// Every disposal site, by id.
    pub async fn disposal_sites(&self) -> Result<Vec<DisposalSiteRow>, StoreError> {
        let rows: Vec<(i64, String, f64, f64, i32, i32, i32)> = sqlx::query_as(
            "SELECT id, name, ST_X(geom), ST_Y(geom), service_time_s, opens_s, closes_s
             FROM disposal_sites ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, name, lon, lat, service_time_s, opens_s, closes_s)| DisposalSiteRow {
                    id,
                    name,
                    lon,
                    lat,
                    service_time_s,
                    opens_s,
                    closes_s,
                },
            )
            .collect())
    }

    /// Every truck, by id.
    pub async fn trucks(&self) -> Result<Vec<TruckRow>, StoreError> {
        // id, name, depot_id, capacity, shift start, shift end, cost per km, cost per hour.
        type Row = (i64, String, i64, i32, i32, i32, f64, f64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, name, depot_id, capacity_litres, shift_start_s, shift_end_s, cost_per_km, cost_per_hour
             FROM trucks ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    name,
                    depot_id,
                    capacity_litres,
                    shift_start_s,
                    shift_end_s,
                    cost_per_km,
                    cost_per_hour,
                )| {
                    TruckRow {
                        id,
                        truck: NewTruck {
                            name,
                            depot_id,
                            capacity_litres,
                            shift_start_s,
                            shift_end_s,
                            cost_per_km,
                            cost_per_hour,
                        },
                    }
                },
            )
            .collect())
    }
}

/// Onboarding updates (`fillroute fleet truck|region update`): whole rows
/// written back after the caller validated them.
impl Store {
    /// Rewrites a truck's settings; its past plans keep pointing at it.
    pub async fn update_truck(&self, t: &TruckRow) -> Result<(), StoreError> {
        let k = &t.truck;
        let done = sqlx::query(
            "UPDATE trucks SET name = $2, depot_id = $3, capacity_litres = $4, shift_start_s = $5,
                    shift_end_s = $6, cost_per_km = $7, cost_per_hour = $8
             WHERE id = $1",
        )
        .bind(t.id)
        .bind(&k.name)
        .bind(k.depot_id)
        .bind(k.capacity_litres)
        .bind(k.shift_start_s)
        .bind(k.shift_end_s)
        .bind(k.cost_per_km)
        .bind(k.cost_per_hour)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "truck",
                id: t.id.to_string(),
            });
        }
        Ok(())
    }

    /// Rewrites a region's depot, network, UTC offset, time zone and lunch rule (not its polygon).
    pub async fn update_region_settings(&self, r: &RegionRow) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE regions SET depot_id = $2, network_id = $3, utc_offset_s = $4, lunch_opens_s = $5,
                    lunch_closes_s = $6, lunch_minutes = $7, time_zone = $8
             WHERE id = $1",
        )
        .bind(r.id.0)
        .bind(r.depot_id)
        .bind(r.network.0)
        .bind(r.utc_offset_s)
        .bind(r.lunch_opens_s)
        .bind(r.lunch_closes_s)
        .bind(r.lunch_minutes)
        .bind(&r.time_zone)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "region",
                id: r.name.clone(),
            });
        }
        Ok(())
    }
}

/// A bin's stored planning rate as the forecast's prior; a rate without an sd
/// gets the model's default sd.
pub(crate) fn rate_prior(rate: Option<f64>, log_sd: Option<f64>) -> Option<RatePrior> {
    rate.map(|rate_per_day| RatePrior {
        rate_per_day,
        log_sd: log_sd.unwrap_or(ModelConfig::default().prior_rate_log_sd),
    })
}

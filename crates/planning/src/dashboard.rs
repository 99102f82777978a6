//! What the fleet dashboard reads: the bins of an area with their state, one
//! bin's history and forecast curve, plan lists, and the live feed of new
//! readings with alerts (overflow risk, camera health, missed pickups).

use fillroute_forecast::{CurvePoint, History, Timestamp, fit};
use std::collections::HashSet;

use fillroute_store::{
    Area, BinHistory, BinId, BinOverview, DecisionRow, MissedPickup, PlanRow, Reading,
    ServiceEvent, Store,
};
use time::{Date, OffsetDateTime};

use crate::error::{PlanningError, Result};
use crate::job::region;

/// Where to look, as a dashboard asks.
#[derive(Debug, Clone, PartialEq)]
pub enum AreaQuery {
    /// A region by name.
    Region(String),
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    BBox([f64; 4]),
}

/// Resolves and validates an area.
pub async fn resolve_area(store: &Store, q: &AreaQuery) -> Result<Area> {
    match q {
        AreaQuery::Region(name) => Ok(Area {
            region: Some(region(store, name).await?.id),
            bbox: None,
        }),
        AreaQuery::BBox(b) => {
            let ok = b.iter().all(|x| x.is_finite())
                && (-180.0..=180.0).contains(&b[0])
                && (-180.0..=180.0).contains(&b[2])
                && (-90.0..=90.0).contains(&b[1])
                && (-90.0..=90.0).contains(&b[3])
                && b[0] < b[2]
                && b[1] < b[3];
            if !ok {
                return Err(PlanningError::invalid(
                    "bbox",
                    format!("{b:?}"),
                    "give WGS 84 degrees with min_lon < max_lon and min_lat < max_lat",
                ));
            }
            Ok(Area {
                region: None,
                bbox: Some(*b),
            })
        }
    }
}

/// Bins per overview page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: i64 = 5_000;

/// The largest overview page.
pub const MAX_PAGE_SIZE: i64 = 20_000;

/// One page of the area's bins, by id, with their latest fill, forecast,
/// decision, camera health and last service, and the token of the next page
/// (empty after the last). `page_size` 0 means [`DEFAULT_PAGE_SIZE`]; an
/// empty `page_token` starts at the first bin.
pub async fn overview(
    store: &Store,
    q: &AreaQuery,
    page_size: i64,
    page_token: &str,
) -> Result<(Vec<BinOverview>, String)> {
    let size = match page_size {
        0 => DEFAULT_PAGE_SIZE,
        n if (1..=MAX_PAGE_SIZE).contains(&n) => n,
        n => {
            return Err(PlanningError::invalid(
                "page_size",
                n,
                format!("use 1..={MAX_PAGE_SIZE} bins, or 0 for {DEFAULT_PAGE_SIZE}"),
            ));
        }
    };
    let after = match page_token {
        "" => 0,
        t => t.parse::<i64>().ok().filter(|&a| a >= 0).ok_or_else(|| {
            PlanningError::invalid(
                "page_token",
                t,
                "pass the previous response's next_page_token unchanged, or empty for the first page",
            )
        })?,
    };
    let area = resolve_area(store, q).await?;
    let bins = store.fleet_overview(area, after, Some(size)).await?;
    let next = match bins.last() {
        Some(last) if bins.len() as i64 == size => last.id.0.to_string(),
        _ => String::new(),
    };
    Ok((bins, next))
}

/// One bin, explained.
#[derive(Debug, Clone)]
pub struct BinDetail {
    /// Its dashboard row.
    pub bin: BinOverview,
    /// Readings of the last 30 days, oldest first.
    pub readings: Vec<Reading>,
    /// Service events of the last 30 days.
    pub services: Vec<ServiceEvent>,
    /// Forecast for the next 48 hours, hourly, 80 % band.
    pub curve: Vec<CurvePoint>,
    /// Latest decision.
    pub decision: Option<DecisionRow>,
}

fn stamp(t: OffsetDateTime) -> Timestamp {
    Timestamp(t.unix_timestamp())
}

/// A bin's history, forecast curve and latest decision.
pub async fn bin_detail(store: &Store, bin: BinId, now: OffsetDateTime) -> Result<BinDetail> {
    let row = store
        .bin(bin)
        .await?
        .ok_or_else(|| PlanningError::not_found("bin", bin))?;
    let area = Area {
        region: None,
        bbox: Some([
            row.lon - 1e-9,
            row.lat - 1e-9,
            row.lon + 1e-9,
            row.lat + 1e-9,
        ]),
    };
    let overview = store
        .fleet_overview(area, bin.0 - 1, Some(1))
        .await?
        .into_iter()
        .find(|b| b.id == bin)
        .ok_or_else(|| PlanningError::not_found("bin", bin))?;
    let since = now - time::Duration::days(30);
    let readings = store.readings_for_bin(bin, since).await?;
    let services = store.service_events_for_bin(bin, since).await?;
    // The same inputs and local weekdays as the ingest workers' and the
    // nightly job's fits: reported emptyings and class probabilities included.
    let config = store.bin_model_config(bin, now).await?;
    let history = BinHistory::from_rows(&readings, &services);
    let curve = History::new(&history.readings, &config.noise)
        .and_then(|h| fit(&h, &history.reported, stamp(now), &config))
        .and_then(|f| f.curve(stamp(now + time::Duration::hours(48)), 3600, 0.8))
        .unwrap_or_default();
    Ok(BinDetail {
        bin: overview,
        readings,
        services,
        curve,
        decision: store.latest_decision(bin).await?,
    })
}

/// Plan headers of a region (or all), newest first.
pub async fn list_plans(
    store: &Store,
    region_name: Option<&str>,
    from: Option<Date>,
    to: Option<Date>,
    limit: i64,
) -> Result<Vec<PlanRow>> {
    let region = match region_name {
        Some(name) => Some(region(store, name).await?.id),
        None => None,
    };
    let limit = if limit <= 0 { 50 } else { limit.min(1000) };
    Ok(store
        .list_plans(
            region,
            // PostgreSQL dates stop at 4713 BC: use bounds it can hold.
            from.unwrap_or(time::macros::date!(1900 - 01 - 01)),
            to.unwrap_or(time::macros::date!(9999 - 12 - 31)),
            limit,
        )
        .await?)
}

/// Something the live dashboard should show.
#[derive(Debug, Clone, PartialEq)]
pub enum FillEvent {
    /// A new reading.
    Reading(Reading),
    /// A bin at or above the alert fill.
    OverflowRisk {
        /// The bin.
        bin: BinId,
        /// Its fill.
        fill: f32,
        /// When read.
        at: OffsetDateTime,
    },
    /// A committed plan's truck was due at the bin and no service followed.
    MissedPickup(MissedPickup),
    /// The camera reported a health problem with the photo.
    CameraHealth {
        /// The bin.
        bin: BinId,
        /// The flags (`blocked`, `dark`, `moved`, ...).
        flags: Vec<String>,
        /// When taken.
        at: OffsetDateTime,
    },
}

/// Events for readings after `cursor` in the area, and the new cursor.
pub async fn fill_events(
    store: &Store,
    area: Area,
    cursor: i64,
    alert_fill: f32,
) -> Result<(Vec<FillEvent>, i64)> {
    let rows = store.readings_after(area, cursor, 500).await?;
    let mut next = cursor;
    let mut out = Vec::new();
    for (r, flags) in rows {
        next = next.max(r.id);
        let (bin, fill, at) = (r.bin, r.fill_fraction, r.observed_at);
        out.push(FillEvent::Reading(r));
        if fill >= alert_fill {
            out.push(FillEvent::OverflowRisk { bin, fill, at });
        }
        if !flags.is_empty() {
            out.push(FillEvent::CameraHealth { bin, flags, at });
        }
    }
    Ok((out, next))
}

/// How long after its ETA a planned pickup with no service counts as missed.
pub const MISSED_PICKUP_GRACE: time::Duration = time::Duration::hours(2);

/// How far back a live stream looks for missed pickups when it starts.
pub const MISSED_PICKUP_LOOKBACK: time::Duration = time::Duration::hours(24);

/// Missed pickups in the area at `now` that are not in `seen` (stop ids),
/// which this adds them to: a live stream reports each one once.
pub async fn missed_pickup_events(
    store: &Store,
    area: Area,
    now: OffsetDateTime,
    seen: &mut HashSet<i64>,
) -> Result<Vec<FillEvent>> {
    let missed = store
        .missed_pickups(
            area,
            now - MISSED_PICKUP_LOOKBACK,
            now - MISSED_PICKUP_GRACE,
        )
        .await?;
    Ok(missed
        .into_iter()
        .filter(|m| seen.insert(m.stop_id))
        .map(FillEvent::MissedPickup)
        .collect())
}

//! Refreshes a bin's stored forecast after a new reading. The estimate is
//! deliberately simple and robust until the forecasting library lands: the
//! level right after the last service plus a Theil–Sen rate (the median of
//! pairwise slopes, which one misread image cannot drag) over the readings
//! since then.

use crate::error::IngestError;
use fillroute_store::{BinForecast, BinId, Store};
use time::{Duration, OffsetDateTime};

/// At most this many recent readings enter the pairwise slopes.
const MAX_READINGS: usize = 200;

/// Recomputes and stores `bin`'s forecast; `None` when there is too little history.
pub async fn refresh(store: &Store, bin: BinId) -> Result<Option<BinForecast>, IngestError> {
    let since = OffsetDateTime::now_utc() - Duration::days(60);
    let last_service = store.service_events_for_bin(bin, since).await?.last().map(|e| e.serviced_at);
    let readings = store.readings_for_bin(bin, last_service.unwrap_or(since)).await?;
    let points: Vec<(f64, f64)> = readings
        .iter()
        .rev()
        .take(MAX_READINGS)
        .map(|r| ((r.observed_at - readings[0].observed_at).as_seconds_f64() / 3600.0, f64::from(r.fill_fraction)))
        .collect();
    let Some(&(_, level_after)) = points.last() else { return Ok(None) };
    let rate = theil_sen(&points).unwrap_or(0.0).max(0.0);
    let (last_h, last_fill) = points[0];
    let last_at = readings.last().map_or_else(OffsetDateTime::now_utc, |r| r.observed_at);
    let full_in = |rate: f64| (rate > 1e-6).then(|| last_at + Duration::seconds_f64(((1.0 - last_fill).max(0.0) / rate) * 3600.0));
    let _ = last_h;
    let forecast = BinForecast {
        bin,
        computed_at: OffsetDateTime::now_utc(),
        level_after: level_after as f32,
        rate_per_hour: rate as f32,
        full_at: full_in(rate),
        full_at_low: full_in(rate * 1.25),
        full_at_high: full_in(rate * 0.8),
        readings_used: points.len() as i32,
        method: "theil-sen-since-service".into(),
    };
    store.upsert_forecast(&forecast).await?;
    Ok(Some(forecast))
}

/// Median of pairwise slopes; `None` with fewer than two distinct times.
pub fn theil_sen(points: &[(f64, f64)]) -> Option<f64> {
    let mut slopes = Vec::new();
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            let dt = b.0 - a.0;
            if dt.abs() > 1e-9 {
                slopes.push((b.1 - a.1) / dt);
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    slopes.sort_by(f64::total_cmp);
    Some(slopes[slopes.len() / 2])
}

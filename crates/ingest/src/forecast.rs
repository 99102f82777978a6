//! Refreshes a bin's stored forecast after a new reading, with the
//! forecasting library (`fillroute-forecast`), so that the workers, the
//! nightly planner and the simulator compute the same numbers. This module
//! only fits and stores: the bin's history and its region's clock come from
//! the store exactly as the nightly job reads them
//! ([`Store::bin_history`], [`Store::bin_model_config`]); the fitted level, rate and
//! time-until-full interval go back.

use crate::error::IngestError;
use fillroute_forecast::{History, Timestamp, fit};
use fillroute_store::{BinForecast, BinId, Store, stamp};
use time::{Duration, OffsetDateTime};

/// Coverage of the stored time-until-full interval.
pub const FULL_INTERVAL_COVERAGE: f64 = 0.8;

fn instant(t: Timestamp) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(t.0).ok()
}

/// Recomputes and stores `bin`'s forecast as of `now`.
pub async fn refresh(
    store: &Store,
    bin: BinId,
    now: OffsetDateTime,
) -> Result<BinForecast, IngestError> {
    let config = store.bin_model_config(bin, now).await?;
    let since = now - Duration::seconds_f64(config.max_history_days * 86_400.0);
    let history = store.bin_history(bin, since).await?;
    let model_error = |e: fillroute_forecast::ForecastError| {
        IngestError::Internal(format!("forecast for bin {bin}: {e}"))
    };
    let readings = History::new(&history.readings, &config.noise).map_err(model_error)?;
    let forecast = fit(&readings, &history.reported, stamp(now), &config).map_err(model_error)?;
    let full = forecast
        .time_until_full(FULL_INTERVAL_COVERAGE)
        .map_err(model_error)?;
    let method = match forecast.basis {
        fillroute_forecast::RateBasis::Prior => "fillroute-forecast/prior".to_owned(),
        fillroute_forecast::RateBasis::Data { pairs, cycles } => {
            format!("fillroute-forecast/data({pairs} pairs, {cycles} cycles)")
        }
    };
    let stored = BinForecast {
        bin,
        computed_at: now,
        level_after: forecast.level_after_service as f32,
        rate_per_hour: (forecast.rate_per_day / 24.0) as f32,
        full_at: full.median.and_then(instant),
        full_at_low: full.lower.and_then(instant),
        full_at_high: full.upper.and_then(instant),
        readings_used: i32::try_from(forecast.readings_used).unwrap_or(i32::MAX),
        method,
    };
    store.upsert_forecast(&stored).await?;
    Ok(stored)
}

//! Refreshes a bin's stored forecast after a new reading, with the
//! forecasting library (`fillroute-forecast`), so that the workers, the
//! nightly planner and the simulator compute the same numbers. This module
//! only translates: stored readings (with class probabilities, which carry the
//! classifier's uncertainty) and externally reported services go in; the
//! fitted level, rate and time-until-full interval come out and are stored.
//! Fill-drop services are not passed in because the library detects them from
//! the readings itself.

use crate::error::IngestError;
use fillroute_forecast::reading::FILL_CLASSES;
use fillroute_forecast::{History, ModelConfig, Reading, ServiceEvent, Source, Timestamp, fit};
use fillroute_store::{BinForecast, BinId, ReadingSource, Store};
use time::{Duration, OffsetDateTime};

/// Coverage of the stored time-until-full interval.
pub const FULL_INTERVAL_COVERAGE: f64 = 0.8;

fn stamp(t: OffsetDateTime) -> Timestamp {
    Timestamp(t.unix_timestamp())
}

fn instant(t: Timestamp) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(t.0).ok()
}

/// Recomputes and stores `bin`'s forecast as of `now`.
pub async fn refresh(
    store: &Store,
    bin: BinId,
    now: OffsetDateTime,
) -> Result<BinForecast, IngestError> {
    let config = ModelConfig::default();
    let since = now - Duration::seconds_f64(config.max_history_days * 86_400.0);
    let readings: Vec<Reading> = store
        .readings_for_bin(bin, since)
        .await?
        .into_iter()
        .map(|r| {
            let source = match r.source {
                ReadingSource::Camera => Source::Camera,
                ReadingSource::Ultrasonic | ReadingSource::Weight => Source::Sensor,
                ReadingSource::Driver => Source::Driver,
            };
            let probabilities = (r.probabilities.len() == FILL_CLASSES.len())
                .then(|| r.probabilities.iter().map(|&p| f64::from(p)).collect());
            Reading {
                at: stamp(r.observed_at),
                fill: f64::from(r.fill_fraction).min(1.5),
                probabilities,
                source,
            }
        })
        .collect();
    let reported: Vec<ServiceEvent> = store
        .service_events_for_bin(bin, since)
        .await?
        .into_iter()
        .filter(|e| e.detection != "fill_drop")
        .map(|e| ServiceEvent::reported(stamp(e.serviced_at)))
        .collect();
    let model_error = |e: fillroute_forecast::ForecastError| {
        IngestError::Internal(format!("forecast for bin {bin}: {e}"))
    };
    let history = History::new(&readings, &config.noise).map_err(model_error)?;
    let forecast = fit(&history, &reported, stamp(now), &config).map_err(model_error)?;
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

//! A bin's stored history as the forecasting library reads it, and the
//! clock of the region it stands in. Every forecast fit (the ingest
//! workers', the nightly job's, the dashboard's) takes its inputs from here,
//! so that all three fit the same readings, the same reported emptyings and
//! the same local weekdays.

use std::collections::HashMap;

use fillroute_forecast::{ModelConfig, RatePrior, Source, Timestamp};
use time::OffsetDateTime;

use crate::{
    BinId, Detection, Reading, ReadingSource, RegionId, RegionRow, ServiceEvent, Store, StoreError,
};

/// What the forecast of one bin is fitted from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BinHistory {
    /// Readings, oldest first.
    pub readings: Vec<fillroute_forecast::Reading>,
    /// Emptyings reported from outside (drivers, driven plans). Fill drops
    /// are left out: the library detects them from the readings itself.
    pub reported: Vec<fillroute_forecast::ServiceEvent>,
}

impl BinHistory {
    /// The forecast inputs in one bin's stored readings and service events.
    pub fn from_rows(readings: &[Reading], events: &[ServiceEvent]) -> Self {
        Self {
            readings: readings.iter().map(Reading::to_forecast).collect(),
            reported: events
                .iter()
                .filter_map(ServiceEvent::to_reported)
                .collect(),
        }
    }
}

/// Whole seconds since the epoch, as the forecasting library counts time.
pub fn stamp(t: OffsetDateTime) -> Timestamp {
    Timestamp(t.unix_timestamp())
}

impl Reading {
    /// This reading as the forecast takes it: fills above 150 % are read as
    /// 150 %, and class probabilities are kept only when there is one per
    /// fill class.
    pub fn to_forecast(&self) -> fillroute_forecast::Reading {
        let source = match self.source {
            ReadingSource::Camera => Source::Camera,
            ReadingSource::Ultrasonic | ReadingSource::Weight => Source::Sensor,
            ReadingSource::Driver => Source::Driver,
        };
        let probabilities = (self.probabilities.len() == fillroute_forecast::FillClass::ALL.len())
            .then(|| self.probabilities.iter().map(|&p| f64::from(p)).collect());
        fillroute_forecast::Reading {
            at: stamp(self.observed_at),
            fill: f64::from(self.fill_fraction).min(1.5),
            probabilities,
            source,
        }
    }
}

impl ServiceEvent {
    /// This emptying as a reported service, or `None` for a fill drop.
    pub fn to_reported(&self) -> Option<fillroute_forecast::ServiceEvent> {
        (self.detection != Detection::FillDrop)
            .then(|| fillroute_forecast::ServiceEvent::reported(stamp(self.serviced_at)))
    }
}

/// A region's clock: its IANA time zone when it has one (daylight saving
/// included), else its fixed UTC offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionClock {
    /// Fixed offset from UTC, seconds (used without a time zone).
    pub utc_offset_s: i32,
    /// IANA time zone name.
    pub time_zone: Option<String>,
}

impl RegionClock {
    /// The clock of bins that stand in no region: UTC.
    pub const UTC: Self = Self {
        utc_offset_s: 0,
        time_zone: None,
    };

    /// The time zone (an unknown name falls back to the fixed offset, with a warning).
    pub fn zone(&self) -> jiff::tz::TimeZone {
        let fixed = || {
            jiff::tz::Offset::from_seconds(self.utc_offset_s)
                .map_or(jiff::tz::TimeZone::UTC, jiff::tz::TimeZone::fixed)
        };
        match &self.time_zone {
            Some(name) => jiff::tz::TimeZone::get(name).unwrap_or_else(|e| {
                tracing::warn!(zone = name, error = %e, "unknown time zone; using the fixed offset");
                fixed()
            }),
            None => fixed(),
        }
    }

    /// The offset from UTC at `t`, in seconds.
    pub fn offset_at(&self, t: OffsetDateTime) -> i32 {
        jiff::Timestamp::from_second(t.unix_timestamp())
            .map_or(self.utc_offset_s, |ts| self.zone().to_offset(ts).seconds())
    }

    /// The forecast model's settings for a fit at `now` of a bin with
    /// `prior`: local weekdays at the offset that holds then.
    pub fn model_config(&self, now: OffsetDateTime, prior: Option<RatePrior>) -> ModelConfig {
        ModelConfig::for_bin(self.offset_at(now), prior)
    }
}

impl RegionRow {
    /// The region's clock.
    pub fn clock(&self) -> RegionClock {
        RegionClock {
            utc_offset_s: self.utc_offset_s,
            time_zone: self.time_zone.clone(),
        }
    }
}

impl Store {
    /// One bin's forecast inputs since `since`.
    pub async fn bin_history(
        &self,
        bin: BinId,
        since: OffsetDateTime,
    ) -> Result<BinHistory, StoreError> {
        let readings = self.readings_for_bin(bin, since).await?;
        let events = self.service_events_for_bin(bin, since).await?;
        Ok(BinHistory::from_rows(&readings, &events))
    }

    /// The forecast inputs since `since` of every bin in the region that has any.
    pub async fn region_histories(
        &self,
        region: RegionId,
        since: OffsetDateTime,
    ) -> Result<HashMap<BinId, BinHistory>, StoreError> {
        let mut out: HashMap<BinId, BinHistory> = HashMap::new();
        for r in self.readings_in_region(region, since).await? {
            out.entry(r.bin).or_default().readings.push(r.to_forecast());
        }
        for e in self.service_events_in_region(region, since).await? {
            if let Some(s) = e.to_reported() {
                out.entry(e.bin).or_default().reported.push(s);
            }
        }
        Ok(out)
    }

    /// The forecast model for a fit of one bin at `now`: the clock of the
    /// region it stands in (the first by name when regions overlap, UTC when
    /// it stands in none) and its planning rate as the prior.
    pub async fn bin_model_config(
        &self,
        bin: BinId,
        now: OffsetDateTime,
    ) -> Result<ModelConfig, StoreError> {
        type Row = (Option<f64>, Option<f64>, Option<i32>, Option<String>);
        let row: Option<Row> = sqlx::query_as(
            "SELECT b.fill_rate_prior, b.fill_rate_prior_log_sd, r.utc_offset_s, r.time_zone
             FROM bins b LEFT JOIN LATERAL (
                 SELECT r.utc_offset_s, r.time_zone FROM regions r WHERE ST_Within(b.geom, r.geom)
                 ORDER BY r.name LIMIT 1) r ON true
             WHERE b.id = $1",
        )
        .bind(bin.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some((rate, log_sd, offset, time_zone)) = row else {
            return Ok(RegionClock::UTC.model_config(now, None));
        };
        let clock = offset.map_or(RegionClock::UTC, |utc_offset_s| RegionClock {
            utc_offset_s,
            time_zone,
        });
        Ok(clock.model_config(now, crate::fleet::rate_prior(rate, log_sd)))
    }

    /// Bins served and routes driven by the region's committed plans for
    /// dates from `from` up to (not including) `to`: how many bins a route
    /// of this fleet serves. Re-plans (plans with a parent) are left out.
    pub async fn served_per_route(
        &self,
        region: RegionId,
        from: time::Date,
        to: time::Date,
    ) -> Result<(usize, usize), StoreError> {
        let (bins, routes): (i64, i64) = sqlx::query_as(
            "SELECT count(s.id) FILTER (WHERE s.kind = 'bin'), count(DISTINCT r.id)
             FROM plans p JOIN plan_routes r ON r.plan_id = p.id LEFT JOIN plan_stops s ON s.route_id = r.id
             WHERE p.region_id = $1 AND p.status <> 'draft' AND p.status <> 'cancelled'
               AND p.parent_plan_id IS NULL AND p.plan_date >= $2 AND p.plan_date < $3",
        )
        .bind(region.0)
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await?;
        Ok((
            usize::try_from(bins).unwrap_or(0),
            usize::try_from(routes).unwrap_or(0),
        ))
    }
}

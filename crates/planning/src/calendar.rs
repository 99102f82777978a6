//! A region's collection calendar: its bins split into compact day-areas by
//! road distance, each swept on fixed local weekdays at a rhythm set by its
//! bins' long-run fill rates. [`build_calendar`] cuts it with the replay's
//! builder ([`fillroute_pipeline::build_calendar`]) from the region's road
//! matrix and each bin's fitted rate, and stores it; the nightly job then
//! decides each bin up to its area's next sweep, and the dashboard shows a
//! bin's area and next sweep ([`next_sweep`]).

use std::collections::HashMap;

pub use fillroute_forecast::CalendarPolicy;
use fillroute_forecast::ForecastError;
use fillroute_pipeline::{build_calendar as cut, long_run_rate};
use fillroute_store::{BinHistory, BinId, Store, StoredCalendar, stamp};
use time::{Date, OffsetDateTime};

use crate::error::{PlanningError, Result};
use crate::job::{locate, region};
use crate::network::NetworkCache;

/// One area of a calendar, as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaReport {
    /// Area number.
    pub area: usize,
    /// Sweeps a week.
    pub per_week: u8,
    /// Local sweep weekdays, Monday first.
    pub weekdays: [bool; 7],
    /// Bins in it.
    pub bins: usize,
    /// Its central bin.
    pub medoid: Option<BinId>,
}

/// A region's calendar, as built or read back.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarReport {
    /// Region name.
    pub region: String,
    /// What it is built and decided with.
    pub policy: CalendarPolicy,
    /// When it was built.
    pub built_at: OffsetDateTime,
    /// Its areas.
    pub areas: Vec<AreaReport>,
    /// Bins without a road location (placed in an area all the same).
    pub unplaced: usize,
}

impl CalendarReport {
    fn of(region: String, stored: &StoredCalendar, unplaced: usize) -> Self {
        let mut count: HashMap<usize, usize> = HashMap::new();
        for &a in stored.bin_area.values() {
            *count.entry(a).or_default() += 1;
        }
        Self {
            region,
            policy: stored.policy,
            built_at: stored.built_at,
            areas: stored
                .areas
                .iter()
                .enumerate()
                .map(|(a, s)| AreaReport {
                    area: a,
                    per_week: s.per_week,
                    weekdays: s.weekdays,
                    bins: count.get(&a).copied().unwrap_or(0),
                    medoid: s.medoid,
                })
                .collect(),
            unplaced,
        }
    }
}

/// Builds `region_name`'s calendar with `policy` from the road matrix
/// between all its bins and each bin's long-run fill rate as its history
/// shows it `now` (the zone's prior rate for a bin without history), and
/// stores it in place of the old one.
///
/// # Errors
/// An unknown region, a region without bins, a policy field out of range
/// (named), or the database.
pub async fn build_calendar(
    store: &Store,
    cache: &NetworkCache,
    region_name: &str,
    policy: CalendarPolicy,
    now: OffsetDateTime,
) -> Result<CalendarReport> {
    policy.validate().map_err(invalid)?;
    let region = region(store, region_name).await?;
    let bins = store.bins_in_region(region.id).await?;
    if bins.is_empty() {
        return Err(PlanningError::invalid(
            "region",
            &region.name,
            "register bins inside the region (`fillroute bins import`) before building its calendar",
        ));
    }
    let config = region.clock().model_config(now, None);
    let since = now - time::Duration::seconds_f64(config.max_history_days * 86_400.0);
    let mut histories = store.region_histories(region.id, since).await?;
    let rates: Vec<f64> = bins
        .iter()
        .map(|b| {
            let h: BinHistory = histories.remove(&b.id).unwrap_or_default();
            let config = config.with_prior(b.rate_prior);
            long_run_rate(&h.readings, &h.reported, &config, stamp(now))
        })
        .collect();
    let net = cache.get(store, region.network).await?;
    let sites = store
        .disposal_sites_near_region(region.id, crate::job::SITE_RADIUS_M)
        .await?;
    let (region2, bins2) = (region.clone(), bins.clone());
    let (calendar, unplaced) = tokio::task::spawn_blocking(move || {
        let located = locate(
            &net,
            &region2,
            &sites,
            &bins2,
            &|_: crate::job::Progress| {},
        )?;
        let calendar = cut(
            located.bin_metres(bins2.len()),
            &rates,
            region2.working_weekdays,
            &policy.params(),
        )
        .map_err(invalid)?;
        Ok::<_, PlanningError>((calendar, located.unplaced.len()))
    })
    .await
    .map_err(|e| PlanningError::Internal(format!("calendar thread: {e}")))??;
    let ids: Vec<BinId> = bins.iter().map(|b| b.id).collect();
    store
        .save_calendar(region.id, &policy, &calendar, &ids)
        .await?;
    let stored = store
        .calendar(region.id)
        .await?
        .ok_or_else(|| PlanningError::Internal("the calendar just written is gone".into()))?;
    tracing::info!(region = %region.name, areas = stored.areas.len(), bins = ids.len(), "calendar built");
    Ok(CalendarReport::of(region.name, &stored, unplaced))
}

/// A calendar parameter out of range, named as the caller gave it.
fn invalid(e: ForecastError) -> PlanningError {
    match e {
        ForecastError::InvalidParameter { field, value, fix } => {
            PlanningError::invalid(field, value, fix)
        }
        other => PlanningError::Internal(other.to_string()),
    }
}

/// `region_name`'s stored calendar, if it has one.
///
/// # Errors
/// An unknown region, or the database.
pub async fn show_calendar(store: &Store, region_name: &str) -> Result<Option<CalendarReport>> {
    let region = region(store, region_name).await?;
    Ok(store
        .calendar(region.id)
        .await?
        .map(|c| CalendarReport::of(region.name, &c, 0)))
}

/// The first date on or after `date` whose weekday is in `weekdays`
/// (Monday first); `None` when no weekday is.
pub fn next_sweep(weekdays: [bool; 7], date: Date) -> Option<Date> {
    (0..7)
        .map(|g| date + time::Duration::days(g))
        .find(|d| weekdays[usize::from(d.weekday().number_days_from_monday())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_next_sweep_is_the_first_listed_weekday_from_the_date_on() {
        // 2026-12-07 is a Monday; swept on Mondays and Thursdays.
        let mon_thu = [true, false, false, true, false, false, false];
        assert_eq!(
            next_sweep(mon_thu, date!(2026 - 12 - 07)),
            Some(date!(2026 - 12 - 07))
        );
        assert_eq!(
            next_sweep(mon_thu, date!(2026 - 12 - 08)),
            Some(date!(2026 - 12 - 10))
        );
        assert_eq!(
            next_sweep(mon_thu, date!(2026 - 12 - 11)),
            Some(date!(2026 - 12 - 14))
        );
        assert_eq!(next_sweep([false; 7], date!(2026 - 12 - 10)), None);
    }
}

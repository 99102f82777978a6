//! A region's collection calendar: its day-areas, their sweep weekdays and
//! which bin belongs to which, with the policy it was built with.

use std::collections::HashMap;

use fillroute_forecast::{Calendar, CalendarPolicy};
use sqlx::Row;
use time::OffsetDateTime;

use crate::{BinId, RegionId, Store, StoreError};

/// One stored day-area.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredArea {
    /// Sweeps a week.
    pub per_week: u8,
    /// Local sweep weekdays, Monday first.
    pub weekdays: [bool; 7],
    /// Its central bin, while it exists.
    pub medoid: Option<BinId>,
}

/// A region's stored calendar ([`Store::calendar`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCalendar {
    /// What it was built and is decided with.
    pub policy: CalendarPolicy,
    /// When it was built.
    pub built_at: OffsetDateTime,
    /// Its areas; area `i` is `areas[i]`.
    pub areas: Vec<StoredArea>,
    /// The area of each bin it was built over.
    pub bin_area: HashMap<BinId, usize>,
}

impl StoredCalendar {
    /// The calendar over today's `bins`, in that order, for a region working
    /// on `working` weekdays. A bin keeps its stored area; a bin registered
    /// since the calendar was built joins the area whose central bin is
    /// cheapest to reach by `cost(i, j)` (indices into `bins`), and is
    /// reported in the second value. `None` for a calendar without areas.
    pub fn align(
        &self,
        working: [bool; 7],
        bins: &[BinId],
        cost: impl Fn(usize, usize) -> f64,
    ) -> Option<(Calendar, Vec<BinId>)> {
        if self.areas.is_empty() {
            return None;
        }
        let index: HashMap<BinId, usize> = bins.iter().enumerate().map(|(i, &b)| (b, i)).collect();
        let medoids: Vec<Option<usize>> = self
            .areas
            .iter()
            .map(|a| a.medoid.and_then(|m| index.get(&m).copied()))
            .collect();
        let mut added = Vec::new();
        let bin_area: Vec<usize> = bins
            .iter()
            .enumerate()
            .map(|(i, b)| match self.bin_area.get(b) {
                Some(&a) if a < self.areas.len() => a,
                _ => {
                    added.push(*b);
                    (0..self.areas.len())
                        .filter_map(|a| medoids[a].map(|m| (a, cost(i, m) + cost(m, i))))
                        .filter(|(_, c)| c.is_finite())
                        .min_by(|x, y| x.1.total_cmp(&y.1))
                        .map_or(0, |(a, _)| a)
                }
            })
            .collect();
        let areas = self
            .areas
            .iter()
            .enumerate()
            .map(|(a, s)| {
                let members: Vec<usize> = (0..bins.len()).filter(|&i| bin_area[i] == a).collect();
                fillroute_forecast::Area {
                    per_week: s.per_week,
                    weekdays: s.weekdays,
                    medoid: medoids[a].or(members.first().copied()).unwrap_or(0),
                    bins: members,
                }
            })
            .collect();
        Some((
            Calendar {
                working,
                areas,
                bin_area,
            },
            added,
        ))
    }
}

impl Store {
    /// Replaces `region`'s calendar with `calendar`, built over `bins`
    /// (calendar bin `i` is `bins[i]`) with `policy`, in one transaction.
    pub async fn save_calendar(
        &self,
        region: RegionId,
        policy: &CalendarPolicy,
        calendar: &Calendar,
        bins: &[BinId],
    ) -> Result<(), StoreError> {
        if calendar.bin_area.len() != bins.len() {
            return Err(StoreError::Conflict(format!(
                "the calendar covers {} bins but {} bin ids were given",
                calendar.bin_area.len(),
                bins.len()
            )));
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM calendars WHERE region_id = $1")
            .bind(region.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO calendars (region_id, target_fill, max_per_week, emergency_risk, areas_per_slot, sweep_fill)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(region.0)
        .bind(policy.target_fill)
        .bind(i16::from(policy.max_per_week))
        .bind(policy.emergency_risk)
        .bind(i32::try_from(policy.areas_per_slot).unwrap_or(i32::MAX))
        .bind(policy.sweep_fill)
        .execute(&mut *tx)
        .await?;
        for (a, area) in calendar.areas.iter().enumerate() {
            sqlx::query(
                "INSERT INTO calendar_areas (region_id, area, per_week, weekdays, medoid_bin_id)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(region.0)
            .bind(a as i32)
            .bind(i16::from(area.per_week))
            .bind(area.weekdays.to_vec())
            .bind(bins.get(area.medoid).map(|b| b.0))
            .execute(&mut *tx)
            .await?;
        }
        let ids: Vec<i64> = bins.iter().map(|b| b.0).collect();
        let areas: Vec<i32> = calendar.bin_area.iter().map(|&a| a as i32).collect();
        sqlx::query(
            "INSERT INTO calendar_bins (region_id, bin_id, area)
             SELECT $1, b, a FROM UNNEST($2::bigint[], $3::int[]) AS t(b, a)",
        )
        .bind(region.0)
        .bind(ids)
        .bind(areas)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `region`'s calendar, if one was built.
    pub async fn calendar(&self, region: RegionId) -> Result<Option<StoredCalendar>, StoreError> {
        let Some(head) = sqlx::query(
            "SELECT target_fill, max_per_week, emergency_risk, areas_per_slot, sweep_fill, built_at
             FROM calendars WHERE region_id = $1",
        )
        .bind(region.0)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let policy = CalendarPolicy {
            target_fill: head.try_get("target_fill")?,
            max_per_week: u8::try_from(head.try_get::<i16, _>("max_per_week")?).unwrap_or(1),
            emergency_risk: head.try_get("emergency_risk")?,
            areas_per_slot: usize::try_from(head.try_get::<i32, _>("areas_per_slot")?).unwrap_or(1),
            sweep_fill: head.try_get("sweep_fill")?,
        };
        let areas = sqlx::query(
            "SELECT per_week, weekdays, medoid_bin_id FROM calendar_areas
             WHERE region_id = $1 ORDER BY area",
        )
        .bind(region.0)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| {
            Ok(StoredArea {
                per_week: u8::try_from(r.try_get::<i16, _>("per_week")?).unwrap_or(1),
                weekdays: crate::fleet::week(&r.try_get::<Vec<bool>, _>("weekdays")?),
                medoid: r.try_get::<Option<i64>, _>("medoid_bin_id")?.map(BinId),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let bin_area = sqlx::query("SELECT bin_id, area FROM calendar_bins WHERE region_id = $1")
            .bind(region.0)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| {
                Ok((
                    BinId(r.try_get("bin_id")?),
                    usize::try_from(r.try_get::<i32, _>("area")?).unwrap_or(0),
                ))
            })
            .collect::<Result<HashMap<_, _>, sqlx::Error>>()?;
        Ok(Some(StoredCalendar {
            policy,
            built_at: head.try_get("built_at")?,
            areas,
            bin_area,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> StoredCalendar {
        let area = |weekday: usize, medoid: i64| StoredArea {
            per_week: 1,
            weekdays: std::array::from_fn(|d| d == weekday),
            medoid: Some(BinId(medoid)),
        };
        StoredCalendar {
            policy: CalendarPolicy::default(),
            built_at: OffsetDateTime::UNIX_EPOCH,
            areas: vec![area(0, 1), area(3, 3)],
            bin_area: HashMap::from([(BinId(1), 0), (BinId(2), 0), (BinId(3), 1)]),
        }
    }

    #[test]
    fn a_bin_registered_after_the_calendar_joins_the_area_with_the_nearest_centre() {
        // Bins on a line at 0, 1, 10 and (new) 9.
        let at = [0.0, 1.0, 10.0, 9.0];
        let bins = [BinId(1), BinId(2), BinId(3), BinId(4)];
        let (cal, added) = stored()
            .align([true; 7], &bins, |a, b| f64::abs(at[a] - at[b]))
            .unwrap_or_else(|| panic!("areas exist"));
        assert_eq!(added, vec![BinId(4)]);
        assert_eq!(cal.bin_area, vec![0, 0, 1, 1]);
        assert_eq!(cal.areas[1].bins, vec![2, 3]);
        assert_eq!(
            cal.areas[1].medoid, 2,
            "the medoid is bin 3, now at index 2"
        );
        assert!(cal.swept(3, 3) && !cal.swept(3, 0));
    }

    #[test]
    fn a_deleted_bin_drops_out_and_today_order_is_kept() {
        let (cal, added) = stored()
            .align([true; 7], &[BinId(3), BinId(2)], |_, _| 1.0)
            .unwrap_or_else(|| panic!("areas exist"));
        assert!(added.is_empty());
        assert_eq!(cal.bin_area, vec![1, 0]);
        assert_eq!(
            cal.areas[0].medoid, 1,
            "medoid bin 1 is gone: the area's first bin stands in"
        );
    }
}

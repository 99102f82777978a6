//! The collection calendar: a region's bins split into compact day-areas on a
//! fixed weekly rhythm, so that each working day a truck sweeps one compact
//! part of the city instead of chasing bins scattered over all of it.
//!
//! Each bin gets a cadence (sweeps a week, 1 to `max_per_week`) from its
//! long-run fill rate. The bins of one cadence `f` are split by road cost into
//! `ceil(W / f)` areas (W working weekdays) with balanced work (balanced
//! k-medoids: farthest-point seeds, then regret-ordered assignment under a work
//! cap, then each area's medoid recomputed, until nothing moves). Area `j` of
//! cadence `f` is swept on the working weekdays `j + floor(i·W/f)`, `i < f`, so
//! a fast-filling core gets a nested faster rhythm. Areas of faster cadences are
//! put on the weekdays whose slower areas are nearest to them.
//!
//! The calendar only says where the trucks will next be; the decision
//! ([`crate::decide`] with a [`crate::Sweep`]) turns that into a horizon.

use serde::{Deserialize, Serialize};

use crate::decision::{Action, Decision, Reason};
use crate::error::{Result, check_param};

/// What the calendar needs to know about one bin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalendarBin {
    /// Long-run mean fill per day, in containers (from history or the zone's planning figure).
    pub rate_per_day: f64,
    /// Work one sweep spends on it, in any unit shared by all bins (e.g. 1 per stop).
    pub work: f64,
}

/// How the calendar is built.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalendarParams {
    /// Fill a bin should reach between two sweeps of its area; sets the cadence:
    /// `ceil(rate · 7 / target_fill)` sweeps a week. (For example 0.8.)
    pub target_fill: f64,
    /// Most sweeps a week an area gets (1..=working days).
    pub max_per_week: u8,
    /// Every bin gets exactly this cadence instead (a plain k-per-week schedule).
    pub uniform_per_week: Option<u8>,
    /// An area may hold up to this multiple of its fair share of work (e.g. 1.15).
    pub balance_slack: f64,
    /// Areas per weekly slot: more, smaller areas (for area sweeps, [`sweep_areas`]).
    pub areas_per_slot: usize,
}

impl Default for CalendarParams {
    fn default() -> Self {
        Self {
            target_fill: 0.8,
            max_per_week: 3,
            uniform_per_week: None,
            balance_slack: 1.15,
            areas_per_slot: 1,
        }
    }
}

/// How a fill-driven policy works over a calendar: how the calendar is cut
/// and how its decisions look ahead. The replay reads it from a scenario's
/// policy, the nightly job from the region's stored calendar.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarPolicy {
    /// Fill a bin should reach between two sweeps of its area: sets each
    /// area's sweeps a week (1..=max_per_week) from its bins' fill rates.
    pub target_fill: f64,
    /// Most sweeps a week for the fastest areas.
    #[serde(default = "default_max_per_week")]
    pub max_per_week: u8,
    /// Outside today's areas, collect a bin as an emergency when
    /// P(overflow before the next working day) exceeds this.
    #[serde(default = "default_emergency_risk")]
    pub emergency_risk: f64,
    /// Areas per weekly slot (more, smaller areas).
    #[serde(default = "default_areas_per_slot")]
    pub areas_per_slot: usize,
    /// Area sweeps instead of weekdays: each bin is decided one working day
    /// ahead, and the area of every must-collect bin is swept, taking along
    /// every bin there expected at `sweep_fill` or more.
    #[serde(default)]
    pub sweep_fill: Option<f64>,
}

fn default_areas_per_slot() -> usize {
    1
}

fn default_emergency_risk() -> f64 {
    0.5
}

fn default_max_per_week() -> u8 {
    3
}

impl Default for CalendarPolicy {
    fn default() -> Self {
        Self {
            target_fill: CalendarParams::default().target_fill,
            max_per_week: default_max_per_week(),
            emergency_risk: default_emergency_risk(),
            areas_per_slot: default_areas_per_slot(),
            sweep_fill: None,
        }
    }
}

impl CalendarPolicy {
    /// The parameters its calendar is built with.
    pub fn params(&self) -> CalendarParams {
        CalendarParams {
            target_fill: self.target_fill,
            max_per_week: self.max_per_week,
            areas_per_slot: self.areas_per_slot,
            ..CalendarParams::default()
        }
    }

    /// Checks every field, naming the one that is out of range.
    ///
    /// # Errors
    /// [`crate::ForecastError`] naming the field and its valid range.
    pub fn validate(&self) -> Result<()> {
        check_param(
            "target_fill",
            self.target_fill,
            0.05..=2.0,
            "use a fill in 0.05..=2 (e.g. 0.8)",
        )?;
        check_param(
            "max_per_week",
            f64::from(self.max_per_week),
            1.0..=7.0,
            "use 1..=7 sweeps a week",
        )?;
        check_param(
            "emergency_risk",
            self.emergency_risk,
            0.0..=1.0,
            "use a probability in 0..=1 (e.g. 0.5)",
        )?;
        check_param(
            "areas_per_slot",
            self.areas_per_slot as f64,
            1.0..=50.0,
            "use 1..=50 areas per weekday",
        )?;
        if let Some(f) = self.sweep_fill {
            check_param(
                "sweep_fill",
                f,
                0.0..=2.0,
                "use a fill in 0..=2 (e.g. 0.6), or leave it out",
            )?;
        }
        Ok(())
    }
}

/// One compact area and its weekly sweep days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Area {
    /// Sweeps a week.
    pub per_week: u8,
    /// Local weekdays it is swept on, Monday = 0.
    pub weekdays: [bool; 7],
    /// Its bins (indices into the calendar's input).
    pub bins: Vec<usize>,
    /// The bin whose summed cost to the others is least.
    pub medoid: usize,
}

/// A region's collection calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calendar {
    /// Working weekdays, Monday = 0.
    pub working: [bool; 7],
    /// The areas.
    pub areas: Vec<Area>,
    /// Area of each bin.
    pub bin_area: Vec<usize>,
}

impl Calendar {
    /// Builds the calendar. `cost(a, b)` is the travel cost from bin `a` to bin
    /// `b` (it is symmetrised); runs in O(n² · iterations / areas) cost lookups.
    pub fn build(
        cost: impl Fn(usize, usize) -> f64,
        bins: &[CalendarBin],
        working: [bool; 7],
        params: &CalendarParams,
    ) -> Result<Self> {
        let days: Vec<usize> = (0..7).filter(|&d| working[d]).collect();
        let w = days.len();
        check_param(
            "working days",
            w as f64,
            1.0..=7.0,
            "mark at least one working weekday",
        )?;
        check_param(
            "target_fill",
            params.target_fill,
            0.05..=2.0,
            "use a fill in 0.05..=2 (e.g. 0.8)",
        )?;
        check_param(
            "balance_slack",
            params.balance_slack,
            1.0..=10.0,
            "use 1..=10 (e.g. 1.15)",
        )?;
        let max = params.max_per_week.clamp(1, w as u8);
        for b in bins {
            check_param(
                "bins[].rate_per_day",
                b.rate_per_day,
                0.0..=100.0,
                "use a fill rate in containers a day",
            )?;
            check_param(
                "bins[].work",
                b.work,
                0.0..=1e9,
                "use a non-negative work figure",
            )?;
        }
        let sym = |a: usize, b: usize| {
            let c = cost(a, b) + cost(b, a);
            if c.is_finite() { c } else { 1e18 }
        };
        let cadence = |b: &CalendarBin| -> u8 {
            match params.uniform_per_week {
                Some(k) => k.clamp(1, w as u8),
                None => ((b.rate_per_day * 7.0 / params.target_fill).ceil() as u8).clamp(1, max),
            }
        };
        let mut areas: Vec<Area> = Vec::new();
        let mut bin_area = vec![0; bins.len()];
        // Slowest cadence first: faster areas are then aligned to its days.
        let mut cadences: Vec<u8> = bins.iter().map(cadence).collect();
        cadences.sort_unstable();
        cadences.dedup();
        for f in cadences {
            let members: Vec<usize> = (0..bins.len())
                .filter(|&b| cadence(&bins[b]) == f)
                .collect();
            let slots_of_f = w.div_ceil(usize::from(f));
            let k = (slots_of_f * params.areas_per_slot.max(1)).min(members.len());
            let groups = balanced_k_medoids(
                &sym,
                &members,
                &bins.iter().map(|b| b.work.max(1e-9)).collect::<Vec<_>>(),
                k,
                params.balance_slack,
            );
            // Slot j of this cadence sweeps working days j + floor(i·W/f).
            let slot_days = |j: usize| -> Vec<usize> {
                (0..usize::from(f))
                    .map(|i| (j + i * w / usize::from(f)) % w)
                    .collect()
            };
            let slots: Vec<usize> = if params.areas_per_slot > 1 {
                (0..groups.len()).map(|g| g % slots_of_f).collect()
            } else {
                align(&sym, &groups, k, &areas, &days, &slot_days)
            };
            for ((medoid, group), slot) in groups.into_iter().zip(slots) {
                let mut weekdays = [false; 7];
                for d in slot_days(slot) {
                    weekdays[days[d]] = true;
                }
                for &b in &group {
                    bin_area[b] = areas.len();
                }
                areas.push(Area {
                    per_week: f,
                    weekdays,
                    bins: group,
                    medoid,
                });
            }
        }
        Ok(Self {
            working,
            areas,
            bin_area,
        })
    }

    /// Whether bin `b`'s area is swept on local weekday `weekday` (Monday = 0).
    pub fn swept(&self, b: usize, weekday: usize) -> bool {
        self.areas[self.bin_area[b]].weekdays[weekday % 7]
    }

    /// Days from a day with local weekday `weekday` to the next sweep of bin
    /// `b`'s area (1..=7).
    pub fn days_to_next_sweep(&self, b: usize, weekday: usize) -> u32 {
        let wd = &self.areas[self.bin_area[b]].weekdays;
        (1..=7).find(|g| wd[(weekday + g) % 7]).unwrap_or(7) as u32
    }

    /// Days from a day with local weekday `weekday` to the next working day (1..=7).
    pub fn days_to_next_working_day(&self, weekday: usize) -> u32 {
        (1..=7)
            .find(|g| self.working[(weekday + g) % 7])
            .unwrap_or(7) as u32
    }

    /// Where bin `b` stands on a day with local weekday `weekday`.
    pub fn sweep(&self, b: usize, weekday: usize) -> crate::Sweep {
        crate::Sweep {
            today: self.swept(b, weekday),
            next_sweep_days: f64::from(self.days_to_next_sweep(b, weekday)),
            next_working_days: f64::from(self.days_to_next_working_day(weekday)),
        }
    }
}

/// Area sweeps: when some bin of an area must be collected, the truck sweeps
/// the whole area. Every other bin there expected at `sweep_fill` or more on
/// the planning date joins as must-collect ([`Reason::AreaSweep`]), so the
/// area's bins fall back into phase and the area needs no truck until its
/// next bin is due. `decisions[b]` is bin `b`'s decision; returns the number
/// of bins added.
pub fn sweep_areas(decisions: &mut [&mut Decision], bin_area: &[usize], sweep_fill: f64) -> usize {
    let areas = bin_area.iter().copied().max().map_or(0, |a| a + 1);
    let mut triggered = vec![false; areas];
    for (d, &a) in decisions.iter().zip(bin_area) {
        if d.action == Action::Must {
            triggered[a] = true;
        }
    }
    let mut added = 0;
    for (d, &a) in decisions.iter_mut().zip(bin_area) {
        if triggered[a] && d.action != Action::Must && d.numbers.fill_now >= sweep_fill {
            d.action = Action::Must;
            d.reason = Reason::AreaSweep;
            d.prize = None;
            d.explanation = format!(
                "Must collect: its area is swept today (another bin there must be collected) and it is at least {:.0}% full; {}",
                100.0 * sweep_fill,
                d.explanation
            );
            added += 1;
        }
    }
    added
}

/// Splits `members` into `k` compact groups of balanced work; returns (medoid, members).
fn balanced_k_medoids(
    cost: &impl Fn(usize, usize) -> f64,
    members: &[usize],
    work: &[f64],
    k: usize,
    slack: f64,
) -> Vec<(usize, Vec<usize>)> {
    if k == 0 {
        return Vec::new();
    }
    // Farthest-point seeds, starting from the member farthest from the first.
    let first = *members
        .iter()
        .max_by(|&&a, &&b| cost(members[0], a).total_cmp(&cost(members[0], b)))
        .unwrap_or(&members[0]);
    let mut medoids = vec![first];
    let mut near: Vec<f64> = members.iter().map(|&m| cost(first, m)).collect();
    while medoids.len() < k {
        let (i, _) = near
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap_or((0, &0.0));
        let m = members[i];
        medoids.push(m);
        for (j, &x) in members.iter().enumerate() {
            near[j] = near[j].min(cost(m, x));
        }
    }
    let total: f64 = members.iter().map(|&m| work[m]).sum();
    let cap = slack * total / k as f64;
    let mut assignment = vec![0usize; members.len()];
    for _round in 0..20 {
        // Regret order: members with most to lose from a second-best area go first.
        let mut order: Vec<(f64, usize, Vec<usize>)> = members
            .iter()
            .enumerate()
            .map(|(i, &m)| {
                let mut by: Vec<usize> = (0..k).collect();
                by.sort_by(|&a, &b| cost(medoids[a], m).total_cmp(&cost(medoids[b], m)));
                let regret = if k > 1 {
                    cost(medoids[by[1]], m) - cost(medoids[by[0]], m)
                } else {
                    0.0
                };
                (regret, i, by)
            })
            .collect();
        order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut load = vec![0.0; k];
        let mut next = vec![0usize; members.len()];
        for (_, i, by) in &order {
            let w = work[members[*i]];
            let g = by
                .iter()
                .copied()
                .find(|&g| load[g] + w <= cap)
                .unwrap_or(by[0]);
            load[g] += w;
            next[*i] = g;
        }
        let new_medoids: Vec<usize> = (0..k)
            .map(|g| {
                let group: Vec<usize> = (0..members.len())
                    .filter(|&i| next[i] == g)
                    .map(|i| members[i])
                    .collect();
                group
                    .iter()
                    .copied()
                    .min_by(|&a, &b| {
                        let sa: f64 = group.iter().map(|&x| cost(a, x)).sum();
                        let sb: f64 = group.iter().map(|&x| cost(b, x)).sum();
                        sa.total_cmp(&sb).then(a.cmp(&b))
                    })
                    .unwrap_or(medoids[g])
            })
            .collect();
        let stable = new_medoids == medoids && next == assignment;
        assignment = next;
        medoids = new_medoids;
        if stable {
            break;
        }
    }
    (0..k)
        .map(|g| {
            (
                medoids[g],
                (0..members.len())
                    .filter(|&i| assignment[i] == g)
                    .map(|i| members[i])
                    .collect(),
            )
        })
        .collect()
}

/// Gives each new group a slot (0..k) so that the areas it will share its days
/// with are near it: exhaustive over permutations for k ≤ 6, in order otherwise.
fn align(
    cost: &impl Fn(usize, usize) -> f64,
    groups: &[(usize, Vec<usize>)],
    k: usize,
    existing: &[Area],
    days: &[usize],
    slot_days: &impl Fn(usize) -> Vec<usize>,
) -> Vec<usize> {
    let identity: Vec<usize> = (0..groups.len()).collect();
    if existing.is_empty() || k > 6 {
        return identity;
    }
    // pair[g][s]: cost of group g to the existing areas swept on slot s's days.
    let pair: Vec<Vec<f64>> = groups
        .iter()
        .map(|(m, _)| {
            (0..k)
                .map(|s| {
                    slot_days(s)
                        .iter()
                        .flat_map(|&d| existing.iter().filter(move |a| a.weekdays[days[d]]))
                        .map(|a| cost(*m, a.medoid))
                        .sum()
                })
                .collect()
        })
        .collect();
    let mut best = (f64::INFINITY, identity.clone());
    let mut perm: Vec<usize> = (0..k).collect();
    permute(&mut perm, 0, &mut |p| {
        let c: f64 = (0..groups.len()).map(|g| pair[g][p[g]]).sum();
        if c < best.0 {
            best = (c, p[..groups.len()].to_vec());
        }
    });
    best.1
}

fn permute(p: &mut Vec<usize>, i: usize, visit: &mut impl FnMut(&[usize])) {
    if i == p.len() {
        visit(p);
        return;
    }
    for j in i..p.len() {
        p.swap(i, j);
        permute(p, i + 1, visit);
        p.swap(i, j);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const MON_SAT: [bool; 7] = [true, true, true, true, true, true, false];

    /// Bins on a line, cost = distance.
    fn line(xs: &[f64]) -> impl Fn(usize, usize) -> f64 + '_ {
        move |a, b| (xs[a] - xs[b]).abs()
    }

    #[test]
    fn a_weekly_calendar_sweeps_each_bin_once_a_week_in_contiguous_areas() {
        let xs: Vec<f64> = (0..60).map(|i| i as f64).collect();
        let bins = vec![
            CalendarBin {
                rate_per_day: 0.05,
                work: 1.0
            };
            60
        ];
        let c = Calendar::build(line(&xs), &bins, MON_SAT, &CalendarParams::default()).unwrap();
        assert_eq!(c.areas.len(), 6);
        for a in &c.areas {
            assert_eq!(a.weekdays.iter().filter(|&&d| d).count(), 1);
            assert!(a.bins.len() <= 12, "balanced: {}", a.bins.len());
            // Contiguous on the line: max - min + 1 == count.
            let lo = a.bins.iter().min().unwrap();
            let hi = a.bins.iter().max().unwrap();
            assert_eq!(hi - lo + 1, a.bins.len(), "{:?}", a.bins);
        }
        for d in 0..6 {
            assert_eq!(c.areas.iter().filter(|a| a.weekdays[d]).count(), 1);
        }
        assert_eq!(
            c.days_to_next_sweep(
                0,
                c.areas[c.bin_area[0]]
                    .weekdays
                    .iter()
                    .position(|&x| x)
                    .unwrap()
            ),
            7
        );
    }

    #[test]
    fn fast_filling_bins_get_a_faster_rhythm_on_their_own_areas() {
        let xs: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let bins: Vec<CalendarBin> = (0..40)
            .map(|i| CalendarBin {
                rate_per_day: if i < 10 { 0.25 } else { 0.05 },
                work: 1.0,
            })
            .collect();
        let c = Calendar::build(line(&xs), &bins, MON_SAT, &CalendarParams::default()).unwrap();
        // 0.25 a day reaches 0.8 in 3.2 days: three sweeps a week, every second working day.
        let fast = &c.areas[c.bin_area[0]];
        assert_eq!(fast.per_week, 3);
        assert!(fast.bins.iter().all(|&b| b < 10));
        assert!(c.days_to_next_sweep(0, 0) <= 3);
        assert_eq!(c.areas[c.bin_area[20]].per_week, 1);
    }

    #[test]
    fn a_uniform_twice_weekly_calendar_sweeps_every_area_three_working_days_apart() {
        let xs: Vec<f64> = (0..30).map(|i| i as f64).collect();
        let bins = vec![
            CalendarBin {
                rate_per_day: 0.05,
                work: 1.0
            };
            30
        ];
        let params = CalendarParams {
            uniform_per_week: Some(2),
            ..CalendarParams::default()
        };
        let c = Calendar::build(line(&xs), &bins, MON_SAT, &params).unwrap();
        assert_eq!(c.areas.len(), 3);
        for a in &c.areas {
            let d: Vec<usize> = (0..7).filter(|&i| a.weekdays[i]).collect();
            assert_eq!(d.len(), 2);
            assert_eq!(d[1] - d[0], 3);
        }
        // Saturday (5) to the next working day, Monday: 2 days.
        assert_eq!(c.days_to_next_working_day(5), 2);
    }

    #[test]
    fn a_must_collect_bin_brings_its_fullish_area_neighbours_along_and_no_one_else() {
        use crate::{DecisionNumbers, Timestamp};
        let d = |action, fill_now| Decision {
            date: Timestamp(0),
            action,
            reason: Reason::NotFullEnough,
            prize: None,
            numbers: DecisionNumbers {
                fill_now,
                expected_fill_at_horizon: fill_now,
                horizon: Timestamp(0),
                p_overflow: 0.0,
                days_since_service: None,
                risk_level: None,
                fill_threshold: None,
                max_interval_days: None,
            },
            explanation: String::new(),
        };
        // Area 0: one must, one fullish, one nearly empty. Area 1: fullish, no must.
        let mut ds = [
            d(Action::Must, 0.95),
            d(Action::Skip, 0.6),
            d(Action::Skip, 0.1),
            d(Action::May, 0.7),
        ];
        let added = sweep_areas(&mut ds.iter_mut().collect::<Vec<_>>(), &[0, 0, 0, 1], 0.5);
        assert_eq!(added, 1);
        assert_eq!(
            (ds[1].action, ds[1].reason),
            (Action::Must, Reason::AreaSweep)
        );
        assert_eq!(ds[2].action, Action::Skip);
        assert_eq!(ds[3].action, Action::May);
    }

    #[test]
    fn nonsense_parameters_are_refused_by_name() {
        let bins = vec![CalendarBin {
            rate_per_day: f64::NAN,
            work: 1.0,
        }];
        let e =
            Calendar::build(|_, _| 1.0, &bins, MON_SAT, &CalendarParams::default()).unwrap_err();
        assert!(e.to_string().contains("rate_per_day"), "{e}");
        let e =
            Calendar::build(|_, _| 1.0, &[], [false; 7], &CalendarParams::default()).unwrap_err();
        assert!(e.to_string().contains("working"), "{e}");
    }
}

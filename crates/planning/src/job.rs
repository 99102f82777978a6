//! One region, one date: forecast and decide every bin, route the trucks on
//! the road network under the time budget, re-check the routes with the
//! independent checker, and write plan, routes, stops, geometry and decisions
//! as one draft. Bins that cannot be routed (no road near them, no route to
//! the depot, no service window that day) are reported with the reason.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use fillroute_forecast::{
    Action, Calendar, CalendarPolicy, Decision, Forecast, ModelConfig, Policy, Request, RiskPolicy,
    Timestamp, VisitCost, WorkWeek,
};
use fillroute_pipeline::{
    BinStop, Case, Day as PipelineDay, Rates, Rule, Sweeps, bins_per_route, build_day,
    collection_time, decide_day, stop_litres, visit_costs,
};
use fillroute_planner::{
    Break, DisposalSite, Instance, Route, Search, Solution, TimeWindow, Units, UnservedReason,
    Vehicle, Visit, check,
};
use fillroute_roads::{LonLat, Matrix, NodeId};
use fillroute_store::{
    BinHistory, BinId, DisposalSiteRow, NewDecision, NewPlan, NewPlanRoute, NewPlanStop,
    PlanDayLock, PlanId, RegionBin, RegionRow, StopKind, Store, StoredCalendar, TruckRow, stamp,
};
use serde::Serialize;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::error::{PlanningError, Result};
use crate::network::{LoadedNetwork, NetworkCache};

/// Farthest a bin, depot or site may stand from the nearest road node.
pub const MAX_SNAP_M: f64 = 300.0;

/// Disposal sites this far outside a region still serve it.
pub const SITE_RADIUS_M: f64 = 30_000.0;

/// Planner cost units per currency unit: costs are milli-units (per metre).
const MILLI: f64 = 1000.0;

/// How many days ahead a day may be planned: past that, a forecast is a
/// guess and the fleet will have changed.
pub const MAX_DAYS_AHEAD: i64 = 60;

/// What to plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRequest {
    /// Region name.
    pub region: String,
    /// Local date the trucks drive.
    pub date: Date,
    /// Seconds the route search may take (> 0).
    pub time_budget_s: f64,
    /// The must/may/skip rule.
    pub policy: RiskPolicy,
    /// Search seed (same seed, same machine speed: same plan).
    pub seed: u64,
    /// The id to write the plan under, if one was reserved
    /// ([`fillroute_store::Store::reserve_plan_id`]); `None`: a fresh id.
    #[serde(skip)]
    pub plan_id: Option<PlanId>,
}

impl PlanRequest {
    /// Checks the request against the region's `today`: the search budget,
    /// the date (today up to [`MAX_DAYS_AHEAD`] days ahead) and the must/may
    /// rule, naming the first field out of range and the fix. The job and
    /// the gRPC handler both call it, so a bad request fails before any work.
    pub fn validate(&self, today: Date) -> Result<Duration> {
        let budget = check_time_budget(self.time_budget_s)?;
        if self.date < today {
            return Err(PlanningError::invalid(
                "date",
                self.date,
                format!("plan today ({today}) or a later date; past days keep the plans they had"),
            ));
        }
        let last = today
            .checked_add(time::Duration::days(MAX_DAYS_AHEAD))
            .unwrap_or(Date::MAX);
        if self.date > last {
            return Err(PlanningError::invalid(
                "date",
                self.date,
                format!(
                    "plan at most {MAX_DAYS_AHEAD} days ahead (today is {today}, so {last} at the latest)"
                ),
            ));
        }
        Policy::ForecastRisk(self.policy)
            .validate()
            .map_err(|e| match e {
                fillroute_forecast::ForecastError::InvalidParameter { field, value, fix } => {
                    PlanningError::invalid(field, value, fix)
                }
                other => PlanningError::Internal(other.to_string()),
            })?;
        Ok(budget)
    }

    /// A request with the default policy and seed.
    pub fn new(region: impl Into<String>, date: Date, time_budget_s: f64) -> Self {
        Self {
            region: region.into(),
            date,
            time_budget_s,
            policy: RiskPolicy::default(),
            seed: 1,
            plan_id: None,
        }
    }
}

/// How far a job has got, for progress bars and server streams.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Bins and readings loaded.
    Loaded {
        /// Bins in the region.
        bins: usize,
    },
    /// Every bin decided.
    Decided {
        /// Must-collect bins.
        must: usize,
        /// Optional bins.
        may: usize,
        /// Skipped bins.
        skip: usize,
    },
    /// Travel matrix ready.
    Matrix {
        /// Locations in it.
        points: usize,
    },
    /// Part of the search budget spent.
    Solving {
        /// Fraction of the budget used, 0..=1.
        done: f64,
        /// Best objective so far.
        objective: i64,
    },
    /// Plan written.
    Written {
        /// Its id.
        plan: PlanId,
    },
}

/// A progress callback shared with the search thread.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// What a finished job reports.
#[derive(Debug, Clone)]
pub struct PlanSummary {
    /// The draft written.
    pub plan: PlanId,
    /// Routes (used trucks).
    pub routes: usize,
    /// Routes the independent checker accepted one by one.
    pub checked_routes: usize,
    /// Bins on a route.
    pub served: usize,
    /// Must-collect bins.
    pub must: usize,
    /// Optional bins.
    pub may: usize,
    /// Skipped bins.
    pub skip: usize,
    /// Must-collect bins on no route, with the reason.
    pub unserved_must: Vec<(BinId, String)>,
    /// Metres driven.
    pub distance_m: f64,
    /// Seconds on the road.
    pub duration_s: f64,
    /// Search iterations run.
    pub iterations: u64,
    /// Calendar areas swept today; `None`: the region has no calendar, and
    /// every bin looked one working day ahead (or, re-planning, nothing was
    /// decided anew).
    pub areas_today: Option<usize>,
    /// Must-collect bins outside today's calendar areas (emergencies).
    pub emergencies: usize,
}

/// Rejects a non-positive or absurd search budget.
pub fn check_time_budget(seconds: f64) -> Result<Duration> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(PlanningError::invalid(
            "time_budget",
            seconds,
            "give the route search a positive number of seconds, at most 3600 (e.g. --time-budget 30)",
        ))
    }
}

/// The region called `name`, or a not-found error listing the known ones.
pub async fn region(store: &Store, name: &str) -> Result<RegionRow> {
    if let Some(r) = store.region_by_name(name).await? {
        return Ok(r);
    }
    let known = store.region_names().await?;
    Err(PlanningError::NotFound {
        what: "region",
        id: format!("{name:?}"),
        hint: if known.is_empty() {
            "; no regions are defined yet".into()
        } else {
            format!("; known regions: {}", known.join(", "))
        },
    })
}

/// A region's clock: its IANA time zone when it has one (daylight saving
/// included), else its fixed UTC offset.
pub fn region_zone(region: &RegionRow) -> jiff::tz::TimeZone {
    region.clock().zone()
}

/// Checks an IANA time zone name (`--time-zone`).
pub fn check_time_zone(field: &'static str, name: &str) -> Result<String> {
    jiff::tz::TimeZone::get(name)
        .map(|_| name.to_owned())
        .map_err(|_| {
            PlanningError::invalid(
                field,
                name,
                "give an IANA time zone name such as Europe/Andorra or America/New_York",
            )
        })
}

/// The region's UTC offset at `t`, in seconds.
pub fn offset_at(region: &RegionRow, t: OffsetDateTime) -> i32 {
    region.clock().offset_at(t)
}

/// Local midnight starting `date` in the region (the first instant of the
/// day where a daylight-saving change skips midnight).
pub fn local_midnight(date: Date, region: &RegionRow) -> OffsetDateTime {
    let civil = jiff::civil::Date::new(
        date.year() as i16,
        u8::from(date.month()) as i8,
        date.day() as i8,
    );
    let unix = civil
        .and_then(|d| d.to_zoned(region_zone(region)))
        .map(|z| z.timestamp().as_second());
    match unix
        .ok()
        .and_then(|u| OffsetDateTime::from_unix_timestamp(u).ok())
    {
        Some(t) => {
            let offset =
                UtcOffset::from_whole_seconds(offset_at(region, t)).unwrap_or(UtcOffset::UTC);
            t.to_offset(offset)
        }
        None => {
            let offset =
                UtcOffset::from_whole_seconds(region.utc_offset_s).unwrap_or(UtcOffset::UTC);
            date.midnight().assume_offset(offset)
        }
    }
}

/// Today's date in the region.
pub fn local_today(now: OffsetDateTime, region: &RegionRow) -> Date {
    let offset = UtcOffset::from_whole_seconds(offset_at(region, now)).unwrap_or(UtcOffset::UTC);
    now.to_offset(offset).date()
}

/// One bin's forecast-based decision, or why there is none.
struct Decided {
    bin: RegionBin,
    decision: Option<Decision>,
    error: Option<String>,
    /// The fitted forecast it was decided with, to size its stop.
    forecast: Option<Forecast>,
}

/// The rule and the moment every bin is decided for.
#[derive(Clone, Copy)]
struct Pricing {
    policy: Policy,
    collect_at: Timestamp,
}

/// Fits and decides every bin through the pipeline's [`decide_day`] (the
/// replay's decision), each with what a separate future visit to it would
/// cost (`visits`, by bin) spread over `per_route` bins, and under the
/// region's calendar when it has one. Bins whose history cannot be fitted
/// are skipped with the fitting error as their reason. `config` is the
/// region's forecast model; each bin fits with its own planning rate as the
/// prior.
#[allow(clippy::too_many_arguments)]
fn decide_all(
    bins: Vec<RegionBin>,
    mut histories: HashMap<BinId, BinHistory>,
    visits: &[Option<VisitCost>],
    per_route: f64,
    rule: &Rule<'_>,
    collect_at: Timestamp,
    config: &ModelConfig,
    now: OffsetDateTime,
) -> Vec<Decided> {
    let histories: Vec<BinHistory> = bins
        .iter()
        .map(|b| histories.remove(&b.id).unwrap_or_default())
        .collect();
    let configs: Vec<ModelConfig> = bins
        .iter()
        .map(|b| config.with_prior(b.rate_prior))
        .collect();
    let cases =
        bins.iter()
            .zip(&histories)
            .zip(visits)
            .zip(&configs)
            .map(|(((bin, h), visit), config)| Case {
                readings: &h.readings,
                services: &h.reported,
                request: match bin.open_request.as_deref() {
                    Some("customer") => Some(Request::Customer),
                    Some(_) => Some(Request::Driver),
                    None => None,
                },
                max_interval_days: bin.max_interval_days,
                visit: *visit,
                config,
            });
    let assessed = decide_day(cases, rule, per_route, stamp(now), collect_at);
    bins.into_iter()
        .zip(assessed)
        .map(|(bin, a)| match a {
            Ok(a) => Decided {
                bin,
                decision: Some(a.decision),
                error: None,
                forecast: Some(a.forecast),
            },
            Err(e) => Decided {
                bin,
                decision: None,
                error: Some(e.to_string()),
                forecast: None,
            },
        })
        .collect()
}

/// The region's stored calendar over today's `bins` (see
/// [`StoredCalendar::align`]), with its policy; bins registered since it
/// was built join the area whose centre is nearest by road.
fn align_calendar(
    stored: Option<&StoredCalendar>,
    region: &RegionRow,
    bins: &[RegionBin],
    located: &Located,
) -> Option<(Calendar, CalendarPolicy)> {
    let stored = stored?;
    let ids: Vec<BinId> = bins.iter().map(|b| b.id).collect();
    let (calendar, added) = stored.align(
        region.working_weekdays,
        &ids,
        located.bin_metres(bins.len()),
    )?;
    if !added.is_empty() {
        tracing::info!(region = %region.name, bins = added.len(), "bins registered since the calendar was built joined their nearest area; rebuild it with `fillroute plan calendar build`");
    }
    Some((calendar, stored.policy))
}

/// A location of the instance: what it is and where on the network.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Loc {
    Depot,
    Site(usize),
    Bin(usize),
}

/// Everything the search and the writer share.
struct Built {
    instance: Instance,
    /// Road node per instance location.
    nodes: Vec<NodeId>,
    /// Decided-bin index per instance stop.
    stop_bin: Vec<usize>,
    /// Demand (litres) per instance stop.
    demand: Vec<i32>,
    /// Why decided bins that wanted a stop did not get one.
    excluded: HashMap<usize, String>,
}

/// A bin's stored opening windows `(weekday or -1 for every day, open, close)`
/// that apply on `weekday` (Monday = 0), as planner time windows.
pub(crate) fn windows_on(windows: &[(i16, i32, i32)], weekday: i16) -> Vec<TimeWindow> {
    windows
        .iter()
        .filter(|w| w.0 < 0 || w.0 == weekday)
        .map(|w| TimeWindow::new(w.1.into(), w.2.into()))
        .collect()
}

fn weekday_index(date: Date) -> i16 {
    date.weekday().number_days_from_monday() as i16
}

/// The day an instance is built for.
struct Day {
    date: Date,
    /// Seconds after local midnight before which no truck can leave.
    earliest_s: i64,
    pricing: Pricing,
}

/// The region's depot, disposal sites and every bin on the road network,
/// with the travel matrix between all of them: what pricing a future visit
/// and building the day both read. The matrix of all the region's bins is
/// the same every night until bins move, so the network cache keeps it.
pub(crate) struct Located {
    /// What each location is: the depot, then the sites, then the bins.
    pub(crate) locs: Vec<Loc>,
    /// Road node per location.
    nodes: Vec<NodeId>,
    pub(crate) matrix: Arc<Matrix>,
    /// Locations with a route from and back to the depot.
    reachable: Vec<bool>,
    /// Why a bin (by index) has no location or no route.
    pub(crate) unplaced: HashMap<usize, String>,
}

impl Located {
    /// The metres from bin `a` to bin `b` (indices into the `bins` bins it
    /// located); infinite when either has no location or there is no route.
    pub(crate) fn bin_metres(&self, bins: usize) -> impl Fn(usize, usize) -> f64 + '_ {
        let mut loc_of = vec![None; bins];
        for (i, loc) in self.locs.iter().enumerate() {
            if let Loc::Bin(k) = loc
                && let Some(slot) = loc_of.get_mut(*k)
            {
                *slot = Some(i);
            }
        }
        move |a: usize, b: usize| match (
            loc_of.get(a).copied().flatten(),
            loc_of.get(b).copied().flatten(),
        ) {
            (Some(x), Some(y)) => self
                .matrix
                .get(x, y)
                .map_or(f64::INFINITY, |(m, _)| f64::from(m)),
            _ => f64::INFINITY,
        }
    }
}

pub(crate) fn locate(
    net: &LoadedNetwork,
    region: &RegionRow,
    sites: &[DisposalSiteRow],
    bins: &[RegionBin],
    progress: &dyn Fn(Progress),
) -> Result<Located> {
    let g = &net.graph;
    let snap = |lon: f64, lat: f64, what: &str| -> std::result::Result<NodeId, String> {
        let p = LonLat::checked(lon, lat, what).map_err(|e| e.to_string())?;
        g.snap(p, MAX_SNAP_M).map(|s| s.node).map_err(|_| {
            let d = g.snap(p, f64::MAX).map(|s| s.distance_m).unwrap_or(f64::INFINITY);
            format!(
                "no road route to the depot: the nearest road of network {} is {d:.0} m away (limit {MAX_SNAP_M:.0} m)",
                net.id
            )
        })
    };
    let depot = snap(region.depot_at[0], region.depot_at[1], "depot").map_err(|e| {
        PlanningError::invalid(
            "region.depot",
            &region.depot_name,
            format!("move the depot onto the region's road network ({e})"),
        )
    })?;
    let mut locs = vec![Loc::Depot];
    let mut nodes = vec![depot];
    for (i, s) in sites.iter().enumerate() {
        match snap(s.lon, s.lat, "disposal site") {
            Ok(n) => {
                locs.push(Loc::Site(i));
                nodes.push(n);
            }
            Err(e) => tracing::warn!(site = s.id, reason = %e, "disposal site left out"),
        }
    }
    let mut unplaced = HashMap::new();
    for (k, bin) in bins.iter().enumerate() {
        match snap(bin.lon, bin.lat, "bin") {
            Ok(n) => {
                locs.push(Loc::Bin(k));
                nodes.push(n);
            }
            Err(e) => {
                unplaced.insert(k, e);
            }
        }
    }
    let matrix = net.matrix(&nodes)?;
    progress(Progress::Matrix {
        points: nodes.len(),
    });
    // With a strongly connected network every pair has a route; check anyway.
    let reachable: Vec<bool> = (0..locs.len())
        .map(|i| i == 0 || (matrix.get(0, i).is_some() && matrix.get(i, 0).is_some()))
        .collect();
    for (i, loc) in locs.iter().enumerate() {
        if let (Loc::Bin(k), false) = (loc, reachable[i]) {
            unplaced.insert(*k, "no road route between the depot and this bin".into());
        }
    }
    Ok(Located {
        locs,
        nodes,
        matrix,
        reachable,
        unplaced,
    })
}

/// What a separate future visit to each bin (by index) would cost, in the
/// trucks' money unit: [`fillroute_pipeline::visit_costs`] over every
/// reachable bin of the region, at the fleet's mean rates. A bin with no
/// location has none.
fn visit_prices(
    located: &Located,
    bins: &[RegionBin],
    trucks: &[TruckRow],
) -> Vec<Option<VisitCost>> {
    let mean =
        |f: fn(&TruckRow) -> f64| trucks.iter().map(f).sum::<f64>() / trucks.len().max(1) as f64;
    let rates = Rates::per_km_and_hour(
        mean(|t| t.truck.cost_per_km),
        mean(|t| t.truck.cost_per_hour),
    );
    let (mut at, mut of_bin, mut sites) = (Vec::new(), Vec::new(), Vec::new());
    for (i, loc) in located.locs.iter().enumerate() {
        match (loc, located.reachable[i]) {
            (Loc::Bin(k), true) => {
                at.push(i);
                of_bin.push(*k);
            }
            (Loc::Site(_), true) => sites.push(i),
            _ => {}
        }
    }
    let service: Vec<f64> = of_bin
        .iter()
        .map(|&k| f64::from(bins[k].service_time_s))
        .collect();
    let travel = |a: usize, b: usize| {
        located
            .matrix
            .get(a, b)
            .map(|(m, s)| (f64::from(m), f64::from(s)))
    };
    let costs = visit_costs(travel, rates, &at, &service, 0, &sites);
    let mut prices = vec![None; bins.len()];
    for (&k, c) in of_bin.iter().zip(costs) {
        prices[k] = Some(c);
    }
    prices
}

fn build_instance(
    located: &Located,
    region: &RegionRow,
    sites: &[DisposalSiteRow],
    trucks: &[TruckRow],
    decided: &[Decided],
    day: &Day,
) -> Result<Built> {
    let (date, earliest_s) = (day.date, day.earliest_s);
    let weekday = weekday_index(date);
    let mut excluded = HashMap::new();
    let mut wanted = vec![false; decided.len()];
    for (k, d) in decided.iter().enumerate() {
        let Some(dec) = &d.decision else { continue };
        if dec.action == Action::Skip {
            continue;
        }
        if !d.bin.windows.is_empty() && !d.bin.windows.iter().any(|w| w.0 < 0 || w.0 == weekday) {
            excluded.insert(k, format!("no service window on {}", date.weekday()));
        } else if let Some(why) = located.unplaced.get(&k) {
            excluded.insert(k, why.clone());
        } else {
            wanted[k] = true;
        }
    }
    let (locs, nodes, matrix) = (&located.locs, &located.nodes, &located.matrix);
    let keep: Vec<usize> = (0..locs.len())
        .filter(|&i| {
            located.reachable[i]
                && match locs[i] {
                    Loc::Depot | Loc::Site(_) => true,
                    Loc::Bin(k) => wanted[k],
                }
        })
        .collect();
    let largest_truck = trucks
        .iter()
        .map(|t| f64::from(t.truck.capacity_litres))
        .fold(1.0, f64::max);
    let n = keep.len();
    let mut dist = Vec::with_capacity(n * n);
    let mut dur = Vec::with_capacity(n * n);
    for &a in &keep {
        for &b in &keep {
            let (m, s) = matrix.get(a, b).unwrap_or((u32::MAX / 4, u32::MAX / 4));
            dist.push(f64::from(m));
            dur.push(f64::from(s));
        }
    }
    let lunch = (region.lunch_minutes > 0).then(|| Break {
        window: TimeWindow::new(region.lunch_opens_s.into(), region.lunch_closes_s.into()),
        duration: i64::from(region.lunch_minutes) * 60,
    });
    let mut plan_day = PipelineDay {
        depots: vec![(region.depot_name.clone(), 0)],
        ..PipelineDay::default()
    };
    let mut bin_of_stop = Vec::new();
    for (pos, &i) in keep.iter().enumerate() {
        match locs[i] {
            Loc::Depot => {}
            Loc::Site(s) => {
                let site = &sites[s];
                plan_day.sites.push(DisposalSite {
                    id: site.name.clone(),
                    location: pos,
                    hours: TimeWindow::new(site.opens_s.into(), site.closes_s.into()),
                    unload_time: site.service_time_s.into(),
                    accepts: u64::MAX,
                });
            }
            Loc::Bin(k) => {
                let d = &decided[k];
                let (Some(dec), Some(forecast)) = (&d.decision, &d.forecast) else {
                    continue;
                };
                plan_day.stops.push(BinStop {
                    id: d.bin.id.to_string(),
                    location: pos,
                    litres: stop_litres(
                        forecast,
                        day.pricing.collect_at,
                        f64::from(d.bin.capacity_litres),
                        1.0,
                        largest_truck,
                    ),
                    service_s: d.bin.service_time_s.into(),
                    windows: windows_on(&d.bin.windows, weekday),
                    prize: dec.prize.map(|p| (p * MILLI).round() as Units),
                    skills: 0,
                });
                bin_of_stop.push(k);
            }
        }
    }
    for t in trucks {
        let mut v = Vehicle::truck(
            t.truck.name.clone(),
            t.truck.capacity_litres.into(),
            0,
            TimeWindow::new(
                i64::from(t.truck.shift_start_s).max(earliest_s),
                t.truck.shift_end_s.into(),
            ),
            t.truck.cost_per_km,
            t.truck.cost_per_hour,
        );
        v.break_ = lunch;
        plan_day.trucks.push(v);
    }
    plan_day.final_disposal = !plan_day.sites.is_empty();
    let built = build_day(&dist, &dur, &plan_day)
        .map_err(|e| PlanningError::Internal(format!("planner model: {e}")))?;
    for (s, why) in &built.refused {
        excluded.insert(bin_of_stop[*s], why.clone());
    }
    let stop_bin: Vec<usize> = built.stop_of.iter().map(|&s| bin_of_stop[s]).collect();
    let demand: Vec<i32> = built
        .stop_of
        .iter()
        .map(|&s| plan_day.stops[s].litres.min(i64::from(i32::MAX)) as i32)
        .collect();
    let instance = built.instance;
    Ok(Built {
        instance,
        nodes: keep.iter().map(|&i| nodes[i]).collect(),
        stop_bin,
        demand,
        excluded,
    })
}

/// A solution of one route alone, for checking routes one by one: every
/// stop it does not visit is declared served elsewhere.
pub(crate) fn route_alone(inst: &Instance, route: &Route) -> Solution {
    let on: HashSet<usize> = route.stops().collect();
    Solution {
        routes: vec![route.clone()],
        unserved: (0..inst.stops().len())
            .filter(|i| !on.contains(i))
            .map(|i| (i, UnservedReason::FleetExhausted))
            .collect(),
    }
}

/// Runs the search in slices so progress can be reported between them.
pub(crate) fn search(
    instance: &Instance,
    budget: Duration,
    seed: u64,
    progress: &ProgressFn,
) -> (Solution, u64) {
    const SLICES: u32 = 10;
    let mut s = Search::new(instance, seed);
    for i in 1..=SLICES {
        s.run(Some(budget / SLICES), None, None);
        progress(Progress::Solving {
            done: f64::from(i) / f64::from(SLICES),
            objective: s.best_objective(),
        });
    }
    (s.best_solution(), s.iterations)
}

/// Timed stops of one route, replayed from the shift start exactly as the checker does.
pub(crate) struct Timed {
    pub(crate) stops: Vec<NewPlanStop>,
    pub(crate) nodes: Vec<NodeId>,
    pub(crate) distance_m: f64,
    pub(crate) duration_s: f64,
    pub(crate) load: i32,
}

/// What the timing of a route needs to know about each instance stop.
#[derive(Clone)]
pub(crate) struct StopInfo {
    pub(crate) bin: BinId,
    pub(crate) demand: i32,
    pub(crate) fill: Option<f32>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn time_route(
    inst: &Instance,
    nodes: &[NodeId],
    info: &[StopInfo],
    sites: &[DisposalSiteRow],
    depot_id: i64,
    vehicle: usize,
    visits: &[Visit],
    midnight: OffsetDateTime,
    initial_load: i32,
) -> Timed {
    let v = &inst.vehicles()[vehicle];
    let prof = &inst.profiles()[v.profile];
    let at = |s: i64| midnight + time::Duration::seconds(s);
    let mut loc = inst.depots()[v.start_depot].location;
    let mut t = v.shift.early;
    let start = t;
    let (mut load, mut total, mut dist) = (initial_load, 0i32, 0i64);
    let stop = |kind, eta: i64, dep: i64, load: i32, fill: Option<f32>| NewPlanStop {
        kind,
        eta: at(eta),
        departs_at: at(dep),
        load_litres: load,
        expected_fill: fill,
        status: "planned".into(),
    };
    let mut out = vec![stop(StopKind::Depot(depot_id), t, t, load, None)];
    let mut path_nodes = vec![nodes[loc]];
    for visit in visits {
        match *visit {
            Visit::Stop(i) => {
                let s = &inst.stops()[i];
                dist += prof.distance.get(loc, s.location);
                let arrive = t + prof.duration.get(loc, s.location);
                let begin = s
                    .windows
                    .iter()
                    .filter(|w| arrive.max(w.early) <= w.late)
                    .map(|w| arrive.max(w.early))
                    .min()
                    .unwrap_or(arrive);
                t = begin + s.service;
                load += info[i].demand;
                total += info[i].demand;
                out.push(stop(
                    StopKind::Bin(info[i].bin),
                    begin,
                    t,
                    load,
                    info[i].fill,
                ));
                loc = s.location;
                path_nodes.push(nodes[loc]);
            }
            Visit::Disposal(k) => {
                let site = &inst.sites()[k];
                dist += prof.distance.get(loc, site.location);
                let begin = (t + prof.duration.get(loc, site.location)).max(site.hours.early);
                t = begin + site.unload_time;
                load = 0;
                let id = sites.iter().find(|s| s.name == site.id).map_or(0, |s| s.id);
                out.push(stop(StopKind::Disposal(id), begin, t, 0, None));
                loc = site.location;
                path_nodes.push(nodes[loc]);
            }
            Visit::Break => {
                if let Some(b) = &v.break_ {
                    let begin = t.max(b.window.early);
                    t = begin + b.duration;
                    out.push(stop(StopKind::Break, begin, t, load, None));
                }
            }
        }
    }
    let end = inst.depots()[v.end_depot].location;
    dist += prof.distance.get(loc, end);
    t += prof.duration.get(loc, end);
    out.push(stop(StopKind::Depot(depot_id), t, t, load, None));
    path_nodes.push(nodes[end]);
    Timed {
        stops: out,
        nodes: path_nodes,
        distance_m: dist as f64,
        duration_s: (t - start) as f64,
        load: total,
    }
}

/// The road path through `nodes` (at least two points) and its length in metres.
pub(crate) fn path(net: &LoadedNetwork, nodes: &[NodeId]) -> Result<(Vec<[f64; 2]>, f64)> {
    let mut out: Vec<[f64; 2]> = Vec::new();
    let mut metres = 0.0;
    for w in nodes.windows(2) {
        let coords = match net.graph.path(w[0], w[1])? {
            Some(r) => {
                metres += r.distance_m;
                r.coordinates
            }
            None => vec![net.graph.position(w[0])?, net.graph.position(w[1])?],
        };
        let skip = usize::from(!out.is_empty());
        out.extend(coords.iter().skip(skip).map(|p| [p.lon(), p.lat()]));
    }
    if out.len() < 2 {
        let p = match nodes.first() {
            Some(&n) => net.graph.position(n)?,
            None => return Err(PlanningError::Internal("empty route".into())),
        };
        out = vec![[p.lon(), p.lat()]; 2];
    }
    Ok((out, metres))
}

fn json_name(v: impl Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => e.to_string(),
    }
}

/// Plans `req.date` for `req.region` and writes it as the region's draft for
/// that date, replacing an earlier draft; a committed plan for that date is
/// never replaced ([`PlanningError::Conflict`]).
pub async fn plan_day(
    store: &Store,
    cache: &NetworkCache,
    req: &PlanRequest,
    now: OffsetDateTime,
    progress: ProgressFn,
) -> Result<PlanSummary> {
    let region = region(store, &req.region).await?;
    req.validate(local_today(now, &region))?;
    let lock = lock_day(store, &region, req.date).await?;
    plan_day_locked(store, cache, req, region, now, progress, lock).await
}

/// Takes the right to plan `region`'s `date`, or [`PlanningError::Busy`]
/// when another job (on any replica) is planning it.
pub async fn lock_day(store: &Store, region: &RegionRow, date: Date) -> Result<PlanDayLock> {
    store
        .try_lock_plan_day(region.id, date)
        .await?
        .ok_or_else(|| {
            PlanningError::Busy(format!(
                "region {} is already being planned for {date} by another job; \
                 wait for it to finish (ListPlans shows its draft) and retry",
                region.name
            ))
        })
}

/// [`plan_day`] for a caller that already loaded `region` (`req.region`) and
/// holds the day's lock (a server refuses a busy day before it accepts the
/// call); releases the lock at the end.
pub async fn plan_day_locked(
    store: &Store,
    cache: &NetworkCache,
    req: &PlanRequest,
    region: RegionRow,
    now: OffsetDateTime,
    progress: ProgressFn,
    lock: PlanDayLock,
) -> Result<PlanSummary> {
    let result = plan_locked(store, cache, req, region, now, progress).await;
    if let Err(e) = lock.release().await {
        tracing::warn!(error = %e, "plan-day lock released by closing its connection");
    }
    result
}

async fn plan_locked(
    store: &Store,
    cache: &NetworkCache,
    req: &PlanRequest,
    region: RegionRow,
    now: OffsetDateTime,
    progress: ProgressFn,
) -> Result<PlanSummary> {
    let budget = req.validate(local_today(now, &region))?;
    let trucks = store.trucks_of_depot(region.depot_id).await?;
    if trucks.is_empty() {
        return Err(PlanningError::invalid(
            "region",
            &region.name,
            format!(
                "register trucks at depot {} ({}) before planning",
                region.depot_id, region.depot_name
            ),
        ));
    }
    let midnight = local_midnight(req.date, &region);
    let shift = (
        trucks
            .iter()
            .map(|t| t.truck.shift_start_s)
            .min()
            .unwrap_or(0),
        trucks
            .iter()
            .map(|t| t.truck.shift_end_s)
            .max()
            .unwrap_or(0),
    );
    let collect_at = collection_time(
        stamp(midnight),
        (shift.0.into(), shift.1.into()),
        stamp(now),
    );
    let earliest_s = (now - midnight).whole_seconds().max(0);
    let net = cache.get(store, region.network).await?;
    let sites = store
        .disposal_sites_near_region(region.id, SITE_RADIUS_M)
        .await?;
    // A bin left today waits for the region's next working day.
    let next_opportunity_days =
        WorkWeek(region.working_weekdays).days_to_next(weekday_index(req.date) as usize);
    let pricing = Pricing {
        policy: Policy::ForecastRisk(RiskPolicy {
            next_opportunity_days,
            ..req.policy
        }),
        collect_at,
    };
    let config = region.clock().model_config(now, None);
    let since = now - time::Duration::seconds_f64(config.max_history_days * 86_400.0);
    let bins = store.bins_in_region(region.id).await?;
    let histories = store.region_histories(region.id, since).await?;
    let stored_calendar = store.calendar(region.id).await?;
    // A future visit's dispatch is shared by as many bins as this fleet's
    // routes served over the last four weeks.
    let (served_before, routes_before) = store
        .served_per_route(
            region.id,
            req.date.saturating_sub(time::Duration::days(28)),
            req.date,
        )
        .await?;
    progress(Progress::Loaded { bins: bins.len() });

    let (net2, region2, sites2, progress2, seed) = (
        Arc::clone(&net),
        region.clone(),
        sites.clone(),
        Arc::clone(&progress),
        req.seed,
    );
    let date = req.date;
    let truck_ids: Vec<i64> = trucks.iter().map(|t| t.id).collect();
    let (built, solution, iterations, decided, (must, may, skip), areas_today) =
        tokio::task::spawn_blocking(move || {
            let located = locate(&net2, &region2, &sites2, &bins, &*progress2)?;
            let mean_of = |v: Vec<f64>| v.iter().sum::<f64>() / v.len().max(1) as f64;
            let per_route = bins_per_route(
                served_before,
                routes_before,
                mean_of(
                    trucks
                        .iter()
                        .map(|t| f64::from(t.truck.capacity_litres))
                        .collect(),
                ),
                mean_of(bins.iter().map(|b| f64::from(b.capacity_litres)).collect()),
            );
            let visits = visit_prices(&located, &bins, &trucks);
            let calendar = align_calendar(stored_calendar.as_ref(), &region2, &bins, &located);
            let (policy, sweeps) = match &calendar {
                Some((calendar, cp)) => (
                    match pricing.policy {
                        Policy::ForecastRisk(p) => Policy::ForecastRisk(RiskPolicy {
                            emergency_risk: cp.emergency_risk,
                            ..p
                        }),
                        p => p,
                    },
                    Some(Sweeps {
                        calendar,
                        weekday: weekday_index(date) as usize,
                        sweep_fill: cp.sweep_fill,
                    }),
                ),
                None => (pricing.policy, None),
            };
            let areas_today = sweeps.map(|s| {
                s.calendar
                    .areas
                    .iter()
                    .filter(|a| a.weekdays[s.weekday % 7])
                    .count()
            });
            let decided = decide_all(
                bins,
                histories,
                &visits,
                per_route,
                &Rule::Policy(policy, sweeps),
                pricing.collect_at,
                &config,
                now,
            );
            let count = |a: Action| {
                decided
                    .iter()
                    .filter(|d| d.decision.as_ref().is_some_and(|x| x.action == a))
                    .count()
            };
            let (must, may) = (count(Action::Must), count(Action::May));
            let skip = decided.len() - must - may;
            progress2(Progress::Decided { must, may, skip });
            let day = Day {
                date,
                earliest_s,
                pricing,
            };
            let built = build_instance(&located, &region2, &sites2, &trucks, &decided, &day)?;
            let (solution, iterations) = search(&built.instance, budget, seed, &progress2);
            Ok::<_, PlanningError>((
                built,
                solution,
                iterations,
                decided,
                (must, may, skip),
                areas_today,
            ))
        })
        .await
        .map_err(|e| PlanningError::Internal(format!("search thread: {e}")))??;
    tracing::info!(region = %region.name, date = %req.date, bins = decided.len(), must, may, skip, "bins decided");

    let report = check(&built.instance, &solution);
    // Must-collect bins left off every route are not a broken plan: each is
    // reported with the planner's reason. Only a violated rule is.
    if !report.violations.is_empty() {
        return Err(PlanningError::Checker(report.violations.join("; ")));
    }
    let mut checked_routes = 0;
    for r in &solution.routes {
        match check(&built.instance, &route_alone(&built.instance, r))
            .violations
            .first()
        {
            None => checked_routes += 1,
            Some(v) => {
                tracing::warn!(vehicle = r.vehicle, violation = %v, "route fails the checker on its own")
            }
        }
    }
    let mut unserved: HashMap<usize, String> = built.excluded.clone();
    for &(i, reason) in &solution.unserved {
        unserved.insert(built.stop_bin[i], format!("planner: {reason}"));
    }
    let info: Vec<StopInfo> = built
        .stop_bin
        .iter()
        .zip(&built.demand)
        .map(|(&k, &demand)| StopInfo {
            bin: decided[k].bin.id,
            demand,
            fill: decided[k]
                .decision
                .as_ref()
                .map(|x| x.numbers.fill_now as f32),
        })
        .collect();
    let mut routes = Vec::new();
    let mut served = 0;
    for r in &solution.routes {
        let timed = time_route(
            &built.instance,
            &built.nodes,
            &info,
            &sites,
            region.depot_id,
            r.vehicle,
            &r.visits,
            midnight,
            0,
        );
        served += r.stops().count();
        routes.push(NewPlanRoute {
            truck_id: truck_ids[r.vehicle],
            path: path(&net, &timed.nodes)?.0,
            distance_m: timed.distance_m,
            duration_s: timed.duration_s,
            load_litres: timed.load,
            stops: timed.stops,
        });
    }
    let decisions: Vec<NewDecision> = decided
        .iter()
        .enumerate()
        .map(|(k, d)| match &d.decision {
            Some(dec) => NewDecision {
                bin: d.bin.id,
                action: dec.action,
                reason: json_name(dec.reason),
                prize: dec.prize,
                fill_now: dec.numbers.fill_now,
                p_overflow: dec.numbers.p_overflow,
                numbers_json: serde_json::to_string(&dec.numbers).unwrap_or_else(|_| "{}".into()),
                explanation: dec.explanation.clone(),
                unserved_reason: unserved.get(&k).cloned(),
            },
            None => NewDecision {
                bin: d.bin.id,
                action: Action::Skip,
                reason: "no_forecast".into(),
                prize: None,
                fill_now: 0.0,
                p_overflow: 0.0,
                numbers_json: "{}".into(),
                explanation: format!(
                    "Skip: its readings could not be fitted ({})",
                    d.error.as_deref().unwrap_or("unknown error")
                ),
                unserved_reason: None,
            },
        })
        .collect();
    let unserved_must: Vec<(BinId, String)> = decisions
        .iter()
        .filter(|d| d.action == Action::Must)
        .filter_map(|d| d.unserved_reason.clone().map(|r| (d.bin, r)))
        .collect();
    let plan = NewPlan {
        id: req.plan_id,
        region: region.id,
        date: req.date,
        horizon_start: midnight,
        horizon_end: midnight + time::Duration::days(1),
        network: (net.id, net.version),
        parent: None,
        solver: format!("fillroute-planner ruin-and-recreate, {iterations} iterations"),
        params_json: serde_json::to_string(req).unwrap_or_else(|_| "{}".into()),
        objective: report.objective as f64,
        distance_m: report.distance as f64,
        // Folded from +0: an empty f64 sum is -0, which prints as "-0.0 h".
        duration_s: routes.iter().fold(0.0, |a, r| a + r.duration_s),
        routes,
        decisions,
    };
    let id = store.save_plan(&plan).await?;
    progress(Progress::Written { plan: id });
    tracing::info!(plan = %id, routes = plan.routes.len(), served, unserved_must = unserved_must.len(),
        distance_m = plan.distance_m, "draft plan written");
    Ok(PlanSummary {
        plan: id,
        routes: plan.routes.len(),
        checked_routes,
        served,
        must,
        may,
        skip,
        unserved_must,
        areas_today,
        emergencies: decided
            .iter()
            .filter(|d| {
                d.decision
                    .as_ref()
                    .is_some_and(|x| x.reason == fillroute_forecast::Reason::Emergency)
            })
            .count(),
        distance_m: plan.distance_m,
        duration_s: plan.duration_s,
        iterations,
    })
}

#[cfg(test)]
mod tests {
    use fillroute_store::{NetworkId, RegionId};
    use time::macros::{date, datetime};

    use super::*;

    fn region(time_zone: Option<&str>, utc_offset_s: i32) -> RegionRow {
        RegionRow {
            id: RegionId(1),
            name: "centre".into(),
            depot_id: 1,
            depot_name: "depot".into(),
            depot_at: [1.5, 42.5],
            network: NetworkId(1),
            utc_offset_s,
            time_zone: time_zone.map(str::to_owned),
            lunch_opens_s: 41_400,
            lunch_closes_s: 48_600,
            lunch_minutes: 30,
            working_weekdays: [true, true, true, true, true, false, false],
            bbox: [1.4, 42.4, 1.6, 42.6],
        }
    }

    #[test]
    fn a_region_in_a_time_zone_starts_its_day_at_local_midnight_in_summer_and_in_winter() {
        let andorra = region(Some("Europe/Andorra"), 0);
        assert_eq!(
            local_midnight(date!(2027 - 07 - 01), &andorra),
            datetime!(2027-06-30 22:00 UTC)
        );
        assert_eq!(
            local_midnight(date!(2027 - 01 - 15), &andorra),
            datetime!(2027-01-14 23:00 UTC)
        );
        // The night the clocks go forward still starts at midnight, CET.
        assert_eq!(
            local_midnight(date!(2027 - 03 - 28), &andorra),
            datetime!(2027-03-27 23:00 UTC)
        );
        assert_eq!(
            local_today(datetime!(2027-06-30 22:30 UTC), &andorra),
            date!(2027 - 07 - 01)
        );
        assert_eq!(offset_at(&andorra, datetime!(2027-07-01 12:00 UTC)), 7200);
        assert_eq!(offset_at(&andorra, datetime!(2027-01-01 12:00 UTC)), 3600);
    }

    #[test]
    fn a_region_without_a_time_zone_keeps_its_fixed_offset() {
        let fixed = region(None, 3600);
        assert_eq!(
            local_midnight(date!(2027 - 07 - 01), &fixed),
            datetime!(2027-06-30 23:00 UTC)
        );
        assert_eq!(offset_at(&fixed, datetime!(2027-07-01 12:00 UTC)), 3600);
    }

    #[test]
    fn an_unknown_time_zone_is_refused_naming_the_flag_and_an_example() {
        let e = check_time_zone("--time-zone", "Europe/Atlantis")
            .expect_err("no such zone")
            .to_string();
        assert!(
            e.contains("--time-zone") && e.contains("Europe/Andorra"),
            "{e}"
        );
        assert_eq!(
            check_time_zone("--time-zone", "Europe/Andorra").expect("a real zone"),
            "Europe/Andorra"
        );
    }
}

//! One collection day, the same for every caller. The nightly job and
//! re-planning gather their inputs from PostGIS, the scenario replay from its
//! simulated city; all of them then call these functions, so the replay
//! measures the code that ships. [`assess`] fits a bin's forecast and decides
//! it, [`stop_litres`] is what a collected bin is expected to put on the
//! truck, and [`build_day`] turns depots, disposal sites, trucks and the day's
//! bin stops into a routing instance. A bin the routing model refuses (a
//! window outside every shift, more litres than any truck holds) is reported
//! with the model's reason, and the rest of the day is still built.

use fillroute_forecast::{
    BinState, Calendar, CalendarBin, CalendarParams, Decision, Forecast, ForecastError, History,
    ModelConfig, Policy, Reading, Request, ServiceEvent, Timestamp, VisitCost, bins_per_load,
    decide, fit, future_visit_costs, sweep_areas,
};
use fillroute_planner::{
    DisposalSite, Instance, InstanceBuilder, Mask, ModelError, Objective, Stop, TimeWindow, Units,
    Vehicle,
};

/// A bin's fitted forecast and the decision taken with it.
#[derive(Debug, Clone)]
pub struct Assessed {
    /// Collect, may collect or skip, with its reason and numbers.
    pub decision: Decision,
    /// The forecast it was decided with (kept to re-price or size the stop).
    pub forecast: Forecast,
}

/// Fits one bin's forecast from its readings and service events as of
/// `as_of`, and decides it for a collection at `collect_at`.
///
/// # Errors
/// The fitting error when the history cannot be fitted (no readings, say),
/// or the decision's error for an invalid policy.
pub fn assess(
    readings: &[Reading],
    services: &[ServiceEvent],
    state: &BinState,
    policy: &Policy,
    config: &ModelConfig,
    as_of: Timestamp,
    collect_at: Timestamp,
) -> Result<Assessed, ForecastError> {
    let history = History::new(readings, &config.noise)?;
    let forecast = fit(&history, services, as_of, config)?;
    let decision = decide(state, &forecast, policy, collect_at)?;
    Ok(Assessed { decision, forecast })
}

/// What one bin brings to the day's decision.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    /// Its fill readings, oldest first.
    pub readings: &'a [Reading],
    /// Its known services.
    pub services: &'a [ServiceEvent],
    /// An open collection request.
    pub request: Option<Request>,
    /// Contractual maximum days between services.
    pub max_interval_days: Option<f64>,
    /// What a separate future visit to it costs (`None`: unknown, saves nothing).
    pub visit: Option<VisitCost>,
    /// Its forecast model.
    pub config: &'a ModelConfig,
}

/// The rule every bin of a day is decided by.
#[derive(Debug, Clone, Copy)]
pub enum Rule<'a> {
    /// One policy for every bin. With a calendar, a forecast-and-risk policy
    /// looks ahead to each bin's next area sweep (or, with `sweep_fill`,
    /// sweeps the area of every must-collect bin).
    Policy(Policy, Option<Sweeps<'a>>),
    /// A fixed schedule: each bin on its calendar area's weekdays.
    Schedule(Sweeps<'a>, i32),
}

/// A region's calendar as one day's decision sees it.
#[derive(Debug, Clone, Copy)]
pub struct Sweeps<'a> {
    /// The calendar; its bin `b` is the day's case `b`.
    pub calendar: &'a Calendar,
    /// Local weekday of the planning date, Monday = 0.
    pub weekday: usize,
    /// Area sweeps: decide each bin one working day ahead, then take every
    /// bin at this fill or more in an area where one bin must go.
    pub sweep_fill: Option<f64>,
}

/// Bins a special trip for an overflowing bin shares its driving with.
pub const SPECIAL_TRIP_BINS: f64 = 2.0;

/// The moment a day's bins are decided for: the middle of the trucks'
/// working hours (`shift`, seconds after local midnight), where a stop on a
/// route that spans the shift is expected; never before `now`. The nightly
/// job and the replay both decide for it.
pub fn collection_time(local_midnight: Timestamp, shift: (i64, i64), now: Timestamp) -> Timestamp {
    Timestamp(local_midnight.0 + (shift.0 + shift.1) / 2).max(now)
}

/// Fits and decides every bin of a day ([`assess`]) under one [`Rule`].
/// A bin left for later saves its future visit spread over `bins_per_route`
/// bins; under a weekly calendar a bin left to overflow forces a special
/// trip instead ([`SPECIAL_TRIP_BINS`]). Returns each case's result in order.
pub fn decide_day<'a>(
    cases: impl IntoIterator<Item = Case<'a>>,
    rule: &Rule<'_>,
    bins_per_route: f64,
    as_of: Timestamp,
    collect_at: Timestamp,
) -> Vec<Result<Assessed, ForecastError>> {
    let sweeps = match rule {
        Rule::Policy(_, s) => *s,
        Rule::Schedule(s, _) => Some(*s),
    };
    let weekly = sweeps.filter(|s| s.sweep_fill.is_none());
    let mut out: Vec<Result<Assessed, ForecastError>> = cases
        .into_iter()
        .enumerate()
        .map(|(b, case)| {
            let policy = match rule {
                Rule::Policy(p, _) => *p,
                Rule::Schedule(s, utc_offset_secs) => Policy::FixedSchedule {
                    weekdays: s.calendar.areas[s.calendar.bin_area[b]].weekdays,
                    utc_offset_secs: *utc_offset_secs,
                },
            };
            let state = BinState {
                last_service: case.services.iter().map(|e| e.at).max(),
                request: case.request,
                max_interval_days: case.max_interval_days,
                detour_saving: case.visit.map_or(0.0, |v| {
                    v.per_visit(if weekly.is_some() {
                        SPECIAL_TRIP_BINS
                    } else {
                        bins_per_route
                    })
                }),
                sweep: weekly
                    .filter(|_| matches!(policy, Policy::ForecastRisk(_)))
                    .map(|s| s.calendar.sweep(b, s.weekday)),
            };
            assess(
                case.readings,
                case.services,
                &state,
                &policy,
                case.config,
                as_of,
                collect_at,
            )
        })
        .collect();
    if let Some(Sweeps {
        calendar,
        sweep_fill: Some(fill),
        ..
    }) = sweeps
    {
        let (mut decided, mut areas) = (Vec::new(), Vec::new());
        for (b, r) in out.iter_mut().enumerate() {
            if let Ok(a) = r {
                decided.push(&mut a.decision);
                areas.push(calendar.bin_area[b]);
            }
        }
        sweep_areas(&mut decided, &areas, fill);
    }
    out
}

/// A bin's long-run fill rate, in containers a day, as its history shows
/// it at `as_of` ([`fit`]); the model's prior rate when there is no history
/// to fit.
pub fn long_run_rate(
    readings: &[Reading],
    services: &[ServiceEvent],
    config: &ModelConfig,
    as_of: Timestamp,
) -> f64 {
    History::new(readings, &config.noise)
        .and_then(|h| fit(&h, services, as_of, config))
        .map_or(config.prior_rate_per_day, |f| f.rate_per_day)
}

/// A region's collection calendar ([`Calendar::build`]) from the road cost
/// between its bins (`cost(a, b)`), each bin's long-run fill rate per day
/// and the region's working weekdays. Every bin counts as one unit of work.
///
/// # Errors
/// A parameter out of range, named.
pub fn build_calendar(
    cost: impl Fn(usize, usize) -> f64,
    rates: &[f64],
    working: [bool; 7],
    params: &CalendarParams,
) -> Result<Calendar, ForecastError> {
    let bins: Vec<CalendarBin> = rates
        .iter()
        .map(|&r| CalendarBin {
            rate_per_day: if r.is_finite() {
                r.clamp(0.0, 100.0)
            } else {
                0.0
            },
            work: 1.0,
        })
        .collect();
    Calendar::build(cost, &bins, working, params)
}

/// The forecast quantile a stop's load is planned at: a truck planned on
/// the mean would overrun its capacity on half its full days.
pub const DEMAND_QUANTILE: f64 = 0.8;

/// Litres a bin of `bin_litres` is expected to put on a truck when it is
/// collected at `collect_at`: the fill's [`DEMAND_QUANTILE`] then (between
/// 5 % and 130 %), divided by the truck's `compaction` ratio (1 when the
/// truck's capacity is stated in loose litres), at least 1 and at most
/// `truck_litres`.
pub fn stop_litres(
    forecast: &Forecast,
    collect_at: Timestamp,
    bin_litres: f64,
    compaction: f64,
    truck_litres: f64,
) -> Units {
    let fill = forecast
        .fill_quantile(collect_at, DEMAND_QUANTILE)
        .clamp(0.05, 1.3);
    (fill * bin_litres / compaction.max(1e-6))
        .ceil()
        .clamp(1.0, truck_litres.max(1.0)) as Units
}

/// What a truck's driving costs, in the day's cost unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// Per metre driven.
    pub per_m: f64,
    /// Per second on the road or at a stop (crew time).
    pub per_s: f64,
}

impl Rates {
    /// A price per km and per crew hour, in the same money unit.
    pub fn per_km_and_hour(per_km: f64, per_hour: f64) -> Self {
        Self {
            per_m: per_km / 1000.0,
            per_s: per_hour / 3600.0,
        }
    }

    /// The cost of `metres` and `seconds`.
    pub fn cost(&self, metres: f64, seconds: f64) -> f64 {
        metres * self.per_m + seconds * self.per_s
    }
}

/// What a separate future visit to each bin of an area would cost
/// ([`VisitCost`]): the detour among its nearest neighbouring bins of the
/// whole area (not only today's candidates: a future route serves the area's
/// bins then due), its service, and its share of a truck's dispatch from
/// `depot` through the nearest of `sites`.
///
/// `travel(a, b)` is the metres and seconds from location `a` to `b` (`None`:
/// no route); `bins[i]` is bin `i`'s location and `service_s[i]` the seconds
/// to empty it. O(n²) lookups for n bins.
pub fn visit_costs(
    travel: impl Fn(usize, usize) -> Option<(f64, f64)>,
    rates: Rates,
    bins: &[usize],
    service_s: &[f64],
    depot: usize,
    sites: &[usize],
) -> Vec<VisitCost> {
    let cost = |a: usize, b: usize| travel(a, b).map_or(f64::INFINITY, |(m, s)| rates.cost(m, s));
    let service: Vec<f64> = service_s.iter().map(|&s| rates.cost(0.0, s)).collect();
    future_visit_costs(cost, bins, &service, depot, sites)
}

/// Bins a route is expected to serve, which spreads a future visit's
/// dispatch: as many as the area's routes served so far (`served` bins on
/// `routes` routes), or before any route was driven, a truckload of
/// `truck_litres` filled with bins of `mean_bin_litres` emptied at 80 %.
pub fn bins_per_route(
    served: usize,
    routes: usize,
    truck_litres: f64,
    mean_bin_litres: f64,
) -> f64 {
    if routes > 0 && served > 0 {
        served as f64 / routes as f64
    } else {
        bins_per_load(truck_litres, mean_bin_litres)
    }
}

/// One bin stop of the day.
#[derive(Debug, Clone)]
pub struct BinStop {
    /// External id (the bin's).
    pub id: String,
    /// Location index in the day's matrix.
    pub location: usize,
    /// Expected litres on the truck ([`stop_litres`]).
    pub litres: Units,
    /// Seconds to empty it.
    pub service_s: Units,
    /// Time windows of the day (seconds after local midnight); empty: any time.
    pub windows: Vec<TimeWindow>,
    /// `None`: must collect. `Some(prize)`: optional, worth `prize` cost units.
    pub prize: Option<Units>,
    /// Only trucks carrying these skills may serve it (a stop pinned to a truck).
    pub skills: Mask,
}

/// Everything a collection day is built from, besides the travel matrix.
#[derive(Debug, Clone, Default)]
pub struct Day {
    /// Depots: external id and location index.
    pub depots: Vec<(String, usize)>,
    /// Disposal sites.
    pub sites: Vec<DisposalSite>,
    /// Trucks, each built with [`Vehicle::truck`].
    pub trucks: Vec<Vehicle>,
    /// Bin stops.
    pub stops: Vec<BinStop>,
    /// Every truck ends its day with a disposal visit (needs a site).
    pub final_disposal: bool,
}

/// A day's routing instance and how its stops map back to the caller's bins.
#[derive(Debug, Clone)]
pub struct Built {
    /// The instance, on [`Objective::COST`].
    pub instance: Instance,
    /// Index into [`Day::stops`] of each instance stop.
    pub stop_of: Vec<usize>,
    /// Stops the routing model refused, with its reason; not in the instance.
    pub refused: Vec<(usize, String)>,
}

/// Builds the day's instance on an `n × n` matrix of metres and seconds
/// (row-major over the location indices the day uses).
///
/// # Errors
/// A model error that is not about one stop (a bad matrix, no truck).
pub fn build_day(distance_m: &[f64], duration_s: &[f64], day: &Day) -> Result<Built, ModelError> {
    let mut refused: Vec<(usize, String)> = Vec::new();
    loop {
        let mut b = InstanceBuilder::new()
            .profile(distance_m.to_vec(), duration_s.to_vec(), 1.0)
            .objective(Objective::COST);
        for (id, location) in &day.depots {
            b = b.depot(id.clone(), *location);
        }
        for s in &day.sites {
            b = b.site(s.clone());
        }
        let mut stop_of = Vec::with_capacity(day.stops.len());
        for (k, s) in day.stops.iter().enumerate() {
            if refused.iter().any(|r| r.0 == k) {
                continue;
            }
            let mut stop = Stop::new(s.id.clone(), s.location, s.litres);
            stop.service = s.service_s;
            stop.windows = s.windows.clone();
            stop.prize = s.prize;
            stop.skills = s.skills;
            b = b.stop(stop);
            stop_of.push(k);
        }
        for t in &day.trucks {
            let mut v = t.clone();
            v.final_disposal_required = day.final_disposal;
            b = b.vehicle(v);
        }
        let e = match b.build() {
            Ok(instance) => {
                return Ok(Built {
                    instance,
                    stop_of,
                    refused,
                });
            }
            Err(e) => e,
        };
        // A bin no truck could ever serve is reported with the model's
        // reason; the rest of the day is planned.
        let stop = match &e {
            ModelError::DemandExceedsCapacity { stop, .. }
            | ModelError::NoCompatibleVehicle { stop, .. }
            | ModelError::UnreachableWindow { stop, .. } => stop,
            _ => return Err(e),
        };
        let Some(&k) = stop_of.iter().find(|&&k| day.stops[k].id == *stop) else {
            return Err(e);
        };
        refused.push((k, format!("planner: {e}")));
    }
}

#[cfg(test)]
mod tests {
    use fillroute_forecast::Source;
    use fillroute_planner::{SolveParams, check, solve};

    use super::*;

    const DAY: i64 = 86_400;

    /// A bin filling 10 % a day, read by a sensor for a week.
    fn week_of_readings() -> Vec<Reading> {
        (0..14)
            .map(|k| Reading::new(Timestamp(k * DAY / 2), 0.05 * k as f64, Source::Sensor))
            .collect()
    }

    fn line_matrix(n: usize) -> (Vec<f64>, Vec<f64>) {
        let mut d = Vec::with_capacity(n * n);
        for a in 0..n {
            for b in 0..n {
                d.push(1000.0 * (a as f64 - b as f64).abs());
            }
        }
        let t = d.iter().map(|m| m / 10.0).collect();
        (d, t)
    }

    fn stop(id: &str, location: usize, litres: Units) -> BinStop {
        BinStop {
            id: id.into(),
            location,
            litres,
            service_s: 60,
            windows: Vec::new(),
            prize: None,
            skills: 0,
        }
    }

    fn truck(id: &str, capacity: Units) -> Vehicle {
        Vehicle::truck(
            id,
            capacity,
            0,
            TimeWindow::new(6 * 3600, 16 * 3600),
            1.0,
            40.0,
        )
    }

    #[test]
    fn a_stop_is_sized_at_the_upper_quantile_of_the_fill_not_its_mean() {
        let readings = week_of_readings();
        let config = ModelConfig::default();
        let a = assess(
            &readings,
            &[],
            &BinState {
                last_service: None,
                request: None,
                max_interval_days: None,
                detour_saving: 0.0,
                sweep: None,
            },
            &Policy::Threshold {
                fill_threshold: 0.7,
                next_opportunity_days: 1.0,
            },
            &config,
            Timestamp(7 * DAY),
            Timestamp(8 * DAY),
        )
        .expect("a week of readings fits");
        let at = Timestamp(8 * DAY);
        let mean = a.forecast.expected_fill(at) * 1000.0;
        let litres = stop_litres(&a.forecast, at, 1000.0, 1.0, 10_000.0) as f64;
        assert!(
            litres > mean,
            "{litres} litres planned for a mean of {mean}"
        );
        // Compaction divides, the truck's capacity caps.
        assert!(stop_litres(&a.forecast, at, 1000.0, 2.0, 10_000.0) as f64 <= litres / 2.0 + 1.0);
        assert_eq!(stop_litres(&a.forecast, at, 1000.0, 1.0, 100.0), 100);
    }

    #[test]
    fn a_bin_no_truck_can_hold_is_refused_with_the_reason_and_the_rest_of_the_day_is_built() {
        let (d, t) = line_matrix(4);
        let day = Day {
            depots: vec![("depot".into(), 0)],
            sites: Vec::new(),
            trucks: vec![truck("t1", 500)],
            stops: vec![stop("a", 1, 100), stop("huge", 2, 900), stop("c", 3, 100)],
            final_disposal: false,
        };
        let built = build_day(&d, &t, &day).expect("the day builds without the huge bin");
        assert_eq!(built.stop_of, vec![0, 2]);
        assert_eq!(built.refused.len(), 1);
        assert_eq!(built.refused[0].0, 1);
        assert!(
            built.refused[0].1.contains("huge"),
            "{}",
            built.refused[0].1
        );
        let outcome = solve(
            &built.instance,
            &SolveParams {
                max_iterations: Some(200),
                ..SolveParams::default()
            },
        );
        let report = check(&built.instance, &outcome.solution);
        assert!(report.feasible, "{:?}", report.violations);
    }

    #[test]
    fn every_truck_ends_at_a_disposal_site_when_the_day_asks_for_it() {
        let (d, t) = line_matrix(3);
        let day = Day {
            depots: vec![("depot".into(), 0)],
            sites: vec![DisposalSite {
                id: "tip".into(),
                location: 2,
                hours: TimeWindow::new(0, 24 * 3600),
                unload_time: 600,
                accepts: u64::MAX,
            }],
            trucks: vec![truck("t1", 500), truck("t2", 500)],
            stops: vec![stop("a", 1, 100)],
            final_disposal: true,
        };
        let built = build_day(&d, &t, &day).expect("builds");
        assert!(
            built
                .instance
                .vehicles()
                .iter()
                .all(|v| v.final_disposal_required)
        );
        assert!(built.refused.is_empty());
    }

    #[test]
    fn a_bin_among_close_neighbours_costs_less_to_visit_later_than_a_lone_one() {
        // Bins at 1, 2, 3 km and one alone at 9 km, depot and site at 0.
        let xs: [f64; 5] = [0.0, 1000.0, 2000.0, 3000.0, 9000.0];
        let travel = |a: usize, b: usize| {
            let m = (xs[a] - xs[b]).abs();
            Some((m, m / 10.0))
        };
        let rates = Rates::per_km_and_hour(1.0, 36.0);
        let costs = visit_costs(travel, rates, &[1, 2, 3, 4], &[60.0; 4], 0, &[0]);
        // The middle bin lies on the way between its neighbours: service only.
        assert!((costs[1].marginal - rates.cost(0.0, 60.0)).abs() < 1e-9);
        assert!(costs[3].marginal > costs[1].marginal + rates.cost(2.0 * 6000.0, 1200.0) - 1e-9);
        // Its dispatch is out and back through the site.
        assert!((costs[3].dispatch - rates.cost(18_000.0, 1800.0)).abs() < 1e-9);
    }

    #[test]
    fn a_route_serves_as_many_bins_as_the_fleets_routes_did_once_it_has_driven() {
        assert_eq!(bins_per_route(90, 3, 10_000.0, 1000.0), 30.0);
        // Before any route: a truckload of bins emptied at 80 %.
        assert_eq!(bins_per_route(0, 0, 8_000.0, 1000.0), 10.0);
        assert_eq!(bins_per_route(5, 0, 8_000.0, 1000.0), 10.0);
    }
}

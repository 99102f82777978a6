//! The day loop. Each simulated day, for every policy: forecasts and
//! decisions from what the cameras have shown so far, the planner's routes
//! (checked), the trucks drive and empty bins when they reach them, the bins
//! fill, and the cameras photograph the true fill for the real model to read.

use std::collections::HashMap;
use std::time::Instant;

use fillroute_forecast::{
    Action, Calendar, CalendarParams, ModelConfig, Policy, Reading, Reason, RiskPolicy,
    ServiceEvent, Source, Timestamp, WorkWeek,
};
use fillroute_lidcam::{CameraFault, Scene, class_for_fill};
use fillroute_pipeline::{
    Assessed, Case, Rule, Sweeps, build_calendar, collection_time, decide_day, stop_litres,
};
use fillroute_routemap::{BinMark, MapData, Place, RouteLine};
use serde::Serialize;

use crate::config::{PolicyConfig, Scenario, parse_clock, parse_date};
use crate::error::Result;
use crate::plan::{DayPlan, Request, VisitCost, bins_per_route, future_visit_costs, plan_day};
use crate::truth::{Truth, camera_scene, level_at, weekday_of};
use crate::vision::{CameraReading, ReaderMode, Vision};
use crate::world::World;

/// Totals for one policy over the horizon.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PolicyKpis {
    /// Policy name.
    pub policy: String,
    /// A fixed schedule (no sensors).
    pub fixed: bool,
    /// Kilometres driven.
    pub truck_km: f64,
    /// The part of `truck_km` spent hauling: legs into a disposal site and
    /// from the last one back to the depot. It follows the volume collected,
    /// which every policy that prevents overflow must carry, so only the rest
    /// (collection driving between bins) is what a policy can save.
    pub haul_km: f64,
    /// Hours on the road (shift start to return, lunch included).
    pub truck_hours: f64,
    /// Bins emptied.
    pub pickups: usize,
    /// Mean true fill of a bin when it was emptied.
    pub mean_fill_at_pickup: f64,
    /// Bin-days on which a bin was above 100 %.
    pub overflow_bin_days: usize,
    /// Must-collect bins the plan left unserved.
    pub missed_must_collect: usize,
    /// Pickups outside the day's calendar area because the bin would have
    /// overflowed before the next working day (calendar policies).
    pub emergency_pickups: usize,
    /// Routes driven per working day.
    pub routes_per_day: f64,
    /// Share of readable camera images classified into the right fill class.
    pub classifier_accuracy: Option<f64>,
    /// Camera images the model read.
    pub images_read: usize,
    /// Images the reader flagged as unusable (dark lens) or could not decode.
    pub images_rejected: usize,
    /// The part of `truck_km` that is not haul: driving between bins.
    pub collection_km: f64,
    /// Stops where the truck's true load exceeded its capacity.
    pub capacity_overruns: usize,
    /// Optional (may-collect) stops offered and served.
    pub optional_offered: usize,
    /// Optional stops the planner found worth serving.
    pub optional_served: usize,
    /// Routes driven, each accepted by the planner's checker.
    pub routes_checked: usize,
    /// Day plans the `planner_seconds` safety net stopped before the
    /// iteration budget. Non-zero means the result depends on the machine's
    /// speed and load and will not replay exactly.
    pub plans_cut_by_time: usize,
    /// Running cost, euro (km and hours at the scenario's rates).
    pub cost_eur: f64,
}

/// One policy's numbers for one day.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct DayKpis {
    /// Day, 1-based.
    pub day: usize,
    /// Kilometres.
    pub km: f64,
    /// Hours.
    pub hours: f64,
    /// Pickups.
    pub pickups: usize,
    /// Bins above 100 % at some point of the day.
    pub overflow_bins: usize,
    /// Must-collect bins left unserved.
    pub missed_must: usize,
    /// The day's must-collect bins (indices, ascending): what the decision
    /// made of the readings, compared between the embedded and the stack
    /// replay. Not written to results.json.
    #[serde(skip)]
    pub must: Vec<usize>,
    /// The day's may-collect bins (indices, ascending).
    #[serde(skip)]
    pub may: Vec<usize>,
}

/// What a run produces.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Days simulated.
    pub days: usize,
    /// Bins.
    pub bins: usize,
    /// Trucks.
    pub trucks: usize,
    /// Totals per policy, in scenario order.
    pub kpis: Vec<PolicyKpis>,
    /// Per-day numbers per policy.
    pub daily: Vec<Vec<DayKpis>>,
    /// Cross-validated accuracy of the fill head on its rendered training photos.
    pub head_training_accuracy: Option<f64>,
    /// Route maps of the chosen days (roads added when written).
    #[serde(skip)]
    pub maps: Vec<(usize, String, MapData)>,
    /// Wall-clock seconds per phase (not part of the deterministic result).
    pub phases: Vec<(String, f64)>,
    /// Where the camera readings came from.
    pub reader: ReaderMode,
    /// With the sampled reader: the real model's confusion it samples from.
    pub reader_confusion: Option<crate::vision::ReaderConfusion>,
}

/// Progress events for a bar.
#[derive(Debug, Clone)]
pub enum Progress {
    /// A message before the days start.
    Stage(String),
    /// Day `day` of `days` is done.
    Day {
        /// Finished day.
        day: usize,
        /// Horizon.
        days: usize,
    },
}

/// Wall-clock seconds spent in each phase of a run.
#[derive(Default)]
struct Timing {
    decide: f64,
    plan: f64,
    render: f64,
    inference: f64,
}

impl Timing {
    /// Every phase of a run, the city and the reader's setup included
    /// (writing the outputs is added by `write_outputs`).
    fn table(&self, world: &World, vision: &Vision, total: f64) -> Vec<(String, f64)> {
        let rest = total - self.decide - self.plan - self.render - self.inference;
        let matrix = match world.build.matrix_cached {
            Some(_) => "travel matrix (cached)",
            None => "travel matrix",
        };
        vec![
            ("road network + bins".into(), world.build.network_s),
            (matrix.into(), world.build.matrix_s),
            ("vision setup".into(), vision.setup_seconds()),
            ("render photos".into(), self.render),
            ("decode + inference".into(), self.inference),
            ("forecast + decide".into(), self.decide),
            ("plan routes".into(), self.plan),
            ("simulate the drive".into(), rest.max(0.0)),
        ]
    }
}

struct PolicyState {
    level: Vec<f64>,
    readings: Vec<Vec<Reading>>,
    services: Vec<Vec<ServiceEvent>>,
    kpi: PolicyKpis,
    fill_at_pickup_sum: f64,
    correct: usize,
    daily: Vec<DayKpis>,
    /// Levels at the start of the current day (the cameras' day is replayed from them).
    start_of_day: Vec<f64>,
    /// Bins a route of this policy serves, as a dispatcher knows it from the
    /// plans so far (a full truckload before the first route).
    bins_per_route: f64,
    routes_driven: usize,
}

/// Runs the scenario: every policy, every day.
pub fn run(
    s: &Scenario,
    world: &World,
    vision: &mut Vision,
    mut progress: impl FnMut(Progress),
) -> Result<RunResult> {
    let start_days = parse_date("start_date", &s.start_date)?;
    let offset = s.utc_offset_hours * 3600;
    let midnight =
        |day: usize| Timestamp((start_days + day as i64 - 1) * 86_400 - i64::from(offset));
    let truth = Truth::draw(s, world, start_days);
    let n = world.bins.len();
    let configs: Vec<ModelConfig> = world
        .bins
        .iter()
        .map(|b| ModelConfig::for_bin(offset, s.planning_prior(&b.zone)))
        .collect();
    let mut states: Vec<PolicyState> = s
        .policies
        .iter()
        .map(|p| PolicyState {
            level: truth.start_level.clone(),
            readings: vec![Vec::new(); n],
            services: vec![Vec::new(); n],
            kpi: PolicyKpis {
                policy: p.name().to_string(),
                fixed: !p.uses_cameras(),
                ..PolicyKpis::default()
            },
            fill_at_pickup_sum: 0.0,
            correct: 0,
            daily: Vec::new(),
            start_of_day: truth.start_level.clone(),
            bins_per_route: bins_per_route(s, world, 0, 0),
            routes_driven: 0,
        })
        .collect();
    let work = s.trucks.weekdays;
    let shift = (
        parse_clock("trucks.shift[0]", &s.trucks.shift[0])?,
        parse_clock("trucks.shift[1]", &s.trucks.shift[1])?,
    );
    let visit_cost = future_visit_costs(s, world);
    let calendars: Vec<Option<Calendar>> = s
        .policies
        .iter()
        .map(|p| policy_calendar(s, world, p))
        .collect::<Result<_>>()?;
    let mut working_days = 0usize;
    let mut timing = Timing::default();
    let t_run = Instant::now();
    let mut maps = Vec::new();
    progress(Progress::Stage("day 0: cameras only".into()));
    for day in 0..=s.run.days {
        let wd = weekday_of(start_days, day);
        let mut pickups_today: Vec<Vec<Option<f64>>> = vec![vec![None; n]; states.len()];
        if day >= 1 && work[wd] {
            working_days += 1;
            let next_gap = WorkWeek(work).days_to_next(wd);
            let date = collection_time(midnight(day), shift, midnight(day));
            let planned: Vec<(Vec<Request>, DayPlan)> = s
                .policies
                .iter()
                .enumerate()
                .collect::<Vec<_>>()
                .into_iter()
                .map(|(pi, p)| {
                    let st = &states[pi];
                    let t_decide = Instant::now();
                    let requests = decide_all(
                        s,
                        world,
                        st,
                        p,
                        calendars[pi].as_ref(),
                        &configs,
                        midnight(day),
                        date,
                        next_gap,
                        &visit_cost,
                    )?;
                    timing.decide += t_decide.elapsed().as_secs_f64();
                    // Seeded by the policy's name, not its place in the file, so that
                    // adding a policy does not move the others' routes.
                    let seed = s.run.seed ^ ((day as u64) << 20) ^ (name_hash(p.name()) << 8);
                    let t_plan = Instant::now();
                    let plan = plan_day(s, world, &requests, day, p.name(), seed)?;
                    timing.plan += t_plan.elapsed().as_secs_f64();
                    Ok((requests, plan))
                })
                .collect::<Result<_>>()?;
            for (pi, (requests, plan)) in planned.into_iter().enumerate() {
                let st = &mut states[pi];
                st.kpi.routes_checked += plan.checked_routes;
                st.kpi.plans_cut_by_time += usize::from(plan.cut_by_time);
                st.kpi.optional_offered += requests.iter().filter(|r| r.prize.is_some()).count();
                let missed = plan.unserved.iter().filter(|u| u.2).count();
                if !plan.routes.is_empty() {
                    st.routes_driven += plan.routes.len();
                    st.bins_per_route = bins_per_route(
                        s,
                        world,
                        st.kpi.pickups + plan.routes.iter().map(|r| r.pickups.len()).sum::<usize>(),
                        st.routes_driven,
                    );
                }
                st.kpi.missed_must_collect += missed;
                let first_bin = world.depots.len() + world.sites.len();
                for r in &plan.routes {
                    // The true load of the trip; unloading at a disposal site resets it.
                    let mut load = 0.0;
                    let mut next = r.pickups.iter();
                    for &loc in &r.locations[1..r.locations.len() - 1] {
                        if loc < first_bin {
                            load = 0.0;
                            continue;
                        }
                        let Some(&(bin, at)) = next.next() else { break };
                        let f = at as f64 / 86_400.0;
                        pickups_today[pi][bin] = Some(f);
                        let fill = level_at(st.level[bin], truth.inc[day][bin], f, None);
                        st.fill_at_pickup_sum += fill;
                        st.kpi.pickups += 1;
                        match requests.iter().find(|q| q.bin == bin) {
                            Some(q) if q.prize.is_some() => st.kpi.optional_served += 1,
                            Some(q) if q.emergency => st.kpi.emergency_pickups += 1,
                            _ => {}
                        }
                        // The crew reports the emptying as production receives it
                        // (`ReportReading` with `emptied`): a reported service and a
                        // driver reading of what is left, nothing.
                        let emptied_at = Timestamp(midnight(day).0 + at);
                        st.services[bin].push(ServiceEvent::reported(emptied_at));
                        st.readings[bin].push(Reading {
                            at: emptied_at,
                            fill: 0.0,
                            probabilities: None,
                            source: Source::Driver,
                        });
                        load += fill * world.bins[bin].litres / s.trucks.compaction;
                        if load > s.trucks.capacity_litres {
                            st.kpi.capacity_overruns += 1;
                        }
                    }
                }
                st.kpi.truck_km += plan.metres as f64 / 1000.0;
                st.kpi.haul_km += plan
                    .routes
                    .iter()
                    .map(|r| world.haul_metres(&r.locations))
                    .sum::<f64>()
                    / 1000.0;
                st.kpi.truck_hours += plan.seconds as f64 / 3600.0;
                st.daily.push(DayKpis {
                    day,
                    km: plan.metres as f64 / 1000.0,
                    hours: plan.seconds as f64 / 3600.0,
                    pickups: plan.routes.iter().map(|r| r.pickups.len()).sum(),
                    overflow_bins: 0,
                    missed_must: missed,
                    must: requests
                        .iter()
                        .filter(|q| q.prize.is_none())
                        .map(|q| q.bin)
                        .collect(),
                    may: requests
                        .iter()
                        .filter(|q| q.prize.is_some())
                        .map(|q| q.bin)
                        .collect(),
                });
                if s.run.map_days.contains(&day) {
                    maps.push((
                        day,
                        s.policies[pi].name().to_string(),
                        day_map(s, world, &st.level, &requests, &plan, day)?,
                    ));
                }
            }
        } else if day >= 1 {
            for st in &mut states {
                st.daily.push(DayKpis {
                    day,
                    ..DayKpis::default()
                });
            }
        }
        // The bins fill over the day; count overflows and roll the levels on.
        for (pi, st) in states.iter_mut().enumerate() {
            let mut over = 0;
            st.start_of_day.clone_from(&st.level);
            for (b, &picked) in pickups_today[pi].iter().enumerate().take(n) {
                let (l, inc) = (st.level[b], truth.inc[day][b]);
                let peak = match picked {
                    Some(f) => level_at(l, inc, f, None).max(level_at(l, inc, 1.0, Some(f))),
                    None => l + inc,
                };
                if day >= 1 && peak > 1.0 {
                    over += 1;
                }
                st.level[b] = level_at(l, inc, 1.0, picked);
            }
            if day >= 1 {
                st.kpi.overflow_bin_days += over;
                if let Some(d) = st.daily.last_mut() {
                    d.overflow_bins = over;
                }
            }
        }
        // Cameras: photograph the true fill; identical scenes are rendered and read once.
        photograph(
            s,
            world,
            &truth,
            &mut states,
            &pickups_today,
            day,
            midnight(day),
            vision,
            &mut timing,
        )?;
        if day >= 1 {
            progress(Progress::Day {
                day,
                days: s.run.days,
            });
        }
    }
    let kpis = states
        .iter()
        .map(|st| {
            let mut k = st.kpi.clone();
            k.mean_fill_at_pickup = if k.pickups > 0 {
                st.fill_at_pickup_sum / k.pickups as f64
            } else {
                0.0
            };
            k.classifier_accuracy =
                (k.images_read > 0).then(|| st.correct as f64 / k.images_read as f64);
            k.cost_eur = k.truck_km * s.trucks.eur_per_km + k.truck_hours * s.trucks.eur_per_hour;
            k.collection_km = k.truck_km - k.haul_km;
            k.routes_per_day = st.routes_driven as f64 / working_days.max(1) as f64;
            k
        })
        .collect();
    Ok(RunResult {
        scenario: s.name.clone(),
        seed: s.run.seed,
        days: s.run.days,
        bins: n,
        trucks: s.trucks.count,
        kpis,
        daily: states.into_iter().map(|st| st.daily).collect(),
        head_training_accuracy: vision.training_accuracy(),
        maps,
        phases: timing.table(world, vision, t_run.elapsed().as_secs_f64()),
        reader: vision.mode(),
        reader_confusion: vision.confusion().cloned(),
    })
}

/// A stable hash of a policy name (FNV-1a, 32 bits).
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    }) as u64
}

/// The collection calendar a policy works on: compact day-areas from the road
/// matrix, each bin's cadence from its long-run fill rate (what a hauler knows
/// from its history). Fixed schedules get every bin at the same cadence; the
/// threshold policy and a fill-driven policy without a calendar get none.
pub fn policy_calendar(s: &Scenario, world: &World, p: &PolicyConfig) -> Result<Option<Calendar>> {
    let params = match p {
        PolicyConfig::Fixed { per_week, .. } => CalendarParams {
            uniform_per_week: Some(*per_week),
            ..CalendarParams::default()
        },
        PolicyConfig::Tuned { target_fill, .. } => CalendarParams {
            target_fill: *target_fill,
            ..CalendarParams::default()
        },
        PolicyConfig::ForecastRisk {
            calendar: Some(c), ..
        } => c.params(),
        _ => return Ok(None),
    };
    let big = world.len();
    let cost = |a: usize, b: usize| {
        f64::from(world.distance_m[world.bin_location(a) * big + world.bin_location(b)])
    };
    let rates: Vec<f64> = world.bins.iter().map(|b| b.rate).collect();
    Ok(Some(build_calendar(
        cost,
        &rates,
        s.trucks.weekdays,
        &params,
    )?))
}

/// Decides every bin of a policy for `date` through the pipeline's
/// [`decide_day`], the nightly job's decision, and sizes each stop.
#[allow(clippy::too_many_arguments)]
fn decide_all(
    s: &Scenario,
    world: &World,
    st: &PolicyState,
    p: &PolicyConfig,
    calendar: Option<&Calendar>,
    configs: &[ModelConfig],
    as_of: Timestamp,
    date: Timestamp,
    next_gap: f64,
    visit_cost: &[VisitCost],
) -> Result<Vec<Request>> {
    let offset = s.utc_offset_hours * 3600;
    let sweeps = |sweep_fill: Option<f64>| {
        calendar.map(|calendar| Sweeps {
            calendar,
            weekday: date.weekday(offset),
            sweep_fill,
        })
    };
    let rule = match p {
        PolicyConfig::Fixed { .. } | PolicyConfig::Tuned { .. } => Rule::Schedule(
            sweeps(None).ok_or_else(|| {
                crate::error::invalid(
                    "policies",
                    p.name(),
                    "a fixed schedule needs its collection calendar (policy_calendar builds one)",
                )
            })?,
            offset,
        ),
        PolicyConfig::Threshold { fill, .. } => Rule::Policy(
            Policy::Threshold {
                fill_threshold: *fill,
                next_opportunity_days: next_gap,
            },
            None,
        ),
        PolicyConfig::ForecastRisk {
            risk_level,
            may_fill,
            overflow_eur,
            calendar: cal,
            ..
        } => Rule::Policy(
            Policy::ForecastRisk(RiskPolicy {
                risk_level: *risk_level,
                may_fill_threshold: *may_fill,
                next_opportunity_days: next_gap,
                overflow_cost: overflow_eur * 1000.0,
                emergency_risk: cal.map_or(0.5, |c| c.emergency_risk),
            }),
            sweeps(cal.and_then(|c| c.sweep_fill)),
        ),
    };
    let cases = (0..world.bins.len()).map(|b| Case {
        readings: &st.readings[b],
        services: &st.services[b],
        request: None,
        max_interval_days: s.bins.max_interval_days,
        visit: Some(visit_cost[b]),
        config: &configs[b],
    });
    let decided = decide_day(cases, &rule, st.bins_per_route, as_of, date);
    let mut out = Vec::new();
    for (b, assessed) in decided.into_iter().enumerate() {
        let Assessed { decision, forecast } = assessed?;
        let prize = match decision.action {
            Action::Skip => continue,
            Action::Must => None,
            Action::May => Some(decision.prize.unwrap_or(0.0).round().max(0.0) as i64),
        };
        out.push(Request {
            bin: b,
            demand: stop_litres(
                &forecast,
                date,
                world.bins[b].litres,
                s.trucks.compaction,
                s.trucks.capacity_litres,
            ),
            prize,
            emergency: decision.reason == Reason::Emergency,
        });
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn photograph(
    s: &Scenario,
    world: &World,
    truth: &Truth,
    states: &mut [PolicyState],
    pickups: &[Vec<Option<f64>>],
    day: usize,
    midnight: Timestamp,
    vision: &mut Vision,
    timing: &mut Timing,
) -> Result<()> {
    let per_day = s.cameras.per_day;
    // (policy, bin, shot index, scene key)
    let mut wanted: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut scenes: Vec<(Scene, f64)> = Vec::new();
    let mut index: HashMap<(usize, usize, u64, bool), usize> = HashMap::new();
    for (pi, p) in s.policies.iter().enumerate() {
        if !p.uses_cameras() {
            continue;
        }
        let oracle = matches!(p, PolicyConfig::ForecastRisk { oracle: true, .. });
        for (b, bin) in world.bins.iter().enumerate() {
            if truth.silent[day][b] && !oracle {
                continue;
            }
            for k in 0..per_day {
                let x = (k as f64 + 0.5) / per_day as f64;
                let fill = level_at(
                    states[pi].start_of_day[b],
                    truth.inc[day][b],
                    x,
                    pickups[pi][b],
                );
                if oracle {
                    // The upper bound: the true fill, as an exact sensor would report it.
                    let at = Timestamp(midnight.0 + (x * 86_400.0) as i64);
                    states[pi].readings[b].push(Reading {
                        at,
                        fill: fill.clamp(0.0, 1.3),
                        probabilities: None,
                        source: Source::Sensor,
                    });
                    continue;
                }
                let dark = truth.dark[day][b][k];
                let key = (b, k, fill.to_bits(), dark);
                let idx = *index.entry(key).or_insert_with(|| {
                    let scene = camera_scene(s.run.seed, day, b, k, fill, bin.style, dark);
                    scenes.push((scene, fill));
                    scenes.len() - 1
                });
                wanted.push((pi, b, k, idx));
            }
        }
    }
    if scenes.is_empty() {
        return Ok(());
    }
    let only: Vec<Scene> = scenes.iter().map(|&(sc, _)| sc).collect();
    let (readings, render, inference): (Vec<Option<CameraReading>>, f64, f64) =
        vision.read_scenes(&only)?;
    timing.render += render;
    timing.inference += inference;
    for (pi, b, k, idx) in wanted {
        let st = &mut states[pi];
        let at = Timestamp(midnight.0 + ((k as f64 + 0.5) / per_day as f64 * 86_400.0) as i64);
        match &readings[idx] {
            Some(r) => {
                st.kpi.images_read += 1;
                if scenes[idx].0.fault == CameraFault::None
                    && r.class == class_for_fill(scenes[idx].1 as f32)
                {
                    st.correct += 1;
                }
                st.readings[b].push(Reading {
                    at,
                    fill: r.fill.clamp(0.0, 1.3),
                    probabilities: Some(r.probabilities.clone()),
                    source: Source::Camera,
                });
            }
            None => st.kpi.images_rejected += 1,
        }
    }
    Ok(())
}

fn day_map(
    s: &Scenario,
    world: &World,
    level: &[f64],
    requests: &[Request],
    plan: &DayPlan,
    day: usize,
) -> Result<MapData> {
    let ll = |p: fillroute_roads::LonLat| [p.lon(), p.lat()];
    let mut map = MapData::new(format!("{} · day {day}", s.name));
    map.depots = world
        .depots
        .iter()
        .map(|d| Place::new(d.id.clone(), ll(d.at)))
        .collect();
    map.disposal_sites = world
        .sites
        .iter()
        .map(|d| Place::new(d.id.clone(), ll(d.at)))
        .collect();
    let mut served: HashMap<usize, usize> = HashMap::new();
    for (ri, r) in plan.routes.iter().enumerate() {
        let mut path = Vec::new();
        for w in r.locations.windows(2) {
            if let Some(route) = world.net.path(world.nodes[w[0]], world.nodes[w[1]])? {
                path.extend(route.coordinates.iter().map(|&c| ll(c)));
            }
        }
        let km = path.windows(2).map(|w| haversine(w[0], w[1])).sum::<f64>() / 1000.0;
        map.routes.push(RouteLine {
            name: format!("truck {}", r.truck + 1),
            path,
            summary: format!("{} stops · {km:.1} km", r.pickups.len()),
        });
        for &(bin, _) in &r.pickups {
            served.insert(bin, ri);
        }
    }
    let unserved: HashMap<usize, &str> = plan
        .unserved
        .iter()
        .map(|(b, why, _)| (*b, why.as_str()))
        .collect();
    for (b, bin) in world.bins.iter().enumerate() {
        let req = requests.iter().find(|r| r.bin == b);
        map.bins.push(BinMark {
            id: bin.id.clone(),
            at: ll(bin.at),
            fill: level[b],
            route: served.get(&b).copied(),
            unserved: unserved
                .get(&b)
                .filter(|_| req.is_some_and(|r| r.prize.is_none()))
                .map(|w| w.to_string()),
            note: match req {
                Some(r) if r.prize.is_some() => "may collect".into(),
                Some(_) => "must collect".into(),
                None => "skip".into(),
            },
        });
    }
    map.subtitle = format!(
        "{} routes · {} pickups · {:.1} km · {} unserved must-collect",
        plan.routes.len(),
        served.len(),
        plan.metres as f64 / 1000.0,
        plan.unserved.iter().filter(|u| u.2).count()
    );
    Ok(map)
}

fn haversine(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (la1, la2) = (a[1].to_radians(), b[1].to_radians());
    let dla = la2 - la1;
    let dlo = (b[0] - a[0]).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
}

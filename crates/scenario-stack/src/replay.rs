//! The day loop of `--stack`, the same simulated city as the embedded replay
//! (same ground truth, same camera faults, same rendered photos) but every
//! step goes through a service: each photo is uploaded by its bin's camera
//! to `IngestService` and read by the vision workers into PostGIS, the
//! crews report each emptying (`ReportReading` with `emptied`), and each working day is
//! planned by the nightly job behind `PlannerService` (`PlanDay`, then
//! `GetPlan`) on simulated time. The simulator then drives the returned
//! routes at their ETAs, exactly as the embedded replay drives its own.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use fillroute_clock::SimulatedClock;
use fillroute_lidcam::{class_for_fill, render_jpeg};
use fillroute_proto::ingest::v1 as ingest_pb;
use fillroute_proto::planner::v1 as pb;
use fillroute_scenario::config::parse_date;
use fillroute_scenario::sim::policy_calendar;
use fillroute_scenario::truth::{Truth, camera_scene, level_at, weekday_of};
use fillroute_scenario::{DayKpis, PolicyConfig, PolicyKpis, Progress, RunResult, Scenario, World};
use fillroute_store::{Area, BinId, PipelineCounts, PlanId};
use futures::StreamExt;
use rayon::prelude::*;
use time::OffsetDateTime;

use crate::city::{City, register};
use crate::error::{Result, StackError, call, invalid};
use crate::services::{Services, StackOptions, bearer};

/// What a stack replay produced.
#[derive(Debug, Clone)]
pub struct StackRun {
    /// The replayed policy's KPIs and per-day numbers, shaped like an
    /// embedded run so the same table prints them.
    pub result: RunResult,
    /// Photos uploaded through `IngestService`.
    pub uploads: usize,
    /// Emptyings reported back as driver readings.
    pub service_reports: usize,
    /// Images and camera readings in PostGIS at the end.
    pub counts: PipelineCounts,
    /// Plans made through `PlannerService`.
    pub plans: usize,
    /// The database the run used (dropped at the end).
    pub database: String,
}

/// The forecast-and-risk policy the nightly job implements, from the
/// scenario: its index, risk level, may-collect fill and overflow cost (euro).
fn stack_policy(s: &Scenario) -> Result<(usize, f64, f64, f64)> {
    s.policies
        .iter()
        .enumerate()
        .find_map(|(i, p)| match p {
            PolicyConfig::ForecastRisk {
                risk_level,
                may_fill,
                overflow_eur,
                oracle: false,
                ..
            } => Some((i, *risk_level, *may_fill, *overflow_eur)),
            _ => None,
        })
        .ok_or_else(|| {
            invalid(
                "policies",
                "no forecast_risk policy",
                "--stack replays the policy the nightly job implements: add a \
                 [[policies]] table with kind = \"forecast_risk\"",
            )
        })
}

/// Replays `s` through the real services for its first `forecast_risk`
/// policy (fixed schedules and thresholds are not what the nightly job
/// does). `head` is the trained fill head the vision service loads.
pub async fn run(
    s: &Scenario,
    world: &World,
    head: &Path,
    options: &StackOptions,
    mut progress: impl FnMut(Progress),
) -> Result<StackRun> {
    let (policy_index, ..) = stack_policy(s)?;
    if !head.is_file() {
        return Err(invalid(
            "vision head",
            head.display(),
            "train it first (Vision::load_or_train caches it under ~/.cache/fillroute/scenario/)",
        ));
    }
    let start_days = parse_date("start_date", &s.start_date)?;
    let midnight0 = midnight(start_days, s.utc_offset_hours, 0)?;
    let clock = SimulatedClock::new(midnight0);
    progress(Progress::Stage("starting services".into()));
    let mut services = Services::start(options, head, clock.clone().into()).await?;
    let outcome = async {
        progress(Progress::Stage("registering the city".into()));
        let city = register(s, world, &mut services).await?;
        store_calendar(s, world, &services, &city, policy_index).await?;
        drive(
            s,
            world,
            &mut services,
            &city,
            &clock,
            policy_index,
            &mut progress,
        )
        .await
    }
    .await;
    let database = services.database.clone();
    services.shutdown().await;
    let mut run = outcome?;
    run.database = database;
    Ok(run)
}

fn midnight(start_days: i64, utc_offset_hours: i32, day: usize) -> Result<OffsetDateTime> {
    let secs = (start_days + day as i64 - 1) * 86_400 - i64::from(utc_offset_hours) * 3600;
    OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|e| invalid("start_date", secs, e.to_string()))
}

/// One uploaded photo and the truth behind it.
struct Shot {
    bin: usize,
    fill: f64,
    dark: bool,
}

#[allow(clippy::too_many_lines)]
/// With a calendar policy, stores the replay's calendar as the region's, as
/// an operator would after `fillroute plan calendar build`: both modes then
/// decide over the same day-areas. (The replay cuts it from the bins' true
/// long-run rates, what a hauler knows from its history; the job's own
/// builder fits them from stored readings, which a replay starting on day 0
/// does not have yet.)
async fn store_calendar(
    s: &Scenario,
    world: &World,
    services: &Services,
    city: &City,
    policy_index: usize,
) -> Result<()> {
    let p = &s.policies[policy_index];
    let PolicyConfig::ForecastRisk {
        calendar: Some(policy),
        ..
    } = p
    else {
        return Ok(());
    };
    let Some(calendar) = policy_calendar(s, world, p)? else {
        return Ok(());
    };
    let mut ids = vec![BinId(0); world.bins.len()];
    for (&id, &b) in &city.bin_index {
        ids[b] = BinId(id);
    }
    let store = &services.store;
    let region = store
        .region_by_name(&city.region)
        .await?
        .ok_or_else(|| invalid("region", &city.region, "register the city first"))?;
    store
        .save_calendar(region.id, policy, &calendar, &ids)
        .await?;
    Ok(())
}

async fn drive(
    s: &Scenario,
    world: &World,
    services: &mut Services,
    city: &City,
    clock: &SimulatedClock,
    policy_index: usize,
    progress: &mut impl FnMut(Progress),
) -> Result<StackRun> {
    let (_, risk_level, may_fill, overflow_cost) = stack_policy(s)?;
    let policy = s.policies[policy_index].name().to_string();
    let start_days = parse_date("start_date", &s.start_date)?;
    let offset_h = s.utc_offset_hours;
    let truth = Truth::draw(s, world, start_days);
    let n = world.bins.len();
    let work = s.trucks.weekdays;
    let mut level = truth.start_level.clone();
    let mut start_of_day;
    let mut kpi = PolicyKpis {
        policy: policy.clone(),
        ..PolicyKpis::default()
    };
    let (mut fill_at_pickup_sum, mut correct) = (0.0, 0usize);
    let mut daily = Vec::new();
    let mut shots: HashMap<String, Shot> = HashMap::new();
    let (mut uploads, mut reports, mut plans, mut cursor) = (0usize, 0usize, 0usize, 0i64);
    let (mut working_days, mut routes_driven) = (0usize, 0usize);
    let planner_token = services.planner_token.clone();
    progress(Progress::Stage("day 0: cameras only".into()));
    for day in 0..=s.run.days {
        let wd = weekday_of(start_days, day);
        let day_start = midnight(start_days, offset_h, day)?;
        let mut pickups: Vec<Option<f64>> = vec![None; n];
        let mut emptied: Vec<(usize, i64)> = Vec::new();
        if day >= 1 && work[wd] {
            clock.set(day_start);
            let local_date = (day_start + time::Duration::hours(offset_h.into())).date();
            let request = pb::PlanDayRequest {
                region: city.region.clone(),
                date: local_date.to_string(),
                time_budget_s: s.run.planner_seconds,
                risk_level,
                may_fill_threshold: may_fill,
                overflow_cost,
                seed: s.run.seed ^ ((day as u64) << 20) ^ ((policy_index as u64) << 8),
            };
            let mut stream = services
                .planner
                .plan_day(bearer(&planner_token, request))
                .await
                .map_err(call("PlanDay", day))?
                .into_inner();
            let mut done = None;
            while let Some(m) = stream.message().await.map_err(call("PlanDay", day))? {
                if let Some(pb::plan_progress::Event::Done(d)) = m.event {
                    done = Some(d);
                }
            }
            let done = done.ok_or_else(|| StackError::Service {
                service: "planner",
                detail: format!("PlanDay on day {day} ended without a plan"),
            })?;
            plans += 1;
            if done.checked_routes != done.routes {
                return Err(StackError::Checker {
                    day,
                    plan: done.plan_id,
                    routes: done.routes,
                    checked: done.checked_routes,
                });
            }
            // The dispatcher commits the plan the trucks drive: the next
            // nights learn from it how many bins a route serves.
            let plan = services
                .planner
                .commit_plan(bearer(
                    &planner_token,
                    pb::CommitPlanRequest {
                        plan_id: done.plan_id,
                    },
                ))
                .await
                .map_err(call("CommitPlan", day))?
                .into_inner();
            let decisions = services.store.plan_decisions(PlanId(done.plan_id)).await?;
            let optional: std::collections::HashSet<i64> = decisions
                .iter()
                .filter(|d| d.decision.action == fillroute_forecast::Action::May)
                .map(|d| d.decision.bin.0)
                .collect();
            let emergency: std::collections::HashSet<i64> = decisions
                .iter()
                .filter(|d| d.decision.reason == "emergency")
                .map(|d| d.decision.bin.0)
                .collect();
            let decided = |action: fillroute_forecast::Action| {
                let mut bins: Vec<usize> = decisions
                    .iter()
                    .filter(|d| d.decision.action == action)
                    .filter_map(|d| city.bin_index.get(&d.decision.bin.0).copied())
                    .collect();
                bins.sort_unstable();
                bins
            };
            kpi.optional_offered += optional.len();
            kpi.missed_must_collect += done.unserved_must as usize;
            kpi.routes_checked += done.checked_routes as usize;
            working_days += 1;
            routes_driven += plan.routes.len();
            let (mut km, mut hours, mut picked) = (0.0, 0.0, 0usize);
            for route in &plan.routes {
                km += route.distance_m / 1000.0;
                hours += route.duration_s / 3600.0;
                let mut stops = route.stops.clone();
                stops.sort_by_key(|x| x.seq);
                let mut load = 0.0;
                let mut locations = Vec::with_capacity(stops.len());
                for stop in &stops {
                    match stop.kind.as_str() {
                        "bin" => {
                            let b = *city.bin_index.get(&stop.ref_id).ok_or_else(|| {
                                StackError::Service {
                                    service: "planner",
                                    detail: format!(
                                        "plan {} visits unknown bin {}",
                                        done.plan_id, stop.ref_id
                                    ),
                                }
                            })?;
                            locations.push(world.bin_location(b));
                            let at_s = stop.eta_ms / 1000 - day_start.unix_timestamp();
                            let f = at_s as f64 / 86_400.0;
                            pickups[b] = Some(f);
                            emptied.push((b, stop.eta_ms));
                            let fill = level_at(level[b], truth.inc[day][b], f, None);
                            fill_at_pickup_sum += fill;
                            kpi.pickups += 1;
                            picked += 1;
                            if optional.contains(&stop.ref_id) {
                                kpi.optional_served += 1;
                            }
                            if emergency.contains(&stop.ref_id) {
                                kpi.emergency_pickups += 1;
                            }
                            load += fill * world.bins[b].litres / s.trucks.compaction;
                            if load > s.trucks.capacity_litres {
                                kpi.capacity_overruns += 1;
                            }
                        }
                        "disposal" => {
                            load = 0.0;
                            if let Some(&i) = city.site_index.get(&stop.ref_id) {
                                locations.push(world.site_location(i));
                            }
                        }
                        "depot" => locations.push(0),
                        _ => {}
                    }
                }
                kpi.haul_km += world.haul_metres(&locations) / 1000.0;
            }
            kpi.truck_km += km;
            kpi.truck_hours += hours;
            daily.push(DayKpis {
                day,
                km,
                hours,
                pickups: picked,
                overflow_bins: 0,
                missed_must: done.unserved_must as usize,
                must: decided(fillroute_forecast::Action::Must),
                may: decided(fillroute_forecast::Action::May),
            });
        } else if day >= 1 {
            daily.push(DayKpis {
                day,
                ..DayKpis::default()
            });
        }
        // The bins fill over the day; count overflows and roll the levels on.
        start_of_day = level.clone();
        let mut over = 0;
        for b in 0..n {
            let (l, inc) = (level[b], truth.inc[day][b]);
            let peak = match pickups[b] {
                Some(f) => level_at(l, inc, f, None).max(level_at(l, inc, 1.0, Some(f))),
                None => l + inc,
            };
            if day >= 1 && peak > 1.0 {
                over += 1;
            }
            level[b] = level_at(l, inc, 1.0, pickups[b]);
        }
        if day >= 1 {
            kpi.overflow_bin_days += over;
            if let Some(d) = daily.last_mut() {
                d.overflow_bins = over;
            }
        }

        // The day is over: the cameras' photos and the trucks' reports arrive.
        clock.set(midnight(start_days, offset_h, day + 1)?);
        let per_day = s.cameras.per_day;
        let mut scenes = Vec::new();
        for (b, bin) in world.bins.iter().enumerate() {
            if truth.silent[day][b] {
                continue;
            }
            for k in 0..per_day {
                let x = (k as f64 + 0.5) / per_day as f64;
                let fill = level_at(start_of_day[b], truth.inc[day][b], x, pickups[b]);
                let dark = truth.dark[day][b][k];
                let scene = camera_scene(s.run.seed, day, b, k, fill, bin.style, dark);
                let at = day_start.unix_timestamp() * 1000 + (x * 86_400_000.0) as i64;
                scenes.push((b, fill, dark, at, scene));
            }
        }
        let rendered: Vec<Vec<u8>> = tokio::task::block_in_place(|| {
            scenes
                .par_iter()
                .map(|(.., scene)| render_jpeg(scene))
                .collect::<std::result::Result<_, _>>()
        })?;
        let client = services.ingest.clone();
        let sent: Vec<Result<(String, usize)>> =
            futures::stream::iter(scenes.iter().zip(rendered).enumerate().map(
                |(i, ((b, _, _, at, _), image))| {
                    let mut client = client.clone();
                    let request = city.cameras[*b].req(ingest_pb::UploadImageRequest {
                        bin_id: 0,
                        captured_at_unix_ms: *at,
                        image,
                    });
                    async move {
                        let r = client
                            .upload_image(request)
                            .await
                            .map_err(call("UploadImage", day))?
                            .into_inner();
                        Ok((r.image_id, i))
                    }
                },
            ))
            .buffer_unordered(8)
            .collect()
            .await;
        for r in sent {
            let (image, i) = r?;
            let (b, fill, dark, ..) = scenes[i];
            shots.insert(image, Shot { bin: b, fill, dark });
            uploads += 1;
        }
        for (b, eta_ms) in emptied {
            let mut client = services.ingest.clone();
            client
                .report_reading(city.cameras[b].req(ingest_pb::ReportReadingRequest {
                    bin_id: 0,
                    observed_at_unix_ms: eta_ms,
                    fill_fraction: 0.0,
                    source: ingest_pb::ReadingSource::Driver as i32,
                    emptied: true,
                }))
                .await
                .map_err(call("ReportReading", day))?;
            reports += 1;
        }
        wait_for_readings(services, day, uploads).await?;
        // Score the day's readings against the truth, as the embedded replay does.
        let readings = services
            .store
            .readings_after(Area::default(), cursor, 1_000_000)
            .await?;
        // A blind frame (dark, blocked) becomes no reading: counted below.
        for (r, _flags) in &readings {
            cursor = cursor.max(r.id);
            let Some(shot) = r.image.and_then(|i| shots.get(&i.0.to_string())) else {
                continue;
            };
            kpi.images_read += 1;
            let class = r
                .probabilities
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(c, _)| c);
            if !shot.dark && class == Some(class_for_fill(shot.fill as f32)) {
                correct += 1;
            }
            let _ = shot.bin;
        }
        if day >= 1 {
            progress(Progress::Day {
                day,
                days: s.run.days,
            });
        }
    }
    kpi.images_rejected = uploads - kpi.images_read;
    kpi.routes_per_day = routes_driven as f64 / working_days.max(1) as f64;
    kpi.mean_fill_at_pickup = if kpi.pickups > 0 {
        fill_at_pickup_sum / kpi.pickups as f64
    } else {
        0.0
    };
    kpi.classifier_accuracy =
        (kpi.images_read > 0).then(|| correct as f64 / kpi.images_read as f64);
    kpi.cost_eur = kpi.truck_km * s.trucks.eur_per_km + kpi.truck_hours * s.trucks.eur_per_hour;
    kpi.collection_km = kpi.truck_km - kpi.haul_km;
    let counts = services.store.pipeline_counts().await?;
    Ok(StackRun {
        result: RunResult {
            scenario: s.name.clone(),
            seed: s.run.seed,
            days: s.run.days,
            bins: n,
            trucks: s.trucks.count,
            kpis: vec![kpi],
            daily: vec![daily],
            head_training_accuracy: None,
            maps: Vec::new(),
            phases: Vec::new(),
            reader: fillroute_scenario::ReaderMode::Model,
            reader_confusion: None,
        },
        uploads,
        service_reports: reports,
        counts,
        plans,
        database: String::new(),
    })
}

/// Waits until every uploaded image is classified or failed.
async fn wait_for_readings(services: &Services, day: usize, uploaded: usize) -> Result<()> {
    const PATIENCE: Duration = Duration::from_secs(300);
    let started = Instant::now();
    loop {
        let c = services.store.pipeline_counts().await?;
        if c.images >= uploaded as i64 && c.pending == 0 {
            return Ok(());
        }
        if started.elapsed() > PATIENCE {
            return Err(StackError::Backlog {
                day,
                waiting: c.pending + (uploaded as i64 - c.images).max(0),
                uploaded,
                seconds: PATIENCE.as_secs(),
                counts: format!("{c:?}"),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

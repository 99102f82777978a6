//! The rest of a day, re-planned: after some stops are done or a truck breaks
//! down, done stops stay as they were, locked stops stay with their truck, and
//! every remaining bin of the plan goes to the trucks still working (each
//! starting where it is, with what it carries) or to an idle truck of the
//! depot. The result is a new draft whose parent is the original plan, so a
//! committed plan is never touched.
//!
//! A working truck starts at its last kept stop (a start depot of its own,
//! ending at home) with that stop's load on board as the planner's initial
//! load: its first trip has only the room left, and after its next disposal
//! visit it carries a full load again.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use fillroute_pipeline::{BinStop, Day, build_day};
use fillroute_planner::{Break, DisposalSite, TimeWindow, Units, Vehicle, check};
use fillroute_roads::{LonLat, NodeId};
use fillroute_store::{
    BinId, NewPlan, NewPlanRoute, NewPlanStop, PlanId, PlanStopRow, StopKind, Store,
};
use time::OffsetDateTime;

use crate::error::{PlanningError, Result};
use crate::job::{
    MAX_SNAP_M, PlanSummary, Progress, ProgressFn, SITE_RADIUS_M, StopInfo, check_time_budget,
    local_midnight, path, region, search, time_route, windows_on,
};
use crate::network::{LoadedNetwork, NetworkCache};
use crate::view::load_plan;

/// What happened since the plan was made.
#[derive(Debug, Clone)]
pub struct ReplanRequest {
    /// The plan being driven.
    pub plan: PlanId,
    /// Bin stops already served (stops before them on the route count as done too).
    pub done_stops: Vec<i64>,
    /// Stops not yet served that must stay with their truck.
    pub locked_stops: Vec<i64>,
    /// Trucks out of service for the rest of the day.
    pub broken_trucks: Vec<i64>,
    /// When the rest of the day starts (`None`: now).
    pub as_of: Option<OffsetDateTime>,
    /// Seconds the route search may take.
    pub time_budget_s: f64,
    /// Search seed.
    pub seed: u64,
    /// The id to write the new plan under, if one was reserved
    /// ([`fillroute_store::Store::reserve_plan_id`]); `None`: a fresh id.
    pub plan_id: Option<PlanId>,
}

fn snap(net: &LoadedNetwork, at: [f64; 2]) -> Option<NodeId> {
    let p = LonLat::new(at[0], at[1]).ok()?;
    net.graph.snap(p, MAX_SNAP_M).ok().map(|s| s.node)
}

fn secs(midnight: OffsetDateTime, t: Option<OffsetDateTime>) -> i64 {
    t.map_or(0, |t| (t - midnight).whole_seconds())
}

/// A truck of the new plan.
struct Working {
    truck: fillroute_store::TruckRow,
    kept: Vec<PlanStopRow>,
    broken: bool,
}

/// Re-plans the rest of `req.plan`'s day and writes it as a new draft.
pub async fn replan_from(
    store: &Store,
    cache: &NetworkCache,
    req: &ReplanRequest,
    now: OffsetDateTime,
    progress: ProgressFn,
) -> Result<PlanSummary> {
    let budget: Duration = check_time_budget(req.time_budget_s)?;
    let view = load_plan(store, req.plan).await?;
    let region = region(store, &view.plan.region_name).await?;
    let midnight = local_midnight(view.plan.date, &region);
    let as_of_s = secs(midnight, Some(req.as_of.unwrap_or(now))).max(0);
    let stop_ids: HashSet<i64> = view
        .routes
        .iter()
        .flat_map(|(_, s)| {
            s.iter()
                .filter(|s| matches!(s.kind, StopKind::Bin(_)))
                .map(|s| s.id)
        })
        .collect();
    for (field, ids) in [
        ("done_stop_ids", &req.done_stops),
        ("locked_stop_ids", &req.locked_stops),
    ] {
        if let Some(bad) = ids.iter().find(|id| !stop_ids.contains(id)) {
            return Err(PlanningError::invalid(
                field,
                bad,
                format!("use ids of bin stops of plan {} (see GetPlan)", req.plan),
            ));
        }
    }
    let trucks = store.trucks_of_depot(region.depot_id).await?;
    if let Some(bad) = req
        .broken_trucks
        .iter()
        .find(|t| !trucks.iter().any(|x| x.id == **t))
    {
        return Err(PlanningError::invalid(
            "broken_truck_ids",
            bad,
            format!(
                "use ids of trucks of depot {} (see GetPlan)",
                region.depot_id
            ),
        ));
    }
    let done: HashSet<i64> = req.done_stops.iter().copied().collect();
    let locked: HashSet<i64> = req.locked_stops.iter().copied().collect();
    let broken: HashSet<i64> = req.broken_trucks.iter().copied().collect();

    // Split every route into the part driven (kept) and the bins still to serve.
    let mut working: Vec<Working> = Vec::new();
    let mut pool: Vec<(PlanStopRow, Option<usize>)> = Vec::new(); // (stop, pinned vehicle)
    for (route, stops) in &view.routes {
        let Some(truck) = trucks.iter().find(|t| t.id == route.truck_id) else {
            continue;
        };
        let last_done = stops
            .iter()
            .rposition(|s| done.contains(&s.id))
            .unwrap_or(0);
        let mut kept: Vec<PlanStopRow> = stops[..=last_done].to_vec();
        for s in kept
            .iter_mut()
            .filter(|s| matches!(s.kind, StopKind::Bin(_)))
        {
            s.status = "done".into();
        }
        let is_broken = broken.contains(&truck.id);
        let vehicle = working.len();
        for s in stops[last_done + 1..]
            .iter()
            .filter(|s| matches!(s.kind, StopKind::Bin(_)))
        {
            let pin = (!is_broken && locked.contains(&s.id)).then_some(vehicle);
            pool.push((s.clone(), pin));
        }
        working.push(Working {
            truck: truck.clone(),
            kept,
            broken: is_broken,
        });
    }
    for t in &trucks {
        if !broken.contains(&t.id) && !working.iter().any(|w| w.truck.id == t.id) {
            let depot_stop = PlanStopRow {
                id: 0,
                route_id: 0,
                seq: 0,
                kind: StopKind::Depot(region.depot_id),
                at: region.depot_at,
                eta: None,
                departs_at: None,
                load_litres: 0,
                expected_fill: None,
                status: "planned".into(),
            };
            working.push(Working {
                truck: t.clone(),
                kept: vec![depot_stop],
                broken: false,
            });
        }
    }

    let net = cache.get(store, region.network).await?;
    let sites = store
        .disposal_sites_near_region(region.id, SITE_RADIUS_M)
        .await?;
    let bins: HashMap<BinId, fillroute_store::RegionBin> = store
        .bins_in_region(region.id)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let decisions: HashMap<BinId, &fillroute_store::NewDecision> = view
        .decisions
        .iter()
        .map(|d| (d.decision.bin, &d.decision))
        .collect();

    // Locations: home depot, sites, each working truck's position, then the bins.
    let home = snap(&net, region.depot_at).ok_or_else(|| {
        PlanningError::invalid(
            "region.depot",
            &region.depot_name,
            "move the depot onto the road network",
        )
    })?;
    let mut nodes = vec![home];
    let mut day = Day {
        depots: vec![("home".to_owned(), 0)],
        ..Day::default()
    };
    for s in &sites {
        if let Some(n) = snap(&net, [s.lon, s.lat]) {
            day.sites.push(DisposalSite {
                id: s.name.clone(),
                location: nodes.len(),
                hours: TimeWindow::new(s.opens_s.into(), s.closes_s.into()),
                unload_time: s.service_time_s.into(),
                accepts: u64::MAX,
            });
            nodes.push(n);
        }
    }
    day.final_disposal = !day.sites.is_empty();
    let weekday = view.plan.date.weekday().number_days_from_monday() as i16;
    let mut vehicles = Vec::new(); // (working index, vehicle index)
    for (w, wk) in working.iter().enumerate().filter(|(_, w)| !w.broken) {
        let last = wk.kept.last().cloned();
        let start = last.as_ref().and_then(|s| snap(&net, s.at)).unwrap_or(home);
        let depot = day.depots.len();
        day.depots
            .push((format!("{} now", wk.truck.truck.name), nodes.len()));
        nodes.push(start);
        let capacity = i64::from(wk.truck.truck.capacity_litres);
        // A load timed from estimates may round past the capacity; the
        // truck is then full, not fuller.
        let load = last
            .as_ref()
            .map_or(0, |s| i64::from(s.load_litres).min(capacity).max(0));
        let ready = last.as_ref().map_or(0, |s| secs(midnight, s.departs_at));
        let mut v = Vehicle::truck(
            wk.truck.truck.name.clone(),
            capacity,
            depot,
            TimeWindow::new(
                i64::from(wk.truck.truck.shift_start_s)
                    .max(as_of_s)
                    .max(ready),
                wk.truck.truck.shift_end_s.into(),
            ),
            wk.truck.truck.cost_per_km,
            wk.truck.truck.cost_per_hour,
        );
        v.end_depot = 0;
        v.initial_load = vec![load];
        let lunch_taken = wk.kept.iter().any(|s| s.kind == StopKind::Break);
        if region.lunch_minutes > 0
            && !lunch_taken
            && v.shift.early <= i64::from(region.lunch_closes_s)
        {
            v.break_ = Some(Break {
                window: TimeWindow::new(region.lunch_opens_s.into(), region.lunch_closes_s.into()),
                duration: i64::from(region.lunch_minutes) * 60,
            });
        }
        if vehicles.len() < 64 {
            v.skills = 1 << vehicles.len();
        }
        vehicles.push((w, v.clone()));
        day.trucks.push(v);
    }
    let mut all_info = Vec::new();
    let mut unroutable = Vec::new();
    for (s, pin) in &pool {
        let StopKind::Bin(bin) = s.kind else { continue };
        let (Some(node), Some(row)) = (snap(&net, s.at), bins.get(&bin)) else {
            unroutable.push(bin);
            continue;
        };
        let dec = decisions.get(&bin);
        // The plan's expected fill at this stop, as the original plan sized it.
        let demand = (f64::from(s.expected_fill.unwrap_or(0.5)).clamp(0.0, 1.2)
            * f64::from(row.capacity_litres))
        .ceil()
        .max(1.0) as i32;
        let skills = match pin.and_then(|w| vehicles.iter().position(|(x, _)| *x == w)) {
            Some(v) if v < 64 => 1 << v,
            _ => 0,
        };
        day.stops.push(BinStop {
            id: bin.to_string(),
            location: nodes.len(),
            litres: demand.into(),
            service_s: row.service_time_s.into(),
            windows: windows_on(&row.windows, weekday),
            prize: dec
                .filter(|d| d.action == fillroute_forecast::Action::May)
                .and_then(|d| d.prize)
                .map(|p| (p * 1000.0).round() as Units),
            skills,
        });
        nodes.push(node);
        all_info.push(StopInfo {
            bin,
            demand,
            fill: s.expected_fill,
        });
    }
    if vehicles.is_empty() {
        return Err(PlanningError::invalid(
            "broken_truck_ids",
            format!("{:?}", req.broken_trucks),
            "at least one truck must still work to re-plan the rest of the day",
        ));
    }
    let matrix = net.matrix(&nodes)?;
    progress(Progress::Matrix {
        points: nodes.len(),
    });
    let dist: Vec<f64> = matrix.distance_m.iter().map(|&x| f64::from(x)).collect();
    let dur: Vec<f64> = matrix.duration_s.iter().map(|&x| f64::from(x)).collect();
    let built = build_day(&dist, &dur, &day)
        .map_err(|e| PlanningError::Internal(format!("planner model: {e}")))?;
    let info: Vec<StopInfo> = built.stop_of.iter().map(|&k| all_info[k].clone()).collect();
    let refused: Vec<(BinId, String)> = built
        .refused
        .iter()
        .map(|(k, why)| (all_info[*k].bin, why.clone()))
        .collect();
    let instance = built.instance;
    let seed = req.seed;
    let (instance, solution, iterations) = tokio::task::spawn_blocking(move || {
        let (solution, iterations) = search(&instance, budget, seed, &progress);
        (instance, solution, iterations)
    })
    .await
    .map_err(|e| PlanningError::Internal(format!("search thread: {e}")))?;
    let report = check(&instance, &solution);
    // Must-collect bins left off every route are not a broken plan: each is
    // reported with the planner's reason. Only a violated rule is.
    if !report.violations.is_empty() {
        return Err(PlanningError::Checker(report.violations.join("; ")));
    }
    let mut checked_routes = 0;
    let mut unserved: HashMap<BinId, String> = unroutable
        .iter()
        .map(|&b| (b, "no road route to the bin".to_owned()))
        .collect();
    for &(i, reason) in &solution.unserved {
        unserved.insert(info[i].bin, format!("planner: {reason}"));
    }
    for (bin, why) in refused {
        unserved.insert(bin, why);
    }

    let mut routes = Vec::new();
    let mut served = 0;
    for (w, wk) in working.iter().enumerate() {
        let vehicle = vehicles.iter().position(|(x, _)| *x == w);
        let planned = vehicle.and_then(|v| solution.routes.iter().find(|r| r.vehicle == v));
        let idle = wk.kept.len() == 1 && wk.kept[0].id == 0;
        if (wk.broken && wk.kept.len() <= 1) || (idle && planned.is_none()) {
            continue;
        }
        let mut stops: Vec<NewPlanStop> = Vec::new();
        let mut path_nodes: Vec<NodeId> = Vec::new();
        for s in &wk.kept {
            if let Some(n) = snap(&net, s.at) {
                path_nodes.push(n);
            }
            let eta = s.eta.unwrap_or(midnight + time::Duration::seconds(as_of_s));
            stops.push(NewPlanStop {
                kind: s.kind,
                eta,
                departs_at: s.departs_at.unwrap_or(eta),
                load_litres: s.load_litres,
                expected_fill: s.expected_fill,
                status: s.status.clone(),
            });
        }
        let (mut distance_m, mut load) = (0.0, 0);
        if let Some(v) = vehicle {
            let visits = planned.map_or(&[][..], |r| &r.visits[..]);
            let alone = planned.map(|r| crate::job::route_alone(&instance, r));
            if alone.is_none_or(|one| check(&instance, &one).violations.is_empty()) {
                checked_routes += 1;
            }
            // The load on board, as the planner started the truck with it.
            let initial = instance.vehicles()[v].initial_load_in(0) as i32;
            let timed = time_route(
                &instance,
                &nodes,
                &info,
                &sites,
                region.depot_id,
                v,
                visits,
                midnight,
                initial,
            );
            served += planned.map_or(0, |r| r.stops().count());
            for mut s in timed.stops.into_iter().skip(usize::from(!idle)) {
                if let StopKind::Bin(bin) = s.kind
                    && pool
                        .iter()
                        .any(|(p, _)| p.kind == StopKind::Bin(bin) && locked.contains(&p.id))
                {
                    s.status = "locked".into();
                }
                stops.push(s);
            }
            path_nodes.extend(timed.nodes.into_iter().skip(1));
            distance_m += timed.distance_m;
            load += timed.load;
        }
        if idle {
            stops.remove(0);
        }
        let (line, driven) = path(&net, &path_nodes)?;
        let first = stops.first().map(|s| s.eta).unwrap_or(midnight);
        let last = stops.last().map(|s| s.departs_at).unwrap_or(midnight);
        routes.push(NewPlanRoute {
            truck_id: wk.truck.id,
            path: line,
            distance_m: driven.max(distance_m),
            duration_s: (last - first).as_seconds_f64(),
            load_litres: load,
            stops,
        });
    }
    let decisions: Vec<_> = view
        .decisions
        .iter()
        .map(|d| {
            let mut d = d.decision.clone();
            if pool.iter().any(|(s, _)| s.kind == StopKind::Bin(d.bin)) {
                d.unserved_reason = unserved.get(&d.bin).cloned();
            }
            d
        })
        .collect();
    let unserved_must: Vec<(BinId, String)> = decisions
        .iter()
        .filter(|d| d.action == fillroute_forecast::Action::Must)
        .filter_map(|d| d.unserved_reason.clone().map(|r| (d.bin, r)))
        .collect();
    let count = |a: fillroute_forecast::Action| decisions.iter().filter(|d| d.action == a).count();
    let (must, may, skip) = (
        count(fillroute_forecast::Action::Must),
        count(fillroute_forecast::Action::May),
        count(fillroute_forecast::Action::Skip),
    );
    let plan = NewPlan {
        id: req.plan_id,
        region: region.id,
        date: view.plan.date,
        horizon_start: midnight,
        horizon_end: midnight + time::Duration::days(1),
        network: (net.id, net.version),
        parent: Some(req.plan),
        solver: format!("replan of plan {}: fillroute-planner, {iterations} iterations", req.plan),
        params_json: serde_json::json!({
            "done_stop_ids": req.done_stops, "locked_stop_ids": req.locked_stops,
            "broken_truck_ids": req.broken_trucks, "as_of_s": as_of_s, "time_budget_s": req.time_budget_s
        })
        .to_string(),
        objective: report.objective as f64,
        distance_m: routes.iter().map(|r| r.distance_m).sum(),
        duration_s: routes.iter().map(|r| r.duration_s).sum(),
        routes,
        decisions,
    };
    let id = store.save_plan(&plan).await?;
    tracing::info!(plan = %id, parent = %req.plan, routes = plan.routes.len(), "re-plan written");
    Ok(PlanSummary {
        plan: id,
        routes: plan.routes.len(),
        checked_routes,
        served,
        must,
        may,
        skip,
        unserved_must,
        distance_m: plan.distance_m,
        duration_s: plan.duration_s,
        iterations,
        // The plan's decisions are kept, not taken again.
        areas_today: None,
        emergencies: 0,
    })
}

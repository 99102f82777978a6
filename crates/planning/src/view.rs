//! Stored plans read back whole, and drawn: an offline HTML map (through
//! `fillroute-routemap`) and a GeoJSON FeatureCollection of the same data.

use fillroute_routemap::{BinMark, MapData, Place, RouteLine};
use fillroute_store::{DecisionRow, PlanId, PlanRouteRow, PlanRow, PlanStopRow, StopKind, Store};
use serde_json::{Value, json};

use crate::error::{PlanningError, Result};
use crate::network::NetworkCache;

/// A plan with its routes, stops and every bin's decision.
#[derive(Debug, Clone)]
pub struct PlanView {
    /// Header.
    pub plan: PlanRow,
    /// Routes with their stops, in order.
    pub routes: Vec<(PlanRouteRow, Vec<PlanStopRow>)>,
    /// Decisions, by bin.
    pub decisions: Vec<DecisionRow>,
}

impl PlanView {
    /// Must-collect bins on no route, with the reason.
    pub fn unserved(&self) -> impl Iterator<Item = &DecisionRow> {
        self.decisions.iter().filter(|d| {
            d.decision.unserved_reason.is_some()
                && d.decision.action != fillroute_forecast::Action::Skip
        })
    }
}

/// Reads plan `id` whole.
pub async fn load_plan(store: &Store, id: PlanId) -> Result<PlanView> {
    let plan = store
        .plan(id)
        .await?
        .ok_or_else(|| PlanningError::NotFound {
            what: "plan",
            id: id.to_string(),
            hint: "; a plan whose PlanDay or ReplanFrom stream has not said `done` yet is still being computed".into(),
        })?;
    let mut stops = store.plan_stops(id).await?;
    let routes = store
        .plan_routes(id)
        .await?
        .into_iter()
        .map(|r| {
            let mine: Vec<PlanStopRow> = stops
                .iter()
                .filter(|s| s.route_id == r.id)
                .cloned()
                .collect();
            stops.retain(|s| s.route_id != r.id);
            (r, mine)
        })
        .collect();
    let decisions = store.plan_decisions(id).await?;
    Ok(PlanView {
        plan,
        routes,
        decisions,
    })
}

/// Commits a draft; a committed plan is never changed again.
pub async fn commit_plan(store: &Store, id: PlanId) -> Result<PlanView> {
    store.commit_plan(id).await?;
    load_plan(store, id).await
}

/// The map of a plan: roads around it, depot and sites, bins coloured by
/// fill, one colour per route, unserved bins marked with their reason.
pub async fn plan_map(store: &Store, cache: &NetworkCache, view: &PlanView) -> Result<MapData> {
    let p = &view.plan;
    let mut map = MapData::new(format!("Plan {} — {} — {}", p.id, p.region_name, p.date));
    map.subtitle = format!(
        "{} · {} routes · {:.1} km · {:.1} h · {}",
        p.status,
        view.routes.len(),
        p.distance_m / 1000.0,
        p.duration_s / 3600.0,
        p.solver
    );
    let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    let mut grow = |at: [f64; 2]| {
        bbox = [
            bbox[0].min(at[0]),
            bbox[1].min(at[1]),
            bbox[2].max(at[0]),
            bbox[3].max(at[1]),
        ];
    };
    let mut route_of = std::collections::HashMap::new();
    for (k, (r, stops)) in view.routes.iter().enumerate() {
        r.path.iter().for_each(|&at| grow(at));
        let bins = stops
            .iter()
            .filter(|s| matches!(s.kind, StopKind::Bin(_)))
            .count();
        let mut line = RouteLine::new(r.truck_name.clone(), r.path.clone());
        line.summary = format!(
            "{bins} bins · {:.1} km · {} l",
            r.distance_m / 1000.0,
            r.load_litres
        );
        map.routes.push(line);
        for s in stops {
            match s.kind {
                StopKind::Bin(b) => {
                    route_of.insert(b, k);
                }
                StopKind::Disposal(id)
                    if !map
                        .disposal_sites
                        .iter()
                        .any(|x| x.name.ends_with(&format!("#{id}"))) =>
                {
                    map.disposal_sites
                        .push(Place::new(format!("disposal site #{id}"), s.at));
                }
                StopKind::Depot(id) if map.depots.is_empty() => {
                    map.depots.push(Place::new(format!("depot #{id}"), s.at));
                }
                _ => {}
            }
        }
    }
    let overview = store
        .fleet_overview(
            fillroute_store::Area {
                region: Some(p.region),
                bbox: None,
            },
            0,
            None,
        )
        .await?;
    for d in &view.decisions {
        let Some(b) = overview.iter().find(|b| b.id == d.decision.bin) else {
            continue;
        };
        grow([b.lon, b.lat]);
        map.bins.push(BinMark {
            id: b.id.to_string(),
            at: [b.lon, b.lat],
            fill: d.decision.fill_now,
            route: route_of.get(&b.id).copied(),
            unserved: d
                .decision
                .unserved_reason
                .clone()
                .filter(|_| d.decision.action != fillroute_forecast::Action::Skip),
            note: d.decision.explanation.clone(),
        });
    }
    // Roads within the plan's extent (plus a margin), not the whole country.
    let net = cache.get(store, p.network.0).await?;
    let m = 0.005;
    let inside = |q: fillroute_roads::LonLat| {
        q.lon() >= bbox[0] - m
            && q.lon() <= bbox[2] + m
            && q.lat() >= bbox[1] - m
            && q.lat() <= bbox[3] + m
    };
    let g = net.graph.graph();
    for e in g.raw_edges() {
        let (a, b) = (g[e.source()].pos, g[e.target()].pos);
        // Each two-way street once.
        if e.source().index() < e.target().index() && inside(a) && inside(b) {
            map.roads.push(vec![[a.lon(), a.lat()], [b.lon(), b.lat()]]);
        }
    }
    Ok(map)
}

fn ts(t: Option<time::OffsetDateTime>) -> Value {
    t.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .map_or(Value::Null, Value::String)
}

/// The plan as a GeoJSON FeatureCollection: one LineString per route, one
/// Point per stop, and one Point per unserved bin with its reason.
pub fn plan_geojson(view: &PlanView) -> Value {
    let mut features = Vec::new();
    for (r, stops) in &view.routes {
        features.push(json!({
            "type": "Feature",
            "geometry": serde_json::from_str::<Value>(&r.geojson).unwrap_or(Value::Null),
            "properties": {"kind": "route", "route_id": r.id, "truck": r.truck_name, "truck_id": r.truck_id,
                           "distance_m": r.distance_m, "duration_s": r.duration_s, "load_litres": r.load_litres}
        }));
        for s in stops {
            let (kind, id) = stop_kind(s.kind);
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": s.at},
                "properties": {"kind": kind, "id": id, "stop_id": s.id, "route_id": r.id, "seq": s.seq,
                               "eta": ts(s.eta), "departs_at": ts(s.departs_at), "load_litres": s.load_litres,
                               "expected_fill": s.expected_fill, "status": s.status}
            }));
        }
    }
    for d in view.unserved() {
        features.push(json!({
            "type": "Feature",
            "geometry": Value::Null,
            "properties": {"kind": "unserved", "bin_id": d.decision.bin.0, "action": d.decision.action,
                           "reason": d.decision.unserved_reason, "decision": d.decision.explanation}
        }));
    }
    json!({
        "type": "FeatureCollection",
        "properties": {"plan_id": view.plan.id.0, "region": view.plan.region_name, "date": view.plan.date.to_string(),
                       "status": view.plan.status, "distance_m": view.plan.distance_m,
                       "duration_s": view.plan.duration_s, "attribution": "© OpenStreetMap contributors"},
        "features": features
    })
}

/// `(kind, referenced id)` of a stop, as text for APIs.
pub fn stop_kind(k: StopKind) -> (&'static str, i64) {
    match k {
        StopKind::Bin(b) => ("bin", b.0),
        StopKind::Disposal(s) => ("disposal", s),
        StopKind::Depot(d) => ("depot", d),
        StopKind::Break => ("break", 0),
    }
}

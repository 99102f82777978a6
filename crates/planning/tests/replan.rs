//! Re-planning the rest of a day on the real Andorra network, a real PostGIS
//! database per test.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;

use fillroute_planning::job::{PlanRequest, plan_day};
use fillroute_planning::view::load_plan;
use fillroute_planning::{ReplanRequest, replan_from};
use fillroute_store::StopKind;

fn quiet() -> fillroute_planning::ProgressFn {
    Arc::new(|_| {})
}

/// Small trucks, so that one truck's day takes several trips.
const CAPACITY_L: i32 = 2500;

#[tokio::test]
async fn a_truck_replanned_with_a_load_on_board_unloads_and_then_carries_a_full_load() {
    let city = common::andorra(18, 1).await;
    let psql = std::process::Command::new("psql")
        .args([
            &city.db.url(),
            "-c",
            &format!("UPDATE trucks SET capacity_litres = {CAPACITY_L}"),
        ])
        .output()
        .unwrap();
    assert!(psql.status.success(), "{psql:?}");
    let req = PlanRequest::new(&city.region, city.tomorrow(), 1.0);
    let first = plan_day(city.store(), &city.cache, &req, city.now, quiet())
        .await
        .unwrap();
    let view = load_plan(city.store(), first.plan).await.unwrap();
    let (_, stops) = &view.routes[0];

    // The truck reports the last bin of its first trip: it is as full as it gets.
    let unload = stops
        .iter()
        .position(|s| matches!(s.kind, StopKind::Disposal(_)))
        .unwrap();
    let done = stops[..unload]
        .iter()
        .rev()
        .find(|s| matches!(s.kind, StopKind::Bin(_)))
        .unwrap();
    let on_board = done.load_litres;
    assert!(
        stops[unload..]
            .iter()
            .any(|s| matches!(s.kind, StopKind::Bin(_))),
        "the day has more than one trip: {stops:?}"
    );
    let replan = ReplanRequest {
        plan: first.plan,
        done_stops: vec![done.id],
        locked_stops: Vec::new(),
        broken_trucks: Vec::new(),
        as_of: None,
        time_budget_s: 1.0,
        seed: 1,
        plan_id: None,
    };
    let summary = replan_from(city.store(), &city.cache, &replan, city.now, quiet())
        .await
        .unwrap();
    assert_eq!(summary.checked_routes, summary.routes);
    assert!(
        summary.unserved_must.is_empty(),
        "with {on_board} l on board, every must bin still fits after an unload: {:?}",
        summary.unserved_must
    );

    // After its first unload the truck has its whole capacity again.
    let view = load_plan(city.store(), summary.plan).await.unwrap();
    let (_, stops) = &view.routes[0];
    let kept = stops.iter().rposition(|s| s.status == "done").unwrap();
    let unload = kept
        + stops[kept..]
            .iter()
            .position(|s| matches!(s.kind, StopKind::Disposal(_)))
            .unwrap();
    let heaviest = stops[unload..].iter().map(|s| s.load_litres).max().unwrap();
    assert!(
        heaviest > CAPACITY_L - on_board,
        "a later trip carries {heaviest} l, no more than the {} l left on the first: {stops:?}",
        CAPACITY_L - on_board
    );
    assert!(heaviest <= CAPACITY_L);
}

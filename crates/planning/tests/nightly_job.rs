//! The nightly job on the real Andorra network, a real PostGIS database per test.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::{Arc, Mutex};

use fillroute_planning::PlanningError;
use fillroute_planning::job::{PlanRequest, Progress, plan_day};
use fillroute_planning::view::{commit_plan, load_plan, plan_geojson, plan_map};
use fillroute_store::{NewBin, StopKind};

fn quiet() -> fillroute_planning::ProgressFn {
    Arc::new(|_| {})
}

#[tokio::test]
async fn nightly_job_routes_every_must_bin_or_says_why_and_writes_one_draft() {
    let city = common::andorra(12, 2).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let req = PlanRequest::new(&city.region, city.tomorrow(), 1.0);
    let summary = plan_day(
        city.store(),
        &city.cache,
        &req,
        city.now,
        Arc::new(move |p| log.lock().unwrap().push(p)),
    )
    .await
    .unwrap();
    assert!(
        summary.must >= 3,
        "fast-filling bins must be collected: {summary:?}"
    );
    assert!(summary.routes >= 1);
    assert_eq!(
        summary.checked_routes, summary.routes,
        "the checker accepts every route"
    );
    assert!(
        summary.unserved_must.is_empty(),
        "{:?}",
        summary.unserved_must
    );
    let progress = seen.lock().unwrap().clone();
    assert!(matches!(progress.last(), Some(Progress::Written { .. })));
    assert!(
        progress
            .iter()
            .any(|p| matches!(p, Progress::Solving { done, .. } if *done >= 1.0))
    );

    let view = load_plan(city.store(), summary.plan).await.unwrap();
    assert_eq!(view.plan.status, "draft");
    assert_eq!(view.decisions.len(), 12, "every bin's decision is stored");
    for d in &view.decisions {
        assert!(!d.decision.explanation.is_empty());
        assert!(
            d.decision.numbers_json.contains("p_overflow"),
            "{}",
            d.decision.numbers_json
        );
    }
    let on_routes: Vec<_> = view
        .routes
        .iter()
        .flat_map(|(_, s)| {
            s.iter().filter_map(|s| match s.kind {
                StopKind::Bin(b) => Some(b),
                _ => None,
            })
        })
        .collect();
    for d in view
        .decisions
        .iter()
        .filter(|d| d.decision.action == fillroute_forecast::Action::Must)
    {
        assert!(on_routes.contains(&d.decision.bin) || d.decision.unserved_reason.is_some());
    }
    for (route, stops) in &view.routes {
        assert!(route.path.len() >= 2 && route.distance_m > 0.0);
        assert!(matches!(stops.first().unwrap().kind, StopKind::Depot(_)));
        assert!(matches!(stops.last().unwrap().kind, StopKind::Depot(_)));
        assert!(
            stops
                .iter()
                .any(|s| matches!(s.kind, StopKind::Disposal(_))),
            "trucks empty before returning"
        );
        // A crew still out when the lunch window's latest start passes takes
        // its break; one back at the depot by then needs none.
        let local = time::UtcOffset::from_whole_seconds(3600).unwrap();
        let back = stops
            .last()
            .unwrap()
            .eta
            .expect("timed")
            .to_offset(local)
            .time();
        let breaks = stops
            .iter()
            .filter(|s| matches!(s.kind, StopKind::Break))
            .count();
        let out_at_lunch = back > time::Time::from_hms(13, 30, 0).unwrap();
        assert_eq!(
            breaks,
            usize::from(out_at_lunch),
            "drivers get lunch when they are out at lunch time"
        );
        assert!(
            stops.windows(2).all(|w| w[0].eta <= w[1].eta),
            "ETAs in order"
        );
    }
    let geojson = plan_geojson(&view);
    assert_eq!(geojson["type"], "FeatureCollection");
    let map = plan_map(city.store(), &city.cache, &view).await.unwrap();
    let html = fillroute_routemap::render_html(&map);
    assert!(html.contains("© OpenStreetMap contributors") && !map.roads.is_empty());
}

#[tokio::test]
async fn rerun_replaces_the_draft_but_never_a_committed_plan() {
    let city = common::andorra(6, 1).await;
    let req = PlanRequest::new(&city.region, city.tomorrow(), 0.3);
    let first = plan_day(city.store(), &city.cache, &req, city.now, quiet())
        .await
        .unwrap();
    let second = plan_day(city.store(), &city.cache, &req, city.now, quiet())
        .await
        .unwrap();
    assert!(
        matches!(
            load_plan(city.store(), first.plan).await,
            Err(PlanningError::NotFound { .. })
        ),
        "draft replaced"
    );
    commit_plan(city.store(), second.plan).await.unwrap();
    let err = plan_day(city.store(), &city.cache, &req, city.now, quiet())
        .await
        .unwrap_err();
    assert!(matches!(err, PlanningError::Conflict(_)), "{err:?}");
    assert_eq!(
        load_plan(city.store(), second.plan)
            .await
            .unwrap()
            .plan
            .status,
        "committed"
    );
    let again = commit_plan(city.store(), second.plan).await.unwrap_err();
    assert!(matches!(again, PlanningError::Conflict(_)), "{again:?}");
    // The schema refuses to change a committed plan behind the service's back too.
    let raw = sqlx_update(city.db.url(), second.plan.0).await;
    assert!(raw.contains("committed"), "{raw}");
}

async fn sqlx_update(url: String, plan: i64) -> String {
    let out = std::process::Command::new("psql")
        .args([
            &url,
            "-c",
            &format!("UPDATE plans SET objective = 0 WHERE id = {plan}"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn unknown_region_is_not_found_and_lists_the_known_ones() {
    let city = common::andorra(3, 1).await;
    let req = PlanRequest::new("atlantis", city.tomorrow(), 1.0);
    let err = plan_day(city.store(), &city.cache, &req, city.now, quiet())
        .await
        .unwrap_err();
    assert!(
        matches!(err, PlanningError::NotFound { what: "region", .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("known regions: andorra"), "{err}");
}

#[tokio::test]
async fn a_past_date_is_refused_for_a_new_plan() {
    let city = common::andorra(3, 1).await;
    let req = PlanRequest::new(&city.region, city.now.date() - time::Duration::days(2), 1.0);
    let err = plan_day(city.store(), &city.cache, &req, city.now, quiet())
        .await
        .unwrap_err();
    assert!(
        matches!(err, PlanningError::Invalid { field: "date", .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_far_future_date_is_refused_naming_the_date_not_a_panic() {
    let city = common::andorra(3, 1).await;
    let last = time::Date::from_calendar_date(9999, time::Month::December, 31).unwrap();
    for date in [last, city.tomorrow() + time::Duration::days(400)] {
        let req = PlanRequest::new(&city.region, date, 1.0);
        let err = plan_day(city.store(), &city.cache, &req, city.now, quiet())
            .await
            .unwrap_err();
        assert!(
            matches!(err, PlanningError::Invalid { field: "date", .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("days ahead"), "{err}");
    }
}

#[tokio::test]
async fn crews_start_collecting_when_their_shift_starts_not_after_lunch() {
    let city = common::andorra(8, 1).await;
    for seed in 1..=6 {
        let mut req = PlanRequest::new(&city.region, city.tomorrow(), 0.5);
        req.seed = seed;
        let summary = plan_day(city.store(), &city.cache, &req, city.now, quiet())
            .await
            .unwrap();
        let view = load_plan(city.store(), summary.plan).await.unwrap();
        assert!(!view.routes.is_empty());
        for (_, stops) in &view.routes {
            let departs = stops.first().unwrap().departs_at.unwrap();
            let first_bin = stops
                .iter()
                .find(|s| matches!(s.kind, StopKind::Bin(_)))
                .unwrap();
            // Bins with a 07:00 window may make a truck wait, never until lunch.
            assert!(
                first_bin.eta.unwrap() - departs < time::Duration::hours(2),
                "seed {seed}: first bin at {:?} after leaving at {departs}: {stops:#?}",
                first_bin.eta
            );
        }
    }
}

#[tokio::test]
async fn on_a_friday_each_bin_is_decided_up_to_monday_the_regions_next_working_day() {
    let city = common::andorra(6, 1).await;
    let mut friday = city.tomorrow();
    while friday.weekday() != time::Weekday::Friday {
        friday = friday.next_day().unwrap();
    }
    let req = PlanRequest::new(&city.region, friday, 0.5);
    let summary = plan_day(city.store(), &city.cache, &req, city.now, quiet())
        .await
        .unwrap();
    let view = load_plan(city.store(), summary.plan).await.unwrap();
    let midnight = friday
        .midnight()
        .assume_offset(time::UtcOffset::from_hms(1, 0, 0).unwrap());
    for d in view
        .decisions
        .iter()
        .filter(|d| d.decision.reason != "no_forecast")
    {
        let numbers: serde_json::Value = serde_json::from_str(&d.decision.numbers_json).unwrap();
        let horizon = numbers["horizon"].as_i64().unwrap();
        let days = (horizon - midnight.unix_timestamp()) as f64 / 86_400.0;
        assert!(
            (3.0..3.5).contains(&days),
            "horizon {days:.2} days after Friday: {numbers}"
        );
    }
}

#[tokio::test]
async fn time_budget_must_be_positive() {
    let city = common::andorra(3, 1).await;
    for budget in [0.0, -5.0, f64::NAN] {
        let req = PlanRequest::new(&city.region, city.tomorrow(), budget);
        let err = plan_day(city.store(), &city.cache, &req, city.now, quiet())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                PlanningError::Invalid {
                    field: "time_budget",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn a_bin_with_no_road_route_to_the_depot_is_reported_not_a_crash() {
    let city = common::andorra(4, 1).await;
    // In the region's polygon but in the French mountains, far from any road of the extract.
    let stranded = city
        .store()
        .insert_bin(&NewBin {
            rate_prior: None,
            lon: 1.79,
            lat: 42.65,
            capacity_litres: 1100,
            waste_stream: "residual".into(),
            service_time_s: 90,
            container_type: "1100l-wheelie".into(),
            customer: "refuge".into(),
            time_windows: vec![],
        })
        .await
        .unwrap();
    city.store()
        .request_collection(stranded, "customer")
        .await
        .unwrap();
    let req = PlanRequest::new(&city.region, city.tomorrow(), 0.5);
    let summary = plan_day(city.store(), &city.cache, &req, city.now, quiet())
        .await
        .unwrap();
    let (bin, reason) = summary
        .unserved_must
        .iter()
        .find(|(b, _)| *b == stranded)
        .unwrap();
    assert_eq!(*bin, stranded);
    assert!(reason.contains("no road route"), "{reason}");
    assert_eq!(summary.checked_routes, summary.routes);
}

#[tokio::test]
async fn may_collect_prizes_include_the_saved_future_visit() {
    let city = common::andorra(12, 2).await;
    let req = PlanRequest::new(&city.region, city.tomorrow(), 1.0);
    let summary = plan_day(city.store(), &city.cache, &req, city.now, quiet())
        .await
        .unwrap();
    assert!(summary.may >= 1, "fullish bins are optional: {summary:?}");
    let view = load_plan(city.store(), summary.plan).await.unwrap();
    for d in view
        .decisions
        .iter()
        .filter(|d| d.decision.action == fillroute_forecast::Action::May)
    {
        let d = &d.decision;
        let numbers: serde_json::Value = serde_json::from_str(&d.numbers_json).unwrap();
        let p_overflow = numbers["p_overflow"].as_f64().unwrap();
        let overflow_cost = req.policy.overflow_cost;
        let saved = d.prize.unwrap() - p_overflow * overflow_cost;
        // A separate trip to a bin kilometres from the depot costs at least a few
        // currency units at 1/km; collecting it now saves that, scaled by its fill.
        assert!(
            saved > 0.5,
            "bin {}: prize {:?} carries no future-visit saving: {}",
            d.bin,
            d.prize,
            d.explanation
        );
        assert!(
            d.explanation.contains("saved future visit"),
            "{}",
            d.explanation
        );
    }
}

#[tokio::test]
async fn must_bins_the_fleet_cannot_reach_are_stored_with_a_reason_not_an_error() {
    let city = common::andorra(9, 0).await;
    let store = city.store();
    let region = store.region_by_name(&city.region).await.unwrap().unwrap();
    // One truck with a 20-minute shift: far too short for every must-collect bin.
    store
        .insert_truck(&fillroute_store::NewTruck {
            name: "short shift".into(),
            depot_id: region.depot_id,
            capacity_litres: 6000,
            shift_start_s: 6 * 3600,
            shift_end_s: 6 * 3600 + 1200,
            cost_per_km: 1.0,
            cost_per_hour: 40.0,
        })
        .await
        .unwrap();
    let req = PlanRequest::new(&city.region, city.tomorrow(), 1.0);
    let summary = plan_day(store, &city.cache, &req, city.now, quiet())
        .await
        .unwrap();
    assert!(summary.must >= 3, "{summary:?}");
    assert!(!summary.unserved_must.is_empty(), "{summary:?}");
    assert_eq!(
        summary.checked_routes, summary.routes,
        "each route passes the checker on its own, unserved bins or not"
    );
    for (bin, reason) in &summary.unserved_must {
        assert!(reason.starts_with("planner:"), "bin {bin}: {reason}");
    }
    let view = load_plan(store, summary.plan).await.unwrap();
    assert_eq!(
        view.plan.status, "draft",
        "the plan is stored for the dispatcher"
    );
}

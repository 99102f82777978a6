//! PlannerService over real gRPC (port 0) on a real PostGIS database per test,
//! with the Andorra road network.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../../planning/tests/common/mod.rs"]
mod common;

use std::collections::HashSet;

use fillroute_planning_server::Tokens;
use fillroute_proto::planner::v1 as pb;
use fillroute_proto::planner::v1::planner_service_client::PlannerServiceClient;
use futures::StreamExt;
use tonic::transport::Channel;
use tonic::{Code, Request};

const PLANNER: &str = "planner-token-0123456789";
const DASHBOARD: &str = "dashboard-token-0123456789";

async fn serve(city: &common::City) -> PlannerServiceClient<Channel> {
    PlannerServiceClient::new(serve_channel(city).await)
}

/// Starts the planner service on port 0 and connects a channel to it.
async fn serve_channel(city: &common::City) -> Channel {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let tokens = Tokens {
        dashboard: DASHBOARD.into(),
        planner: PLANNER.into(),
    };
    tokio::spawn(fillroute_planning_server::run(
        listener,
        city.store().clone(),
        tokens,
        std::future::pending(),
    ));
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap();
    for _ in 0..50 {
        if let Ok(c) = endpoint.connect().await {
            return c;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("server did not start");
}

fn auth<T>(token: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// `WatchFill` over the city's region, polled every 100 ms, alerting at `alert_fill`.
fn watch_region(city: &common::City, alert_fill: f64) -> pb::WatchFillRequest {
    pb::WatchFillRequest {
        area: Some(pb::Area {
            area: Some(pb::area::Area::Region(city.region.clone())),
        }),
        alert_fill,
        poll_ms: 100,
    }
}

/// Drains a planning stream: the first message is `accepted` and names the
/// plan id at once, the last is `done` for that same plan.
async fn finish(mut s: tonic::Streaming<pb::PlanProgress>) -> pb::plan_progress::Done {
    use pb::plan_progress::Event;
    let first = s.next().await.unwrap().unwrap();
    let Some(Event::Accepted(accepted)) = first.event else {
        panic!("first message is not accepted: {first:?}")
    };
    assert!(accepted.plan_id > 0, "{accepted:?}");
    let mut steps = 0;
    while let Some(m) = s.next().await {
        match m.unwrap().event {
            Some(Event::Step(_)) => steps += 1,
            Some(Event::Done(d)) => {
                assert!(steps > 0, "progress is reported");
                assert_eq!(d.plan_id, accepted.plan_id, "done names the announced plan");
                return d;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    panic!("stream ended without done");
}

fn bins_on_routes(plan: &pb::Plan) -> HashSet<i64> {
    plan.routes
        .iter()
        .flat_map(|r| r.stops.iter().filter(|s| s.kind == "bin").map(|s| s.ref_id))
        .collect()
}

#[tokio::test]
async fn nightly_plan_over_grpc_then_breakdown_replan_keeps_done_stops_and_reassigns_the_rest() {
    let city = common::andorra(12, 2).await;
    let mut c = serve(&city).await;
    let day = pb::PlanDayRequest {
        region: city.region.clone(),
        date: city.tomorrow().to_string(),
        time_budget_s: 1.0,
        ..Default::default()
    };
    let denied = c.plan_day(auth(DASHBOARD, day.clone())).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let done = finish(c.plan_day(auth(PLANNER, day)).await.unwrap().into_inner()).await;
    assert_eq!(
        done.checked_routes, done.routes,
        "every route passes the checker"
    );
    assert!(done.must >= 3);

    let plan = c
        .get_plan(auth(
            DASHBOARD,
            pb::GetPlanRequest {
                plan_id: done.plan_id,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let header = plan.header.clone().unwrap();
    assert_eq!(header.status, "draft");
    let served = bins_on_routes(&plan);
    let overview = c
        .get_fleet_overview(auth(
            DASHBOARD,
            pb::GetFleetOverviewRequest {
                area: Some(pb::Area {
                    area: Some(pb::area::Area::Region(city.region.clone())),
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(overview.bins.len(), 12);
    assert_eq!(overview.next_page_token, "", "one page holds 12 bins");
    // Paged by five: 5 + 5 + 2, the same bins in the same order.
    let (mut paged, mut token) = (Vec::new(), String::new());
    for expected in [5, 5, 2] {
        let page = c
            .get_fleet_overview(auth(
                DASHBOARD,
                pb::GetFleetOverviewRequest {
                    area: Some(pb::Area {
                        area: Some(pb::area::Area::Region(city.region.clone())),
                    }),
                    page_size: 5,
                    page_token: token.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.bins.len(), expected);
        paged.extend(page.bins.iter().map(|b| b.bin_id));
        token = page.next_page_token;
        if expected == 2 {
            assert_eq!(token, "", "the last page says so");
        }
    }
    let all: Vec<i64> = overview.bins.iter().map(|b| b.bin_id).collect();
    assert_eq!(paged, all);
    for b in overview.bins.iter().filter(|b| b.action == "must") {
        assert!(
            served.contains(&b.bin_id)
                || plan
                    .unserved
                    .iter()
                    .any(|u| u.bin_id == b.bin_id && !u.reason.is_empty()),
            "must bin {} is served or carries a reason",
            b.bin_id
        );
    }
    for r in &plan.routes {
        assert!(r.geojson.contains("LineString"));
        assert!(r.stops.iter().any(|s| s.kind == "disposal"));
        assert!(r.stops.windows(2).all(|w| w[0].eta_ms <= w[1].eta_ms));
    }
    let bin = c
        .get_bin(auth(
            DASHBOARD,
            pb::GetBinRequest {
                bin_id: city.bins[0].0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bin.readings.len(), 10);
    assert!(!bin.forecast.is_empty() && bin.decision_numbers_json.contains("p_overflow"));
    let list = c
        .list_plans(auth(DASHBOARD, pb::ListPlansRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(list.plans.iter().any(|p| p.plan_id == done.plan_id));

    // The busiest truck breaks down after its first two bins.
    let route = plan
        .routes
        .iter()
        .max_by_key(|r| r.stops.iter().filter(|s| s.kind == "bin").count())
        .unwrap();
    let route_bins: Vec<&pb::Stop> = route.stops.iter().filter(|s| s.kind == "bin").collect();
    assert!(route_bins.len() >= 3, "a route worth breaking down");
    let done_ids: Vec<i64> = route_bins[..2].iter().map(|s| s.stop_id).collect();
    let done_bins: HashSet<i64> = route_bins[..2].iter().map(|s| s.ref_id).collect();
    let replan = pb::ReplanFromRequest {
        plan_id: done.plan_id,
        done_stop_ids: done_ids,
        broken_truck_ids: vec![route.truck_id],
        as_of_ms: route_bins[1].departs_at_ms,
        time_budget_s: 1.0,
        ..Default::default()
    };
    let again = finish(
        c.replan_from(auth(PLANNER, replan))
            .await
            .unwrap()
            .into_inner(),
    )
    .await;
    let new = c
        .get_plan(auth(
            DASHBOARD,
            pb::GetPlanRequest {
                plan_id: again.plan_id,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(new.header.as_ref().unwrap().parent_plan_id, done.plan_id);
    let broken = new
        .routes
        .iter()
        .find(|r| r.truck_id == route.truck_id)
        .unwrap();
    let kept: HashSet<i64> = broken
        .stops
        .iter()
        .filter(|s| s.kind == "bin")
        .map(|s| s.ref_id)
        .collect();
    assert_eq!(
        kept, done_bins,
        "the broken truck keeps only its done stops"
    );
    assert!(
        broken
            .stops
            .iter()
            .filter(|s| s.kind == "bin")
            .all(|s| s.status == "done")
    );
    let now_served = bins_on_routes(&new);
    let must: HashSet<i64> = overview
        .bins
        .iter()
        .filter(|b| b.action == "must")
        .map(|b| b.bin_id)
        .collect();
    for b in route_bins[2..]
        .iter()
        .map(|s| s.ref_id)
        .filter(|b| must.contains(b))
    {
        let other = new.routes.iter().any(|r| {
            r.truck_id != route.truck_id && r.stops.iter().any(|s| s.ref_id == b && s.kind == "bin")
        });
        assert!(
            other || new.unserved.iter().any(|u| u.bin_id == b),
            "must bin {b} reassigned or explained"
        );
    }
    assert!(
        served
            .iter()
            .all(|b| now_served.contains(b) || new.unserved.iter().any(|u| u.bin_id == *b))
    );

    let committed = c
        .commit_plan(auth(
            PLANNER,
            pb::CommitPlanRequest {
                plan_id: again.plan_id,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(committed.header.unwrap().status, "committed");
    let twice = c
        .commit_plan(auth(
            PLANNER,
            pb::CommitPlanRequest {
                plan_id: again.plan_id,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn bad_input_over_grpc_gets_a_clear_status_naming_the_field() {
    let city = common::andorra(3, 1).await;
    let mut c = serve(&city).await;
    let day = |region: &str, date: String, budget: f64| pb::PlanDayRequest {
        region: region.into(),
        date,
        time_budget_s: budget,
        ..Default::default()
    };
    let tomorrow = city.tomorrow().to_string();
    let unknown = c
        .plan_day(auth(PLANNER, day("atlantis", tomorrow.clone(), 1.0)))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert!(
        unknown.message().contains("andorra"),
        "{}",
        unknown.message()
    );
    let past = (city.now.date() - time::Duration::days(3)).to_string();
    let old = c
        .plan_day(auth(PLANNER, day("andorra", past, 1.0)))
        .await
        .unwrap_err();
    assert_eq!(old.code(), Code::InvalidArgument);
    assert!(old.message().contains("`date`"), "{}", old.message());
    let zero = c
        .plan_day(auth(PLANNER, day("andorra", tomorrow.clone(), 0.0)))
        .await
        .unwrap_err();
    assert_eq!(zero.code(), Code::InvalidArgument);
    assert!(zero.message().contains("time_budget"), "{}", zero.message());
    let garbled = c
        .plan_day(auth(PLANNER, day("andorra", "tomorrow".into(), 1.0)))
        .await
        .unwrap_err();
    assert_eq!(garbled.code(), Code::InvalidArgument);
    let anonymous = c
        .get_plan(Request::new(pb::GetPlanRequest { plan_id: 1 }))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let missing = c
        .get_plan(auth(DASHBOARD, pb::GetPlanRequest { plan_id: 999 }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let bbox = pb::Area {
        area: Some(pb::area::Area::Bbox(pb::BoundingBox {
            min_lon: 2.0,
            min_lat: 42.0,
            max_lon: 1.0,
            max_lat: 43.0,
        })),
    };
    let flipped = c
        .get_fleet_overview(auth(
            DASHBOARD,
            pb::GetFleetOverviewRequest {
                area: Some(bbox),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(flipped.code(), Code::InvalidArgument);
    assert!(flipped.message().contains("bbox"));
    let region = Some(pb::Area {
        area: Some(pb::area::Area::Region(city.region.clone())),
    });
    for (page_size, page_token, field) in [
        (-1, "", "page_size"),
        (20_001, "", "page_size"),
        (0, "abc", "page_token"),
    ] {
        let bad = c
            .get_fleet_overview(auth(
                DASHBOARD,
                pb::GetFleetOverviewRequest {
                    area: region.clone(),
                    page_size,
                    page_token: page_token.into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument, "{bad:?}");
        assert!(bad.message().contains(field), "{}", bad.message());
    }
}

#[tokio::test]
async fn nul_names_bad_alert_fills_and_far_as_of_times_are_invalid_argument_naming_the_field() {
    let city = common::andorra(3, 1).await;
    let mut c = serve(&city).await;
    let expect_invalid = |status: tonic::Status, field: &str| {
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert!(
            status.message().contains(field),
            "{field}: {}",
            status.message()
        );
    };
    let nul = format!("{}\0", city.region);
    let overview = c
        .get_fleet_overview(auth(
            DASHBOARD,
            pb::GetFleetOverviewRequest {
                area: Some(pb::Area {
                    area: Some(pb::area::Area::Region(nul.clone())),
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    expect_invalid(overview, "area.region");
    let day = pb::PlanDayRequest {
        region: city.region.clone(),
        date: city.tomorrow().to_string(),
        time_budget_s: 1.0,
        ..Default::default()
    };
    let plan_nul = pb::PlanDayRequest {
        region: nul.clone(),
        ..day.clone()
    };
    expect_invalid(
        c.plan_day(auth(PLANNER, plan_nul)).await.unwrap_err(),
        "`region`",
    );
    let list_nul = pb::ListPlansRequest {
        region: nul,
        ..Default::default()
    };
    expect_invalid(
        c.list_plans(auth(DASHBOARD, list_nul)).await.unwrap_err(),
        "`region`",
    );
    for alert in [f64::NAN, f64::INFINITY, -1.0, 7.0] {
        let err = c
            .watch_fill(auth(DASHBOARD, watch_region(&city, alert)))
            .await
            .unwrap_err();
        expect_invalid(err, "alert_fill");
    }
    let done = finish(c.plan_day(auth(PLANNER, day)).await.unwrap().into_inner()).await;
    let year_2200 = pb::ReplanFromRequest {
        plan_id: done.plan_id,
        as_of_ms: 7_258_118_400_000,
        time_budget_s: 1.0,
        ..Default::default()
    };
    expect_invalid(
        c.replan_from(auth(PLANNER, year_2200)).await.unwrap_err(),
        "as_of_ms",
    );
}

#[tokio::test]
async fn the_planner_answers_health_and_reflection_v1alpha_listing_only_what_it_serves() {
    use fillroute_serving::testing::{Reflection, list_services};
    let city = common::andorra(1, 1).await;
    let channel = serve_channel(&city).await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "fillroute.planner.v1.PlannerService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status(),
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );
    assert_eq!(
        list_services(channel, Reflection::V1Alpha).await.unwrap(),
        [
            "fillroute.planner.v1.PlannerService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection"
        ]
    );
}

#[tokio::test]
async fn plan_day_refuses_a_far_future_date_and_an_out_of_range_rule_naming_the_field() {
    let city = common::andorra(3, 1).await;
    let mut c = serve(&city).await;
    let day = |date: &str, risk_level: f64, may_fill_threshold: f64| pb::PlanDayRequest {
        region: city.region.clone(),
        date: date.into(),
        time_budget_s: 1.0,
        risk_level,
        may_fill_threshold,
        ..Default::default()
    };
    let tomorrow = city.tomorrow().to_string();
    for (req, field) in [
        (day("9999-12-31", 0.0, 0.0), "`date`"),
        (day(&tomorrow, 5.0, 0.0), "risk_level"),
        (day(&tomorrow, -0.1, 0.0), "risk_level"),
        (day(&tomorrow, f64::NAN, 0.0), "risk_level"),
        (day(&tomorrow, 0.0, f64::INFINITY), "may_fill_threshold"),
        (
            pb::PlanDayRequest {
                overflow_cost: -1.0,
                ..day(&tomorrow, 0.0, 0.0)
            },
            "overflow_cost",
        ),
        (
            pb::PlanDayRequest {
                overflow_cost: f64::NAN,
                ..day(&tomorrow, 0.0, 0.0)
            },
            "overflow_cost",
        ),
    ] {
        let err = c.plan_day(auth(PLANNER, req.clone())).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{req:?}: {err:?}");
        assert!(err.message().contains(field), "{req:?}: {}", err.message());
    }
}

#[tokio::test]
async fn a_second_plan_day_for_a_day_being_planned_is_aborted_and_the_first_plan_survives() {
    let city = common::andorra(6, 1).await;
    let mut c = serve(&city).await;
    let req = pb::PlanDayRequest {
        region: city.region.clone(),
        date: city.tomorrow().to_string(),
        time_budget_s: 3.0,
        ..Default::default()
    };
    let first = c
        .plan_day(auth(PLANNER, req.clone()))
        .await
        .unwrap()
        .into_inner();
    let second = c.plan_day(auth(PLANNER, req.clone())).await.unwrap_err();
    assert_eq!(second.code(), Code::Aborted, "{second:?}");
    assert!(
        second.message().contains("already being planned"),
        "{}",
        second.message()
    );
    let done = finish(first).await;
    let plan = c
        .get_plan(auth(
            DASHBOARD,
            pb::GetPlanRequest {
                plan_id: done.plan_id,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plan.header.unwrap().status, "draft");
    // Once the first job is done, the day can be planned again.
    let again = c.plan_day(auth(PLANNER, req)).await.unwrap().into_inner();
    finish(again).await;
}

#[tokio::test]
async fn watch_fill_streams_new_readings_and_overflow_alerts() {
    let city = common::andorra(2, 1).await;
    let mut c = serve(&city).await;
    let mut s = c
        .watch_fill(auth(DASHBOARD, watch_region(&city, 0.9)))
        .await
        .unwrap()
        .into_inner();
    city.store()
        .insert_reading(
            &fillroute_store::NewReading {
                bin: city.bins[1],
                device: None,
                observed_at: time::OffsetDateTime::now_utc(),
                fill_fraction: 0.97,
                source: fillroute_store::ReadingSource::Driver,
            },
            0.3,
        )
        .await
        .unwrap();
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), s.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        matches!(first.event, Some(pb::fill_event::Event::Reading(_))),
        "{first:?}"
    );
    let second = tokio::time::timeout(std::time::Duration::from_secs(10), s.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    match second.event {
        Some(pb::fill_event::Event::Alert(a)) => assert_eq!(a.kind, "overflow_risk"),
        other => panic!("expected an alert, got {other:?}"),
    }
}

#[tokio::test]
async fn watch_fill_alerts_once_for_a_committed_pickup_that_was_missed() {
    use fillroute_store::{
        NewPlan, NewPlanRoute, NewPlanStop, NewReading, ReadingSource, StopKind,
    };
    use time::Duration;
    let city = common::andorra(3, 1).await;
    let store = city.store();
    let now = time::OffsetDateTime::now_utc();
    let region = store.region_by_name(&city.region).await.unwrap().unwrap();
    let stop = |kind, eta| NewPlanStop {
        kind,
        eta,
        departs_at: eta,
        load_litres: 0,
        expected_fill: None,
        status: "planned".into(),
    };
    let depot = StopKind::Depot(region.depot_id);
    // Today's committed plan: bins 0 and 1 were due three hours ago, bin 2 is due later.
    let plan = store
        .save_plan(&NewPlan {
            id: None,
            region: region.id,
            date: now.date(),
            horizon_start: now - Duration::hours(10),
            horizon_end: now + Duration::hours(14),
            network: (region.network, 1),
            parent: None,
            solver: "test".into(),
            params_json: "{}".into(),
            objective: 0.0,
            distance_m: 0.0,
            duration_s: 0.0,
            routes: vec![NewPlanRoute {
                truck_id: city.trucks[0],
                path: vec![common::DEPOT, common::DEPOT],
                distance_m: 0.0,
                duration_s: 0.0,
                load_litres: 0,
                stops: vec![
                    stop(depot, now - Duration::hours(5)),
                    stop(StopKind::Bin(city.bins[0]), now - Duration::hours(3)),
                    stop(StopKind::Bin(city.bins[1]), now - Duration::hours(3)),
                    stop(StopKind::Bin(city.bins[2]), now + Duration::hours(1)),
                    stop(depot, now + Duration::hours(2)),
                ],
            }],
            decisions: Vec::new(),
        })
        .await
        .unwrap();
    store.commit_plan(plan).await.unwrap();
    // Bin 1 was emptied after all: its camera sees the drop.
    store
        .insert_reading(
            &NewReading {
                bin: city.bins[1],
                device: None,
                observed_at: now + Duration::seconds(1),
                fill_fraction: 0.02,
                source: ReadingSource::Ultrasonic,
            },
            0.3,
        )
        .await
        .unwrap();
    let mut c = serve(&city).await;
    let mut s = c
        .watch_fill(auth(DASHBOARD, watch_region(&city, 0.99)))
        .await
        .unwrap()
        .into_inner();
    let mut missed = Vec::new();
    // Ten polls' worth of events: the alert must come once, not once per poll.
    while let Ok(Some(e)) =
        tokio::time::timeout(std::time::Duration::from_millis(1000), s.next()).await
    {
        if let Some(pb::fill_event::Event::Alert(a)) = e.unwrap().event
            && a.kind == "missed_pickup"
        {
            missed.push(a);
        }
    }
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!(missed[0].bin_id, city.bins[0].0);
    assert!(
        missed[0].message.contains(&format!("plan {plan}")),
        "{}",
        missed[0].message
    );
}

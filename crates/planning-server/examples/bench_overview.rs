//! `GetFleetOverview` latency with 20,000 bins for BENCHMARKS.md: seeds a
//! region (bins with readings, forecasts and a plan's decisions), serves
//! PlannerService on a loopback port, and times the whole-region map load
//! (every page) over gRPC against the same pages read straight from the
//! store in the same run. Prints p50/p99 per case.
//!
//! `DATABASE_URL` must point at an empty PostGIS database (it is migrated).
//! Usage: `bench_overview [BINS] [CALLS]`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, Instant};

use fillroute_planning::dashboard::{AreaQuery, overview};
use fillroute_planning::network::import_road_file;
use fillroute_planning_server::Tokens;
use fillroute_proto::planner::v1 as pb;
use fillroute_proto::planner::v1::planner_service_client::PlannerServiceClient;
use fillroute_store::{
    BinForecast, BinId, NewBin, NewDecision, NewPlace, NewPlan, NewReading, NewRegion,
    ReadingSource, Store,
};
use futures::StreamExt;
use time::OffsetDateTime;
use tonic::Request;

const TOKEN: &str = "dashboard-token-0123456789";

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .map_or(default, |a| a.parse().unwrap())
}

fn quantiles(mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    let q = |p: f64| ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1];
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} calls)",
        q(0.5),
        q(0.99),
        q(1.0),
        ms.len()
    )
}

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let (bins, calls) = (arg(1, 20_000), arg(2, 100));
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let t = Instant::now();
    let net = import_road_file(
        &store,
        "../shared/datasets/osm/monaco.osm.gz".as_ref(),
        "city",
    )
    .await
    .unwrap();
    let depot = store
        .insert_depot(&NewPlace {
            name: "depot".into(),
            lon: 7.42,
            lat: 43.73,
        })
        .await
        .unwrap();
    let ring = vec![
        [7.40, 43.72],
        [7.44, 43.72],
        [7.44, 43.76],
        [7.40, 43.76],
        [7.40, 43.72],
    ];
    let region = store
        .insert_region(&NewRegion {
            name: "city".into(),
            ring,
            depot_id: depot,
            network: net.network.id,
            utc_offset_s: 3600,
            time_zone: None,
            lunch_opens_s: 0,
            lunch_closes_s: 0,
            lunch_minutes: 0,
        })
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    // A 200 × 100 lattice over the region, each bin with two readings and a forecast.
    let ids: Vec<BinId> = futures::stream::iter(0..bins)
        .map(|i| {
            let store = store.clone();
            async move {
                let (x, y) = ((i % 200) as f64, (i / 200) as f64);
                let id = store
                    .insert_bin(&NewBin {
                        rate_prior: None,
                        lon: 7.401 + 0.038 * x / 200.0,
                        lat: 43.721 + 0.038 * (y % 100.0) / 100.0,
                        capacity_litres: 1100,
                        waste_stream: "residual".into(),
                        service_time_s: 90,
                        container_type: "1100l-wheelie".into(),
                        customer: "city".into(),
                        time_windows: Vec::new(),
                    })
                    .await
                    .unwrap();
                for (hours_ago, fill) in [(20, 0.2), (4, 0.2 + 0.5 * (i % 7) as f32 / 7.0)] {
                    store
                        .insert_reading(
                            &NewReading {
                                bin: id,
                                device: None,
                                observed_at: now - time::Duration::hours(hours_ago),
                                fill_fraction: fill,
                                source: ReadingSource::Ultrasonic,
                            },
                            0.3,
                        )
                        .await
                        .unwrap();
                }
                store
                    .upsert_forecast(&BinForecast {
                        bin: id,
                        computed_at: now,
                        level_after: 0.0,
                        rate_per_hour: 0.01,
                        full_at: Some(now + time::Duration::hours(30)),
                        full_at_low: Some(now + time::Duration::hours(20)),
                        full_at_high: Some(now + time::Duration::hours(40)),
                        readings_used: 2,
                        method: "bench".into(),
                    })
                    .await
                    .unwrap();
                id
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    // Yesterday's plan decided every bin.
    let midnight = now.replace_time(time::Time::MIDNIGHT);
    store
        .save_plan(&NewPlan {
            id: None,
            region,
            date: now.date(),
            horizon_start: midnight,
            horizon_end: midnight + time::Duration::days(1),
            network: (net.network.id, net.network.version),
            parent: None,
            solver: "bench".into(),
            params_json: "{}".into(),
            objective: 0.0,
            distance_m: 0.0,
            duration_s: 0.0,
            routes: Vec::new(),
            decisions: ids
                .iter()
                .map(|&bin| NewDecision {
                    bin,
                    action: fillroute_store::Action::Skip,
                    reason: "not_full_enough".into(),
                    prize: None,
                    fill_now: 0.4,
                    p_overflow: 0.01,
                    numbers_json: "{}".into(),
                    explanation:
                        "Skip: below the 60% fill threshold and overflow risk within the 10% level"
                            .into(),
                    unserved_reason: None,
                })
                .collect(),
        })
        .await
        .unwrap();
    println!(
        "seeded {} bins in {:.1} s",
        ids.len(),
        t.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let tokens = Tokens {
        dashboard: TOKEN.into(),
        planner: "planner-token-0123456789".into(),
    };
    tokio::spawn(fillroute_planning_server::run(
        listener,
        store.clone(),
        tokens,
        std::future::pending(),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let client = PlannerServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap()
        .max_decoding_message_size(64 << 20);
    let q = AreaQuery::Region("city".into());
    for page_size in [5_000i32, 20_000] {
        // Baseline: the same pages straight from the store, no gRPC.
        let mut direct = Vec::new();
        for _ in 0..calls {
            let t = Instant::now();
            let mut token = String::new();
            loop {
                let (_, next) = overview(&store, &q, page_size.into(), &token)
                    .await
                    .unwrap();
                if next.is_empty() {
                    break;
                }
                token = next;
            }
            direct.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let mut grpc = Vec::new();
        let mut bytes = 0;
        for _ in 0..calls {
            let t = Instant::now();
            let (mut token, mut n, mut size) = (String::new(), 0, 0);
            loop {
                let mut r = Request::new(pb::GetFleetOverviewRequest {
                    area: Some(pb::Area {
                        area: Some(pb::area::Area::Region("city".into())),
                    }),
                    page_size,
                    page_token: token,
                });
                r.metadata_mut()
                    .insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
                let page = client
                    .clone()
                    .get_fleet_overview(r)
                    .await
                    .unwrap()
                    .into_inner();
                n += page.bins.len();
                size += prost::Message::encoded_len(&page);
                token = page.next_page_token;
                if token.is_empty() {
                    break;
                }
            }
            assert_eq!(n, ids.len(), "every bin on the map");
            bytes = size;
            grpc.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let ratio = {
            let mid = |v: &Vec<f64>| {
                let mut v = v.clone();
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            mid(&grpc) / mid(&direct)
        };
        println!(
            "whole region, pages of {page_size}: store only {} | gRPC {} | {:.1} MB per map | gRPC/store median ratio {ratio:.2}",
            quantiles(direct),
            quantiles(grpc),
            bytes as f64 / 1e6
        );
    }
}

//! A 2,000-bin, 10-truck day on Andorra's streets for BENCHMARKS.md: seeds a
//! database, runs the nightly job under a short baseline budget and under the
//! full budget (default 60 s) in one process, and prints decisions, stage
//! times, cost and the checker's verdict for both.
//!
//! `DATABASE_URL` must point at an empty PostGIS database (it is migrated).
//! Usage: `bench_day [BINS] [TRUCKS] [BUDGET_S] [BASELINE_S]`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::Instant;

use fillroute_planning::network::{NetworkCache, import_road_file};
use fillroute_planning::{PlanRequest, Progress, ProgressFn, plan_day};
use fillroute_store::{
    BinId, NewBin, NewDisposalSite, NewPlace, NewReading, NewRegion, NewTruck, ReadingSource,
    Store, TimeWindow,
};
use futures::StreamExt;
use time::{Duration, OffsetDateTime};

const DEPOT: [f64; 2] = [1.5218, 42.5063];

fn arg(i: usize, default: f64) -> f64 {
    std::env::args()
        .nth(i)
        .map_or(default, |a| a.parse().unwrap())
}

/// A deterministic stream of numbers in [0, 1).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let (bins, trucks) = (arg(1, 2000.0) as usize, arg(2, 10.0) as usize);
    let (budget, baseline) = (arg(3, 60.0), arg(4, 2.0));
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let cache = NetworkCache::default();
    let t = Instant::now();
    let net = import_road_file(
        &store,
        "../shared/datasets/osm/andorra.osm.pbf".as_ref(),
        "andorra",
    )
    .await
    .unwrap();
    let graph = cache.get(&store, net.network.id).await.unwrap();
    let place = |name: &str, at: [f64; 2]| NewPlace {
        name: name.into(),
        lon: at[0],
        lat: at[1],
    };
    let depot = store
        .insert_depot(&place("Andorra la Vella depot", DEPOT))
        .await
        .unwrap();
    store
        .insert_disposal_site(&NewDisposalSite {
            place: place("Sant Julià transfer station", [1.4913, 42.4637]),
            service_time_s: 900,
            opens_s: 5 * 3600,
            closes_s: 20 * 3600,
        })
        .await
        .unwrap();
    for k in 0..trucks {
        store
            .insert_truck(&NewTruck {
                name: format!("truck {}", k + 1),
                depot_id: depot,
                // A compacting rear loader: 40 m³ of loose waste per load.
                capacity_litres: 40_000,
                shift_start_s: 6 * 3600,
                shift_end_s: 16 * 3600,
                cost_per_km: 1.0,
                cost_per_hour: 40.0,
            })
            .await
            .unwrap();
    }
    store
        .insert_region(&NewRegion {
            name: "andorra".into(),
            ring: vec![
                [1.40, 42.42],
                [1.80, 42.42],
                [1.80, 42.66],
                [1.40, 42.66],
                [1.40, 42.42],
            ],
            depot_id: depot,
            network: net.network.id,
            utc_offset_s: 3600,
            time_zone: None,
            lunch_opens_s: 11 * 3600 + 1800,
            lunch_closes_s: 13 * 3600 + 1800,
            lunch_minutes: 30,
        })
        .await
        .unwrap();
    // Bins spread over the whole country's streets, readings every 8 h for three days.
    let nodes: Vec<_> = graph.graph.node_ids().collect();
    let step = (nodes.len() / bins).max(1);
    let spots: Vec<_> = nodes
        .iter()
        .step_by(step)
        .take(bins)
        .map(|&n| graph.graph.position(n).unwrap())
        .collect();
    let now = OffsetDateTime::now_utc();
    let mut rng = Lcg(11);
    let seeds: Vec<_> = spots
        .iter()
        .enumerate()
        .map(|(i, p)| (i, *p, 0.05 + 0.45 * rng.next(), 0.03 + 0.27 * rng.next()))
        .collect();
    let ids: Vec<BinId> = futures::stream::iter(seeds)
        .map(|(i, p, start, per_day)| {
            let store = store.clone();
            async move {
                let id = store
                    .insert_bin(&NewBin {
                        rate_prior: None,
                        lon: p.lon(),
                        lat: p.lat(),
                        capacity_litres: 1100,
                        waste_stream: "residual".into(),
                        service_time_s: 90,
                        container_type: "1100l-wheelie".into(),
                        customer: "comu".into(),
                        time_windows: if i % 5 == 0 {
                            vec![TimeWindow {
                                weekday: None,
                                opens_s: 7 * 3600,
                                closes_s: 12 * 3600,
                            }]
                        } else {
                            vec![]
                        },
                    })
                    .await
                    .unwrap();
                for k in 0..10i64 {
                    let hours_ago = 72 - 8 * k;
                    store
                        .insert_reading(
                            &NewReading {
                                bin: id,
                                device: None,
                                observed_at: now - Duration::hours(hours_ago),
                                fill_fraction: (start + per_day * (k * 8) as f64 / 24.0) as f32,
                                source: ReadingSource::Ultrasonic,
                            },
                            0.3,
                        )
                        .await
                        .unwrap();
                }
                id
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    println!(
        "seeded {} bins on {} road nodes, {trucks} trucks, in {:.1} s",
        ids.len(),
        nodes.len(),
        t.elapsed().as_secs_f64()
    );
    let date = now.date() + Duration::days(1);
    for (label, seconds) in [("baseline", baseline), ("full", budget)] {
        let marks: Arc<Mutex<Vec<(String, f64)>>> = Arc::default();
        let t = Instant::now();
        let sink = Arc::clone(&marks);
        let progress: ProgressFn = Arc::new(move |p| {
            let stage = match p {
                Progress::Loaded { .. } => "decided",
                Progress::Decided { .. } => return,
                Progress::Matrix { .. } => "matrix",
                Progress::Solving { done, .. } if done >= 1.0 => "search",
                Progress::Solving { .. } => return,
                Progress::Written { .. } => "written",
            };
            sink.lock()
                .unwrap()
                .push((stage.into(), t.elapsed().as_secs_f64()));
        });
        let mut req = PlanRequest::new("andorra", date, seconds);
        req.seed = 1;
        let s = plan_day(&store, &cache, &req, now, progress).await.unwrap();
        let total = t.elapsed().as_secs_f64();
        let stages: Vec<String> = marks
            .lock()
            .unwrap()
            .iter()
            .map(|(s, at)| format!("{s} {at:.1} s"))
            .collect();
        println!(
            "{label} ({seconds} s search): must {} may {} skip {} | routes {} (checker ok {}) served {} unserved must {} | {:.1} km, {:.1} truck-h | {} iterations | wall {total:.1} s [{}]",
            s.must,
            s.may,
            s.skip,
            s.routes,
            s.checked_routes,
            s.served,
            s.unserved_must.len(),
            s.distance_m / 1000.0,
            s.duration_s / 3600.0,
            s.iterations,
            stages.join(", ")
        );
    }
}

//! A seeded Andorra: the real road network in a database of its own, a depot,
//! a disposal site, trucks, one region and bins on real streets with readings.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::PathBuf;

use fillroute_planning::network::{NetworkCache, import_road_file};
use fillroute_store::testing::TestDb;
use fillroute_store::*;
use time::{Date, Duration, OffsetDateTime};

pub fn dataset(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets/osm")
        .join(name)
}

pub struct City {
    pub db: TestDb,
    pub cache: NetworkCache,
    pub region: String,
    pub bins: Vec<BinId>,
    pub trucks: Vec<i64>,
    pub now: OffsetDateTime,
}

impl City {
    pub fn store(&self) -> &Store {
        &self.db.store
    }
    pub fn tomorrow(&self) -> Date {
        self.now.date() + Duration::days(1)
    }
}

/// Andorra la Vella, on the main valley road.
pub const DEPOT: [f64; 2] = [1.5218, 42.5063];

/// `bins` bins on Andorra's streets: every third one filling fast (must
/// collect tomorrow), every third one fullish, the rest nearly empty.
pub async fn andorra(bins: usize, trucks: usize) -> City {
    let db = TestDb::new().await;
    let store = db.store.clone();
    let cache = NetworkCache::default();
    let net = import_road_file(&store, &dataset("andorra.osm.pbf"), "andorra")
        .await
        .unwrap();
    let graph = cache.get(&store, net.network.id).await.unwrap();
    let depot = store
        .insert_depot(&NewPlace {
            name: "Andorra la Vella depot".into(),
            lon: DEPOT[0],
            lat: DEPOT[1],
        })
        .await
        .unwrap();
    store
        .insert_disposal_site(&NewDisposalSite {
            place: NewPlace {
                name: "Sant Julià transfer station".into(),
                lon: 1.4913,
                lat: 42.4637,
            },
            service_time_s: 900,
            opens_s: 5 * 3600,
            closes_s: 20 * 3600,
        })
        .await
        .unwrap();
    let mut truck_ids = Vec::new();
    for k in 0..trucks {
        truck_ids.push(
            store
                .insert_truck(&NewTruck {
                    name: format!("truck {}", k + 1),
                    depot_id: depot,
                    capacity_litres: 6000,
                    shift_start_s: 6 * 3600,
                    shift_end_s: 16 * 3600,
                    cost_per_km: 1.0,
                    cost_per_hour: 40.0,
                })
                .await
                .unwrap(),
        );
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
    // Bins near the depot's valley: every 7th node within ~4 km.
    let centre = fillroute_roads::LonLat::new(DEPOT[0], DEPOT[1]).unwrap();
    let spots: Vec<_> = graph
        .graph
        .node_ids()
        .map(|n| graph.graph.position(n).unwrap())
        .filter(|p| p.haversine_m(centre) < 4000.0)
        .step_by(7)
        .take(bins)
        .collect();
    assert_eq!(spots.len(), bins, "enough streets near the depot");
    let now = OffsetDateTime::now_utc();
    let mut ids = Vec::new();
    for (i, p) in spots.iter().enumerate() {
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
                time_windows: if i % 4 == 0 {
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
        seed_readings(&store, id, i, now).await;
        ids.push(id);
    }
    City {
        db,
        cache,
        region: "andorra".into(),
        bins: ids,
        trucks: truck_ids,
        now,
    }
}

/// Readings every 8 h over the last three days.
pub async fn seed_readings(store: &Store, bin: BinId, i: usize, now: OffsetDateTime) {
    let (start, per_day) = match i % 3 {
        0 => (0.35, 0.22),
        1 => (0.45, 0.08),
        _ => (0.05, 0.03),
    };
    for k in 0..10 {
        let hours_ago = 72 - 8 * k;
        let fill = start + per_day * f64::from(k * 8) / 24.0;
        store
            .insert_reading(
                &NewReading {
                    bin,
                    device: None,
                    observed_at: now - Duration::hours(hours_ago.into()),
                    fill_fraction: fill as f32,
                    source: ReadingSource::Ultrasonic,
                },
                0.3,
            )
            .await
            .unwrap();
    }
}

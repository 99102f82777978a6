//! Road import and matrix timings for BENCHMARKS-planning.md.
//! `DATABASE_URL` must point at a PostGIS database (it is migrated).
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Instant;

use fillroute_planning::network::{NetworkCache, import_road_file};
use fillroute_store::Store;

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let file = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/datasets/osm/andorra.osm.pbf".into());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    for run in 1..=2 {
        let r = import_road_file(&store, file.as_ref(), "bench")
            .await
            .unwrap();
        println!(
            "import run {run}: version {} nodes {} edges {}: read+build {:.3} s, PostGIS write {:.3} s",
            r.network.version,
            r.network.node_count,
            r.network.edge_count,
            r.read_seconds,
            r.write_seconds
        );
    }
    let id = store
        .road_network_by_name("bench")
        .await
        .unwrap()
        .unwrap()
        .id;
    let cache = NetworkCache::default();
    let t = Instant::now();
    let net = cache.get(&store, id).await.unwrap();
    println!(
        "load from PostGIS into the graph: {:.3} s",
        t.elapsed().as_secs_f64()
    );
    let n = net.graph.node_count() as u64;
    for points in [500usize, 2000] {
        // Deterministic spread of nodes (LCG), standing in for bins snapped to streets.
        let mut x: u64 = 7;
        let nodes: Vec<_> = (0..points)
            .map(|_| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                net.graph.node_ids().nth(((x >> 33) % n) as usize).unwrap()
            })
            .collect();
        let t = Instant::now();
        let m = net.matrix(&nodes).unwrap();
        let cold = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let _ = net.matrix(&nodes).unwrap();
        let warm = t.elapsed().as_secs_f64();
        println!(
            "matrix {points} x {points}: {cold:.3} s computed, {warm:.6} s from the version cache ({} unreachable pairs)",
            m.unreachable_pairs().len()
        );
    }
}

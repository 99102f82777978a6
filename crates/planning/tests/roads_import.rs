//! Road networks through PostGIS: real files, a real database of its own per test.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;

use fillroute_planning::PlanningError;
use fillroute_planning::network::{NetworkCache, import_road_file, read_road_file};
use fillroute_store::testing::TestDb;

fn dataset(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets/osm")
        .join(name)
}

#[tokio::test]
async fn andorra_imports_and_loads_back_as_the_same_graph() {
    let db = TestDb::new().await;
    let report = import_road_file(&db.store, &dataset("andorra.osm.pbf"), "andorra")
        .await
        .unwrap();
    assert_eq!(report.network.version, 1);
    let from_file = read_road_file(&dataset("andorra.osm.pbf")).unwrap();
    assert_eq!(report.network.node_count as usize, from_file.node_count());
    assert_eq!(report.network.edge_count as usize, from_file.edge_count());

    let cache = NetworkCache::default();
    let loaded = cache.get(&db.store, report.network.id).await.unwrap();
    assert_eq!(
        loaded.graph.version(),
        from_file.version(),
        "fingerprint survives PostGIS"
    );
    assert_eq!(
        loaded.graph.version().to_string(),
        report.network.fingerprint
    );
}

#[tokio::test]
async fn reimport_replaces_the_graph_bumps_the_version_and_invalidates_matrices() {
    let db = TestDb::new().await;
    let first = import_road_file(&db.store, &dataset("monaco.osm.gz"), "city")
        .await
        .unwrap();
    let cache = NetworkCache::default();
    let loaded = cache.get(&db.store, first.network.id).await.unwrap();
    let nodes: Vec<_> = loaded.graph.node_ids().take(5).collect();
    let m1 = loaded.matrix(&nodes).unwrap();
    let again = loaded.matrix(&nodes).unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&m1, &again),
        "second request is served from the cache"
    );
    assert!(std::sync::Arc::ptr_eq(
        &loaded,
        &cache.get(&db.store, first.network.id).await.unwrap()
    ));

    let second = import_road_file(&db.store, &dataset("andorra.osm.pbf"), "city")
        .await
        .unwrap();
    assert_eq!(second.network.id, first.network.id);
    assert_eq!(second.network.version, 2);
    let reloaded = cache.get(&db.store, first.network.id).await.unwrap();
    assert_eq!(reloaded.version, 2);
    assert_eq!(
        reloaded.graph.node_count(),
        second.network.node_count as usize
    );
    assert_eq!(
        reloaded.cached_matrices(),
        0,
        "matrices of version 1 are not reused"
    );
}

#[tokio::test]
async fn geojson_networks_import_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("square.geojson");
    let line = |a: [f64; 2], b: [f64; 2]| {
        serde_json::json!({"type": "Feature", "properties": {"highway": "residential"},
            "geometry": {"type": "LineString", "coordinates": [a, b]}})
    };
    let (a, b, c, d) = ([1.50, 42.50], [1.51, 42.50], [1.51, 42.51], [1.50, 42.51]);
    let fc = serde_json::json!({"type": "FeatureCollection",
        "features": [line(a, b), line(b, c), line(c, d), line(d, a)]});
    std::fs::write(&path, fc.to_string()).unwrap();
    let db = TestDb::new().await;
    let report = import_road_file(&db.store, &path, "square").await.unwrap();
    assert_eq!(report.network.node_count, 4);
    assert_eq!(report.network.edge_count, 8);
}

#[tokio::test]
async fn corrupt_osm_file_is_a_clear_error_naming_the_file_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new().await;
    for (name, bytes) in [
        (
            "broken.osm.pbf",
            &b"\x00\x00\x00\x0dnot a pbf blob at all"[..],
        ),
        (
            "broken.osm",
            &b"<osm><node id='1' lat='42.5' lon='1.5'><way"[..],
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = import_road_file(&db.store, &path, "broken")
            .await
            .unwrap_err();
        assert!(matches!(err, PlanningError::Roads(_)), "{err:?}");
        assert!(err.to_string().contains(name), "names the file: {err}");
    }
    assert!(
        db.store
            .road_network_by_name("broken")
            .await
            .unwrap()
            .is_none()
    );
    let missing = import_road_file(&db.store, &dir.path().join("nope.pbf"), "x")
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("nope.pbf"), "{missing}");
}

#[tokio::test]
async fn network_name_must_be_a_plain_identifier() {
    let db = TestDb::new().await;
    let err = import_road_file(&db.store, &dataset("monaco.osm.gz"), "my city!")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`network`"), "{err}");
}

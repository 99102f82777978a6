//! The real extracts in shared/datasets/osm: plausible sizes and travel times.

use std::path::PathBuf;

use fillroute_roads::{LonLat, RoadNetwork};

fn dataset(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets/osm")
        .join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("NOTICE: {} absent, test skipped", p.display());
        None
    }
}

fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).expect("valid test coordinate")
}

#[test]
fn loads_monaco_xml_with_plausible_size_and_travel_time() {
    let Some(path) = dataset("monaco.osm.gz") else {
        return;
    };
    let net = RoadNetwork::from_osm_xml(&path).expect("monaco loads");
    let r = net.report();
    eprintln!(
        "monaco: {} nodes, {} edges, report {r:?}",
        net.node_count(),
        net.edge_count()
    );
    assert!(
        (1_000..50_000).contains(&net.node_count()),
        "nodes {}",
        net.node_count()
    );
    assert!(
        net.edge_count() > net.node_count(),
        "edges {}",
        net.edge_count()
    );
    assert!(
        r.nodes_dropped < r.nodes_before_scc / 4,
        "dropped too much: {r:?}"
    );

    // Casino de Monte-Carlo -> Stade Louis II (Fontvieille): about 3 km of streets.
    let a = net.snap(ll(7.4279, 43.7396), 150.0).expect("casino snaps");
    let b = net.snap(ll(7.4157, 43.7277), 150.0).expect("stadium snaps");
    let m = net
        .matrix(&[a.node, b.node], &[a.node, b.node])
        .expect("matrix");
    let (d, t) = m.get(0, 1).expect("reachable");
    let (d2, t2) = m.get(1, 0).expect("reachable back");
    eprintln!("casino->stadium {d} m {t} s; back {d2} m {t2} s");
    assert!((1_500..6_000).contains(&d), "distance {d}");
    assert!((120..900).contains(&t), "duration {t}");
    assert!((1_500..6_000).contains(&d2) && (120..900).contains(&t2));
    let route = net.path(a.node, b.node).expect("ok").expect("route");
    assert_eq!(route.duration_s.round() as u32, t);
}

#[test]
fn loads_andorra_pbf_with_plausible_size_and_travel_time() {
    let Some(path) = dataset("andorra.osm.pbf") else {
        return;
    };
    let net = RoadNetwork::from_osm_pbf(&path).expect("andorra loads");
    let r = net.report();
    eprintln!(
        "andorra: {} nodes, {} edges, report {r:?}",
        net.node_count(),
        net.edge_count()
    );
    assert!(
        (5_000..300_000).contains(&net.node_count()),
        "nodes {}",
        net.node_count()
    );
    assert!(net.edge_count() > net.node_count());

    // Andorra la Vella (Plaça del Poble) -> Encamp centre: ~8 km up the CG-2 valley.
    let a = net
        .snap(ll(1.5218, 42.5063), 200.0)
        .expect("andorra la vella snaps");
    let b = net.snap(ll(1.5806, 42.5354), 200.0).expect("encamp snaps");
    let m = net.matrix(&[a.node], &[b.node]).expect("matrix");
    let (d, t) = m.get(0, 0).expect("reachable");
    eprintln!("andorra la vella->encamp {d} m {t} s");
    assert!((6_000..15_000).contains(&d), "distance {d}");
    assert!((360..1_500).contains(&t), "duration {t}");
}

#[test]
fn loading_the_same_extract_twice_gives_the_same_version() {
    let Some(path) = dataset("monaco.osm.gz") else {
        return;
    };
    let a = RoadNetwork::from_osm_xml(&path).expect("load 1");
    let b = RoadNetwork::from_osm_xml(&path).expect("load 2");
    assert_eq!(a.version(), b.version());
}

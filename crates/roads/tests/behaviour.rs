//! Small hand-made networks, one behaviour per test.

use std::io::Write;

use fillroute_roads::{
    EdgeData, GridCity, LonLat, NodeData, RoadClass, RoadNetwork, RoadsError, haversine_matrix,
    parse_maxspeed_kmh,
};

fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).expect("valid test coordinate")
}

/// Nodes 0..n spaced ~111 m apart along a meridian.
fn line_nodes(n: usize) -> Vec<NodeData> {
    (0..n)
        .map(|i| NodeData {
            pos: ll(7.0, 43.0 + i as f64 * 0.001),
            osm_id: None,
        })
        .collect()
}

fn edge(nodes: &[NodeData], a: usize, b: usize, kmh: f64) -> (u32, u32, EdgeData) {
    (
        a as u32,
        b as u32,
        EdgeData::between(nodes[a].pos, nodes[b].pos, kmh, RoadClass::Residential).expect("edge"),
    )
}

fn write_osm(xml: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("tempfile");
    f.write_all(xml.as_bytes()).expect("write");
    f
}

/// A square block A-B-C-D with the A->B side one-way.
const ONE_WAY_BLOCK: &str = r#"<?xml version="1.0"?>
<osm version="0.6">
  <node id="1" lat="43.000" lon="7.000"/>
  <node id="2" lat="43.000" lon="7.001"/>
  <node id="3" lat="43.001" lon="7.001"/>
  <node id="4" lat="43.001" lon="7.000"/>
  <node id="5" lat="43.002" lon="7.000"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
  <way id="11"><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/><tag k="highway" v="residential"/></way>
  <way id="12"><nd ref="4"/><nd ref="5"/><tag k="highway" v="footway"/></way>
</osm>"#;

#[test]
fn one_way_street_is_not_driven_backwards() {
    let f = write_osm(ONE_WAY_BLOCK);
    let net = RoadNetwork::from_osm_xml(f.path()).expect("loads");
    assert_eq!(net.node_count(), 4, "footway node 5 must not be imported");
    let a = net.snap(ll(7.000, 43.000), 5.0).expect("A").node;
    let b = net.snap(ll(7.001, 43.000), 5.0).expect("B").node;
    let ab = net.path(a, b).expect("ok").expect("route");
    let ba = net.path(b, a).expect("ok").expect("route");
    assert_eq!(
        ab.nodes,
        vec![a, b],
        "A->B uses the one-way street directly"
    );
    assert_eq!(
        ba.nodes.len(),
        4,
        "B->A must go round the block: {:?}",
        ba.nodes
    );
    assert!(ba.distance_m > 2.5 * ab.distance_m);
}

#[test]
fn reverse_oneway_and_roundabout_are_honoured() {
    let xml = r#"<osm>
  <node id="1" lat="43.000" lon="7.000"/><node id="2" lat="43.000" lon="7.001"/>
  <node id="3" lat="43.001" lon="7.001"/>
  <way id="1"><nd ref="2"/><nd ref="1"/><tag k="highway" v="primary"/><tag k="oneway" v="-1"/></way>
  <way id="2"><nd ref="2"/><nd ref="3"/><nd ref="1"/><tag k="highway" v="primary"/><tag k="junction" v="roundabout"/></way>
</osm>"#;
    let f = write_osm(xml);
    let net = RoadNetwork::from_osm_xml(f.path()).expect("loads");
    assert_eq!(net.edge_count(), 3, "one ring of three one-way edges");
    let n1 = net.snap(ll(7.000, 43.000), 5.0).expect("1").node;
    let n2 = net.snap(ll(7.001, 43.000), 5.0).expect("2").node;
    // oneway=-1 on 2->1 means travel 1->2; the roundabout goes 2->3->1.
    assert_eq!(net.path(n1, n2).expect("ok").expect("route").nodes.len(), 2);
    assert_eq!(net.path(n2, n1).expect("ok").expect("route").nodes.len(), 3);
}

#[test]
fn maxspeed_units_and_zones_are_parsed() {
    assert_eq!(parse_maxspeed_kmh("50"), Some(50.0));
    assert_eq!(parse_maxspeed_kmh("50 km/h"), Some(50.0));
    assert!((parse_maxspeed_kmh("30 mph").expect("mph") - 48.28).abs() < 0.01);
    assert_eq!(parse_maxspeed_kmh("FR:urban"), Some(50.0));
    assert_eq!(parse_maxspeed_kmh("DE:zone30"), Some(30.0));
    assert_eq!(parse_maxspeed_kmh("walk"), Some(6.0));
    assert_eq!(parse_maxspeed_kmh("none"), None);
    assert_eq!(parse_maxspeed_kmh("signals"), None);
    assert_eq!(parse_maxspeed_kmh("-5"), None);
}

#[test]
fn snapping_picks_the_nearest_node() {
    let net = GridCity {
        blocks_x: 6,
        blocks_y: 6,
        ..GridCity::default()
    }
    .build()
    .expect("grid");
    // Brute force over all nodes is the oracle.
    for (k, p) in [
        (4.3501, 50.8502),
        (4.356, 50.853),
        (4.3612, 50.8555),
        (4.3499, 50.8499),
    ]
    .iter()
    .enumerate()
    {
        let p = ll(p.0, p.1);
        let s = net.snap(p, 1_000.0).expect("snaps");
        let best = net
            .node_ids()
            .map(|n| net.position(n).expect("pos").haversine_m(p))
            .fold(f64::INFINITY, f64::min);
        assert!(
            (s.distance_m - best).abs() < 1e-9,
            "point {k}: snapped {} vs best {best}",
            s.distance_m
        );
    }
}

#[test]
fn snapping_too_far_is_an_error_naming_the_point() {
    let net = GridCity::default().build().expect("grid");
    let far = ll(4.50, 50.90);
    let err = net
        .snap_all(&[ll(4.3501, 50.8501), far], 200.0)
        .expect_err("too far");
    match err {
        RoadsError::SnapTooFar { index, max_m, .. } => {
            assert_eq!(index, 1);
            assert_eq!(max_m, 200.0);
        }
        other => panic!("unexpected {other}"),
    }
    assert!(matches!(
        net.snap(far, f64::NAN),
        Err(RoadsError::InvalidParameter { .. })
    ));
}

#[test]
fn unreachable_parts_are_dropped_so_every_pair_is_reachable() {
    // 0<->1<->2 is the main component; 3 can be entered (2->3) but not left,
    // and 4-5 is a separate island.
    let nodes = line_nodes(6);
    let edges = vec![
        edge(&nodes, 0, 1, 30.0),
        edge(&nodes, 1, 0, 30.0),
        edge(&nodes, 1, 2, 30.0),
        edge(&nodes, 2, 1, 30.0),
        edge(&nodes, 2, 3, 30.0),
        edge(&nodes, 4, 5, 30.0),
        edge(&nodes, 5, 4, 30.0),
    ];
    let net = RoadNetwork::from_edges(nodes, edges).expect("builds");
    assert_eq!(net.node_count(), 3);
    assert_eq!(net.report().nodes_dropped, 3);
    assert_eq!(net.report().edges_dropped, 3);
    let all: Vec<_> = net.node_ids().collect();
    let m = net.matrix(&all, &all).expect("matrix");
    assert!(m.unreachable_pairs().is_empty());
    assert_eq!(m.get(0, 0), Some((0, 0)));
}

#[test]
fn matrix_is_fastest_not_shortest() {
    // 0->2 direct is short but slow (5 km/h); 0->1->2 is longer but fast.
    let mut nodes = line_nodes(3);
    nodes[1].pos = ll(7.001, 43.001);
    let edges = vec![
        edge(&nodes, 0, 2, 5.0),
        edge(&nodes, 0, 1, 50.0),
        edge(&nodes, 1, 2, 50.0),
        edge(&nodes, 2, 0, 50.0),
    ];
    let net = RoadNetwork::from_edges(nodes, edges).expect("builds");
    let ids: Vec<_> = net.node_ids().collect();
    let r = net.path(ids[0], ids[2]).expect("ok").expect("route");
    assert_eq!(r.nodes.len(), 3);
}

#[test]
fn geojson_round_trip_keeps_the_network_version() {
    let net = GridCity {
        blocks_x: 5,
        blocks_y: 4,
        seed: 7,
        ..GridCity::default()
    }
    .build()
    .expect("grid");
    let text = serde_json::to_string(&net.to_geojson()).expect("json");
    let back = RoadNetwork::from_geojson_str(&text).expect("reads back");
    assert_eq!(back.node_count(), net.node_count());
    assert_eq!(back.edge_count(), net.edge_count());
    assert_eq!(back.version(), net.version());
    let all: Vec<_> = net.node_ids().collect();
    // Node numbering may differ; compare via snapped positions.
    let mapped: Vec<_> = all
        .iter()
        .map(|&n| {
            back.snap(net.position(n).expect("pos"), 0.01)
                .expect("same position")
                .node
        })
        .collect();
    assert_eq!(
        net.matrix(&all, &all).expect("m1"),
        back.matrix(&mapped, &mapped).expect("m2")
    );
}

#[test]
fn geojson_properties_set_direction_and_speed() {
    let text = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"highway":"residential","oneway":true,"maxspeed":"30 mph"},
       "geometry":{"type":"LineString","coordinates":[[7.0,43.0],[7.001,43.0]]}},
      {"type":"Feature","properties":{"speed_kmh":10},
       "geometry":{"type":"LineString","coordinates":[[7.001,43.0],[7.0,43.0]]}},
      {"type":"Feature","properties":{"highway":"footway"},
       "geometry":{"type":"LineString","coordinates":[[7.0,43.0],[7.0,43.1]]}}
    ]}"#;
    let net = RoadNetwork::from_geojson_str(text).expect("loads");
    assert_eq!(net.edge_count(), 3, "oneway forward + two-way back line");
    assert_eq!(net.report().ways_skipped, 1);
    let a = net.snap(ll(7.0, 43.0), 1.0).expect("a").node;
    let b = net.snap(ll(7.001, 43.0), 1.0).expect("b").node;
    let m = net.matrix(&[a, b], &[a, b]).expect("m");
    let (d, t_ab) = m.get(0, 1).expect("ab");
    let (_, t_ba) = m.get(1, 0).expect("ba");
    assert_eq!(d, 81); // 0.001 deg of longitude at 43 N
    // 81.3 m at 0.8 * 48.28 km/h = 7.6 s; at 10 km/h = 29.3 s.
    assert_eq!(t_ab, 8);
    assert_eq!(t_ba, 29);
}

#[test]
fn grid_city_is_deterministic_and_strongly_connected() {
    let cfg = GridCity {
        blocks_x: 20,
        blocks_y: 15,
        one_way_share: 0.6,
        seed: 42,
        ..GridCity::default()
    };
    let a = cfg.build().expect("grid");
    let b = cfg.build().expect("grid");
    assert_eq!(a.version(), b.version());
    assert_eq!(
        a.node_count(),
        21 * 16,
        "ring and arterials keep every node"
    );
    assert_eq!(a.report().nodes_dropped, 0);
    let other = GridCity { seed: 43, ..cfg }.build().expect("grid");
    assert_ne!(
        a.version(),
        other.version(),
        "seed changes the one-way draw"
    );
}

#[test]
fn matrix_does_not_depend_on_thread_count() {
    let net = GridCity {
        blocks_x: 30,
        blocks_y: 30,
        one_way_share: 0.5,
        ..GridCity::default()
    }
    .build()
    .expect("grid");
    let nodes: Vec<_> = net.node_ids().step_by(17).collect();
    let par = net.matrix(&nodes, &nodes).expect("par");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let seq = pool.install(|| net.matrix(&nodes, &nodes)).expect("seq");
    assert_eq!(par, seq);
}

#[test]
fn haversine_fallback_scales_by_detour_and_speed() {
    let pts = [ll(7.0, 43.0), ll(7.0, 43.01)];
    let m = haversine_matrix(&pts, 1.3, 36.0).expect("matrix");
    assert_eq!(m.get(0, 0), Some((0, 0)));
    let (d, t) = m.get(0, 1).expect("entry");
    assert_eq!(d, 1446); // 1112 m * 1.3
    assert_eq!(t, 145); // at 10 m/s
    assert!(haversine_matrix(&pts, 0.5, 36.0).is_err());
    assert!(haversine_matrix(&pts, 1.3, f64::NAN).is_err());
    assert_eq!(
        haversine_matrix(&[], 1.3, 30.0)
            .expect("empty")
            .distance_m
            .len(),
        0
    );
}

#[test]
fn bad_coordinates_are_rejected() {
    assert!(matches!(
        LonLat::new(f64::NAN, 43.0),
        Err(RoadsError::InvalidCoordinate { .. })
    ));
    assert!(LonLat::new(7.0, 91.0).is_err());
    assert!(LonLat::new(181.0, 0.0).is_err());
    assert!(LonLat::new(f64::INFINITY, 0.0).is_err());
    let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
      "geometry":{"type":"LineString","coordinates":[[7.0,43.0],[7.0,143.0]]}}]}"#;
    let err = RoadNetwork::from_geojson_str(text)
        .expect_err("bad lat")
        .to_string();
    assert!(err.contains("features[0].geometry.coordinates[1]"), "{err}");
}

#[test]
fn bad_input_files_give_typed_errors() {
    let empty = write_osm("");
    assert!(matches!(
        RoadNetwork::from_osm_xml(empty.path()),
        Err(RoadsError::Xml { .. })
    ));
    assert!(matches!(
        RoadNetwork::from_osm_pbf(empty.path()),
        Err(RoadsError::Pbf { .. })
    ));
    let garbage = write_osm("this is not a pbf file at all");
    assert!(matches!(
        RoadNetwork::from_osm_pbf(garbage.path()),
        Err(RoadsError::Pbf { .. })
    ));
    let broken = write_osm(r#"<osm><node id="1" lat="x" lon="7"/></osm>"#);
    let err = RoadNetwork::from_osm_xml(broken.path()).expect_err("bad lat");
    assert!(err.to_string().contains("lat"), "{err}");
    let no_roads = write_osm(
        r#"<osm><node id="1" lat="43" lon="7"/><node id="2" lat="43.001" lon="7"/>
        <way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way></osm>"#,
    );
    assert!(matches!(
        RoadNetwork::from_osm_xml(no_roads.path()),
        Err(RoadsError::NoCarRoads { .. })
    ));
    let missing = std::path::Path::new("/nonexistent/map.osm.pbf");
    assert!(matches!(
        RoadNetwork::from_osm_pbf(missing),
        Err(RoadsError::Io { .. })
    ));
    assert!(matches!(
        RoadNetwork::from_osm_xml(missing),
        Err(RoadsError::Io { .. })
    ));
    for text in [
        "",
        "{}",
        r#"{"type":"FeatureCollection"}"#,
        r#"{"type":"FeatureCollection","features":[]}"#,
    ] {
        assert!(
            RoadNetwork::from_geojson_str(text).is_err(),
            "{text:?} must fail"
        );
    }
    assert!(matches!(
        GridCity {
            blocks_x: 0,
            ..GridCity::default()
        }
        .build(),
        Err(RoadsError::InvalidParameter { .. })
    ));
    assert!(
        GridCity {
            block_m: f64::NAN,
            ..GridCity::default()
        }
        .build()
        .is_err()
    );
    assert!(
        GridCity {
            origin: [7.0, f64::NAN],
            ..GridCity::default()
        }
        .build()
        .is_err()
    );
}

#[test]
fn gzipped_xml_is_detected_by_content() {
    use flate2::{Compression, write::GzEncoder};
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(ONE_WAY_BLOCK.as_bytes()).expect("gz");
    let mut f = tempfile::NamedTempFile::new().expect("tmp");
    f.write_all(&gz.finish().expect("gz")).expect("write");
    let net = RoadNetwork::from_osm_xml(f.path()).expect("loads gz");
    assert_eq!(net.node_count(), 4);
}

#[test]
fn node_from_another_network_is_rejected() {
    let small = GridCity {
        blocks_x: 1,
        blocks_y: 1,
        ..GridCity::default()
    }
    .build()
    .expect("grid");
    let big = GridCity {
        blocks_x: 5,
        blocks_y: 5,
        ..GridCity::default()
    }
    .build()
    .expect("grid");
    let foreign = big.node_ids().last().expect("node");
    assert!(matches!(
        small.matrix(&[foreign], &[foreign]),
        Err(RoadsError::NodeOutOfRange { .. })
    ));
    assert!(small.path(foreign, foreign).is_err());
}

#[test]
fn clipped_private_and_reversible_ways_are_handled() {
    // Way 1 references node 99, absent from the extract: split there, not an error.
    // Way 2 is access=private, way 3 is oneway=reversible: both skipped.
    let xml = r#"<osm>
  <node id="1" lat="43.000" lon="7.000"/><node id="2" lat="43.000" lon="7.001"/>
  <node id="3" lat="43.001" lon="7.001"/><node id="4" lat="43.001" lon="7.000"/>
  <way id="1"><nd ref="1"/><nd ref="2"/><nd ref="99"/><nd ref="3"/><tag k="highway" v="tertiary"/></way>
  <way id="2"><nd ref="2"/><nd ref="3"/><tag k="highway" v="service"/><tag k="access" v="private"/></way>
  <way id="3"><nd ref="3"/><nd ref="4"/><tag k="highway" v="residential"/><tag k="oneway" v="reversible"/></way>
</osm>"#;
    let f = write_osm(xml);
    let net = RoadNetwork::from_osm_xml(f.path()).expect("loads");
    assert_eq!(net.report().missing_node_refs, 1);
    assert_eq!(net.report().ways_used, 1);
    assert_eq!(net.report().ways_skipped, 2);
    assert_eq!(net.node_count(), 2, "1-2 kept, node 3 dropped as an island");
    assert_eq!(net.report().nodes_dropped, 1);
}

#[test]
fn empty_target_list_gives_empty_rows() {
    let net = GridCity::default().build().expect("grid");
    let src: Vec<_> = net.node_ids().take(3).collect();
    let m = net.matrix(&src, &[]).expect("matrix");
    assert_eq!((m.sources, m.targets, m.duration_s.len()), (3, 0, 0));
}

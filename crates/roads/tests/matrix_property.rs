//! The matrix agrees with petgraph's own Dijkstra on random graphs: an
//! independent checker for the CSR search, packing and rounding.

use fillroute_roads::{EdgeData, LonLat, NodeData, RoadClass, RoadNetwork};
use petgraph::graph::NodeIndex;
use proptest::prelude::*;

fn random_network() -> impl Strategy<Value = (Vec<NodeData>, Vec<(u32, u32, EdgeData)>)> {
    (2usize..40).prop_flat_map(|n| {
        let nodes = proptest::collection::vec((7.0f64..7.05, 43.0f64..43.05), n);
        // Small weight ranges make equal-time ties common, exercising the
        // "fastest, then shortest" tie-break.
        let edges =
            proptest::collection::vec((0..n as u32, 0..n as u32, 0u32..3_000, 0u32..40), n..n * 4);
        (nodes, edges).prop_map(|(nodes, edges)| {
            let nodes = nodes
                .into_iter()
                .map(|(lon, lat)| NodeData {
                    pos: LonLat::new(lon, lat).expect("in range"),
                    osm_id: None,
                })
                .collect();
            let edges = edges
                .into_iter()
                .map(|(a, b, length_dm, time_ds)| {
                    (
                        a,
                        b,
                        EdgeData {
                            length_dm,
                            time_ds,
                            class: RoadClass::Road,
                        },
                    )
                })
                .collect();
            (nodes, edges)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn matrix_equals_petgraph_dijkstra_on_a_random_graph((nodes, edges) in random_network()) {
        let Ok(net) = RoadNetwork::from_edges(nodes, edges) else {
            // No strongly connected part with an edge: nothing to compare.
            return Ok(());
        };
        let all: Vec<_> = net.node_ids().collect();
        let m = net.matrix(&all, &all).expect("matrix");
        let g = net.graph();
        for (i, &s) in all.iter().enumerate() {
            let by_time = petgraph::algo::dijkstra(g, s.into(), None, |e| u64::from(e.weight().time_ds));
            let lexi = petgraph::algo::dijkstra(g, s.into(), None, |e| {
                (u64::from(e.weight().time_ds) << 32) | u64::from(e.weight().length_dm)
            });
            for (j, &t) in all.iter().enumerate() {
                let (d, secs) = m.get(i, j).expect("strongly connected: every pair reachable");
                let best_ds = by_time[&NodeIndex::from(t)];
                prop_assert_eq!(u64::from(secs), (best_ds + 5) / 10, "time {}->{}", i, j);
                let packed = lexi[&NodeIndex::from(t)];
                prop_assert_eq!(packed >> 32, best_ds);
                prop_assert_eq!(u64::from(d), ((packed & 0xffff_ffff) + 5) / 10, "distance {}->{}", i, j);
            }
            // path() returns a walk whose edges exist and whose cost is the optimum.
            let t = all[all.len() - 1 - i];
            let route = net.path(s, t).expect("ok").expect("route");
            prop_assert_eq!(route.nodes.first(), Some(&s));
            prop_assert_eq!(route.nodes.last(), Some(&t));
            let mut ds = 0u64;
            for w in route.nodes.windows(2) {
                let best_edge = g
                    .edges_connecting(w[0].into(), w[1].into())
                    .map(|e| u64::from(e.weight().time_ds))
                    .min();
                prop_assert!(best_edge.is_some(), "route uses a missing edge");
                ds += best_edge.unwrap_or(0);
            }
            prop_assert_eq!(ds, by_time[&NodeIndex::from(t)]);
        }
    }
}

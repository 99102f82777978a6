//! Road networks for fillroute. A route plan is only as good as its travel
//! times: straight-line distances under-estimate city driving by 30–50 % and
//! ignore one-way streets, so tours that look short are late in practice. This
//! crate turns OpenStreetMap extracts (XML or PBF), GeoJSON or a generated grid
//! city into one strongly connected directed graph with fixed-point costs,
//! snaps bins to it, and computes many-to-many matrices with plain parallel
//! Dijkstra, which at city scale is fast enough that the extra build step and
//! memory of contraction hierarchies is not worth it (see BENCHMARKS-roads.md).
//! Costs are integers so matrices are identical on every machine, and each
//! network carries a content fingerprint so callers can cache matrices per map
//! version. Data derived from OSM must be shown with "© OpenStreetMap
//! contributors" (ODbL).
//!
//! ```
//! use fillroute_roads::{GridCity, LonLat, RoadNetwork};
//!
//! let net: RoadNetwork = GridCity { blocks_x: 4, blocks_y: 3, ..GridCity::default() }.build()?;
//! let bins = [LonLat::new(4.3502, 50.8501)?, LonLat::new(4.3560, 50.8530)?];
//! let nodes: Vec<_> = net.snap_all(&bins, 100.0)?.iter().map(|s| s.node).collect();
//! let m = net.matrix(&nodes, &nodes)?;
//! let (metres, seconds) = m.get(0, 1).expect("strongly connected");
//! assert!(metres > 0 && seconds > 0);
//! println!("network {} : {metres} m, {seconds} s", net.version());
//! # Ok::<(), fillroute_roads::RoadsError>(())
//! ```
#![forbid(unsafe_code)]

mod error;
mod geo;
mod geojson;
mod grid;
mod network;
mod osm;
mod osm_pbf;
mod osm_xml;
mod radix_heap;
mod route;

pub use error::{Result, RoadsError};
pub use geo::{EARTH_RADIUS_M, LonLat};
pub use grid::GridCity;
pub use network::{
    BuildReport, EdgeData, NetworkVersion, NodeData, NodeId, RoadClass, RoadNetwork, Snap,
};
pub use osm::{TAGGED_SPEED_FACTOR, parse_maxspeed_kmh};
pub use route::{Matrix, Route, UNREACHABLE, haversine_matrix};

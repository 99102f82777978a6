//! The routable graph: petgraph for interoperability, a CSR copy for fast searches.

use std::fmt;

use petgraph::graph::{DiGraph, NodeIndex};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::{Deserialize, Serialize};

use crate::error::{Result, RoadsError};
use crate::geo::{LocalProjection, LonLat};

/// Index of a node in one [`RoadNetwork`]; only meaningful with the network (and
/// [`NetworkVersion`]) it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// Position in [`RoadNetwork::graph`] node order.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl From<NodeId> for NodeIndex<u32> {
    fn from(n: NodeId) -> Self {
        NodeIndex::new(n.index())
    }
}

/// A graph node: a junction or shape point of a road.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NodeData {
    /// Position.
    pub pos: LonLat,
    /// OpenStreetMap node id when imported from OSM, for debugging against the map.
    pub osm_id: Option<i64>,
}

/// Road classes a waste truck may use, kept on edges so exports and speed
/// profiles can tell an arterial from a residential street.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum RoadClass {
    Motorway,
    MotorwayLink,
    Trunk,
    TrunkLink,
    Primary,
    PrimaryLink,
    Secondary,
    SecondaryLink,
    Tertiary,
    TertiaryLink,
    Unclassified,
    Residential,
    LivingStreet,
    Service,
    /// `highway=road` or an untagged GeoJSON line: class unknown.
    Road,
}

impl RoadClass {
    /// Parses an OSM `highway=*` value; `None` for anything a truck may not drive
    /// (footway, cycleway, path, steps, pedestrian, track, bridleway, construction, ...).
    pub fn from_osm(tag: &str) -> Option<Self> {
        use RoadClass::*;
        Some(match tag {
            "motorway" => Motorway,
            "motorway_link" => MotorwayLink,
            "trunk" => Trunk,
            "trunk_link" => TrunkLink,
            "primary" => Primary,
            "primary_link" => PrimaryLink,
            "secondary" => Secondary,
            "secondary_link" => SecondaryLink,
            "tertiary" => Tertiary,
            "tertiary_link" => TertiaryLink,
            "unclassified" => Unclassified,
            "residential" => Residential,
            "living_street" => LivingStreet,
            "service" => Service,
            "road" => Road,
            _ => return None,
        })
    }

    /// The OSM `highway=*` value.
    pub fn as_osm(self) -> &'static str {
        use RoadClass::*;
        match self {
            Motorway => "motorway",
            MotorwayLink => "motorway_link",
            Trunk => "trunk",
            TrunkLink => "trunk_link",
            Primary => "primary",
            PrimaryLink => "primary_link",
            Secondary => "secondary",
            SecondaryLink => "secondary_link",
            Tertiary => "tertiary",
            TertiaryLink => "tertiary_link",
            Unclassified => "unclassified",
            Residential => "residential",
            LivingStreet => "living_street",
            Service => "service",
            Road => "road",
        }
    }

    /// Typical truck speed in km/h when no `maxspeed` is tagged: below the legal
    /// limit because a loaded 26 t collection truck brakes, turns and stops.
    pub fn default_speed_kmh(self) -> f64 {
        use RoadClass::*;
        match self {
            Motorway => 80.0,
            Trunk => 70.0,
            Primary => 50.0,
            Secondary => 45.0,
            Tertiary => 40.0,
            MotorwayLink | TrunkLink => 45.0,
            PrimaryLink | SecondaryLink | TertiaryLink => 30.0,
            Unclassified => 35.0,
            Residential => 25.0,
            Road => 25.0,
            Service => 15.0,
            LivingStreet => 8.0,
        }
    }

    /// Motorways are one-way per carriageway in OSM unless tagged otherwise.
    pub fn implies_oneway(self) -> bool {
        matches!(self, RoadClass::Motorway | RoadClass::MotorwayLink)
    }
}

/// A directed road segment. Costs are fixed point so sums are exact and
/// matrices are bit-for-bit reproducible across machines and thread counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeData {
    /// Length in decimetres.
    pub length_dm: u32,
    /// Travel time in deciseconds.
    pub time_ds: u32,
    /// Road class, for exports and diagnostics.
    pub class: RoadClass,
}

impl EdgeData {
    /// Segment from `a` to `b` driven at `speed_kmh` (must be positive and finite).
    pub fn between(a: LonLat, b: LonLat, speed_kmh: f64, class: RoadClass) -> Result<Self> {
        if !(speed_kmh.is_finite() && speed_kmh > 0.0) {
            return Err(RoadsError::InvalidParameter {
                name: "speed_kmh",
                value: speed_kmh.to_string(),
                fix: "use a positive speed in km/h",
            });
        }
        let length_m = a.haversine_m(b);
        let length_dm = (length_m * 10.0).round().min(u32::MAX as f64) as u32;
        Ok(Self::with_length_dm(length_dm, speed_kmh, class))
    }

    /// Segment of `length_dm` decimetres at `speed_kmh` (assumed validated).
    pub(crate) fn with_length_dm(length_dm: u32, speed_kmh: f64, class: RoadClass) -> Self {
        let secs = f64::from(length_dm) / 10.0 / (speed_kmh / 3.6);
        let mut time_ds = (secs * 10.0).round().min(u32::MAX as f64) as u32;
        if length_dm > 0 {
            time_ds = time_ds.max(1);
        }
        Self {
            length_dm,
            time_ds,
            class,
        }
    }

    /// Length in metres.
    pub fn length_m(&self) -> f64 {
        f64::from(self.length_dm) / 10.0
    }

    /// Travel time in seconds.
    pub fn time_s(&self) -> f64 {
        f64::from(self.time_ds) / 10.0
    }

    /// Search cost: time in the high word, distance in the low word, so one u64
    /// addition and comparison gives "fastest, then shortest". Exact while a path
    /// stays under 2^32 dm (429 000 km).
    pub(crate) fn packed(&self) -> u64 {
        (u64::from(self.time_ds) << 32) | u64::from(self.length_dm)
    }
}

/// Content hash of a network (nodes, edges, costs), independent of node
/// numbering; cache travel matrices under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NetworkVersion(pub u64);

impl fmt::Display for NetworkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What the builder kept and threw away, so a surprising map can be explained.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildReport {
    /// Nodes before keeping the largest strongly connected component.
    pub nodes_before_scc: usize,
    /// Directed edges before keeping the largest strongly connected component.
    pub edges_before_scc: usize,
    /// Nodes dropped because they cannot reach, or be reached from, the main component.
    pub nodes_dropped: usize,
    /// Edges dropped with them.
    pub edges_dropped: usize,
    /// Number of strongly connected components found.
    pub components: usize,
    /// Input ways/features turned into edges.
    pub ways_used: usize,
    /// Input ways/features ignored (not car roads, too short, reversible, no access).
    pub ways_skipped: usize,
    /// Way node references with no coordinates in the file (clipped extracts).
    pub missing_node_refs: usize,
}

/// A point snapped onto the network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Snap {
    /// Nearest node.
    pub node: NodeId,
    /// Great-circle distance from the point to that node, metres.
    pub distance_m: f64,
}

/// Compressed sparse row adjacency: the search loop reads three flat arrays.
#[derive(Debug, Clone)]
pub(crate) struct Csr {
    pub(crate) offsets: Vec<u32>,
    pub(crate) heads: Vec<u32>,
    pub(crate) costs: Vec<u64>,
}

/// A car road network, reduced to its largest strongly connected component so
/// that every snapped point can reach every other.
#[derive(Debug, Clone)]
pub struct RoadNetwork {
    graph: DiGraph<NodeData, EdgeData, u32>,
    pub(crate) csr: Csr,
    rtree: RTree<GeomWithData<[f64; 2], u32>>,
    projection: LocalProjection,
    version: NetworkVersion,
    report: BuildReport,
}

impl RoadNetwork {
    /// Builds a network from explicit nodes and directed edges `(from, to, data)`,
    /// keeping only the largest strongly connected component.
    pub fn from_edges(nodes: Vec<NodeData>, edges: Vec<(u32, u32, EdgeData)>) -> Result<Self> {
        Self::finish(nodes, edges, BuildReport::default(), "edge list")
    }

    pub(crate) fn finish(
        nodes: Vec<NodeData>,
        edges: Vec<(u32, u32, EdgeData)>,
        mut report: BuildReport,
        origin: &str,
    ) -> Result<Self> {
        let n = nodes.len();
        if n > u32::MAX as usize - 1 {
            return Err(RoadsError::InvalidParameter {
                name: "node count",
                value: n.to_string(),
                fix: "split the extract; at most 2^32-2 nodes are supported",
            });
        }
        if let Some(&(a, b, _)) = edges
            .iter()
            .find(|(a, b, _)| *a as usize >= n || *b as usize >= n)
        {
            return Err(RoadsError::NodeOutOfRange {
                node: a.max(b),
                node_count: n,
            });
        }
        if edges.is_empty() {
            return Err(RoadsError::NoCarRoads {
                origin: origin.to_string(),
                detail: format!(
                    "{} ways used, {} skipped, 0 edges",
                    report.ways_used, report.ways_skipped
                ),
            });
        }

        let mut full: DiGraph<(), (), u32> = DiGraph::with_capacity(n, edges.len());
        for _ in 0..n {
            full.add_node(());
        }
        for &(a, b, _) in &edges {
            full.add_edge(NodeIndex::new(a as usize), NodeIndex::new(b as usize), ());
        }
        let sccs = petgraph::algo::tarjan_scc(&full);
        drop(full);
        // Largest component; ties go to the one holding the lowest node index, so
        // the choice does not depend on petgraph's traversal order.
        let best = sccs
            .iter()
            .max_by_key(|c| {
                (
                    c.len(),
                    std::cmp::Reverse(c.iter().map(|x| x.index()).min().unwrap_or(usize::MAX)),
                )
            })
            .map(|c| c.iter().map(|x| x.index()).collect::<Vec<_>>())
            .unwrap_or_default();
        report.components = sccs.len();
        drop(sccs);

        const DROPPED: u32 = u32::MAX;
        let mut remap = vec![DROPPED; n];
        let mut keep: Vec<usize> = best;
        keep.sort_unstable();
        for (new, &old) in keep.iter().enumerate() {
            remap[old] = new as u32;
        }

        let mut graph: DiGraph<NodeData, EdgeData, u32> =
            DiGraph::with_capacity(keep.len(), edges.len());
        for &old in &keep {
            graph.add_node(nodes[old]);
        }
        let edges_before = edges.len();
        for (a, b, e) in edges {
            let (na, nb) = (remap[a as usize], remap[b as usize]);
            if na != DROPPED && nb != DROPPED {
                graph.add_edge(NodeIndex::new(na as usize), NodeIndex::new(nb as usize), e);
            }
        }
        report.nodes_before_scc = n;
        report.edges_before_scc = edges_before;
        report.nodes_dropped = n - graph.node_count();
        report.edges_dropped = edges_before - graph.edge_count();
        if graph.edge_count() == 0 {
            return Err(RoadsError::NoCarRoads {
                origin: origin.to_string(),
                detail: format!(
                    "{n} nodes but no two of them are mutually reachable (one-way dead ends only)"
                ),
            });
        }
        Ok(Self::index(graph, report))
    }

    fn index(graph: DiGraph<NodeData, EdgeData, u32>, report: BuildReport) -> Self {
        let n = graph.node_count();
        let mut offsets = vec![0u32; n + 1];
        for e in graph.raw_edges() {
            offsets[e.source().index() + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut heads = vec![0u32; graph.edge_count()];
        let mut costs = vec![0u64; graph.edge_count()];
        for e in graph.raw_edges() {
            let slot = &mut fill[e.source().index()];
            heads[*slot as usize] = e.target().index() as u32;
            costs[*slot as usize] = e.weight.packed();
            *slot += 1;
        }

        let mean_lat = graph.node_weights().map(|d| d.pos.lat()).sum::<f64>() / n.max(1) as f64;
        let projection = LocalProjection::new(mean_lat);
        let points = graph
            .node_indices()
            .map(|i| GeomWithData::new(projection.project(graph[i].pos), i.index() as u32))
            .collect();
        let rtree = RTree::bulk_load(points);
        let version = fingerprint(&graph);
        Self {
            graph,
            csr: Csr {
                offsets,
                heads,
                costs,
            },
            rtree,
            projection,
            version,
            report,
        }
    }

    /// The underlying petgraph graph, for algorithms this crate does not provide.
    pub fn graph(&self) -> &DiGraph<NodeData, EdgeData, u32> {
        &self.graph
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Number of directed edges.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// All node ids, in index order.
    pub fn node_ids(&self) -> impl ExactSizeIterator<Item = NodeId> + '_ {
        (0..self.graph.node_count() as u32).map(NodeId)
    }

    /// Position of a node.
    pub fn position(&self, node: NodeId) -> Result<LonLat> {
        self.check(node)?;
        Ok(self.graph[NodeIndex::new(node.index())].pos)
    }

    /// Content fingerprint, stable across runs, platforms and node numbering.
    pub fn version(&self) -> NetworkVersion {
        self.version
    }

    /// What the builder dropped and why.
    pub fn report(&self) -> &BuildReport {
        &self.report
    }

    /// Nearest node to `point`; errors if it is farther than `max_distance_m`.
    pub fn snap(&self, point: LonLat, max_distance_m: f64) -> Result<Snap> {
        self.snap_indexed(0, point, max_distance_m)
    }

    /// Snaps every point, failing on the first one too far away (named by index).
    pub fn snap_all(&self, points: &[LonLat], max_distance_m: f64) -> Result<Vec<Snap>> {
        points
            .iter()
            .enumerate()
            .map(|(i, &p)| self.snap_indexed(i, p, max_distance_m))
            .collect()
    }

    fn snap_indexed(&self, index: usize, point: LonLat, max_distance_m: f64) -> Result<Snap> {
        if max_distance_m.is_nan() || max_distance_m < 0.0 {
            return Err(RoadsError::InvalidParameter {
                name: "max_distance_m",
                value: max_distance_m.to_string(),
                fix: "use a non-negative distance in metres (e.g. 100)",
            });
        }
        let q = self.projection.project(point);
        // The projected nearest node and the great-circle nearest agree except
        // in near-ties; re-rank the few closest by haversine to be exact.
        let mut best: Option<Snap> = None;
        for cand in self.rtree.nearest_neighbor_iter(&q).take(4) {
            let node = NodeId(cand.data);
            let d = point.haversine_m(self.graph[NodeIndex::new(node.index())].pos);
            if best.is_none_or(|b| d < b.distance_m || (d == b.distance_m && node < b.node)) {
                best = Some(Snap {
                    node,
                    distance_m: d,
                });
            }
        }
        let best = best.ok_or(RoadsError::NoCarRoads {
            origin: "network".into(),
            detail: "empty".into(),
        })?;
        if best.distance_m > max_distance_m {
            return Err(RoadsError::SnapTooFar {
                index,
                lon: point.lon(),
                lat: point.lat(),
                distance_m: best.distance_m,
                max_m: max_distance_m,
            });
        }
        Ok(best)
    }

    pub(crate) fn check(&self, node: NodeId) -> Result<()> {
        if node.index() < self.graph.node_count() {
            Ok(())
        } else {
            Err(RoadsError::NodeOutOfRange {
                node: node.0,
                node_count: self.graph.node_count(),
            })
        }
    }
}

/// FNV-1a: tiny, and unlike std's hasher its output is specified, so a version
/// computed today matches one computed by a later build.
fn fnv1a(words: &[u64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for b in w.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Degrees at OSM's own precision (1e-7, about 1 cm), so text round trips that
/// perturb the last float bit do not change the version.
fn e7(deg: f64) -> u64 {
    (deg * 1e7).round() as i64 as u64
}

fn fingerprint(g: &DiGraph<NodeData, EdgeData, u32>) -> NetworkVersion {
    let mut per_edge: Vec<u64> = g
        .raw_edges()
        .iter()
        .map(|e| {
            let a = g[e.source()].pos;
            let b = g[e.target()].pos;
            fnv1a(&[
                e7(a.lon()),
                e7(a.lat()),
                e7(b.lon()),
                e7(b.lat()),
                e.weight.packed(),
            ])
        })
        .collect();
    per_edge.sort_unstable();
    per_edge.push(g.node_count() as u64);
    NetworkVersion(fnv1a(&per_edge))
}

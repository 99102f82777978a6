//! Road networks between files, PostGIS and the planner: import a file into
//! the road tables, load a stored network back into a routable graph, and
//! keep travel matrices per network version so a re-import (which bumps the
//! version) is the only thing that invalidates them.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use fillroute_roads::{
    BuildReport, EdgeData, LonLat, Matrix, NodeData, NodeId, RoadClass, RoadNetwork, RoadsError,
};
use fillroute_store::{NetworkId, NewRoadNetwork, RoadEdge, RoadNetworkInfo, Store};

use crate::error::{PlanningError, Result};

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// The stored network (its version is 1 on first import).
    pub network: RoadNetworkInfo,
    /// What the road builder kept and dropped.
    pub build: BuildReport,
    /// Seconds spent reading and building the graph.
    pub read_seconds: f64,
    /// Seconds spent writing it to PostGIS.
    pub write_seconds: f64,
}

/// The input formats [`read_road_file`] recognises, from the file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoadFormat {
    /// OSM PBF.
    Pbf,
    /// OSM XML, gzipped or not.
    OsmXml,
    /// GeoJSON LineStrings.
    GeoJson,
}

/// Guesses the format from content, not name: gzip or `<` is OSM XML, `{` is
/// GeoJSON, anything else is handed to the PBF reader (which names the file
/// when it is not PBF either).
pub fn sniff_format(path: &Path) -> Result<RoadFormat> {
    let io = |source| RoadsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut head = [0u8; 64];
    let mut file = std::fs::File::open(path).map_err(io)?;
    let n = file.read(&mut head).map_err(io)?;
    let first = head[..n].iter().find(|b| !b.is_ascii_whitespace());
    Ok(match (head.get(..2), first) {
        (Some([0x1f, 0x8b]), _) => RoadFormat::OsmXml,
        (_, Some(b'<')) => RoadFormat::OsmXml,
        (_, Some(b'{')) => RoadFormat::GeoJson,
        _ => RoadFormat::Pbf,
    })
}

/// Reads a road file of any supported format into a graph.
pub fn read_road_file(path: &Path) -> Result<RoadNetwork> {
    Ok(match sniff_format(path)? {
        RoadFormat::Pbf => RoadNetwork::from_osm_pbf(path)?,
        RoadFormat::OsmXml => RoadNetwork::from_osm_xml(path)?,
        RoadFormat::GeoJson => RoadNetwork::from_geojson_file(path)?,
    })
}

/// The default network name for a file: its name up to the first dot
/// (`andorra.osm.pbf` → `andorra`).
pub fn default_network_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.split('.').next().unwrap_or_default().to_owned()
}

fn check_network_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(PlanningError::invalid(
            "network",
            format!("{name:?}"),
            "use 1-64 letters, digits, '-' or '_' (e.g. --network andorra)",
        ))
    }
}

/// Imports `path` as network `name` in one transaction: a new name starts at
/// version 1, an existing one is replaced and its version bumped.
pub async fn import_road_file(store: &Store, path: &Path, name: &str) -> Result<ImportReport> {
    check_network_name(name)?;
    let started = Instant::now();
    let owned = path.to_path_buf();
    let net = tokio::task::spawn_blocking(move || read_road_file(&owned))
        .await
        .map_err(|e| PlanningError::Internal(format!("road reader: {e}")))??;
    let read_seconds = started.elapsed().as_secs_f64();
    let rows = to_rows(&net, name, path);
    let started = Instant::now();
    let network = store.replace_road_network(&rows).await?;
    let write_seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        network = %network.name,
        version = network.version,
        nodes = network.node_count,
        edges = network.edge_count,
        read_seconds,
        write_seconds,
        "road network imported"
    );
    Ok(ImportReport {
        network,
        build: net.report().clone(),
        read_seconds,
        write_seconds,
    })
}

/// The rows that store `net` as network `name` (`path` is recorded as its source).
pub fn to_rows(net: &RoadNetwork, name: &str, path: &Path) -> NewRoadNetwork {
    let g = net.graph();
    let mut rows = NewRoadNetwork {
        name: name.to_owned(),
        fingerprint: net.version().to_string(),
        source_file: path.display().to_string(),
        ..NewRoadNetwork::default()
    };
    for node in g.node_weights() {
        rows.node_lon.push(node.pos.lon());
        rows.node_lat.push(node.pos.lat());
        rows.node_osm_id.push(node.osm_id.unwrap_or(0));
    }
    rows.edges = g
        .raw_edges()
        .iter()
        .map(|e| RoadEdge {
            source: e.source().index() as i64,
            target: e.target().index() as i64,
            length_m: e.weight.length_m(),
            travel_time_s: e.weight.time_s(),
            highway: e.weight.class.as_osm().to_owned(),
        })
        .collect();
    rows
}

/// Rebuilds the routable graph from stored rows. Costs are stored as
/// decimetres and deciseconds divided by ten, so rounding restores them
/// exactly and the fingerprint matches the imported one.
fn from_rows(rows: fillroute_store::RoadGraphRows) -> Result<RoadNetwork> {
    let nodes = rows
        .node_lon
        .iter()
        .zip(&rows.node_lat)
        .zip(&rows.node_osm_id)
        .enumerate()
        .map(|(i, ((&lon, &lat), &osm_id))| {
            Ok(NodeData {
                pos: LonLat::checked(lon, lat, &format!("road_nodes[{i}]"))?,
                osm_id,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let edges = rows
        .edges
        .iter()
        .map(|e| {
            let data = EdgeData {
                length_dm: (e.length_m * 10.0).round() as u32,
                time_ds: (e.travel_time_s * 10.0).round() as u32,
                class: RoadClass::from_osm(&e.highway).unwrap_or(RoadClass::Road),
            };
            (e.source as u32, e.target as u32, data)
        })
        .collect();
    Ok(RoadNetwork::from_edges(nodes, edges)?)
}

/// A stored network loaded into memory, with the matrices computed on it.
#[derive(Debug)]
pub struct LoadedNetwork {
    /// The stored network's id.
    pub id: NetworkId,
    /// The version the graph was read at.
    pub version: i32,
    /// The routable graph.
    pub graph: RoadNetwork,
    matrices: Mutex<HashMap<Vec<NodeId>, Arc<Matrix>>>,
}

/// Matrices kept per loaded network; the oldest are dropped past this.
const MATRICES_PER_NETWORK: usize = 8;

impl LoadedNetwork {
    /// The all-to-all matrix between `nodes`, computed once per node list
    /// and network version.
    pub fn matrix(&self, nodes: &[NodeId]) -> Result<Arc<Matrix>> {
        if let Ok(cache) = self.matrices.lock()
            && let Some(m) = cache.get(nodes)
        {
            return Ok(Arc::clone(m));
        }
        let started = Instant::now();
        let m = Arc::new(self.graph.matrix(nodes, nodes)?);
        tracing::info!(
            network = %self.id,
            version = self.version,
            points = nodes.len(),
            seconds = started.elapsed().as_secs_f64(),
            "travel matrix computed"
        );
        if let Ok(mut cache) = self.matrices.lock() {
            if cache.len() >= MATRICES_PER_NETWORK {
                cache.clear();
            }
            cache.insert(nodes.to_vec(), Arc::clone(&m));
        }
        Ok(m)
    }

    /// Number of matrices held (for tests of the cache).
    pub fn cached_matrices(&self) -> usize {
        self.matrices.lock().map(|c| c.len()).unwrap_or(0)
    }
}

/// Loaded networks by id; an entry is replaced when the stored version moves on.
#[derive(Debug, Default)]
pub struct NetworkCache {
    loaded: Mutex<HashMap<NetworkId, Arc<LoadedNetwork>>>,
}

impl NetworkCache {
    /// The current version of network `id`, from memory when it has not
    /// changed in PostGIS since it was loaded.
    pub async fn get(&self, store: &Store, id: NetworkId) -> Result<Arc<LoadedNetwork>> {
        let info = store
            .road_network(id)
            .await?
            .ok_or_else(|| PlanningError::not_found("road network", id))?;
        if let Ok(loaded) = self.loaded.lock()
            && let Some(hit) = loaded.get(&id)
            && hit.version == info.version
        {
            return Ok(Arc::clone(hit));
        }
        let started = Instant::now();
        let (version, rows) = store.road_graph(id).await?;
        let graph = tokio::task::spawn_blocking(move || from_rows(rows))
            .await
            .map_err(|e| PlanningError::Internal(format!("network loader: {e}")))??;
        tracing::info!(
            network = %info.name,
            version,
            nodes = graph.node_count(),
            seconds = started.elapsed().as_secs_f64(),
            "road network loaded from PostGIS"
        );
        let fresh = Arc::new(LoadedNetwork {
            id,
            version,
            graph,
            matrices: Mutex::new(HashMap::new()),
        });
        if let Ok(mut loaded) = self.loaded.lock() {
            loaded.insert(id, Arc::clone(&fresh));
        }
        Ok(fresh)
    }
}

//! Named road networks: a whole graph replaced in one transaction, so a
//! planner never reads half an import, and a version that goes up on every
//! re-import so cached travel matrices know when they are stale.

use crate::{Store, StoreError};
use time::OffsetDateTime;

/// A road network's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetworkId(pub i64);

impl std::fmt::Display for NetworkId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A graph to store: nodes are numbered by their position in `nodes`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewRoadNetwork {
    /// Name the planner refers to it by (e.g. `andorra`).
    pub name: String,
    /// Content fingerprint (hex) of the graph.
    pub fingerprint: String,
    /// File it came from, for the record.
    pub source_file: String,
    /// Longitudes of the nodes, degrees.
    pub node_lon: Vec<f64>,
    /// Latitudes of the nodes, degrees.
    pub node_lat: Vec<f64>,
    /// OpenStreetMap ids of the nodes; 0 where there is none.
    pub node_osm_id: Vec<i64>,
    /// Directed edges.
    pub edges: Vec<RoadEdge>,
}

/// One directed road segment between two node indices.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadEdge {
    /// Tail node index.
    pub source: i64,
    /// Head node index.
    pub target: i64,
    /// Length, metres.
    pub length_m: f64,
    /// Travel time, seconds.
    pub travel_time_s: f64,
    /// OSM `highway=*` class.
    pub highway: String,
}

/// What is known about a stored network.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadNetworkInfo {
    /// Its id.
    pub id: NetworkId,
    /// Its name.
    pub name: String,
    /// 1 on first import, +1 on every re-import.
    pub version: i32,
    /// Content fingerprint (hex).
    pub fingerprint: String,
    /// The imported file.
    pub source_file: String,
    /// Node count.
    pub node_count: i32,
    /// Directed edge count.
    pub edge_count: i32,
    /// When it was imported.
    pub imported_at: OffsetDateTime,
}

/// A stored graph, nodes in index order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoadGraphRows {
    /// Longitudes.
    pub node_lon: Vec<f64>,
    /// Latitudes.
    pub node_lat: Vec<f64>,
    /// OSM ids (`None` for GeoJSON networks).
    pub node_osm_id: Vec<Option<i64>>,
    /// Directed edges.
    pub edges: Vec<RoadEdge>,
}

impl Store {
    /// Stores `net` under its name in one transaction: a new name starts at
    /// version 1, an existing one has its graph replaced and its version bumped.
    pub async fn replace_road_network(
        &self,
        net: &NewRoadNetwork,
    ) -> Result<RoadNetworkInfo, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query!(
            r#"INSERT INTO road_networks (name, fingerprint, source_file, node_count, edge_count)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (name) DO UPDATE SET version = road_networks.version + 1,
                 fingerprint = EXCLUDED.fingerprint, source_file = EXCLUDED.source_file,
                 node_count = EXCLUDED.node_count, edge_count = EXCLUDED.edge_count, imported_at = now()
               RETURNING id, name, version, fingerprint, source_file, node_count, edge_count, imported_at"#,
            net.name,
            net.fingerprint,
            net.source_file,
            i32::try_from(net.node_lon.len()).unwrap_or(i32::MAX),
            i32::try_from(net.edges.len()).unwrap_or(i32::MAX),
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query!("DELETE FROM road_edges WHERE network_id = $1", row.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query!("DELETE FROM road_nodes WHERE network_id = $1", row.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query!(
            r#"INSERT INTO road_nodes (network_id, id, osm_id, geom)
               SELECT $1, u.ord - 1, NULLIF(u.osm, 0), ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326)
               FROM UNNEST($2::float8[], $3::float8[], $4::int8[]) WITH ORDINALITY AS u(lon, lat, osm, ord)"#,
            row.id,
            &net.node_lon,
            &net.node_lat,
            &net.node_osm_id,
        )
        .execute(&mut *tx)
        .await?;
        let source: Vec<i64> = net.edges.iter().map(|e| e.source).collect();
        let target: Vec<i64> = net.edges.iter().map(|e| e.target).collect();
        let length: Vec<f64> = net.edges.iter().map(|e| e.length_m).collect();
        let time: Vec<f64> = net.edges.iter().map(|e| e.travel_time_s).collect();
        let highway: Vec<String> = net.edges.iter().map(|e| e.highway.clone()).collect();
        sqlx::query!(
            r#"INSERT INTO road_edges (network_id, source, target, geom, length_m, travel_time_s, highway)
               SELECT $1, u.s, u.t, ST_MakeLine(a.geom, b.geom), u.len, u.secs, u.hw
               FROM UNNEST($2::int8[], $3::int8[], $4::float8[], $5::float8[], $6::text[]) AS u(s, t, len, secs, hw)
               JOIN road_nodes a ON a.network_id = $1 AND a.id = u.s
               JOIN road_nodes b ON b.network_id = $1 AND b.id = u.t"#,
            row.id,
            &source,
            &target,
            &length,
            &time,
            &highway,
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(RoadNetworkInfo {
            id: NetworkId(row.id),
            name: row.name,
            version: row.version,
            fingerprint: row.fingerprint,
            source_file: row.source_file,
            node_count: row.node_count,
            edge_count: row.edge_count,
            imported_at: row.imported_at,
        })
    }

    /// The network called `name`, if imported.
    pub async fn road_network_by_name(
        &self,
        name: &str,
    ) -> Result<Option<RoadNetworkInfo>, StoreError> {
        let row = sqlx::query!(
            r#"SELECT id, name, version, fingerprint, source_file, node_count, edge_count, imported_at
               FROM road_networks WHERE name = $1"#,
            name
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| RoadNetworkInfo {
            id: NetworkId(r.id),
            name: r.name,
            version: r.version,
            fingerprint: r.fingerprint,
            source_file: r.source_file,
            node_count: r.node_count,
            edge_count: r.edge_count,
            imported_at: r.imported_at,
        }))
    }

    /// The network with `id`, if any.
    pub async fn road_network(&self, id: NetworkId) -> Result<Option<RoadNetworkInfo>, StoreError> {
        let row = sqlx::query!(
            r#"SELECT id, name, version, fingerprint, source_file, node_count, edge_count, imported_at
               FROM road_networks WHERE id = $1"#,
            id.0
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| RoadNetworkInfo {
            id: NetworkId(r.id),
            name: r.name,
            version: r.version,
            fingerprint: r.fingerprint,
            source_file: r.source_file,
            node_count: r.node_count,
            edge_count: r.edge_count,
            imported_at: r.imported_at,
        }))
    }

    /// Every node and edge of network `id` plus the version they belong to,
    /// read in one snapshot so a concurrent re-import cannot mix two graphs.
    pub async fn road_graph(&self, id: NetworkId) -> Result<(i32, RoadGraphRows), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        let version = sqlx::query_scalar!("SELECT version FROM road_networks WHERE id = $1", id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "road network",
                id: id.to_string(),
            })?;
        let nodes = sqlx::query!(
            r#"SELECT osm_id, ST_X(geom) AS "lon!", ST_Y(geom) AS "lat!"
               FROM road_nodes WHERE network_id = $1 ORDER BY id"#,
            id.0
        )
        .fetch_all(&mut *tx)
        .await?;
        let edges = sqlx::query!(
            r#"SELECT source, target, length_m, travel_time_s, coalesce(highway, 'road') AS "highway!"
               FROM road_edges WHERE network_id = $1 ORDER BY id"#,
            id.0
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut rows = RoadGraphRows::default();
        for n in nodes {
            rows.node_lon.push(n.lon);
            rows.node_lat.push(n.lat);
            rows.node_osm_id.push(n.osm_id);
        }
        rows.edges = edges
            .into_iter()
            .map(|e| RoadEdge {
                source: e.source,
                target: e.target,
                length_m: e.length_m,
                travel_time_s: e.travel_time_s,
                highway: e.highway,
            })
            .collect();
        Ok((version, rows))
    }
}

//! What a route map shows, as plain serialisable data in WGS84 lon/lat.

use serde::{Deserialize, Serialize};

/// A named point: a depot or a disposal site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Shown on hover.
    pub name: String,
    /// `[lon, lat]`.
    pub at: [f64; 2],
}

impl Place {
    /// A place named `name` at `[lon, lat]`.
    pub fn new(name: impl Into<String>, at: [f64; 2]) -> Self {
        Self {
            name: name.into(),
            at,
        }
    }
}

/// One bin: its fill decides its colour, and an unserved bin carries the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinMark {
    /// Bin id.
    pub id: String,
    /// `[lon, lat]`.
    pub at: [f64; 2],
    /// Fill fraction (0 = empty, 1 = full, above 1 = overflowing).
    pub fill: f64,
    /// Index into [`MapData::routes`] of the route that serves it, if any.
    pub route: Option<usize>,
    /// Why a bin that should have been served was not (drawn with a cross).
    pub unserved: Option<String>,
    /// Extra hover text (decision, forecast).
    pub note: String,
}

/// One truck's route as a polyline along the roads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteLine {
    /// Legend label, e.g. "truck 2".
    pub name: String,
    /// `[lon, lat]` vertices in driving order.
    pub path: Vec<[f64; 2]>,
    /// Legend detail, e.g. "23 stops · 41.2 km".
    pub summary: String,
}

impl RouteLine {
    /// A route with no summary.
    pub fn new(name: impl Into<String>, path: Vec<[f64; 2]>) -> Self {
        Self {
            name: name.into(),
            path,
            summary: String::new(),
        }
    }
}

/// Everything on one map.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MapData {
    /// Page and map title.
    pub title: String,
    /// A line under the title (date, policy, totals).
    pub subtitle: String,
    /// Road segments as polylines.
    pub roads: Vec<Vec<[f64; 2]>>,
    /// Depots.
    pub depots: Vec<Place>,
    /// Disposal sites.
    pub disposal_sites: Vec<Place>,
    /// Bins.
    pub bins: Vec<BinMark>,
    /// Routes, one colour each.
    pub routes: Vec<RouteLine>,
    /// Attribution line; defaults to the OSM one, which ODbL data requires.
    pub attribution: String,
}

impl MapData {
    /// An empty map with the OSM attribution.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            attribution: "© OpenStreetMap contributors".into(),
            ..Self::default()
        }
    }
}

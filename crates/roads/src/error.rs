//! One error enum for the crate, so callers map road failures to a status once.

use std::path::PathBuf;

/// Everything that can go wrong while building or querying a road network.
///
/// Each message names the input (file, field or value) and how to fix it, because
/// the person reading it is usually preparing a map extract, not debugging Rust.
#[derive(Debug, thiserror::Error)]
pub enum RoadsError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}; check the path and permissions")]
    Io {
        /// File that failed.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// OSM XML that is not well-formed or lacks a required attribute.
    #[error(
        "OSM XML {path} at byte {position}: {message}; re-export the extract (e.g. osmium cat in.pbf -o out.osm.gz)"
    )]
    Xml {
        /// File that failed.
        path: PathBuf,
        /// Byte offset in the (decompressed) stream.
        position: u64,
        /// What was wrong.
        message: String,
    },

    /// The PBF decoder rejected the file.
    #[error("OSM PBF {path}: {message}; check that the file is a complete .osm.pbf extract")]
    Pbf {
        /// File that failed.
        path: PathBuf,
        /// Decoder message.
        message: String,
    },

    /// GeoJSON that does not have the shape the builder expects.
    #[error("GeoJSON {origin}, field `{field}`: {message}; fix: {fix}")]
    GeoJson {
        /// File path, or `<memory>` for strings.
        origin: String,
        /// JSON path of the offending field, e.g. `features[3].geometry.coordinates`.
        field: String,
        /// What was wrong.
        message: String,
        /// What to change.
        fix: &'static str,
    },

    /// A coordinate that is NaN, infinite or outside WGS84 ranges.
    #[error(
        "invalid coordinate in {field}: lon={lon}, lat={lat}; fix: give WGS84 degrees as [lon, lat] with -180<=lon<=180 and -90<=lat<=90"
    )]
    InvalidCoordinate {
        /// Where the coordinate came from.
        field: String,
        /// Longitude as given.
        lon: f64,
        /// Latitude as given.
        lat: f64,
    },

    /// The input parsed, but nothing in it can be driven by a truck.
    #[error(
        "{origin}: no car-usable roads ({detail}); fix: use an extract containing highway=residential/primary/... ways, or check the oneway/access tags"
    )]
    NoCarRoads {
        /// File path or source description.
        origin: String,
        /// Counts that help diagnose why.
        detail: String,
    },

    /// A point to snap lies farther from the network than allowed.
    #[error(
        "point #{index} (lon={lon}, lat={lat}) is {distance_m:.0} m from the nearest road node, more than the {max_m:.0} m allowed; fix: check the coordinate order ([lon, lat]) or use a map extract that covers it"
    )]
    SnapTooFar {
        /// Position of the point in the caller's list.
        index: usize,
        /// Longitude of the point.
        lon: f64,
        /// Latitude of the point.
        lat: f64,
        /// Distance to the nearest node in metres.
        distance_m: f64,
        /// The configured maximum.
        max_m: f64,
    },

    /// A node id that does not belong to this network (e.g. from another version).
    #[error(
        "node {node} does not exist in this network of {node_count} nodes; fix: snap points against the same network version you query"
    )]
    NodeOutOfRange {
        /// The id given.
        node: u32,
        /// Number of nodes in the network.
        node_count: usize,
    },

    /// A numeric parameter out of its valid range.
    #[error("invalid {name} = {value}; fix: {fix}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Value given, formatted.
        value: String,
        /// What a valid value looks like.
        fix: &'static str,
    },
}

/// Shorthand used throughout the crate.
pub type Result<T, E = RoadsError> = std::result::Result<T, E>;

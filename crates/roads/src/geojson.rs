//! GeoJSON in and out: the format planners and map viewers already speak, so a
//! hand-drawn test network or an exported one can be loaded without OSM tooling.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::error::{Result, RoadsError};
use crate::geo::LonLat;
use crate::network::{BuildReport, EdgeData, NodeData, RoadClass, RoadNetwork};
use crate::osm::{Direction, TAGGED_SPEED_FACTOR, parse_maxspeed_kmh};
use crate::route::Route;

struct Ctx<'a> {
    origin: &'a str,
}

impl Ctx<'_> {
    fn err(
        &self,
        field: impl Into<String>,
        message: impl Into<String>,
        fix: &'static str,
    ) -> RoadsError {
        RoadsError::GeoJson {
            origin: self.origin.to_string(),
            field: field.into(),
            message: message.into(),
            fix,
        }
    }
}

impl RoadNetwork {
    /// Reads a GeoJSON file; see [`RoadNetwork::from_geojson_str`].
    pub fn from_geojson_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| RoadsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_geojson_with_origin(&text, &path.display().to_string())
    }

    /// Builds from a FeatureCollection of LineString / MultiLineString features.
    /// Coordinates that are exactly equal become one node. Properties, all optional:
    /// `highway` (OSM class; non-car classes are skipped), `oneway` (`true`, `"yes"`,
    /// `"-1"`, `1`, ...), `maxspeed` (OSM semantics, scaled by
    /// [`TAGGED_SPEED_FACTOR`]), `speed_kmh` (used as is), and per-segment
    /// `length_m` / `duration_s` (written by [`RoadNetwork::to_geojson`]; honoured
    /// only on two-point lines).
    pub fn from_geojson_str(text: &str) -> Result<Self> {
        Self::from_geojson_with_origin(text, "<memory>")
    }

    fn from_geojson_with_origin(text: &str, origin: &str) -> Result<Self> {
        let cx = Ctx { origin };
        let root: Value = serde_json::from_str(text).map_err(|e| {
            cx.err(
                format!("line {} column {}", e.line(), e.column()),
                e.to_string(),
                "supply valid JSON",
            )
        })?;
        if root.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
            return Err(cx.err(
                "type",
                "expected \"FeatureCollection\"",
                "wrap the lines in a FeatureCollection",
            ));
        }
        let features = root
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                cx.err(
                    "features",
                    "missing or not an array",
                    "add a \"features\" array",
                )
            })?;

        let mut index: HashMap<(u64, u64), u32> = HashMap::new();
        let mut nodes: Vec<NodeData> = Vec::new();
        let mut edges: Vec<(u32, u32, EdgeData)> = Vec::new();
        let mut report = BuildReport::default();
        for (fi, f) in features.iter().enumerate() {
            let field = |s: &str| format!("features[{fi}].{s}");
            let empty = Map::new();
            let props = match f.get("properties") {
                None | Some(Value::Null) => &empty,
                Some(Value::Object(m)) => m,
                Some(_) => {
                    return Err(cx.err(
                        field("properties"),
                        "not an object",
                        "use an object or null",
                    ));
                }
            };
            let class = match props.get("highway") {
                None | Some(Value::Null) => Some(RoadClass::Road),
                Some(Value::String(h)) => RoadClass::from_osm(h),
                Some(_) => {
                    return Err(cx.err(
                        field("properties.highway"),
                        "not a string",
                        "use an OSM highway value",
                    ));
                }
            };
            let Some(class) = class else {
                report.ways_skipped += 1;
                continue;
            };
            let direction = parse_oneway(props.get("oneway"), class).map_err(|m| {
                cx.err(
                    field("properties.oneway"),
                    m,
                    "use true/false, \"yes\"/\"no\"/\"-1\"",
                )
            })?;
            let speed_kmh = speed(props, class).map_err(|(k, m)| {
                cx.err(
                    field(&format!("properties.{k}")),
                    m,
                    "use a positive number (km/h) or an OSM maxspeed string",
                )
            })?;
            let fixed_len = positive(props.get("length_m")).map_err(|m| {
                cx.err(
                    field("properties.length_m"),
                    m,
                    "use a non-negative number of metres",
                )
            })?;
            let fixed_dur = positive(props.get("duration_s")).map_err(|m| {
                cx.err(
                    field("properties.duration_s"),
                    m,
                    "use a non-negative number of seconds",
                )
            })?;

            let geom = f
                .get("geometry")
                .ok_or_else(|| cx.err(field("geometry"), "missing", "add a LineString geometry"))?;
            let coords = geom.get("coordinates");
            let multi = geom.get("type").and_then(Value::as_str) == Some("MultiLineString");
            let lines: Vec<&Vec<Value>> = match (geom.get("type").and_then(Value::as_str), coords) {
                (Some("LineString"), Some(Value::Array(c))) => vec![c],
                (Some("MultiLineString"), Some(Value::Array(ls))) => ls
                    .iter()
                    .map(|l| {
                        l.as_array().ok_or_else(|| {
                            cx.err(
                                field("geometry.coordinates"),
                                "line is not an array",
                                "use [[lon, lat], ...]",
                            )
                        })
                    })
                    .collect::<Result<_>>()?,
                (Some("LineString" | "MultiLineString"), _) => {
                    return Err(cx.err(
                        field("geometry.coordinates"),
                        "missing or not an array",
                        "use [[lon, lat], ...]",
                    ));
                }
                _ => {
                    report.ways_skipped += 1;
                    continue;
                }
            };
            report.ways_used += 1;
            for (li, line) in lines.into_iter().enumerate() {
                let mut prev: Option<(u32, LonLat)> = None;
                for (ci, c) in line.iter().enumerate() {
                    let at = if multi {
                        field(&format!("geometry.coordinates[{li}][{ci}]"))
                    } else {
                        field(&format!("geometry.coordinates[{ci}]"))
                    };
                    let pos = parse_position(c)
                        .map_err(|m| cx.err(&at, m, "use [lon, lat] in WGS84 degrees"))?;
                    let pos = LonLat::checked(pos[0], pos[1], &format!("{origin} {at}"))?;
                    let key = (pos.lon().to_bits(), pos.lat().to_bits());
                    let ix = *index.entry(key).or_insert_with(|| {
                        nodes.push(NodeData { pos, osm_id: None });
                        (nodes.len() - 1) as u32
                    });
                    if let Some((pix, ppos)) = prev
                        && pix != ix
                    {
                        let mut e = EdgeData::between(ppos, pos, speed_kmh, class)?;
                        if line.len() == 2 {
                            if let Some(l) = fixed_len {
                                e = EdgeData::with_length_dm(
                                    (l * 10.0).round().min(u32::MAX as f64) as u32,
                                    speed_kmh,
                                    class,
                                );
                            }
                            if let Some(d) = fixed_dur {
                                e.time_ds = (d * 10.0).round().min(u32::MAX as f64) as u32;
                            }
                        }
                        if direction != Direction::Backward {
                            edges.push((pix, ix, e));
                        }
                        if direction != Direction::Forward {
                            edges.push((ix, pix, e));
                        }
                    }
                    prev = Some((ix, pos));
                }
            }
        }
        RoadNetwork::finish(nodes, edges, report, origin)
    }

    /// Every directed edge as a one-way two-point LineString carrying its exact
    /// `length_m` and `duration_s`, so reading it back gives the same
    /// [`crate::NetworkVersion`].
    pub fn to_geojson(&self) -> Value {
        let g = self.graph();
        let features: Vec<Value> = g
            .raw_edges()
            .iter()
            .map(|e| {
                let a: [f64; 2] = g[e.source()].pos.into();
                let b: [f64; 2] = g[e.target()].pos.into();
                json!({
                    "type": "Feature",
                    "properties": {
                        "highway": e.weight.class.as_osm(),
                        "oneway": "yes",
                        "length_m": e.weight.length_m(),
                        "duration_s": e.weight.time_s(),
                    },
                    "geometry": { "type": "LineString", "coordinates": [a, b] },
                })
            })
            .collect();
        json!({ "type": "FeatureCollection", "features": features })
    }
}

impl Route {
    /// The route as a GeoJSON Feature, ready for a map layer.
    pub fn to_geojson(&self) -> Value {
        let coords: Vec<[f64; 2]> = self.coordinates.iter().map(|&p| p.into()).collect();
        json!({
            "type": "Feature",
            "properties": { "distance_m": self.distance_m, "duration_s": self.duration_s },
            "geometry": { "type": "LineString", "coordinates": coords },
        })
    }
}

fn parse_position(v: &Value) -> std::result::Result<[f64; 2], String> {
    let a = v.as_array().ok_or("position is not an array")?;
    if a.len() < 2 {
        return Err(format!("position has {} numbers, need 2", a.len()));
    }
    let lon = a[0].as_f64().ok_or("longitude is not a number")?;
    let lat = a[1].as_f64().ok_or("latitude is not a number")?;
    Ok([lon, lat])
}

fn parse_oneway(v: Option<&Value>, class: RoadClass) -> std::result::Result<Direction, String> {
    let implied = if class.implies_oneway() {
        Direction::Forward
    } else {
        Direction::Both
    };
    Ok(match v {
        None | Some(Value::Null) => implied,
        Some(Value::Bool(true)) => Direction::Forward,
        Some(Value::Bool(false)) => Direction::Both,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(1) => Direction::Forward,
            Some(-1) => Direction::Backward,
            Some(0) => Direction::Both,
            _ => return Err(format!("unknown oneway value {n}")),
        },
        Some(Value::String(s)) => match s.as_str() {
            "yes" | "true" | "1" => Direction::Forward,
            "-1" | "reverse" => Direction::Backward,
            "no" | "false" | "0" => Direction::Both,
            other => return Err(format!("unknown oneway value {other:?}")),
        },
        Some(other) => return Err(format!("unknown oneway value {other}")),
    })
}

fn speed(
    props: &Map<String, Value>,
    class: RoadClass,
) -> std::result::Result<f64, (&'static str, String)> {
    match props.get("speed_kmh") {
        None | Some(Value::Null) => {}
        Some(v) => {
            return v
                .as_f64()
                .filter(|s| s.is_finite() && *s > 0.0)
                .ok_or(("speed_kmh", format!("{v} is not a positive number")));
        }
    }
    match props.get("maxspeed") {
        None | Some(Value::Null) => Ok(class.default_speed_kmh()),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| s * TAGGED_SPEED_FACTOR)
            .ok_or(("maxspeed", format!("{n} is not a positive number"))),
        Some(Value::String(s)) => Ok(parse_maxspeed_kmh(s)
            .map(|s| s * TAGGED_SPEED_FACTOR)
            .unwrap_or(class.default_speed_kmh())),
        Some(v) => Err(("maxspeed", format!("{v} is neither a number nor a string"))),
    }
}

fn positive(v: Option<&Value>) -> std::result::Result<Option<f64>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Some)
            .ok_or(format!("{x} is not a non-negative number")),
    }
}

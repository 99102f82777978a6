//! Turning OpenStreetMap ways into directed, timed edges; shared by the XML and
//! PBF readers so both formats give identical networks.

use std::collections::HashMap;

use crate::error::Result;
use crate::geo::LonLat;
use crate::network::{BuildReport, EdgeData, NodeData, RoadClass, RoadNetwork};

/// Tagged limits are legal maxima; a collection truck averages less.
pub const TAGGED_SPEED_FACTOR: f64 = 0.8;

/// Direction of travel allowed along a way's node order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Forward,
    Backward,
    Both,
}

/// How a car-usable way is driven.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WayProfile {
    pub(crate) class: RoadClass,
    pub(crate) direction: Direction,
    pub(crate) speed_kmh: f64,
}

/// Decides whether a way with these tags is usable by a waste truck, and how.
/// `None` for non-car highways, areas, `access=no/private/...` and
/// reversible/alternating oneways (their direction depends on the hour).
pub(crate) fn profile<'a>(tags: impl Fn(&str) -> Option<&'a str>) -> Option<WayProfile> {
    let class = RoadClass::from_osm(tags("highway")?)?;
    if tags("area") == Some("yes") {
        return None;
    }
    // The most specific access tag wins; trucks are hgv, then motor vehicles.
    let access = ["hgv", "motor_vehicle", "vehicle", "access"]
        .iter()
        .find_map(|k| tags(k));
    if matches!(
        access,
        Some(
            "no" | "private"
                | "agricultural"
                | "forestry"
                | "emergency"
                | "military"
                | "discouraged"
        )
    ) {
        return None;
    }
    let direction = match tags("oneway") {
        Some("yes" | "true" | "1") => Direction::Forward,
        Some("-1" | "reverse") => Direction::Backward,
        Some("no" | "false" | "0") => Direction::Both,
        Some("reversible" | "alternating") => return None,
        _ => {
            let roundabout = matches!(tags("junction"), Some("roundabout" | "circular"));
            if roundabout || class.implies_oneway() {
                Direction::Forward
            } else {
                Direction::Both
            }
        }
    };
    let speed_kmh = tags("maxspeed")
        .and_then(parse_maxspeed_kmh)
        .map(|v| v * TAGGED_SPEED_FACTOR)
        .unwrap_or_else(|| class.default_speed_kmh());
    Some(WayProfile {
        class,
        direction,
        speed_kmh,
    })
}

/// Parses an OSM `maxspeed` value to km/h: `50`, `50 km/h`, `30 mph`, `10 knots`,
/// `walk`, and implicit zones such as `FR:urban`, `DE:zone30`. `None` when it
/// says nothing usable (`none`, `signals`, `variable`, garbage).
pub fn parse_maxspeed_kmh(raw: &str) -> Option<f64> {
    let v = raw.split(';').next()?.trim().to_ascii_lowercase();
    if v == "walk" {
        return Some(6.0);
    }
    if let Some((_, zone)) = v.split_once(':') {
        let zone = zone.trim();
        return match zone {
            "urban" => Some(50.0),
            "rural" => Some(80.0),
            "motorway" => Some(110.0),
            "trunk" => Some(100.0),
            "living_street" => Some(10.0),
            "walk" => Some(6.0),
            z => z
                .strip_prefix("zone")
                .and_then(|n| n.trim().parse::<f64>().ok())
                .filter(|s| *s > 0.0 && *s <= 200.0),
        };
    }
    let num_end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let number: f64 = v[..num_end].parse().ok()?;
    let factor = match v[num_end..].trim() {
        "" | "km/h" | "kmh" | "kph" | "km/t" => 1.0,
        "mph" => 1.609_344,
        "knots" => 1.852,
        _ => return None,
    };
    let kmh = number * factor;
    (kmh > 0.0 && kmh <= 200.0).then_some(kmh)
}

/// Accumulates nodes and car ways while a reader streams a file, then builds.
#[derive(Default)]
pub(crate) struct OsmCollector {
    coords: HashMap<i64, LonLat>,
    ways: Vec<(Vec<i64>, WayProfile)>,
    pub(crate) report: BuildReport,
    pub(crate) bad_coords: usize,
}

impl OsmCollector {
    pub(crate) fn node(&mut self, id: i64, lon: f64, lat: f64) {
        match LonLat::new(lon, lat) {
            Ok(p) => {
                self.coords.insert(id, p);
            }
            Err(_) => self.bad_coords += 1,
        }
    }

    pub(crate) fn way<'a>(&mut self, refs: Vec<i64>, tags: impl Fn(&str) -> Option<&'a str>) {
        match profile(tags) {
            Some(p) if refs.len() >= 2 => {
                self.report.ways_used += 1;
                self.ways.push((refs, p));
            }
            _ => self.report.ways_skipped += 1,
        }
    }

    /// Numbers nodes in order of first use by a way (so output is independent of
    /// hash order) and emits one or two edges per consecutive node pair.
    pub(crate) fn build(mut self, origin: &str) -> Result<RoadNetwork> {
        let mut index: HashMap<i64, u32> = HashMap::new();
        let mut nodes: Vec<NodeData> = Vec::new();
        let mut edges: Vec<(u32, u32, EdgeData)> = Vec::new();
        for (refs, p) in &self.ways {
            let mut prev: Option<(u32, LonLat)> = None;
            for id in refs {
                let Some(&pos) = self.coords.get(id) else {
                    self.report.missing_node_refs += 1;
                    prev = None;
                    continue;
                };
                let ix = *index.entry(*id).or_insert_with(|| {
                    nodes.push(NodeData {
                        pos,
                        osm_id: Some(*id),
                    });
                    (nodes.len() - 1) as u32
                });
                if let Some((pix, ppos)) = prev
                    && pix != ix
                {
                    let e = EdgeData::between(ppos, pos, p.speed_kmh, p.class)?;
                    if p.direction != Direction::Backward {
                        edges.push((pix, ix, e));
                    }
                    if p.direction != Direction::Forward {
                        edges.push((ix, pix, e));
                    }
                }
                prev = Some((ix, pos));
            }
        }
        drop(self.coords);
        RoadNetwork::finish(nodes, edges, self.report, origin)
    }
}

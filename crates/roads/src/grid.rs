//! Synthetic grid cities: reproducible networks of any size for scenarios and
//! benchmarks, without shipping map data.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Result, RoadsError};
use crate::geo::{EARTH_RADIUS_M, LonLat};
use crate::network::{BuildReport, EdgeData, NodeData, RoadClass, RoadNetwork};

/// A Manhattan-style city: `blocks_x × blocks_y` blocks, a two-way arterial every
/// `arterial_every` streets and around the edge, residential streets in between
/// of which a share are one-way. The ring and arterials keep it strongly
/// connected whatever the one-way draw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridCity {
    /// Blocks west–east (streets = blocks + 1).
    pub blocks_x: u32,
    /// Blocks south–north.
    pub blocks_y: u32,
    /// Block edge length in metres.
    pub block_m: f64,
    /// Speed on residential streets, km/h.
    pub residential_kmh: f64,
    /// Speed on arterials, km/h.
    pub arterial_kmh: f64,
    /// Every n-th street is an arterial (n >= 1).
    pub arterial_every: u32,
    /// Share of residential streets that are one-way, 0..=1.
    pub one_way_share: f64,
    /// Seed for the one-way draw.
    pub seed: u64,
    /// South-west corner.
    pub origin: [f64; 2],
}

impl Default for GridCity {
    fn default() -> Self {
        Self {
            blocks_x: 10,
            blocks_y: 10,
            block_m: 120.0,
            residential_kmh: 25.0,
            arterial_kmh: 50.0,
            arterial_every: 5,
            one_way_share: 0.3,
            seed: 1,
            origin: [4.35, 50.85],
        }
    }
}

/// Which way a street runs.
#[derive(Clone, Copy, PartialEq)]
enum Flow {
    Both,
    Up,
    Down,
}

impl GridCity {
    /// Builds the network; same config, same network (and version).
    pub fn build(&self) -> Result<RoadNetwork> {
        let bad = |name: &'static str, value: String, fix: &'static str| {
            RoadsError::InvalidParameter { name, value, fix }
        };
        if self.blocks_x == 0 || self.blocks_y == 0 {
            return Err(bad(
                "blocks",
                format!("{}x{}", self.blocks_x, self.blocks_y),
                "use at least 1x1 blocks",
            ));
        }
        let nodes_total = (u64::from(self.blocks_x) + 1) * (u64::from(self.blocks_y) + 1);
        if nodes_total > 20_000_000 {
            return Err(bad(
                "blocks",
                format!("{}x{}", self.blocks_x, self.blocks_y),
                "keep the grid under 20 million intersections",
            ));
        }
        if !(self.block_m.is_finite() && self.block_m > 0.0) {
            return Err(bad(
                "block_m",
                self.block_m.to_string(),
                "use a positive length in metres",
            ));
        }
        for (name, v) in [
            ("residential_kmh", self.residential_kmh),
            ("arterial_kmh", self.arterial_kmh),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(bad(name, v.to_string(), "use a positive speed in km/h"));
            }
        }
        if self.arterial_every == 0 {
            return Err(bad("arterial_every", "0".into(), "use 1 or more"));
        }
        if !(0.0..=1.0).contains(&self.one_way_share) {
            return Err(bad(
                "one_way_share",
                self.one_way_share.to_string(),
                "use a share between 0 and 1",
            ));
        }
        let origin = LonLat::checked(self.origin[0], self.origin[1], "GridCity.origin")?;
        let m_per_deg = EARTH_RADIUS_M.to_radians();
        let cos = origin.lat().to_radians().cos().max(1e-6);
        let (nx, ny) = (self.blocks_x + 1, self.blocks_y + 1);

        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let arterial = |i: u32, last: u32| i.is_multiple_of(self.arterial_every) || i == last;
        let mut draw = |is_art: bool| {
            if is_art || !rng.random_bool(self.one_way_share) {
                Flow::Both
            } else if rng.random_bool(0.5) {
                Flow::Up
            } else {
                Flow::Down
            }
        };
        let cols: Vec<(bool, Flow)> = (0..nx)
            .map(|i| (arterial(i, nx - 1), draw(arterial(i, nx - 1))))
            .collect();
        let rows: Vec<(bool, Flow)> = (0..ny)
            .map(|j| (arterial(j, ny - 1), draw(arterial(j, ny - 1))))
            .collect();

        let mut nodes = Vec::with_capacity(nodes_total as usize);
        for j in 0..ny {
            for i in 0..nx {
                let lat = origin.lat() + f64::from(j) * self.block_m / m_per_deg;
                let lon = origin.lon() + f64::from(i) * self.block_m / (m_per_deg * cos);
                nodes.push(NodeData {
                    pos: LonLat::checked(lon, lat, "GridCity extent")?,
                    osm_id: None,
                });
            }
        }
        let id = |i: u32, j: u32| j * nx + i;
        let mut edges = Vec::with_capacity(4 * nodes_total as usize);
        let mut link = |a: u32, b: u32, (is_art, flow): (bool, Flow)| -> Result<()> {
            let (speed, class) = if is_art {
                (self.arterial_kmh, RoadClass::Primary)
            } else {
                (self.residential_kmh, RoadClass::Residential)
            };
            let e = EdgeData::between(nodes[a as usize].pos, nodes[b as usize].pos, speed, class)?;
            if flow != Flow::Down {
                edges.push((a, b, e));
            }
            if flow != Flow::Up {
                edges.push((b, a, e));
            }
            Ok(())
        };
        for j in 0..ny {
            for i in 0..nx {
                if i + 1 < nx {
                    link(id(i, j), id(i + 1, j), rows[j as usize])?;
                }
                if j + 1 < ny {
                    link(id(i, j), id(i, j + 1), cols[i as usize])?;
                }
            }
        }
        let report = BuildReport {
            ways_used: (nx + ny) as usize,
            ..BuildReport::default()
        };
        RoadNetwork::finish(nodes, edges, report, "grid city")
    }
}

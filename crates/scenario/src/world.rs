//! The static city: road network, depots, disposal sites and bins snapped to
//! the roads, and one travel matrix over all of them, computed once per city
//! because every day's routing instance is a sub-matrix of it. The matrix is
//! cached on disk under a hash of the network and the points, so a second
//! run, another policy setting or a sweep of the same city reads it back.

use std::path::{Path, PathBuf};
use std::time::Instant;

use fillroute_lidcam::{ContainerStyle, FillFraction, Scene};
use fillroute_roads::{GridCity, LonLat, NodeId, RoadNetwork};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use crate::config::{Scenario, parse_clock};
use crate::error::{Result, invalid};

/// One bin, fixed for the whole run.
#[derive(Debug, Clone)]
pub struct Bin {
    /// Unique id.
    pub id: String,
    /// Where it stands (on the road it is served from).
    pub at: LonLat,
    /// Its zone's name.
    pub zone: String,
    /// Container volume, litres.
    pub litres: f64,
    /// Mean fill per day, containers.
    pub rate: f64,
    /// Fill at the start of day 1.
    pub fill0: f64,
    /// Service window, seconds after local midnight.
    pub window: Option<(i64, i64)>,
    /// How the container looks to its camera.
    pub style: ContainerStyle,
}

/// A depot or disposal site on the network.
#[derive(Debug, Clone)]
pub struct Site {
    /// Id.
    pub id: String,
    /// Position as given.
    pub at: LonLat,
}

/// The city, with matrix rows and columns ordered depots, disposal sites, bins.
pub struct World {
    /// The road network.
    pub net: RoadNetwork,
    /// Depots.
    pub depots: Vec<Site>,
    /// Disposal sites.
    pub sites: Vec<Site>,
    /// Bins.
    pub bins: Vec<Bin>,
    /// Network node of every location.
    pub nodes: Vec<NodeId>,
    /// Metres, row-major over all locations.
    pub distance_m: Vec<u32>,
    /// Seconds, row-major over all locations.
    pub duration_s: Vec<u32>,
    /// How the city was built: wall-clock seconds and whether the matrix
    /// came from the cache (not part of the deterministic result).
    pub build: BuildTiming,
}

/// Wall-clock cost of [`World::build`], for the run's phase table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildTiming {
    /// Reading or generating the road network and placing the bins, seconds.
    pub network_s: f64,
    /// Snapping and the travel matrix (computed or read back), seconds.
    pub matrix_s: f64,
    /// The matrix file read back, if the cache had it.
    pub matrix_cached: Option<PathBuf>,
}

/// Where travel matrices are kept between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatrixCache {
    /// Compute the matrix every time.
    Off,
    /// Read and write `<dir>/<key>.bin`.
    Dir(PathBuf),
}

impl MatrixCache {
    /// `FILLROUTE_MATRIX_CACHE` (a folder, or `off`), else
    /// `matrices/` in the fillroute cache (`FILLROUTE_CACHE`, `~/.cache/fillroute`).
    pub fn from_env() -> Self {
        match std::env::var_os("FILLROUTE_MATRIX_CACHE") {
            Some(v) if v == "off" => Self::Off,
            Some(v) if !v.is_empty() => Self::Dir(PathBuf::from(v)),
            _ => Self::Dir(fillroute_vision::backbone::default_cache_dir().join("matrices")),
        }
    }

    /// The file of the matrix between `nodes` of `net`: the key hashes the
    /// network's content fingerprint and every node's position, so another
    /// map, another point or another order is another file.
    pub fn file(&self, net: &RoadNetwork, nodes: &[NodeId]) -> Result<Option<PathBuf>> {
        let Self::Dir(dir) = self else {
            return Ok(None);
        };
        let mut h = Sha256::new();
        h.update(MATRIX_MAGIC);
        h.update(net.version().0.to_le_bytes());
        h.update((nodes.len() as u64).to_le_bytes());
        for &n in nodes {
            let p = net.position(n)?;
            h.update(p.lon().to_bits().to_le_bytes());
            h.update(p.lat().to_bits().to_le_bytes());
        }
        let key: String = h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Some(dir.join(format!("{key}.bin"))))
    }
}

/// File header of a cached matrix (format version in the last bytes).
const MATRIX_MAGIC: &[u8; 8] = b"FRMTX\x00\x001";

/// A cached `n` × `n` matrix: distances then durations, little-endian u32.
/// `None` when the file is missing, short or of another format.
fn read_matrix(path: &Path, n: usize) -> Option<(Vec<u32>, Vec<u32>)> {
    let bytes = std::fs::read(path).ok()?;
    let cells = n * n;
    let body = bytes.strip_prefix(MATRIX_MAGIC.as_slice())?;
    let (len, body) = body.split_at_checked(8)?;
    if u64::from_le_bytes(len.try_into().ok()?) != n as u64 || body.len() != cells * 8 {
        return None;
    }
    let words: Vec<u32> = body
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let (d, t) = words.split_at(cells);
    Some((d.to_vec(), t.to_vec()))
}

/// Writes the matrix next to its final name and renames it into place, so
/// runs sharing the cache never read a half-written file.
fn write_matrix(path: &Path, n: usize, distance: &[u32], duration: &[u32]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut bytes = Vec::with_capacity(16 + 8 * distance.len());
    bytes.extend_from_slice(MATRIX_MAGIC);
    bytes.extend_from_slice(&(n as u64).to_le_bytes());
    for w in distance.iter().chain(duration) {
        bytes.extend_from_slice(&w.to_le_bytes());
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

impl World {
    /// Metres of a driven route's legs (world locations in order) into a
    /// disposal site or from one back to a depot: the haul-km KPI.
    pub fn haul_metres(&self, locations: &[usize]) -> f64 {
        let (depots, first_bin) = (self.depots.len(), self.depots.len() + self.sites.len());
        let is_site = |l: usize| (depots..first_bin).contains(&l);
        locations
            .windows(2)
            .filter(|w| is_site(w[1]) || (is_site(w[0]) && w[1] < depots))
            .map(|w| f64::from(self.distance_m[w[0] * self.len() + w[1]]))
            .sum()
    }

    /// Number of locations.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }
    /// True if there are no locations.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
    /// Location index of bin `b`.
    pub fn bin_location(&self, b: usize) -> usize {
        self.depots.len() + self.sites.len() + b
    }
    /// Location index of disposal site `s`.
    pub fn site_location(&self, s: usize) -> usize {
        self.depots.len() + s
    }

    /// Builds the network, places the bins and computes the matrix, or
    /// reads it from the cache named by `FILLROUTE_MATRIX_CACHE` (see
    /// [`MatrixCache::from_env`]).
    pub fn build(s: &Scenario) -> Result<Self> {
        Self::build_with(s, &MatrixCache::from_env())
    }

    /// [`World::build`] with an explicit matrix cache.
    pub fn build_with(s: &Scenario, cache: &MatrixCache) -> Result<Self> {
        let started = Instant::now();
        let net = match (&s.roads.file, &s.roads.grid) {
            (Some(file), _) => {
                let path = s.base_dir.join(file);
                let name = path.to_string_lossy().to_lowercase();
                if !path.is_file() {
                    return Err(invalid(
                        "roads.file",
                        path.display(),
                        "point to an existing OSM extract (paths are relative to the scenario file)",
                    ));
                }
                if name.ends_with(".pbf") {
                    RoadNetwork::from_osm_pbf(&path)?
                } else if name.ends_with(".geojson") || name.ends_with(".json") {
                    RoadNetwork::from_geojson_file(&path)?
                } else {
                    RoadNetwork::from_osm_xml(&path)?
                }
            }
            (None, Some(g)) => GridCity {
                blocks_x: g.blocks_x,
                blocks_y: g.blocks_y,
                block_m: g.block_m,
                arterial_every: g.arterial_every,
                one_way_share: g.one_way_share,
                seed: s.run.seed,
                origin: g.origin,
                ..GridCity::default()
            }
            .build()?,
            (None, None) => {
                return Err(invalid("roads", "empty", "set roads.file or [roads.grid]"));
            }
        };
        let mut rng = ChaCha8Rng::seed_from_u64(s.run.seed ^ 0xB1A5_0000);
        let positions: Vec<(NodeId, LonLat)> = net
            .node_ids()
            .map(|n| net.position(n).map(|p| (n, p)))
            .collect::<std::result::Result<_, _>>()?;
        let center = match s.bins.center {
            Some(c) => LonLat::checked(c[0], c[1], "bins.center")?,
            None => {
                let (mut lo, mut la) = (0.0, 0.0);
                for (_, p) in &positions {
                    lo += p.lon();
                    la += p.lat();
                }
                let n = positions.len().max(1) as f64;
                LonLat::checked(lo / n, la / n, "network centre")?
            }
        };
        let in_area: Vec<(NodeId, LonLat, f64)> = positions
            .iter()
            .map(|&(n, p)| (n, p, p.haversine_m(center)))
            .filter(|&(_, _, d)| s.bins.radius_m.is_none_or(|r| d <= r))
            .collect();
        if in_area.is_empty() && s.bins.count > 0 {
            return Err(invalid(
                "bins.radius_m",
                format!("{:?}", s.bins.radius_m),
                "no road lies that close to bins.center: widen the radius or move the centre",
            ));
        }
        let total_share: f64 = s.bins.zones.iter().map(|z| z.share).sum();
        let mut bins = Vec::with_capacity(s.bins.count + s.bins.explicit.len());
        for i in 0..s.bins.count {
            let mut pick = rng.random::<f64>() * total_share;
            let zi = s.bins.zones.iter().position(|z| {
                pick -= z.share;
                pick < 0.0
            });
            let zi = zi.unwrap_or(s.bins.zones.len() - 1);
            let z = &s.bins.zones[zi];
            let candidates: Vec<&(NodeId, LonLat, f64)> = in_area
                .iter()
                .filter(|c| z.within_m.is_none_or(|w| c.2 <= w))
                .collect();
            if candidates.is_empty() {
                return Err(invalid(
                    format!("bins.zones[{zi}].within_m"),
                    format!("{:?}", z.within_m),
                    "no road lies that close to the centre: widen within_m",
                ));
            }
            let at = candidates[rng.random_range(0..candidates.len())].1;
            let rate = z.rate_mean * lognormal(&mut rng, z.rate_log_sd);
            let window = match &z.window {
                Some([a, b]) => Some((parse_clock("window", a)?, parse_clock("window", b)?)),
                None => None,
            };
            bins.push(Bin {
                id: format!("{}-{:04}", &z.name, i),
                at,
                zone: z.name.clone(),
                litres: z.containers_litres[rng.random_range(0..z.containers_litres.len())],
                rate,
                fill0: rng.random_range(s.bins.initial_fill[0]..=s.bins.initial_fill[1]),
                window,
                style: Scene::random(FillFraction::saturating(0.0), &mut rng).container,
            });
        }
        for (i, e) in s.bins.explicit.iter().enumerate() {
            bins.push(Bin {
                id: e.id.clone(),
                at: LonLat::checked(e.at[0], e.at[1], &format!("bins.explicit[{i}].at"))?,
                zone: "explicit".into(),
                litres: e.litres,
                rate: e.rate,
                fill0: e.fill,
                window: None,
                style: Scene::random(FillFraction::saturating(0.0), &mut rng).container,
            });
        }
        let depots: Vec<Site> = s
            .depots
            .iter()
            .enumerate()
            .map(|(i, d)| {
                Ok(Site {
                    id: d.id.clone(),
                    at: LonLat::checked(d.at[0], d.at[1], &format!("depots[{i}].at"))?,
                })
            })
            .collect::<Result<_>>()?;
        let sites: Vec<Site> = s
            .disposal_sites
            .iter()
            .enumerate()
            .map(|(i, d)| {
                Ok(Site {
                    id: d.id.clone(),
                    at: LonLat::checked(d.at[0], d.at[1], &format!("disposal_sites[{i}].at"))?,
                })
            })
            .collect::<Result<_>>()?;
        let points: Vec<LonLat> = depots
            .iter()
            .map(|d| d.at)
            .chain(sites.iter().map(|d| d.at))
            .chain(bins.iter().map(|b| b.at))
            .collect();
        let network_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let snaps = net.snap_all(&points, s.roads.snap_max_m).map_err(|e| {
            invalid(
                "depots/disposal_sites/bins.explicit .at",
                e.to_string(),
                "move the point onto the road network or raise roads.snap_max_m",
            )
        })?;
        let nodes: Vec<NodeId> = snaps.iter().map(|x| x.node).collect();
        let file = cache.file(&net, &nodes)?;
        let cached = file
            .as_deref()
            .and_then(|f| read_matrix(f, nodes.len()).map(|m| (f.to_path_buf(), m)));
        let (distance_m, duration_s, matrix_cached) = match cached {
            Some((f, (d, t))) => (d, t, Some(f)),
            None => {
                let m = net.matrix(&nodes, &nodes)?;
                if let Some(&(i, j)) = m.unreachable_pairs().first() {
                    return Err(invalid(
                        "roads",
                        format!("no route from location {i} to {j}"),
                        "use a connected extract or move the point",
                    ));
                }
                if let Some(f) = &file {
                    // A cache that cannot be written only costs the next run the matrix.
                    if let Err(e) = write_matrix(f, nodes.len(), &m.distance_m, &m.duration_s) {
                        tracing::warn!("travel matrix not cached at {}: {e}", f.display());
                    }
                }
                (m.distance_m, m.duration_s, None)
            }
        };
        Ok(Self {
            net,
            depots,
            sites,
            bins,
            nodes,
            distance_m,
            duration_s,
            build: BuildTiming {
                network_s,
                matrix_s: started.elapsed().as_secs_f64(),
                matrix_cached,
            },
        })
    }
}

/// A log-normal multiplier with mean 1.
pub(crate) fn lognormal<R: Rng + ?Sized>(rng: &mut R, sd: f64) -> f64 {
    if sd <= 0.0 {
        return 1.0;
    }
    // Box–Muller: one standard normal from two uniforms.
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    (sd * z - 0.5 * sd * sd).exp()
}

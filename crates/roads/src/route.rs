//! Shortest paths: one Dijkstra per source over the CSR, sources in parallel.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, RoadsError};
use crate::geo::LonLat;
use crate::network::{Csr, NodeId, RoadNetwork};
use crate::radix_heap::RadixHeap;

/// Matrix entry meaning "no route". Networks built by this crate are strongly
/// connected, so it only appears if that invariant is ever relaxed; check it anyway.
pub const UNREACHABLE: u32 = u32::MAX;

/// Row-major travel matrix: entry `i * targets + j` is source `i` to target `j`.
/// Routes minimise time; distance is that of the fastest route (ties: shorter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix {
    /// Number of rows.
    pub sources: usize,
    /// Number of columns.
    pub targets: usize,
    /// Metres, rounded; [`UNREACHABLE`] where there is no route.
    pub distance_m: Vec<u32>,
    /// Seconds, rounded; [`UNREACHABLE`] where there is no route.
    pub duration_s: Vec<u32>,
}

impl Matrix {
    /// `(distance_m, duration_s)` from source `i` to target `j`, `None` if unreachable
    /// or out of range.
    pub fn get(&self, i: usize, j: usize) -> Option<(u32, u32)> {
        if i >= self.sources || j >= self.targets {
            return None;
        }
        let k = i * self.targets + j;
        match (self.distance_m[k], self.duration_s[k]) {
            (UNREACHABLE, _) | (_, UNREACHABLE) => None,
            v => Some(v),
        }
    }

    /// All `(i, j)` pairs without a route.
    pub fn unreachable_pairs(&self) -> Vec<(usize, usize)> {
        (0..self.sources * self.targets)
            .filter(|&k| self.duration_s[k] == UNREACHABLE)
            .map(|k| (k / self.targets, k % self.targets))
            .collect()
    }
}

/// A drivable route between two nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// Nodes from start to end, both included.
    pub nodes: Vec<NodeId>,
    /// Their coordinates: a LineString ready to draw.
    pub coordinates: Vec<LonLat>,
    /// Length in metres.
    pub distance_m: f64,
    /// Travel time in seconds.
    pub duration_s: f64,
}

/// Per-thread search state, reused across sources so a 1000-row matrix
/// allocates a handful of arrays, not a thousand.
pub(crate) struct Search {
    pub(crate) dist: Vec<u64>,
    pred: Vec<u32>,
    touched: Vec<u32>,
    heap: RadixHeap,
}

const INF: u64 = u64::MAX;
const NO_PRED: u32 = u32::MAX;

impl Search {
    /// State for searches on `n` nodes; `with_pred` for searches that
    /// reconstruct a path.
    pub(crate) fn new(n: usize, with_pred: bool) -> Self {
        let pred = if with_pred {
            vec![NO_PRED; n]
        } else {
            Vec::new()
        };
        Self {
            dist: vec![INF; n],
            pred,
            touched: Vec::new(),
            heap: RadixHeap::new(),
        }
    }

    fn reset(&mut self) {
        for &v in &self.touched {
            self.dist[v as usize] = INF;
        }
        if !self.pred.is_empty() {
            for &v in &self.touched {
                self.pred[v as usize] = NO_PRED;
            }
        }
        self.touched.clear();
        self.heap.clear();
    }

    /// Runs from `source` until `stop(node)` has returned true `goal` times
    /// (each settled node is offered once) or the queue is empty. Predecessors
    /// are only recorded when `PRED` is set, saving a random write per
    /// relaxation in matrix mode.
    pub(crate) fn run<const PRED: bool>(
        &mut self,
        csr: &Csr,
        source: u32,
        goal: usize,
        mut stop: impl FnMut(u32) -> bool,
    ) {
        self.reset();
        self.dist[source as usize] = 0;
        self.touched.push(source);
        self.heap.push(0, source);
        let mut hits = 0usize;
        while let Some((d, u)) = self.heap.pop() {
            if d > self.dist[u as usize] {
                continue;
            }
            if stop(u) {
                hits += 1;
                if hits >= goal {
                    break;
                }
            }
            let (lo, hi) = (
                csr.offsets[u as usize] as usize,
                csr.offsets[u as usize + 1] as usize,
            );
            for k in lo..hi {
                let v = csr.heads[k];
                let nd = d + csr.costs[k];
                let slot = &mut self.dist[v as usize];
                if nd < *slot {
                    if *slot == INF {
                        self.touched.push(v);
                    }
                    *slot = nd;
                    if PRED {
                        self.pred[v as usize] = u;
                    }
                    self.heap.push(nd, v);
                }
            }
        }
    }
}

fn unpack(cost: u64) -> (u32, u32) {
    if cost == INF {
        return (UNREACHABLE, UNREACHABLE);
    }
    let time_ds = cost >> 32;
    let len_dm = cost & 0xffff_ffff;
    (
        ((len_dm + 5) / 10) as u32,
        ((time_ds + 5) / 10).min(u64::from(UNREACHABLE - 1)) as u32,
    )
}

impl RoadNetwork {
    /// Many-to-many travel matrix between network nodes. Deterministic: the
    /// result does not depend on the number of threads.
    pub fn matrix(&self, sources: &[NodeId], targets: &[NodeId]) -> Result<Matrix> {
        for &n in sources.iter().chain(targets) {
            self.check(n)?;
        }
        let n = self.node_count();
        let mut is_target = vec![false; n];
        let mut distinct = 0usize;
        for t in targets {
            if !is_target[t.index()] {
                is_target[t.index()] = true;
                distinct += 1;
            }
        }
        let csr = &self.csr;
        let rows: Vec<Vec<u64>> = sources
            .par_iter()
            .map_init(
                || Search::new(n, false),
                |s, src| {
                    if distinct > 0 {
                        s.run::<false>(csr, src.0, distinct, |u| is_target[u as usize]);
                    }
                    targets.iter().map(|t| s.dist[t.index()]).collect()
                },
            )
            .collect();
        let mut m = Matrix {
            sources: sources.len(),
            targets: targets.len(),
            distance_m: Vec::with_capacity(sources.len() * targets.len()),
            duration_s: Vec::with_capacity(sources.len() * targets.len()),
        };
        for cost in rows.into_iter().flatten() {
            let (d, t) = unpack(cost);
            m.distance_m.push(d);
            m.duration_s.push(t);
        }
        Ok(m)
    }

    /// Fastest route from `from` to `to`, `None` if there is none.
    pub fn path(&self, from: NodeId, to: NodeId) -> Result<Option<Route>> {
        self.check(from)?;
        self.check(to)?;
        let mut s = Search::new(self.node_count(), true);
        s.run::<true>(&self.csr, from.0, 1, |u| u == to.0);
        let cost = s.dist[to.index()];
        if cost == INF {
            return Ok(None);
        }
        let mut nodes = vec![to];
        let mut cur = to.0;
        while cur != from.0 {
            cur = s.pred[cur as usize];
            nodes.push(NodeId(cur));
        }
        nodes.reverse();
        let coordinates = nodes
            .iter()
            .map(|&n| self.position(n))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Route {
            nodes,
            coordinates,
            distance_m: (cost & 0xffff_ffff) as f64 / 10.0,
            duration_s: (cost >> 32) as f64 / 10.0,
        }))
    }
}

/// Straight-line fallback when no road network is available: great-circle
/// distance times `detour_factor` (1.3 is typical for cities), driven at
/// `speed_kmh`.
pub fn haversine_matrix(points: &[LonLat], detour_factor: f64, speed_kmh: f64) -> Result<Matrix> {
    if !(detour_factor.is_finite() && detour_factor >= 1.0) {
        return Err(RoadsError::InvalidParameter {
            name: "detour_factor",
            value: detour_factor.to_string(),
            fix: "use a finite factor >= 1.0 (about 1.3 for city streets)",
        });
    }
    if !(speed_kmh.is_finite() && speed_kmh > 0.0) {
        return Err(RoadsError::InvalidParameter {
            name: "speed_kmh",
            value: speed_kmh.to_string(),
            fix: "use a positive speed in km/h (about 25 for a collection truck in town)",
        });
    }
    let n = points.len();
    let mut m = Matrix {
        sources: n,
        targets: n,
        distance_m: Vec::with_capacity(n * n),
        duration_s: Vec::with_capacity(n * n),
    };
    for a in points {
        for b in points {
            let d = a.haversine_m(*b) * detour_factor;
            m.distance_m
                .push(d.round().min(f64::from(UNREACHABLE - 1)) as u32);
            m.duration_s.push(
                (d / (speed_kmh / 3.6))
                    .round()
                    .min(f64::from(UNREACHABLE - 1)) as u32,
            );
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::{Matrix, UNREACHABLE};

    #[test]
    fn unreachable_pair_is_reported() {
        let m = Matrix {
            sources: 2,
            targets: 2,
            distance_m: vec![0, 10, UNREACHABLE, 0],
            duration_s: vec![0, 2, UNREACHABLE, 0],
        };
        assert_eq!(m.get(0, 1), Some((10, 2)));
        assert_eq!(m.get(1, 0), None);
        assert_eq!(m.get(5, 0), None);
        assert_eq!(m.unreachable_pairs(), vec![(1, 0)]);
    }
}

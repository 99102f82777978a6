//! Benchmark readers, reference values and CVRPLIB `.sol` files.
//!
//! Each reader follows its set's distance convention exactly (see
//! `../shared/benchmarks/README.md`) and reports malformed input as
//! `file:line: what`. The resulting [`BenchInstance`] carries what is needed
//! to print costs in the set's own units and to number customers the way
//! `.sol` files do.

mod kim;
mod sol;
mod solomon;
mod tsplib;

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::model::{Instance, ModelError, Objective};
pub use sol::{SolCheck, SolFile, check_sol, parse_sol, read_sol, solution_from_sol, write_sol};

/// Most locations (depot, customers, landfills) a reader accepts.
///
/// The model keeps dense distance and time matrices, and a reader holds them
/// twice while building (floats, then fixed point): about 32 bytes per pair
/// of locations, 0.8 GB at this limit. The largest public instances have
/// about 2,100 (Kim et al.'s `2100_stop.txt`).
pub const MAX_LOCATIONS: usize = 5_000;

/// Largest file a reader loads: the biggest public instance is under 200 KB.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Largest magnitude of a number in an instance file. Far beyond any real
/// coordinate (Kim's feet are about 3.5e6), it keeps every sum of a route in
/// fixed point well inside `i64`.
pub(crate) const MAX_ABS: f64 = 1e9;

/// Reader failure.
#[derive(Debug, Error)]
pub enum ReadError {
    /// File could not be read.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Malformed content.
    #[error("{path}:{line}: {msg}")]
    Parse {
        /// Path.
        path: String,
        /// 1-based line (0 when the problem is the file as a whole).
        line: usize,
        /// What is wrong.
        msg: String,
    },
    /// The data parsed but does not make a valid instance.
    #[error("{path}: {source}")]
    Model {
        /// Path.
        path: String,
        /// Cause.
        source: ModelError,
    },
    /// The format is not recognised.
    #[error("{path}: unknown instance format (expected .vrp, Solomon .txt or Kim *_stop.txt)")]
    UnknownFormat {
        /// Path.
        path: String,
    },
}

/// Benchmark family; decides the default objective and the `.sol` flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// TSPLIB/CVRPLIB (A, B, P: EUC_2D nint).
    Cvrp,
    /// LKH-3 CMT files (real distances, optional DISTANCE/SERVICE_TIME).
    Cmt,
    /// Solomon VRPTW (real Euclidean).
    Solomon,
    /// VRPLIB MTVRPTWR (x10 truncated, reloads at the depot).
    Mtvrptw,
    /// Kim et al. 2006 waste collection.
    Kim,
}

impl Format {
    /// The set's usual objective: distance for CVRP-like sets, vehicles then
    /// distance for Solomon and Kim.
    pub fn default_vehicles_first(&self) -> bool {
        matches!(self, Format::Solomon | Format::Kim)
    }
}

/// A parsed benchmark instance and what is needed to report on it.
#[derive(Clone, Debug)]
pub struct BenchInstance {
    /// Instance name (file stem).
    pub name: String,
    /// Source file.
    pub path: PathBuf,
    /// Family.
    pub format: Format,
    /// The model, objective set to the family default.
    pub instance: Instance,
    /// Matrix units per reported cost unit (e.g. 10000 for real distances).
    pub scale: f64,
    /// `.sol` customer number of each stop (i-th non-depot node, 1-based).
    pub stop_labels: Vec<usize>,
    /// `.sol` number of each disposal site (0 = reload at the depot).
    pub site_labels: Vec<usize>,
}

impl BenchInstance {
    /// Same instance under `vehicles_first` (true) or distance-only objective.
    pub fn with_objective(mut self, vehicles_first: bool) -> Self {
        let obj = if vehicles_first {
            Objective::Lexicographic
        } else {
            Objective::Weighted {
                unserved_weight: Objective::Lexicographic.weights().0,
                vehicle_weight: 0,
            }
        };
        self.instance = self.instance.with_objective(obj);
        self
    }
}

pub(crate) fn parse_err(path: &Path, line: usize, msg: impl Into<String>) -> ReadError {
    ReadError::Parse {
        path: path.display().to_string(),
        line,
        msg: msg.into(),
    }
}

/// Reads a whole file, refusing one larger than [`MAX_FILE_BYTES`] (or a
/// device that never ends) before holding it.
pub(crate) fn read_text(path: &Path) -> Result<String, ReadError> {
    use std::io::Read as _;
    let io_err = |source| ReadError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io_err)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(parse_err(
            path,
            0,
            format!(
                "the file is larger than {} MiB: not a benchmark instance or solution",
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    Ok(text)
}

/// A number of an instance file: finite and at most [`MAX_ABS`] in size.
pub(crate) fn number(path: &Path, line: usize, tok: &str, what: &str) -> Result<f64, ReadError> {
    let v: f64 = tok
        .parse()
        .map_err(|_| parse_err(path, line, format!("`{tok}` is not a number in {what}")))?;
    if !v.is_finite() || v.abs() > MAX_ABS {
        return Err(parse_err(
            path,
            line,
            format!(
                "{what} `{tok}` is out of range: numbers must be finite and within ±{MAX_ABS:e}"
            ),
        ));
    }
    Ok(v)
}

/// Refuses more than [`MAX_LOCATIONS`] locations, before any matrix exists.
pub(crate) fn check_locations(
    path: &Path,
    line: usize,
    what: &str,
    n: usize,
) -> Result<(), ReadError> {
    if n > MAX_LOCATIONS {
        let gb = 32.0 * (n as f64).powi(2) / 1e9;
        return Err(parse_err(
            path,
            line,
            format!(
                "{n} locations ({what}): a reader takes at most {MAX_LOCATIONS}, as their dense matrices would need about {gb:.0} GB"
            ),
        ));
    }
    Ok(())
}

/// A fleet as large as a header asks, but no larger than the customers read:
/// each used vehicle serves at least one, so more are never used.
pub(crate) fn fleet_size(stated: usize, customers: usize) -> usize {
    stated.min(customers.max(1))
}

/// Reads any supported instance, detecting the format from name and content.
pub fn read_instance(path: &Path) -> Result<BenchInstance, ReadError> {
    parse_instance(path, &read_text(path)?)
}

/// Parses instance `text` as if read from `path` (whose name decides the
/// format, as in [`read_instance`]).
pub fn parse_instance(path: &Path, text: &str) -> Result<BenchInstance, ReadError> {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let lower = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut bi = if lower == "vrp" {
        tsplib::parse(path, text)?
    } else if name.ends_with("_stop") {
        kim::parse(path, text)?
    } else if text.contains("CUST NO.") || text.lines().any(|l| l.trim() == "VEHICLE") {
        solomon::parse(path, text)?
    } else {
        return Err(ReadError::UnknownFormat {
            path: path.display().to_string(),
        });
    };
    bi.name = name;
    bi.path = path.to_path_buf();
    let vf = bi.format.default_vehicles_first();
    Ok(bi.with_objective(vf))
}

/// Instance files under `path` (or `path` itself), sorted by name.
pub fn list_instances(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(path) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(list_instances(&p));
                continue;
            }
            let ext = p
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let is_solomon = ext == "txt"
                && stem.chars().next().is_some_and(|c| c == 'C' || c == 'R')
                && stem.len() <= 6;
            if ext == "vrp" || (ext == "txt" && stem.ends_with("_stop")) || is_solomon {
                out.push(p);
            }
        }
    }
    out.sort_by_key(|a| natural_key(a));
    out
}

fn natural_key(p: &Path) -> (String, Vec<u64>, String) {
    let s = p.display().to_string();
    let nums = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|x| !x.is_empty())
        .filter_map(|x| x.parse().ok())
        .collect();
    let dir = p
        .parent()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    (dir, nums, s)
}

/// Reference value for an instance: `(cost in reported units, vehicles)`.
/// Looks for `bks.csv` in the instance's folder or its parent, a `.sol`
/// beside it, or `published.csv` (Kim).
pub fn reference(bi: &BenchInstance, vehicles_first: bool) -> Option<(f64, Option<usize>)> {
    let dir = bi.path.parent()?;
    let sol = bi.path.with_extension("sol");
    if sol.is_file()
        && let Ok(s) = read_sol(&sol)
        && let Some(c) = s.cost
    {
        return Some((c, Some(s.routes.len())));
    }
    for csv in [
        dir.join("bks.csv"),
        dir.parent().map(|p| p.join("bks.csv")).unwrap_or_default(),
    ] {
        let Ok(text) = std::fs::read_to_string(&csv) else {
            continue;
        };
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next()?.split(',').collect();
        let col = |name: &str| header.iter().position(|h| h.trim() == name);
        for l in lines {
            let f: Vec<&str> = l.split(',').collect();
            if f.first().map(|s| s.trim()) != Some(bi.name.as_str()) {
                continue;
            }
            if let Some(c) = col("bks") {
                return f.get(c)?.trim().parse().ok().map(|v| (v, None));
            }
            let (dc, vc) = if vehicles_first {
                (col("hier_distance")?, col("hier_vehicles")?)
            } else {
                (col("dist_only_distance")?, col("dist_only_vehicles")?)
            };
            let d = f.get(dc)?.trim().parse().ok()?;
            let v = f.get(vc).and_then(|x| x.trim().parse().ok());
            return Some((d, v));
        }
    }
    let published = dir.join("published.csv");
    if let Ok(text) = std::fs::read_to_string(published) {
        let mut best: Option<(usize, f64)> = None;
        for l in text.lines().skip(1) {
            let f: Vec<&str> = l.split(',').collect();
            if f.first() != Some(&bi.name.as_str()) || f.len() < 4 {
                continue;
            }
            let (Ok(v), Ok(d)) = (f[2].trim().parse::<usize>(), f[3].trim().parse::<f64>()) else {
                continue;
            };
            if best.is_none_or(|b| (v, d) < b) {
                best = Some((v, d));
            }
        }
        if let Some((v, d)) = best {
            return Some((d, Some(v)));
        }
    }
    None
}

/// Helpers shared by the coordinate-based readers.
pub(crate) fn euclid(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

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
pub use sol::{SolFile, parse_sol, read_sol, solution_from_sol, write_sol};

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

pub(crate) fn read_text(path: &Path) -> Result<String, ReadError> {
    std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Reads any supported instance, detecting the format from name and content.
pub fn read_instance(path: &Path) -> Result<BenchInstance, ReadError> {
    let text = read_text(path)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let lower = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut bi = if lower == "vrp" {
        tsplib::parse(path, &text)?
    } else if name.ends_with("_stop") {
        kim::parse(path, &text)?
    } else if text.contains("CUST NO.") || text.lines().any(|l| l.trim() == "VEHICLE") {
        solomon::parse(path, &text)?
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
            && let Some(c) = s.cost {
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

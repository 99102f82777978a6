//! Parameter sweeps: one scenario over a grid of seeds × settings, run in
//! parallel (bounded by the cores), one row per run and policy, and the
//! truck-km against overflow frontier of every setting. A setting is a key
//! of the scenario file with the values to try (`--set
//! policies.fill-driven.risk_level=0.3,0.45`). Each run is the same
//! deterministic replay as `scenario run`, so a row does not depend on how
//! many runs shared the machine.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::config::Scenario;
use crate::error::{Result, ScenarioError, invalid};
use crate::sim::{RunResult, run};
use crate::vision::{ReaderMode, Vision};
use crate::world::{MatrixCache, World};

/// One key and the values it takes in the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// Dotted key, as [`Scenario::with_setting`] reads it.
    pub key: String,
    /// Values in the order given.
    pub values: Vec<toml::Value>,
}

impl Setting {
    /// Reads `key=a,b,c`; each value is a TOML value (`0.3`, `true`,
    /// `[1, 2]`, `"x"`) or else a bare string.
    pub fn parse(text: &str) -> Result<Self> {
        let fix = "write key=value[,value...], e.g. policies.fill-driven.risk_level=0.3,0.45";
        let Some((key, values)) = text.split_once('=') else {
            return Err(invalid("--set", text, fix));
        };
        let key = key.trim();
        let values: Vec<toml::Value> = split_top_level(values)
            .into_iter()
            .map(|v| parse_value(v.trim()))
            .collect();
        if key.is_empty() || values.iter().any(|v| v.as_str() == Some("")) {
            return Err(invalid("--set", text, fix));
        }
        Ok(Self {
            key: key.to_string(),
            values,
        })
    }
}

/// Splits at commas outside brackets, braces and quotes.
fn split_top_level(text: &str) -> Vec<&str> {
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    let mut out = Vec::new();
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => depth += 1,
            ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn parse_value(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

/// One point of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Seed.
    pub seed: u64,
    /// `(key, value)` per setting, in the order of the settings.
    pub values: Vec<(String, toml::Value)>,
}

impl Point {
    /// `key=value, ...` (short keys: the last part of each).
    pub fn label(&self) -> String {
        self.values
            .iter()
            .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every seed × every combination of the settings' values, seed-major.
pub fn grid(seeds: &[u64], settings: &[Setting]) -> Vec<Point> {
    let mut combos: Vec<Vec<(String, toml::Value)>> = vec![Vec::new()];
    for s in settings {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                s.values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push((s.key.clone(), v.clone()));
                    c
                })
            })
            .collect();
    }
    seeds
        .iter()
        .flat_map(|&seed| {
            combos.iter().map(move |values| Point {
                seed,
                values: values.clone(),
            })
        })
        .collect()
}

/// How a sweep runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where camera readings come from ([`ReaderMode::Sampled`] is what sweeps are for).
    pub reader: ReaderMode,
    /// Runs at once (at most the cores is sensible).
    pub jobs: usize,
    /// ONNX Runtime threads per vision model.
    pub threads: usize,
    /// Where travel matrices are cached.
    pub matrix_cache: MatrixCache,
}

/// One finished run of the grid.
#[derive(Debug, Clone)]
pub struct Run {
    /// Its grid point.
    pub point: Point,
    /// Its result, as `scenario run` would give it.
    pub result: RunResult,
    /// Wall-clock seconds of the run (machine-dependent, not part of the result).
    pub seconds: f64,
}

/// Runs the grid: validates every point first (a bad key or value stops
/// the sweep before anything runs), builds each distinct city once, loads
/// the model once per seed and training-set size (measuring the sampled
/// reader's bank there), then runs the points `jobs` at a time. Results
/// come back in grid order.
pub fn run_grid(
    base: &Scenario,
    points: &[Point],
    opts: &Options,
    progress: impl Fn(&Run, usize) + Sync,
) -> Result<Vec<Run>> {
    let scenarios: Vec<Scenario> = points
        .iter()
        .map(|p| {
            let mut s = base.clone();
            s.run.seed = p.seed;
            for (k, v) in &p.values {
                s = s.with_setting(k, v)?;
            }
            Ok(s)
        })
        .collect::<Result<_>>()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .map_err(|e| invalid("--jobs", opts.jobs, format!("no thread pool: {e}")))?;
    // Cities: one per distinct (seed, roads, depots, sites, bins).
    let mut city_of: Vec<usize> = Vec::with_capacity(scenarios.len());
    let mut keys: HashMap<String, usize> = HashMap::new();
    let mut distinct: Vec<&Scenario> = Vec::new();
    for s in &scenarios {
        let key = serde_json::to_string(&(
            s.run.seed,
            &s.roads,
            &s.depots,
            &s.disposal_sites,
            &s.bins,
            &s.base_dir,
        ))
        .map_err(|e| invalid("scenario", &s.name, e.to_string()))?;
        let next = distinct.len();
        let i = *keys.entry(key).or_insert(next);
        if i == next {
            distinct.push(s);
        }
        city_of.push(i);
    }
    let worlds: Vec<Arc<World>> = pool.install(|| {
        distinct
            .par_iter()
            .map(|s| World::build_with(s, &opts.matrix_cache).map(Arc::new))
            .collect::<Result<_>>()
    })?;
    // Vision per seed and training-set size (the head is trained, or read
    // from its cache, once; `--set cameras.train_per_class=…` gets its own).
    let head_of = |s: &Scenario| (s.run.seed, s.cameras.train_per_class);
    let mut visions: HashMap<(u64, usize), Vision> = HashMap::new();
    for s in &scenarios {
        if visions.contains_key(&head_of(s)) {
            continue;
        }
        let mut v = Vision::load_or_train(
            s.run.seed,
            s.cameras.train_per_class,
            s.cameras.batch,
            opts.threads,
            |_| {},
        )?;
        if opts.reader == ReaderMode::Sampled {
            v.sample_from_bank()?;
        }
        visions.insert(head_of(s), v);
    }
    let done = std::sync::atomic::AtomicUsize::new(0);
    pool.install(|| {
        scenarios
            .par_iter()
            .zip(points)
            .zip(&city_of)
            .map(|((s, point), &city)| {
                let started = Instant::now();
                let seeded = &visions[&head_of(s)];
                let mut vision = match seeded.sampled_copy() {
                    Some(v) => v,
                    None => Vision::load_or_train(
                        s.run.seed,
                        s.cameras.train_per_class,
                        s.cameras.batch,
                        opts.threads,
                        |_| {},
                    )?,
                };
                let result = run(s, &worlds[city], &mut vision, |_| {})?;
                let r = Run {
                    point: point.clone(),
                    result,
                    seconds: started.elapsed().as_secs_f64(),
                };
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(&r, n);
                Ok(r)
            })
            .collect::<Result<Vec<Run>>>()
    })
}

/// Writes one CSV row per run and policy: the seed, each setting's value,
/// the policy and its KPIs, the reader mode and the run's wall time.
pub fn write_csv(out: impl Write, settings: &[Setting], runs: &[Run]) -> Result<()> {
    let csv_err = |e: csv::Error| ScenarioError::Io {
        path: "sweep.csv".into(),
        source: std::io::Error::other(e),
    };
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<String> = vec!["seed".into()];
    header.extend(settings.iter().map(|s| s.key.clone()));
    header.extend(
        [
            "policy",
            "fixed",
            "truck_km",
            "collection_km",
            "haul_km",
            "truck_hours",
            "pickups",
            "overflow_bin_days",
            "missed_must_collect",
            "plans_cut_by_time",
            "emergency_pickups",
            "routes_per_day",
            "cost_eur",
            "mean_fill_at_pickup",
            "classifier_accuracy",
            "reader",
            "run_seconds",
        ]
        .map(String::from),
    );
    w.write_record(&header).map_err(csv_err)?;
    for r in runs {
        for k in &r.result.kpis {
            let mut row: Vec<String> = vec![r.point.seed.to_string()];
            row.extend(r.point.values.iter().map(|(_, v)| match v {
                toml::Value::String(s) => s.clone(),
                v => v.to_string(),
            }));
            row.extend([
                k.policy.clone(),
                k.fixed.to_string(),
                format!("{:.3}", k.truck_km),
                format!("{:.3}", k.collection_km),
                format!("{:.3}", k.haul_km),
                format!("{:.3}", k.truck_hours),
                k.pickups.to_string(),
                k.overflow_bin_days.to_string(),
                k.missed_must_collect.to_string(),
                k.plans_cut_by_time.to_string(),
                k.emergency_pickups.to_string(),
                format!("{:.3}", k.routes_per_day),
                format!("{:.2}", k.cost_eur),
                format!("{:.4}", k.mean_fill_at_pickup),
                k.classifier_accuracy
                    .map_or(String::new(), |a| format!("{a:.4}")),
                match r.result.reader {
                    ReaderMode::Model => "model".into(),
                    ReaderMode::Sampled => "sampled".into(),
                },
                format!("{:.1}", r.seconds),
            ]);
            w.write_record(&row).map_err(csv_err)?;
        }
    }
    w.flush().map_err(|e| ScenarioError::Io {
        path: "sweep.csv".into(),
        source: e,
    })
}

/// The runs as one result per seed whose policies are named with their
/// setting (`fill-driven · risk_level=0.3`), for [`crate::compare`] and
/// [`crate::plot_frontier`]: each (policy, setting) becomes one series, and
/// the claim of each sensor setting is against the cheapest fixed schedule
/// with no more overflow. A fixed schedule no setting changes is kept once.
pub fn as_seed_results(runs: &[Run]) -> Vec<RunResult> {
    let mut seeds: Vec<u64> = runs.iter().map(|r| r.point.seed).collect();
    seeds.dedup();
    seeds
        .iter()
        .map(|&seed| {
            let of_seed: Vec<&Run> = runs.iter().filter(|r| r.point.seed == seed).collect();
            let mut merged = of_seed[0].result.clone();
            merged.kpis.clear();
            merged.daily.clear();
            merged.maps.clear();
            for (pi, first) in of_seed[0].result.kpis.iter().enumerate() {
                let same = of_seed.iter().all(|r| r.result.kpis.get(pi) == Some(first));
                for r in &of_seed {
                    let label = r.point.label();
                    let mut k = r.result.kpis[pi].clone();
                    if !same && !label.is_empty() {
                        k.policy = format!("{} · {label}", k.policy);
                    }
                    merged.daily.push(r.result.daily[pi].clone());
                    merged.kpis.push(k);
                    if same {
                        break;
                    }
                }
            }
            merged
        })
        .collect()
}

/// Writes `sweep.csv`, `sweep.md` (means per policy and setting over the
/// seeds, and each sensor setting's claim) and `frontier.png`/`.svg` into `dir`.
pub fn write_outputs(
    dir: &Path,
    settings: &[Setting],
    runs: &[Run],
) -> Result<Vec<std::path::PathBuf>> {
    let io = |path: &Path, source| ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let csv_path = dir.join("sweep.csv");
    let file = std::fs::File::create(&csv_path).map_err(|e| io(&csv_path, e))?;
    write_csv(std::io::BufWriter::new(file), settings, runs)?;
    let merged = as_seed_results(runs);
    let md = dir.join("sweep.md");
    std::fs::write(&md, crate::comparison_table(&crate::compare(&merged)))
        .map_err(|e| io(&md, e))?;
    let mut written = vec![csv_path, md];
    for ext in ["png", "svg"] {
        let path = dir.join(format!("frontier.{ext}"));
        crate::plot_frontier(&path, &merged).map_err(|message| ScenarioError::Plot {
            path: path.clone(),
            message,
        })?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_reads_numbers_strings_and_arrays() {
        let s = Setting::parse("policies.fill-driven.risk_level=0.3,0.45").unwrap();
        assert_eq!(s.key, "policies.fill-driven.risk_level");
        assert_eq!(
            s.values,
            vec![toml::Value::Float(0.3), toml::Value::Float(0.45)]
        );
        let s = Setting::parse("x=[1, 2],abc,true").unwrap();
        assert_eq!(s.values.len(), 3);
        assert_eq!(s.values[1], toml::Value::String("abc".into()));
        assert_eq!(s.values[2], toml::Value::Boolean(true));
        assert!(Setting::parse("no-equals-sign").is_err());
        assert!(Setting::parse("x=1,,2").is_err());
    }

    #[test]
    fn the_grid_is_every_seed_times_every_combination() {
        let a = Setting::parse("a=1,2").unwrap();
        let b = Setting::parse("b=x,y,z").unwrap();
        let g = grid(&[1, 2], &[a, b]);
        assert_eq!(g.len(), 12);
        assert_eq!(g[0].seed, 1);
        assert_eq!(g[0].label(), "a=1, b=\"x\"");
        assert_eq!(g[11].seed, 2);
    }
}

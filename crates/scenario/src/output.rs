//! What `--out DIR` writes: `results.json`, the KPI-over-days plot (PNG and
//! SVG) and one offline HTML route map per chosen day and policy; and the
//! KPI table printed to the terminal.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use fillroute_routemap::render_html;
use plotters::prelude::*;

use crate::error::{Result, ScenarioError};
use crate::sim::RunResult;
use crate::world::World;

/// The KPI table, one row per policy.
pub fn kpi_table(r: &RunResult) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{} · {} bins · {} trucks · {} days · seed {} · reader: {}",
        r.scenario,
        r.bins,
        r.trucks,
        r.days,
        r.seed,
        match r.reader {
            crate::ReaderMode::Model => "real model on every photo",
            crate::ReaderMode::Sampled =>
                "SAMPLED from the real model's readings of rendered photos (sweeps only)",
        }
    );
    let _ = writeln!(
        t,
        "{:<16} {:>9} {:>8} {:>8} {:>8} {:>9} {:>9} {:>7} {:>6} {:>9} {:>10} {:>9}",
        "policy",
        "truck-km",
        "coll-km",
        "truck-h",
        "pickups",
        "fill@pick",
        "overflow",
        "missed",
        "emerg",
        "vision",
        "routes/day",
        "cost EUR"
    );
    for k in &r.kpis {
        let _ = writeln!(
            t,
            "{:<16} {:>9.1} {:>8.1} {:>8.1} {:>8} {:>8.0}% {:>9} {:>7} {:>6} {:>9} {:>10.2} {:>9.0}",
            k.policy,
            k.truck_km,
            k.collection_km,
            k.truck_hours,
            k.pickups,
            k.mean_fill_at_pickup * 100.0,
            k.overflow_bin_days,
            k.missed_must_collect,
            k.emergency_pickups,
            k.classifier_accuracy
                .map_or("—".to_string(), |a| format!("{:.1}%", a * 100.0)),
            k.routes_per_day,
            k.cost_eur
        );
    }
    for k in r.kpis.iter().filter(|k| k.plans_cut_by_time > 0) {
        let _ = writeln!(
            t,
            "WARNING {}: {} day plans stopped at the run.planner_seconds safety net before \
             run.planner_iterations; this result depends on the machine's load and will not \
             replay exactly (raise planner_seconds or run fewer jobs at once)",
            k.policy, k.plans_cut_by_time
        );
    }
    let _ = write!(
        t,
        "coll-km = truck-km less the haul into disposal sites and from the last one to the depot; overflow = bin-days above 100 %; missed = must-collect bins left unserved; emerg = pickups outside the day's calendar area to stop an overflow; vision = fill-class accuracy of the real model on the run's camera images; every route passed the planner's checker"
    );
    t
}

/// Where the run's wall-clock time went, one line per phase.
pub fn phase_table(r: &RunResult) -> String {
    let total: f64 = r.phases.iter().map(|p| p.1).sum();
    let reader = match r.reader {
        crate::ReaderMode::Model => "reader: real model",
        crate::ReaderMode::Sampled => "reader: SAMPLED",
    };
    let mut t = format!(
        "{:<24} {:>9} {:>6}   ({reader})\n",
        "phase", "seconds", "share"
    );
    for (name, secs) in &r.phases {
        let _ = writeln!(
            t,
            "{name:<24} {secs:>9.1} {:>5.0}%",
            100.0 * secs / total.max(1e-9)
        );
    }
    let _ = write!(t, "{:<24} {total:>9.1}", "total");
    t
}

/// Name of the phase [`write_outputs`] adds to `results.json`.
pub const WRITE_PHASE: &str = "write outputs";

/// Writes the plots, the maps, the sampled reader's confusion (if any) and
/// last results.json into `dir`; results.json's phases end with the time
/// spent writing the rest ([`WRITE_PHASE`]).
pub fn write_outputs(dir: &Path, r: &RunResult, world: &World) -> Result<Vec<std::path::PathBuf>> {
    let started = std::time::Instant::now();
    let io = |path: &Path, source| ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    };
    let json_err = |path: &Path, e: serde_json::Error| io(path, std::io::Error::other(e));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut written = Vec::new();
    if let Some(c) = &r.reader_confusion {
        let path = dir.join("reader-confusion.json");
        let text = serde_json::to_string_pretty(c).map_err(|e| json_err(&path, e))?;
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        written.push(path);
    }
    for ext in ["png", "svg"] {
        let path = dir.join(format!("kpi-over-days.{ext}"));
        plot(&path, r).map_err(|message| ScenarioError::Plot {
            path: path.clone(),
            message,
        })?;
        written.push(path);
    }
    for ext in ["png", "svg"] {
        let path = dir.join(format!("frontier.{ext}"));
        crate::compare::plot_frontier(&path, std::slice::from_ref(r)).map_err(|message| {
            ScenarioError::Plot {
                path: path.clone(),
                message,
            }
        })?;
        written.push(path);
    }
    if !r.maps.is_empty() {
        let roads = road_lines(world);
        for (day, policy, map) in &r.maps {
            let mut map = map.clone();
            map.title = format!("{} · {policy}", map.title);
            map.roads.clone_from(&roads);
            let path = dir.join(format!("map-day{day}-{policy}.html"));
            std::fs::write(&path, render_html(&map)).map_err(|e| io(&path, e))?;
            written.push(path);
        }
    }
    let json = dir.join("results.json");
    let mut value = serde_json::to_value(r).map_err(|e| json_err(&json, e))?;
    if let Some(phases) = value.get_mut("phases").and_then(|p| p.as_array_mut()) {
        phases.push(serde_json::json!([
            WRITE_PHASE,
            started.elapsed().as_secs_f64()
        ]));
    }
    let text = serde_json::to_string_pretty(&value).map_err(|e| json_err(&json, e))?;
    std::fs::write(&json, text).map_err(|e| io(&json, e))?;
    written.insert(0, json);
    Ok(written)
}

/// Every road once (two-way streets are one line).
fn road_lines(world: &World) -> Vec<Vec<[f64; 2]>> {
    let g = world.net.graph();
    let mut seen = HashSet::new();
    let mut lines = Vec::new();
    for e in g.raw_edges() {
        let (a, b) = (e.source().index(), e.target().index());
        if seen.insert((a.min(b), a.max(b))) {
            let (pa, pb) = (g[e.source()].pos, g[e.target()].pos);
            lines.push(vec![[pa.lon(), pa.lat()], [pb.lon(), pb.lat()]]);
        }
    }
    lines
}

pub(crate) fn register_font() -> bool {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DONE.get_or_init(|| {
        let candidates = [
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        ];
        candidates
            .iter()
            .find_map(|p| std::fs::read(p).ok())
            .is_some_and(|bytes| {
                let leaked: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                plotters::style::register_font("sans-serif", FontStyle::Normal, leaked).is_ok()
            })
    })
}

fn plot(path: &Path, r: &RunResult) -> std::result::Result<(), String> {
    if path.extension().is_some_and(|e| e == "svg") {
        draw(SVGBackend::new(path, (900, 700)).into_drawing_area(), r)
    } else {
        draw(BitMapBackend::new(path, (900, 700)).into_drawing_area(), r)
    }
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    r: &RunResult,
) -> std::result::Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let text = register_font();
    root.fill(&WHITE).map_err(e)?;
    let panels = root.split_evenly((2, 1));
    let days = r.days as f64;
    let cumulative = |f: &dyn Fn(&crate::sim::DayKpis) -> f64| -> Vec<Vec<(f64, f64)>> {
        r.daily
            .iter()
            .map(|d| {
                let mut acc = 0.0;
                std::iter::once((0.0, 0.0))
                    .chain(d.iter().map(|k| {
                        acc += f(k);
                        (k.day as f64, acc)
                    }))
                    .collect()
            })
            .collect()
    };
    let series = [
        ("cumulative truck-km", cumulative(&|k| k.km)),
        (
            "cumulative overflow bin-days",
            cumulative(&|k| k.overflow_bins as f64),
        ),
    ];
    for (area, (title, lines)) in panels.iter().zip(series.iter()) {
        let ymax = lines.iter().flatten().map(|p| p.1).fold(1.0, f64::max) * 1.1;
        let mut b = ChartBuilder::on(area);
        b.margin(12).x_label_area_size(30).y_label_area_size(50);
        if text {
            b.caption(format!("{} — {title}", r.scenario), ("sans-serif", 18));
        }
        let mut chart = b.build_cartesian_2d(0.0..days, 0.0..ymax).map_err(e)?;
        let mut mesh = chart.configure_mesh();
        if !text {
            mesh.disable_x_mesh()
                .disable_y_mesh()
                .x_labels(0)
                .y_labels(0);
        } else {
            mesh.x_desc("day");
        }
        mesh.draw().map_err(e)?;
        for (i, (k, pts)) in r.kpis.iter().zip(lines).enumerate() {
            let colour = Palette99::pick(i).to_rgba();
            let s = chart
                .draw_series(LineSeries::new(pts.iter().copied(), colour.stroke_width(2)))
                .map_err(e)?;
            if text {
                s.label(k.policy.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                });
            }
        }
        if text {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(e)?;
        }
    }
    root.present().map_err(e)
}

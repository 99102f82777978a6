//! `fillroute bench ...`: run the planner on public benchmark instances.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Subcommand, ValueEnum};
use fillroute_planner::{SolveParams, check, io, solve};
use indicatif::{ProgressBar, ProgressStyle};

/// Objective choice on the command line.
#[derive(Clone, Copy, ValueEnum)]
pub enum ObjectiveArg {
    /// Total distance only.
    Distance,
    /// Fewest vehicles, then distance.
    VehiclesThenDistance,
}

/// Longest `--time-limit`: one week per instance.
const MAX_TIME_LIMIT_S: f64 = 7.0 * 24.0 * 3600.0;

/// Seconds per instance, validated where they are parsed: finite and within
/// 0 to one week, so the solver is never handed an impossible duration.
#[derive(Clone, Copy, Debug)]
pub struct TimeLimit(Duration);

fn parse_time_limit(s: &str) -> Result<TimeLimit, String> {
    let range = format!("give seconds from 0 to {MAX_TIME_LIMIT_S} (one week), e.g. 5 or 0.5");
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds: {range}"))?;
    if !v.is_finite() || !(0.0..=MAX_TIME_LIMIT_S).contains(&v) {
        return Err(format!("{s} seconds is out of range: {range}"));
    }
    Ok(TimeLimit(if v > 0.0 {
        Duration::from_secs_f64(v)
    } else {
        Duration::ZERO
    }))
}

/// Output format.
#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// `instance,cost,bks,gap_pct,vehicles,seconds,feasible`.
    Csv,
}

/// Bench subcommands.
#[derive(Subcommand)]
pub enum BenchCmd {
    /// Solve each instance and compare with the reference value.
    Routing {
        /// Seconds per instance (0 to 604800).
        #[arg(long, value_name = "SECONDS", value_parser = parse_time_limit, allow_hyphen_values = true)]
        time_limit: TimeLimit,
        /// Parallel independent searches per instance.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Random seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Objective; default is the set's usual one.
        #[arg(long, value_enum)]
        objective: Option<ObjectiveArg>,
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: FormatArg,
        /// Interleave set partitioning (HiGHS) over the search's route pool,
        /// about 5 % of the time, feeding better plans back to the search.
        #[arg(long)]
        set_partitioning: bool,
        /// Write `OUTDIR/<instance>.sol` per instance.
        #[arg(long)]
        solutions: Option<PathBuf>,
        /// Instance files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

/// Runs a bench subcommand. A file that cannot be read or solved is
/// reported with its reason and the run goes on; the exit is non-zero at the
/// end if any failed.
pub fn run(cmd: BenchCmd) -> anyhow::Result<()> {
    let BenchCmd::Routing {
        time_limit,
        threads,
        seed,
        objective,
        format: _,
        set_partitioning,
        solutions,
        paths,
    } = cmd;
    let files: Vec<PathBuf> = paths.iter().flat_map(|p| io::list_instances(p)).collect();
    if files.is_empty() {
        anyhow::bail!("no instance files found under the given paths");
    }
    if let Some(dir) = &solutions {
        std::fs::create_dir_all(dir)?;
    }
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let opts = Opts {
        time_limit: time_limit.0,
        threads,
        seed,
        objective,
        set_partitioning,
        solutions,
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "instance,cost,bks,gap_pct,vehicles,seconds,feasible")?;
    let mut failed = Vec::new();
    for f in &files {
        bar.set_message(f.display().to_string());
        let done =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_one(f, &opts, &mut out)))
                .unwrap_or_else(|panic| {
                    let why = panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("no message");
                    Err(anyhow::anyhow!(
                        "{}: the planner panicked: {why}",
                        f.display()
                    ))
                });
        if let Err(e) = done {
            bar.suspend(|| eprintln!("failed {}: {e:#}", f.display()));
            failed.push(f.display().to_string());
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if !failed.is_empty() {
        anyhow::bail!(
            "{} of {} instances failed: {}",
            failed.len(),
            files.len(),
            failed.join(", ")
        );
    }
    Ok(())
}

/// What every instance of a run shares.
struct Opts {
    time_limit: Duration,
    threads: usize,
    seed: u64,
    objective: Option<ObjectiveArg>,
    set_partitioning: bool,
    solutions: Option<PathBuf>,
}

/// Reads, solves, checks and reports one instance as a CSV row.
fn run_one(f: &Path, opts: &Opts, out: &mut impl Write) -> anyhow::Result<()> {
    let bi = io::read_instance(f)?;
    let vf = match opts.objective {
        Some(ObjectiveArg::Distance) => false,
        Some(ObjectiveArg::VehiclesThenDistance) => true,
        None => bi.format.default_vehicles_first(),
    };
    let bi = bi.with_objective(vf);
    let params = SolveParams {
        time_limit: Some(opts.time_limit),
        seed: opts.seed,
        threads: opts.threads,
        set_partitioning: opts.set_partitioning,
        ..SolveParams::default()
    };
    let t = Instant::now();
    let outcome = solve(&bi.instance, &params);
    let secs = t.elapsed().as_secs_f64();
    let rep = check(&bi.instance, &outcome.solution);
    if std::env::var_os("FILLROUTE_BENCH_DEBUG").is_some() {
        eprintln!(
            "{}: {} iterations, pool {} routes, violations {:?}",
            bi.name,
            outcome.iterations,
            outcome.pool.len(),
            rep.violations.first()
        );
    }
    let cost = rep.distance as f64 / bi.scale;
    let reference = io::reference(&bi, vf);
    let (bks, gap) = match reference {
        Some((b, _)) if b > 0.0 => {
            let g = 100.0 * (cost - b) / b;
            (
                format!("{b}"),
                format!("{:.3}", if g.abs() < 5e-4 { 0.0 } else { g }),
            )
        }
        _ => (String::new(), String::new()),
    };
    let cost_s = if bi.scale == 1.0 {
        format!("{}", rep.distance)
    } else {
        format!("{cost:.2}")
    };
    writeln!(
        out,
        "{},{},{},{},{},{:.2},{}",
        bi.name, cost_s, bks, gap, rep.vehicles, secs, rep.feasible
    )?;
    out.flush()?;
    if let Some(dir) = &opts.solutions {
        let text = io::write_sol(
            &bi,
            &outcome.solution,
            if bi.scale == 1.0 {
                rep.distance as f64
            } else {
                cost
            },
        );
        let path = dir.join(format!("{}.sol", bi.name));
        std::fs::write(&path, text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    Ok(())
}

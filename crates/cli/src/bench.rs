//! `fillroute bench ...`: run the planner on public benchmark instances.
use std::io::Write;
use std::path::PathBuf;
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
        /// Seconds per instance.
        #[arg(long)]
        time_limit: f64,
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

/// Runs a bench subcommand.
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
    let mut out = std::io::stdout().lock();
    writeln!(out, "instance,cost,bks,gap_pct,vehicles,seconds,feasible")?;
    for f in files {
        let bi = io::read_instance(&f)?;
        bar.set_message(bi.name.clone());
        let vf = match objective {
            Some(ObjectiveArg::Distance) => false,
            Some(ObjectiveArg::VehiclesThenDistance) => true,
            None => bi.format.default_vehicles_first(),
        };
        let bi = bi.with_objective(vf);
        let params = SolveParams {
            time_limit: Some(Duration::from_secs_f64(time_limit)),
            seed,
            threads,
            set_partitioning,
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
        if let Some(dir) = &solutions {
            let text = io::write_sol(
                &bi,
                &outcome.solution,
                if bi.scale == 1.0 {
                    rep.distance as f64
                } else {
                    cost
                },
            );
            std::fs::write(dir.join(format!("{}.sol", bi.name)), text)?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(())
}

//! `fillroute scenario ...`: run a scenario file (or the built-in `small`
//! one) through cameras, vision, forecasts, decisions and routes, print the
//! KPI table per policy, and optionally write results, plots and maps.
//! With `--stack` the same scenario drives the real services
//! (`fillroute-scenario-stack`) instead of the in-process libraries.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, Subcommand};
use fillroute_scenario::sweep::{self, Setting};
use fillroute_scenario::{
    MatrixCache, Progress, ReaderMode, Scenario, Vision, WRITE_PHASE, World, compare,
    comparison_table, kpi_table, phase_table, plot_frontier, run as run_scenario, write_outputs,
};
use fillroute_scenario_stack::StackOptions;
use indicatif::{ProgressBar, ProgressStyle};

/// Scenario subcommands.
#[derive(Subcommand)]
pub enum ScenarioCmd {
    /// Simulate a scenario under every policy it lists and print the KPI table.
    Run(RunArgs),
    /// Run a grid of seeds × settings (in parallel, bounded by the cores):
    /// one CSV row per run and policy, means and claims per setting, and the
    /// truck-km against overflow frontier.
    Sweep(SweepArgs),
    /// Parse and validate a scenario file without running it: the same
    /// validation `run` applies, so `run` refuses a file `check` passed only
    /// for what the road data says (a point far from every road).
    Check {
        /// Scenario file.
        file: PathBuf,
    },
}

/// `scenario run` options.
#[derive(Args)]
pub struct RunArgs {
    /// Scenario file (default: the built-in `small` scenario, same as scenarios/small.toml).
    pub file: Option<PathBuf>,
    /// Write results.json, kpi-over-days.{png,svg} and route maps here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override the scenario's horizon, days.
    #[arg(long)]
    pub days: Option<usize>,
    /// Override the scenario's seed.
    #[arg(long, conflicts_with = "seeds")]
    pub seed: Option<u64>,
    /// Run several seeds (`11..15` inclusive, or `1,4,7`), each a different
    /// city and luck shared by all policies, and compare the policies over
    /// them: paired changes with 95 % intervals and the km-against-overflow
    /// frontier (with --out: comparison.md, comparison.json, frontier.png/svg
    /// and one folder per seed).
    #[arg(long, value_parser = parse_seeds, conflicts_with = "stack")]
    pub seeds: Option<Seeds>,
    /// Run only these policies of the file (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    pub policies: Vec<String>,
    /// Override the planner's iteration budget per day and policy.
    #[arg(long)]
    pub planner_iterations: Option<u64>,
    /// `model` reads every camera photo with the real model; `sampled` (for
    /// parameter sweeps) draws each reading from the real model's readings of
    /// a bank of rendered photos of the same fill class, measured per run and
    /// saved in results.json. Headline figures come from `model`.
    #[arg(long, value_enum, default_value_t = Reader::Model)]
    pub reader: Reader,
    /// Where travel matrices are cached between runs (keyed by the network
    /// and the points), or `off`. Default: $FILLROUTE_MATRIX_CACHE, else
    /// `matrices/` in the fillroute cache.
    #[arg(long, value_parser = parse_matrix_cache)]
    pub matrix_cache: Option<MatrixCache>,
    /// ONNX Runtime threads for the vision backbone.
    #[arg(long, default_value_t = 2, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub threads: usize,
    /// Drive the real services instead: photos through IngestService,
    /// JetStream and the vision workers into PostGIS, each working day planned
    /// by the nightly job behind PlannerService. Replays the scenario's
    /// forecast_risk policy (the one the nightly job implements).
    #[arg(long)]
    pub stack: bool,
    /// With --stack: the PostgreSQL/PostGIS server; the run creates its own
    /// database there and drops it at the end.
    #[arg(
        long,
        env = "FILLROUTE_PG_URL",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    pub database_url: String,
    /// With --stack: the NATS JetStream server; the run uses its own stream and deletes it.
    #[arg(
        long,
        env = "FILLROUTE_NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    pub nats_url: String,
    /// With --stack: vision workers sharing the JetStream consumer.
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
}

/// `scenario sweep` options.
#[derive(Args)]
pub struct SweepArgs {
    /// Scenario file.
    pub file: PathBuf,
    /// Seeds (`1..5` inclusive, or `1,4,7`); default the file's seed.
    #[arg(long, value_parser = parse_seeds)]
    pub seeds: Option<Seeds>,
    /// A key of the scenario file and the values to try, e.g.
    /// `policies.fill-driven.risk_level=0.3,0.45` or
    /// `run.planner_iterations=1000,3000` (list entries by name or id);
    /// repeat for a grid.
    #[arg(long = "set", value_parser = parse_setting)]
    pub set: Vec<Setting>,
    /// Run only these policies of the file (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    pub policies: Vec<String>,
    /// Override the scenario's horizon, days.
    #[arg(long)]
    pub days: Option<usize>,
    /// Override the planner's iteration budget per day and policy.
    #[arg(long)]
    pub planner_iterations: Option<u64>,
    /// `sampled` (default for sweeps) or `model` (the real model on every photo).
    #[arg(long, value_enum, default_value_t = Reader::Sampled)]
    pub reader: Reader,
    /// Runs at once (default: the machine's cores).
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub jobs: Option<usize>,
    /// ONNX Runtime threads per vision model.
    #[arg(long, default_value_t = 1, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub threads: usize,
    /// Where travel matrices are cached, or `off` (as for `run`).
    #[arg(long, value_parser = parse_matrix_cache)]
    pub matrix_cache: Option<MatrixCache>,
    /// Write sweep.csv, sweep.md and frontier.{png,svg} here.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn parse_setting(text: &str) -> std::result::Result<Setting, String> {
    Setting::parse(text).map_err(|e| e.to_string())
}

fn parse_matrix_cache(text: &str) -> std::result::Result<MatrixCache, String> {
    match text {
        "" => Err("--matrix-cache: give a folder, or `off`".into()),
        "off" => Ok(MatrixCache::Off),
        dir => Ok(MatrixCache::Dir(PathBuf::from(dir))),
    }
}

/// Runs a scenario subcommand.
pub fn run(cmd: ScenarioCmd) -> Result<()> {
    match cmd {
        ScenarioCmd::Check { file } => {
            let s = Scenario::from_file(&file)?;
            println!(
                "{}: ok ({} days, {} generated + {} explicit bins, {} trucks, {} policies)",
                file.display(),
                s.run.days,
                s.bins.count,
                s.bins.explicit.len(),
                s.trucks.count,
                s.policies.len()
            );
            Ok(())
        }
        ScenarioCmd::Run(args) => run_file(args),
        ScenarioCmd::Sweep(args) => run_sweep(args),
    }
}

/// `--reader`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Reader {
    /// The real model on every photo.
    Model,
    /// Readings drawn from the real model's readings of a rendered bank
    /// (`fast` is the same).
    #[value(alias = "fast")]
    Sampled,
}

impl From<Reader> for ReaderMode {
    fn from(r: Reader) -> Self {
        match r {
            Reader::Model => ReaderMode::Model,
            Reader::Sampled => ReaderMode::Sampled,
        }
    }
}

/// Switches `vision` to the sampled reader when asked.
fn choose_reader(vision: &mut Vision, reader: Reader) -> Result<()> {
    if reader == Reader::Sampled {
        let c = vision.sample_from_bank()?;
        let read: usize = c.counts.iter().flatten().sum();
        let right: usize = (0..c.counts.len()).map(|i| c.counts[i][i]).sum();
        eprintln!(
            "sampled reader: the real model read {right} of {read} bank photos in the right class; refused {} of {} dark lenses",
            c.dark_refused, c.dark_total
        );
    }
    Ok(())
}

/// The seeds of `--seeds`.
#[derive(Clone, Debug)]
pub struct Seeds(pub Vec<u64>);

/// `11..15` (inclusive) or `1,4,7`.
fn parse_seeds(text: &str) -> std::result::Result<Seeds, String> {
    let bad = || format!("{text:?}: write seeds as a range `11..15` or a list `1,4,7`");
    let seeds: Vec<u64> = match text.split_once("..") {
        Some((a, b)) => {
            let (a, b): (u64, u64) = (
                a.trim().parse().map_err(|_| bad())?,
                b.trim().parse().map_err(|_| bad())?,
            );
            if b < a || b - a >= 100 {
                return Err(format!(
                    "{text:?}: use an increasing range of at most 100 seeds"
                ));
            }
            (a..=b).collect()
        }
        None => text
            .split(',')
            .map(|x| x.trim().parse().map_err(|_| bad()))
            .collect::<std::result::Result<_, _>>()?,
    };
    if seeds.is_empty() || seeds.len() > 100 {
        return Err(bad());
    }
    Ok(Seeds(seeds))
}

fn run_file(args: RunArgs) -> Result<()> {
    if let Some(Seeds(seeds)) = args.seeds.clone() {
        return run_seeds(args, &seeds);
    }
    let started = Instant::now();
    let s = load(&args, args.seed)?;
    let cache = args
        .matrix_cache
        .clone()
        .unwrap_or_else(MatrixCache::from_env);
    let world = World::build_with(&s, &cache)?;
    eprintln!(
        "{}: {} bins, {} trucks, {} days, {} road nodes ({:.1} s)",
        s.name,
        world.bins.len(),
        s.trucks.count,
        s.run.days,
        world.net.node_count(),
        started.elapsed().as_secs_f64()
    );
    let mut vision = Vision::load_or_train(
        s.run.seed,
        s.cameras.train_per_class,
        s.cameras.batch,
        args.threads,
        |m| eprintln!("{m}"),
    )?;
    eprintln!(
        "vision head {} ({})",
        vision.model_path.display(),
        if vision.cached {
            "cached"
        } else {
            "trained now"
        }
    );
    if args.stack {
        anyhow::ensure!(
            args.reader == Reader::Model,
            "--reader sampled does not apply to --stack: the stack replay reads every photo through the vision service"
        );
        return run_stack(&args, &s, &world, &vision, started);
    }
    choose_reader(&mut vision, args.reader)?;
    let bar = day_bar(&s);
    let mut result = run_scenario(&s, &world, &mut vision, |p| on_progress(&bar, &s.name, p))?;
    bar.finish_and_clear();
    println!("{}", kpi_table(&result));
    if let Some(dir) = &args.out {
        output(dir, &mut result, &world)?;
    }
    println!("\n{}", phase_table(&result));
    eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Writes the run's outputs and adds the time it took to its phases.
fn output(
    dir: &std::path::Path,
    result: &mut fillroute_scenario::RunResult,
    world: &World,
) -> Result<()> {
    let t = Instant::now();
    for path in write_outputs(dir, result, world)? {
        println!("wrote {}", path.display());
    }
    result
        .phases
        .push((WRITE_PHASE.to_string(), t.elapsed().as_secs_f64()));
    Ok(())
}

/// The scenario of `args` (or the built-in `small`), with `--days`, the
/// seed, `--policies` and `--planner-iterations` applied, validated.
fn load(args: &RunArgs, seed: Option<u64>) -> Result<Scenario> {
    let o = Overrides {
        days: args.days,
        seed,
        planner_iterations: args.planner_iterations,
        policies: &args.policies,
    };
    load_file(args.file.as_deref(), &o)
}

/// The command-line overrides of a scenario file.
struct Overrides<'a> {
    days: Option<usize>,
    seed: Option<u64>,
    planner_iterations: Option<u64>,
    policies: &'a [String],
}

fn load_file(file: Option<&std::path::Path>, args: &Overrides) -> Result<Scenario> {
    let seed = args.seed;
    let mut s = match file {
        Some(f) => Scenario::from_file(f)?,
        None => Scenario::default_small(),
    };
    if let Some(d) = args.days {
        s.run.days = d;
        s.run.map_days.retain(|&m| m <= d);
        s.bins.holidays.retain(|h| h.day <= d);
    }
    if let Some(seed) = seed {
        s.run.seed = seed;
    }
    if let Some(n) = args.planner_iterations {
        s.run.planner_iterations = n;
    }
    if !args.policies.is_empty() {
        restrict(&mut s, args.policies)?;
    }
    s.validate()?;
    Ok(s)
}

/// Keeps only the `--policies` named.
fn restrict(s: &mut Scenario, names: &[String]) -> Result<()> {
    if let Some(unknown) = names
        .iter()
        .find(|n| !s.policies.iter().any(|p| p.name() == n.as_str()))
    {
        let known: Vec<&str> = s.policies.iter().map(|p| p.name()).collect();
        anyhow::bail!(
            "--policies: {unknown:?} is not a policy of {}; use one of {}",
            s.name,
            known.join(", ")
        );
    }
    s.policies.retain(|p| names.iter().any(|n| n == p.name()));
    Ok(())
}

fn run_seeds(args: RunArgs, seeds: &[u64]) -> Result<()> {
    let started = Instant::now();
    // Read the file once: every seed runs the same scenario, even if the file
    // is edited while the seeds run.
    let base = load(&args, None)?;
    let mut runs = Vec::new();
    for &seed in seeds {
        let mut s = base.clone();
        s.run.seed = seed;
        let world = World::build_with(
            &s,
            &args
                .matrix_cache
                .clone()
                .unwrap_or_else(MatrixCache::from_env),
        )?;
        let mut vision = Vision::load_or_train(
            seed,
            s.cameras.train_per_class,
            s.cameras.batch,
            args.threads,
            |m| eprintln!("{m}"),
        )?;
        choose_reader(&mut vision, args.reader)?;
        let bar = day_bar(&s);
        let name = format!("{} seed {seed}", s.name);
        let mut result = run_scenario(&s, &world, &mut vision, |p| on_progress(&bar, &name, p))?;
        bar.finish_and_clear();
        println!("{}\n", kpi_table(&result));
        if let Some(dir) = &args.out {
            output(&dir.join(format!("seed-{seed}")), &mut result, &world)?;
        }
        println!("{}\n", phase_table(&result));
        runs.push(result);
    }
    let comparison = compare(&runs);
    let table = comparison_table(&comparison);
    println!("{table}");
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("comparison.md"), &table)?;
        std::fs::write(
            dir.join("comparison.json"),
            serde_json::to_string_pretty(&comparison)?,
        )?;
        for ext in ["png", "svg"] {
            let path = dir.join(format!("frontier.{ext}"));
            plot_frontier(&path, &runs).map_err(|m| anyhow::anyhow!("{}: {m}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn run_sweep(args: SweepArgs) -> Result<()> {
    let started = Instant::now();
    let base = load_file(
        Some(&args.file),
        &Overrides {
            days: args.days,
            seed: None,
            planner_iterations: args.planner_iterations,
            policies: &args.policies,
        },
    )?;
    let seeds = args.seeds.map_or_else(|| vec![base.run.seed], |s| s.0);
    let points = sweep::grid(&seeds, &args.set);
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let opts = sweep::Options {
        reader: args.reader.into(),
        jobs,
        threads: args.threads,
        matrix_cache: args
            .matrix_cache
            .clone()
            .unwrap_or_else(MatrixCache::from_env),
    };
    eprintln!(
        "{}: {} runs ({} seeds x {} settings), {} at a time, reader {:?}",
        base.name,
        points.len(),
        seeds.len(),
        points.len() / seeds.len().max(1),
        jobs,
        opts.reader
    );
    let bar = ProgressBar::new(points.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] run {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(base.name.clone());
    let runs = sweep::run_grid(&base, &points, &opts, |r, n| {
        bar.println(format!(
            "seed {} {}: {:.1} s",
            r.point.seed,
            r.point.label(),
            r.seconds
        ));
        bar.set_position(n as u64);
    })?;
    bar.finish_and_clear();
    let merged = sweep::as_seed_results(&runs);
    println!("{}", comparison_table(&compare(&merged)));
    if let Some(dir) = &args.out {
        for path in sweep::write_outputs(dir, &args.set, &runs)? {
            println!("wrote {}", path.display());
        }
    }
    eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn day_bar(s: &Scenario) -> ProgressBar {
    let bar = ProgressBar::new(s.run.days as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] day {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(s.name.clone());
    bar
}

fn on_progress(bar: &ProgressBar, name: &str, p: Progress) {
    match p {
        Progress::Stage(m) => bar.set_message(m),
        Progress::Day { day, .. } => {
            bar.set_message(name.to_string());
            bar.set_position(day as u64);
        }
    }
}

/// `--stack`: the same scenario through the real services.
fn run_stack(
    args: &RunArgs,
    s: &Scenario,
    world: &World,
    vision: &Vision,
    started: Instant,
) -> Result<()> {
    if args.workers == 0 || args.workers > 16 {
        anyhow::bail!("--workers is {}: use 1 to 16 vision workers", args.workers);
    }
    let options = StackOptions {
        database_url: args.database_url.clone(),
        nats_url: args.nats_url.clone(),
        workers: args.workers,
        threads: args.threads,
    };
    let bar = day_bar(s);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()?;
    let run = runtime.block_on(fillroute_scenario_stack::run(
        s,
        world,
        &vision.model_path,
        &options,
        |p| on_progress(&bar, &s.name, p),
    ))?;
    bar.finish_and_clear();
    println!("{}", kpi_table(&run.result));
    let c = run.counts;
    println!(
        "stack: {} photos uploaded through IngestService -> {} images, {} camera readings in PostGIS \
         ({} failed); {} emptyings reported; {} days planned through PlannerService; database {} dropped",
        run.uploads,
        c.images,
        c.camera_readings,
        c.failed,
        run.service_reports,
        run.plans,
        run.database
    );
    if let Some(dir) = &args.out {
        for path in write_outputs(dir, &run.result, world)? {
            println!("wrote {}", path.display());
        }
    }
    eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fillroute_scenario::config::SMALL_TOML;

    fn run_args(file: PathBuf) -> RunArgs {
        RunArgs {
            file: Some(file),
            out: None,
            days: None,
            seed: None,
            seeds: None,
            policies: Vec::new(),
            planner_iterations: None,
            reader: Reader::Model,
            matrix_cache: None,
            threads: 1,
            stack: false,
            database_url: String::new(),
            nats_url: String::new(),
            workers: 1,
        }
    }

    /// Issue 18: `check` passed a grid origin at latitude 95 and 31 February
    /// (read as 3 March); only `run` refused the first. Both now refuse both,
    /// with the same message.
    #[test]
    fn check_refuses_what_run_refuses_with_the_same_message() {
        let dir = tempfile::tempdir().expect("temp dir");
        for (what, from, to) in [
            (
                "a grid origin at latitude 95",
                "origin = [4.35, 50.85]",
                "origin = [4.35, 95.0]",
            ),
            (
                "31 February",
                "start_date = \"2026-11-30\"",
                "start_date = \"2026-02-31\"",
            ),
        ] {
            let edited = SMALL_TOML.replace(from, to);
            assert_ne!(edited, SMALL_TOML, "{what}: the edit applies");
            let file = dir.path().join("edited.toml");
            std::fs::write(&file, edited).expect("write scenario");
            let check = run(ScenarioCmd::Check { file: file.clone() })
                .expect_err(what)
                .to_string();
            let run = load(&run_args(file), None).expect_err(what).to_string();
            assert_eq!(check, run, "{what}");
        }
    }
}

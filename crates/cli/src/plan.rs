//! `fillroute plan ...`: the nightly planning job (cron-friendly: structured
//! logs on stderr, a progress bar only on a terminal, exit codes in [`crate::exit`])
//! and the plan viewers.

use crate::exit;
use clap::{Args, Subcommand};
use fillroute_planning::PlanningError;
use fillroute_planning::calendar::{CalendarPolicy, build_calendar, show_calendar};
use fillroute_planning::job::{PlanRequest, Progress, plan_day};
use fillroute_planning::network::NetworkCache;
use fillroute_planning::view::{commit_plan, load_plan, plan_geojson, plan_map};
use fillroute_store::{PlanId, Store};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// `fillroute plan --date D --region R [--time-budget S]`, or a plan subcommand.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, after_help = EXIT_CODES)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub cmd: Option<PlanCmd>,
    /// Local date the trucks drive, YYYY-MM-DD (today or later).
    #[arg(long)]
    pub date: Option<String>,
    /// Region name (as stored in the `regions` table).
    #[arg(long)]
    pub region: Option<String>,
    /// Seconds the route search may take.
    #[arg(long, default_value_t = 30.0, allow_negative_numbers = true)]
    pub time_budget: f64,
    /// Search seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

const EXIT_CODES: &str = "Exit codes: 0 ok; 1 internal failure; 2 invalid argument; 3 unknown region/plan; \
4 date already has a committed plan; 5 road file unreadable; 6 database unavailable (retry); \
7 plan written but must-collect bins unserved (reasons stored); 8 another job is planning that region and date (retry).";

/// Plan subcommands.
#[derive(Subcommand)]
pub enum PlanCmd {
    /// Write a stored plan as an offline HTML map and/or GeoJSON.
    Show(ShowArgs),
    /// Commit a draft plan; committed plans never change.
    Commit(CommitArgs),
    /// Serve fillroute.planner.v1.PlannerService (the fleet dashboard's API).
    Serve(ServeArgs),
    /// A region's collection calendar: compact day-areas swept on fixed weekdays.
    #[command(subcommand)]
    Calendar(CalendarCmd),
}

/// `plan calendar ...`.
#[derive(Subcommand)]
pub enum CalendarCmd {
    /// Cut the region's bins into compact day-areas by road distance, each swept 1 to
    /// --max-per-week times a week from its bins' fill rates, and store it. From then on
    /// the nightly job decides each bin up to its area's next sweep, and collects bins
    /// outside today's areas only as emergencies.
    Build(CalendarBuildArgs),
    /// Print the region's stored calendar.
    Show(CalendarShowArgs),
}

/// `plan calendar build`.
#[derive(Args)]
pub struct CalendarBuildArgs {
    /// Region name.
    #[arg(long)]
    pub region: String,
    /// Fill a bin should reach between two sweeps of its area (sets the rhythm).
    #[arg(long, default_value_t = 0.8)]
    pub target_fill: f64,
    /// Most sweeps a week for the fastest-filling areas.
    #[arg(long, default_value_t = 3)]
    pub max_per_week: u8,
    /// Outside today's areas, collect a bin when P(overflow before the next working day)
    /// exceeds this.
    #[arg(long, default_value_t = 0.5)]
    pub emergency_risk: f64,
    /// Areas per weekly slot (more, smaller areas).
    #[arg(long, default_value_t = 1)]
    pub areas_per_slot: usize,
    /// Area sweeps instead of weekdays: sweep the area of every must-collect bin, taking
    /// every bin there at this fill or more.
    #[arg(long)]
    pub sweep_fill: Option<f64>,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

/// `plan calendar show`.
#[derive(Args)]
pub struct CalendarShowArgs {
    /// Region name.
    #[arg(long)]
    pub region: String,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

/// `plan serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "FILLROUTE_PLANNER_LISTEN",
        default_value = "127.0.0.1:50071"
    )]
    pub listen: std::net::SocketAddr,
    /// Read-only token for dashboards (at least 16 characters).
    #[arg(long, env = "FILLROUTE_DASHBOARD_TOKEN", hide_env_values = true)]
    pub dashboard_token: String,
    /// Token that may plan, re-plan and commit (at least 16 characters).
    #[arg(long, env = "FILLROUTE_PLANNER_TOKEN", hide_env_values = true)]
    pub planner_token: String,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

/// `plan show`.
#[derive(Args)]
pub struct ShowArgs {
    /// Plan id.
    pub plan: i64,
    /// Self-contained HTML map to write.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// GeoJSON FeatureCollection to write.
    #[arg(long)]
    pub geojson: Option<PathBuf>,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

/// `plan commit`.
#[derive(Args)]
pub struct CommitArgs {
    /// Plan id.
    pub plan: i64,
    #[command(flatten)]
    pub db: crate::ingest::DbArgs,
}

/// Runs `fillroute plan`; see [`crate::exit`] for the exit codes.
pub fn run(args: PlanArgs) -> ExitCode {
    crate::init_logging();
    let result = tokio::runtime::Runtime::new()
        .map_err(|e| PlanningError::Internal(e.to_string()))
        .and_then(|rt| rt.block_on(dispatch(args)));
    match result {
        Ok(code) => code,
        Err(e) => exit::failure(&e),
    }
}

async fn dispatch(args: PlanArgs) -> Result<ExitCode, PlanningError> {
    match args.cmd {
        Some(PlanCmd::Show(s)) => show(s).await,
        Some(PlanCmd::Commit(c)) => {
            let store = Store::connect(&c.db.database_url).await?;
            let view = commit_plan(&store, PlanId(c.plan)).await?;
            println!(
                "plan {} committed ({} routes)",
                view.plan.id,
                view.routes.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(PlanCmd::Serve(a)) => {
            let store = Store::connect(&a.db.database_url).await?;
            store.migrate().await?;
            let listener = tokio::net::TcpListener::bind(a.listen).await.map_err(|e| {
                PlanningError::invalid("--listen", a.listen, format!("use a free address ({e})"))
            })?;
            let tokens = fillroute_planning_server::Tokens {
                dashboard: a.dashboard_token,
                planner: a.planner_token,
            };
            fillroute_planning_server::run(
                listener,
                store,
                tokens,
                fillroute_vision_server::shutdown_signal(),
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(PlanCmd::Calendar(c)) => calendar(c).await,
        None => nightly(args).await,
    }
}

async fn calendar(cmd: CalendarCmd) -> Result<ExitCode, PlanningError> {
    let report = match cmd {
        CalendarCmd::Build(a) => {
            let store = Store::connect(&a.db.database_url).await?;
            store.migrate().await?;
            let policy = CalendarPolicy {
                target_fill: a.target_fill,
                max_per_week: a.max_per_week,
                emergency_risk: a.emergency_risk,
                areas_per_slot: a.areas_per_slot,
                sweep_fill: a.sweep_fill,
            };
            build_calendar(
                &store,
                &NetworkCache::default(),
                &a.region,
                policy,
                time::OffsetDateTime::now_utc(),
            )
            .await?
        }
        CalendarCmd::Show(a) => {
            let store = Store::connect(&a.db.database_url).await?;
            match show_calendar(&store, &a.region).await? {
                Some(r) => r,
                None => {
                    println!(
                        "region {} has no calendar: every bin looks one working day ahead \
                         (build one with `fillroute plan calendar build --region {}`)",
                        a.region, a.region
                    );
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    };
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let p = &report.policy;
    println!(
        "calendar of {} (built {}): {} areas, target fill {:.2}, at most {}/week, emergency risk {:.2}{}",
        report.region,
        report.built_at.date(),
        report.areas.len(),
        p.target_fill,
        p.max_per_week,
        p.emergency_risk,
        p.sweep_fill
            .map_or(String::new(), |f| format!(", area sweeps at fill {f:.2}"))
    );
    for a in &report.areas {
        let days: Vec<&str> = (0..7).filter(|&d| a.weekdays[d]).map(|d| DAYS[d]).collect();
        println!(
            "  area {:>3}: {:>4} bins, {}/week on {}{}",
            a.area,
            a.bins,
            a.per_week,
            days.join(" "),
            a.medoid
                .map_or(String::new(), |m| format!(", centre bin {m}"))
        );
    }
    if report.unplaced > 0 {
        println!(
            "  {} bins have no road location and were put in an area all the same",
            report.unplaced
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Parses `YYYY-MM-DD`, naming the flag on failure.
pub fn parse_date(field: &'static str, raw: &str) -> Result<time::Date, PlanningError> {
    time::Date::parse(
        raw,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|e| {
        PlanningError::invalid(
            field,
            raw,
            format!("give a date as YYYY-MM-DD, e.g. 2026-12-01 ({e})"),
        )
    })
}

async fn nightly(args: PlanArgs) -> Result<ExitCode, PlanningError> {
    let date = args.date.as_deref().ok_or_else(|| {
        PlanningError::invalid(
            "--date",
            "(missing)",
            "give the day to plan, e.g. --date 2026-12-01",
        )
    })?;
    let date = parse_date("--date", date)?;
    let region = args.region.ok_or_else(|| {
        PlanningError::invalid(
            "--region",
            "(missing)",
            "give a region name, e.g. --region andorra",
        )
    })?;
    let mut req = PlanRequest::new(region, date, args.time_budget);
    req.seed = args.seed;
    fillroute_planning::job::check_time_budget(req.time_budget_s)?;
    let store = Store::connect(&args.db.database_url).await?;
    store.migrate().await?;
    let bar = ProgressBar::new(100);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}% {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let b = bar.clone();
    let progress = Arc::new(move |p: Progress| match p {
        Progress::Loaded { bins } => b.set_message(format!("{bins} bins loaded")),
        Progress::Decided { must, may, skip } => {
            b.set_position(5);
            b.set_message(format!("must {must} · may {may} · skip {skip}"));
        }
        Progress::Matrix { points } => {
            b.set_position(10);
            b.set_message(format!("travel matrix of {points} points"));
        }
        Progress::Solving { done, objective } => {
            b.set_position(10 + (done * 85.0) as u64);
            b.set_message(format!("searching, best objective {objective}"));
        }
        Progress::Written { plan } => {
            b.set_position(100);
            b.set_message(format!("plan {plan} written"));
        }
    });
    let summary = plan_day(
        &store,
        &NetworkCache::default(),
        &req,
        time::OffsetDateTime::now_utc(),
        progress,
    )
    .await;
    bar.finish_and_clear();
    let s = summary?;
    println!(
        "plan {} (draft) for {} on {}: {} routes, {} bins served, {:.1} km, {:.1} h; must {} · may {} · skip {}; {} must-collect bins unserved",
        s.plan,
        req.region,
        req.date,
        s.routes,
        s.served,
        s.distance_m / 1000.0,
        s.duration_s / 3600.0,
        s.must,
        s.may,
        s.skip,
        s.unserved_must.len()
    );
    match s.areas_today {
        Some(n) => println!(
            "  calendar: {n} areas swept today; {} emergency pickups outside them",
            s.emergencies
        ),
        None => println!(
            "  no calendar: every bin looked one working day ahead (`fillroute plan calendar build`)"
        ),
    }
    for (bin, reason) in &s.unserved_must {
        println!("  unserved bin {bin}: {reason}");
    }
    Ok(if s.unserved_must.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::UNSERVED_MUST)
    })
}

async fn show(args: ShowArgs) -> Result<ExitCode, PlanningError> {
    if args.html.is_none() && args.geojson.is_none() {
        return Err(PlanningError::invalid(
            "--html/--geojson",
            "(none)",
            "give --html out.html and/or --geojson out.geojson",
        ));
    }
    let store = Store::connect(&args.db.database_url).await?;
    let view = load_plan(&store, PlanId(args.plan)).await?;
    let write = |path: &PathBuf, text: String| {
        std::fs::write(path, text).map_err(|e| {
            PlanningError::invalid(
                "output",
                path.display(),
                format!("choose a writable path ({e})"),
            )
        })
    };
    if let Some(path) = &args.html {
        let map = plan_map(&store, &NetworkCache::default(), &view).await?;
        write(path, fillroute_routemap::render_html(&map))?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = &args.geojson {
        write(path, plan_geojson(&view).to_string())?;
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

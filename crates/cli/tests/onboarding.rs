//! docs/onboarding.md, run: from a database that does not exist yet to a
//! committed plan, through the built `fillroute` binary and only the commands
//! the walk-through documents (plus one bad bin file, refused whole).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

const DEPOT: &str = "Andorra la Vella depot";

/// The walk-through's bins: on the streets around the depot.
const GOOD_CSV: &str = "\
lon,lat,capacity_litres,waste_stream,service_time_s,container_type,customer,window
1.5230,42.5070,1100,residual,90,1100l-wheelie,comu,
1.5200,42.5080,1100,residual,90,1100l-wheelie,comu,07:00-12:00
1.5250,42.5050,1100,paper,90,1100l-wheelie,comu,
1.5180,42.5100,660,residual,60,660l-wheelie,\"Hotel Plaza, S.A.\",
1.5300,42.5090,1100,glass,120,igloo,comu,
1.5150,42.5040,1100,residual,90,1100l-wheelie,comu,
";

/// One good row and one problem per other row.
const BAD_CSV: &str = "\
lon,lat,capacity_litres,waste_stream,service_time_s,container_type,customer,window,fill_rate_prior,fill_rate_prior_log_sd
1.5230,42.5070,1100,residual,90,1100l-wheelie,comu,,0.25,
NaN,42.5080,1100,residual,90,1100l-wheelie,comu,,,
1.5250,95,1100,paper,90,1100l-wheelie,comu,,,
1.5180,42.5100,0,residual,60,660l-wheelie,comu,,,
0,0,1100,glass,120,igloo,comu,,,
1.5230,42.5070,1100,residual,90,1100l-wheelie,comu,,,
1.5210,42.5060,1100,residual,90,1100l-wheelie,comu,,20,
1.5220,42.5065,1100,residual,90,1100l-wheelie,comu,,,0.5
";

fn server_url() -> String {
    std::env::var("FILLROUTE_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Drops the test's database (with FORCE) however the test ends.
struct DropDb(String);

impl Drop for DropDb {
    fn drop(&mut self) {
        let name = self.0.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                if let Ok(admin) =
                    sqlx::PgPool::connect(&format!("{}/postgres", server_url())).await
                {
                    // The name is our own, never user input.
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin).await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

struct Cli {
    url: String,
}

impl Cli {
    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_fillroute"))
            .args(args)
            .env("DATABASE_URL", &self.url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        eprintln!(
            "$ fillroute {}\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "fillroute {} failed: {:?}",
            args.join(" "),
            out.status
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

async fn stored_bins(url: &str) -> usize {
    let store = fillroute_store::Store::connect(url).await.unwrap();
    store.bins_near(1.52, 42.5, 100_000.0).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_gets_from_an_empty_server_to_a_committed_plan_with_documented_commands() {
    let name = format!(
        "fillroute_onboarding_{}_{:x}",
        std::process::id(),
        rand::random::<u32>()
    );
    let _drop = DropDb(name.clone());
    let cli = Cli {
        url: format!("{}/{name}", server_url()),
    };
    let roads = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets/osm/andorra.osm.pbf");
    let roads = roads.to_str().unwrap();

    // Before `db create`: a clear refusal naming the database and the fix.
    let out = cli.run(&["roads", "import", roads, "--network", "andorra"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("\"{name}\"")) && err.contains("fillroute db create"),
        "{err}"
    );

    assert!(cli.ok(&["db", "create"]).contains("created and migrated"));
    assert!(cli.ok(&["db", "create"]).contains("already existed"));
    cli.ok(&["roads", "import", roads, "--network", "andorra"]);
    cli.ok(&[
        "fleet", "depot", "add", "--name", DEPOT, "--lon", "1.5218", "--lat", "42.5063",
    ]);
    cli.ok(&[
        "fleet",
        "site",
        "add",
        "--name",
        "Sant Julia transfer station",
        "--lon",
        "1.4913",
        "--lat",
        "42.4637",
        "--hours",
        "05:00-20:00",
        "--unload-minutes",
        "15",
    ]);
    cli.ok(&[
        "fleet",
        "truck",
        "add",
        "--name",
        "truck 1",
        "--depot",
        DEPOT,
        "--capacity-litres",
        "6000",
        "--shift",
        "06:00-16:00",
        "--cost-per-km",
        "1.0",
        "--cost-per-hour",
        "40",
    ]);
    cli.ok(&[
        "fleet",
        "region",
        "add",
        "--name",
        "andorra",
        "--bbox",
        "1.40,42.42,1.80,42.66",
        "--depot",
        DEPOT,
        "--network",
        "andorra",
        "--utc-offset",
        "+01:00",
        "--lunch",
        "11:30-13:30",
        "--lunch-minutes",
        "30",
    ]);
    assert!(
        cli.ok(&["fleet", "truck", "list"])
            .contains("truck 1\t1\t6000\t06:00-16:00")
    );
    assert!(
        cli.ok(&["fleet", "region", "list"])
            .contains("andorra\tAndorra la Vella depot")
    );

    // A bad value is refused naming the flag, and nothing is added.
    let out = cli.run(&[
        "fleet",
        "truck",
        "add",
        "--name",
        "t2",
        "--depot",
        DEPOT,
        "--capacity-litres",
        "6000",
        "--shift",
        "16:00-06:00",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`--shift` = 16:00-06:00"));
    assert!(!cli.ok(&["fleet", "truck", "list"]).contains("t2"));

    // Settings change without SQL: a truck's hourly cost, the region's offset (DST).
    cli.ok(&["fleet", "truck", "update", "1", "--cost-per-hour", "45"]);
    assert!(
        cli.ok(&["fleet", "truck", "list"])
            .contains("06:00-16:00\t1\t45")
    );
    cli.ok(&[
        "fleet",
        "region",
        "update",
        "andorra",
        "--utc-offset",
        "+02:00",
    ]);
    cli.ok(&[
        "fleet",
        "region",
        "update",
        "andorra",
        "--utc-offset",
        "+01:00",
    ]);
    assert!(
        cli.ok(&["fleet", "region", "list"])
            .contains("\tUTC+01:00\t")
    );
    // An IANA zone follows daylight saving; an unknown one is refused naming the flag.
    cli.ok(&[
        "fleet",
        "region",
        "update",
        "andorra",
        "--time-zone",
        "Europe/Andorra",
    ]);
    assert!(
        cli.ok(&["fleet", "region", "list"])
            .contains("\tEurope/Andorra\t")
    );
    let out = cli.run(&[
        "fleet",
        "region",
        "update",
        "andorra",
        "--time-zone",
        "Europe/Atlantis",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`--time-zone` = Europe/Atlantis"));
    assert!(
        cli.ok(&["fleet", "region", "list"])
            .contains("\tEurope/Andorra\t")
    );
    cli.ok(&[
        "fleet",
        "region",
        "update",
        "andorra",
        "--time-zone",
        "none",
    ]);
    assert!(
        cli.ok(&["fleet", "region", "list"])
            .contains("\tUTC+01:00\t")
    );
    assert_eq!(
        cli.run(&[
            "fleet",
            "region",
            "update",
            "andorra",
            "--lunch",
            "14:00-12:00"
        ])
        .status
        .code(),
        Some(2)
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    let good = dir.path().join("bins.csv");
    std::fs::write(&bad, BAD_CSV).unwrap();
    std::fs::write(&good, GOOD_CSV).unwrap();

    // The bad file: every bad row named by its line, nothing written.
    let out = cli.run(&["bins", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let report = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "7 of 8 rows refused; nothing was written",
        "line 3: lon = NaN",
        "line 4: lat = 95",
        "line 5: capacity_litres = 0",
        "line 6: (0, 0) is outside every region",
        "line 7: same coordinates (1.523, 42.507) as line 2",
        "line 8: parameter `fill_rate_prior` = 20",
        "line 9: parameter `fill_rate_prior_log_sd` = ",
    ] {
        assert!(report.contains(needle), "{needle:?} in\n{report}");
    }
    assert!(
        !report
            .lines()
            .any(|l| l.trim_start().starts_with("line 2:")),
        "line 2 is good:\n{report}"
    );
    assert_eq!(
        stored_bins(&cli.url).await,
        0,
        "a refused file writes nothing"
    );

    let good = good.to_str().unwrap();
    assert!(
        cli.ok(&["bins", "import", good, "--dry-run"])
            .contains("all 6 rows valid")
    );
    assert_eq!(stored_bins(&cli.url).await, 0, "a dry run writes nothing");
    assert!(
        cli.ok(&["bins", "import", good])
            .contains("6 bins imported")
    );
    assert_eq!(stored_bins(&cli.url).await, 6);
    // Importing the same file twice is refused whole.
    assert_eq!(cli.run(&["bins", "import", good]).status.code(), Some(2));
    assert_eq!(stored_bins(&cli.url).await, 6);

    // The bins have no readings yet, so each is forecast from the unknown
    // level (30 %) plus the prior rate from now on. Four days out they are
    // due whatever the hour of the run (tomorrow, a run after about 11:00
    // UTC found them all just under the overflow risk level and skipped them).
    let date = (time::OffsetDateTime::now_utc().date() + time::Duration::days(4)).to_string();
    let out = cli.ok(&[
        "plan",
        "--date",
        &date,
        "--region",
        "andorra",
        "--time-budget",
        "5",
    ]);
    assert!(out.contains("6 bins served"), "{out}");
    let plan = out
        .strip_prefix("plan ")
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .to_owned();
    assert!(
        cli.ok(&["plan", "commit", &plan])
            .contains(&format!("plan {plan} committed"))
    );
}

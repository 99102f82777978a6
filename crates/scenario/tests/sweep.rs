//! `scenario sweep` on `small`: a 2 seeds × 2 settings grid runs in
//! parallel, gives one row per run and policy, and every run equals the
//! same scenario replayed alone (parallelism does not change a result).
//! Needs the real backbone (`source ~/.cache/fillroute/env.sh`).

use fillroute_scenario::sweep::{self, Options, Setting};
use fillroute_scenario::{MatrixCache, ReaderMode, Scenario, Vision, World, run};

fn base() -> Scenario {
    let mut s = Scenario::default_small();
    s.run.days = 3;
    s.run.map_days.clear();
    s.bins.holidays.retain(|h| h.day <= 3);
    s.policies
        .retain(|p| matches!(p.name(), "weekly" | "fill-driven"));
    s.validate().expect("trimmed small scenario is valid");
    s
}

/// Sweep options: the sampled reader, two runs at a time, matrices cached in `dir`.
fn sampled_two_jobs(dir: &std::path::Path) -> Options {
    Options {
        reader: ReaderMode::Sampled,
        jobs: 2,
        threads: 1,
        matrix_cache: MatrixCache::Dir(dir.join("matrices")),
    }
}

#[test]
fn a_sweep_of_two_seeds_by_two_settings_gives_a_row_per_run_and_policy_equal_to_a_lone_run() {
    let s = base();
    let setting = Setting::parse("policies.fill-driven.risk_level=0.2,0.6").expect("setting");
    let points = sweep::grid(&[7, 8], std::slice::from_ref(&setting));
    assert_eq!(points.len(), 4);
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = sampled_two_jobs(dir.path());
    let runs = sweep::run_grid(&s, &points, &opts, |_, _| {}).expect("the sweep runs");
    assert_eq!(runs.len(), 4);

    // One row per run and policy, with the setting as its own column.
    let written =
        sweep::write_outputs(&dir.path().join("out"), &[setting], &runs).expect("outputs");
    let text = std::fs::read_to_string(&written[0]).expect("sweep.csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    assert_eq!(&header[0], "seed");
    assert_eq!(&header[1], "policies.fill-driven.risk_level");
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("rows");
    assert_eq!(rows.len(), 4 * 2);
    assert!(rows.iter().all(|r| {
        &r[header
            .iter()
            .position(|h| h == "reader")
            .expect("reader column")]
            == "sampled"
    }));
    assert!(written.iter().any(|p| p.ends_with("frontier.png")));

    // A fixed schedule is untouched by a fill-driven setting; the sensor policy is not.
    for seed in [7, 8] {
        let of: Vec<&sweep::Run> = runs.iter().filter(|r| r.point.seed == seed).collect();
        assert_eq!(
            of[0].result.kpis[0], of[1].result.kpis[0],
            "weekly, seed {seed}"
        );
    }

    // Each run equals the same scenario replayed alone, one at a time.
    let alone = s
        .with_setting("policies.fill-driven.risk_level", &toml::Value::Float(0.6))
        .expect("setting applies");
    let mut alone = alone;
    alone.run.seed = 8;
    let world = World::build_with(&alone, &opts.matrix_cache).expect("city");
    let mut vision = Vision::load_or_train(
        8,
        alone.cameras.train_per_class,
        alone.cameras.batch,
        1,
        |_| {},
    )
    .expect("vision backbone loads");
    vision.sample_from_bank().expect("bank");
    let lone = run(&alone, &world, &mut vision, |_| {}).expect("lone run");
    assert_eq!(runs[3].point.seed, 8);
    assert_eq!(lone.kpis, runs[3].result.kpis);
    assert_eq!(lone.daily, runs[3].result.daily);
}

#[test]
fn a_key_the_scenario_does_not_have_is_an_error_naming_it() {
    let s = base();
    for (key, names) in [
        ("policies.fill-driven.risk_levl", "risk_levl"),
        ("run.planner_iteration", "planner_iteration"),
        ("policies.no-such-policy.risk_level", "no-such-policy"),
        ("trucks.shift.start", "shift"),
    ] {
        let e = s
            .with_setting(key, &toml::Value::Float(0.3))
            .expect_err(key)
            .to_string();
        assert!(e.contains(key) && e.contains(names), "{key}: {e}");
    }
    let e = s
        .with_setting(
            "policies.fill-driven.risk_level",
            &toml::Value::String("high".into()),
        )
        .expect_err("a string for a number")
        .to_string();
    assert!(e.contains("risk_level") && e.contains("wrong type"), "{e}");
    let e = s
        .with_setting("policies.fill-driven.risk_level", &toml::Value::Float(7.0))
        .expect_err("out of range")
        .to_string();
    assert!(e.contains("risk_level"), "{e}");
    let ok = s
        .with_setting("run.planner_iterations", &toml::Value::Integer(500))
        .expect("a known key");
    assert_eq!(ok.run.planner_iterations, 500);
}

#[test]
fn a_training_set_size_setting_reads_with_its_own_head_under_the_sampled_reader() {
    let mut s = base();
    s.run.days = 2;
    s.policies.retain(|p| p.name() == "fill-driven");
    let setting = Setting::parse("cameras.train_per_class=6,12").expect("setting");
    let points = sweep::grid(&[7], std::slice::from_ref(&setting));
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = sampled_two_jobs(dir.path());
    let runs = sweep::run_grid(&s, &points, &opts, |_, _| {}).expect("the sweep runs");
    let heads: Vec<Option<f64>> = [6, 12]
        .map(|n| {
            Vision::load_or_train(7, n, s.cameras.batch, 1, |_| {})
                .expect("vision backbone loads")
                .training_accuracy()
        })
        .to_vec();
    assert_ne!(heads[0], heads[1], "two set sizes train two heads");
    let read_with: Vec<Option<f64>> = runs
        .iter()
        .map(|r| r.result.head_training_accuracy)
        .collect();
    assert_eq!(
        read_with, heads,
        "each run reads with its own setting's head"
    );
}

//! Behaviour tests of scenario replay. They run the real vision backbone
//! (`source ~/.cache/fillroute/env.sh` first) and the real planner on short
//! horizons so the suite stays quick.

use fillroute_scenario::{
    RunResult, Scenario, ScenarioError, Vision, World, kpi_table, run, write_outputs,
};

fn small_with(days: usize, bins: usize) -> Scenario {
    let mut s = Scenario::default_small();
    s.run.days = days;
    s.bins.count = bins;
    s.run.map_days.retain(|&d| d <= days);
    s.bins.holidays.retain(|h| h.day <= days);
    s.validate().expect("trimmed small scenario is valid");
    s
}

fn replay(s: &Scenario) -> (RunResult, World) {
    let world = World::build(s).expect("world builds");
    let mut vision = Vision::load_or_train(
        s.run.seed,
        s.cameras.train_per_class,
        s.cameras.batch,
        1,
        |_| {},
    )
    .expect("vision backbone loads: run scripts/setup.sh and `source ~/.cache/fillroute/env.sh`");
    let result = run(s, &world, &mut vision, |_| {})
        .expect("scenario runs and every plan passes the checker");
    (result, world)
}

#[test]
fn replay_is_deterministic_for_a_seed() {
    let s = small_with(3, 16);
    let (a, _) = replay(&s);
    let (b, _) = replay(&s);
    assert_eq!(a.kpis, b.kpis);
    assert_eq!(a.daily, b.daily);
    let mut other = s.clone();
    other.run.seed += 1;
    let (c, _) = replay(&other);
    assert_ne!(a.daily, c.daily, "another seed is another city");
}

#[test]
fn plans_the_wall_clock_net_cut_short_are_counted_and_warned_about() {
    let mut s = small_with(2, 24);
    s.policies.retain(|p| p.name() == "twice-weekly");
    s.run.planner_iterations = 100_000_000;
    s.run.planner_seconds = 0.05;
    let (cut, _) = replay(&s);
    assert!(cut.kpis[0].plans_cut_by_time > 0, "{:?}", cut.kpis[0]);
    let table = kpi_table(&cut);
    assert!(
        table.contains("WARNING twice-weekly") && table.contains("planner_seconds"),
        "{table}"
    );

    s.run.planner_iterations = 50;
    s.run.planner_seconds = 600.0;
    let (whole, _) = replay(&s);
    assert_eq!(whole.kpis[0].plans_cut_by_time, 0, "{:?}", whole.kpis[0]);
    assert!(!kpi_table(&whole).contains("WARNING"));
}

#[test]
fn every_simulated_route_passes_the_checker() {
    let s = small_with(3, 24);
    let (r, _) = replay(&s);
    // `run` re-verifies every day's plan with the planner's independent checker
    // and fails the run on any violation; here we also make sure routes ran.
    for k in &r.kpis {
        assert!(k.routes_checked > 0, "{} drove no routes", k.policy);
        assert!(k.pickups > 0, "{} emptied no bins", k.policy);
    }
}

/// The claim on the shipped `small` city (RESULTS.md has the table): fill-driven
/// collection drives fewer km than the cheapest fixed schedule with no more
/// overflow bin-days, with fewer pickups than weekly and no more overflow.
#[test]
fn on_small_fill_driven_drives_fewer_km_than_the_cheapest_fixed_schedule_with_no_more_overflow() {
    let s = Scenario::default_small();
    let (r, world) = replay(&s);
    let by = |name: &str| {
        r.kpis
            .iter()
            .find(|k| k.policy == name)
            .unwrap_or_else(|| panic!("policy {name} in small.toml"))
    };
    let comparison = fillroute_scenario::compare(std::slice::from_ref(&r));
    eprintln!(
        "{}\n{}",
        fillroute_scenario::kpi_table(&r),
        fillroute_scenario::comparison_table(&comparison)
    );
    let claim = comparison
        .claims
        .iter()
        .find(|c| c.policy == "fill-driven")
        .expect("fill-driven is compared");
    assert!(
        claim.baseline_no_more_overflow,
        "some fixed schedule has no more overflow than fill-driven: {claim:?}"
    );
    assert!(
        claim.km_change.mean < 0.0,
        "fill-driven drives {:+.1} % km against {}",
        100.0 * claim.km_change.mean,
        claim.baseline
    );
    let (fill, weekly) = (by("fill-driven"), by("weekly"));
    eprintln!("{}", fillroute_scenario::kpi_table(&r));
    assert!(
        fill.overflow_bin_days <= weekly.overflow_bin_days,
        "fill-driven {} overflow bin-days vs weekly {}",
        fill.overflow_bin_days,
        weekly.overflow_bin_days
    );
    assert!(
        fill.pickups < weekly.pickups,
        "fill-driven {} pickups vs weekly {}",
        fill.pickups,
        weekly.pickups
    );
    assert!(
        fill.truck_km < weekly.truck_km,
        "fill-driven {:.1} km vs weekly {:.1} km",
        fill.truck_km,
        weekly.truck_km
    );
    assert_eq!(
        fill.missed_must_collect, 0,
        "every must-collect bin was served"
    );
    assert!(
        fill.classifier_accuracy.is_some_and(|a| a > 0.4),
        "the real model read the cameras: {:?}",
        fill.classifier_accuracy
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let written = write_outputs(dir.path(), &r, &world).expect("outputs written");
    assert!(dir.path().join("results.json").is_file());
    assert!(dir.path().join("kpi-over-days.png").is_file());
    let maps: Vec<_> = written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    assert_eq!(maps.len(), s.run.map_days.len() * s.policies.len());
    for (path, (_, _, map)) in maps.iter().zip(&r.maps) {
        let html = std::fs::read_to_string(path).expect("map readable");
        assert!(html.contains("© OpenStreetMap contributors"));
        assert_eq!(
            html.matches(r#"class="legend-route""#).count(),
            map.routes.len()
        );
    }
}

fn error_of(toml: &str) -> String {
    match Scenario::from_toml_str(toml) {
        Ok(_) => panic!("scenario should be rejected"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn validation_errors_name_the_field_and_the_fix() {
    let small = fillroute_scenario::config::SMALL_TOML;
    let e = error_of(&small.replace("count = 2\n", "count = 0\n"));
    assert!(
        e.contains("trucks.count") && e.contains("use 1..=500 trucks"),
        "{e}"
    );
    let e = error_of(&small.replace(
        "shift = [\"06:00\", \"14:00\"]",
        "shift = [\"14:00\", \"06:00\"]",
    ));
    assert!(
        e.contains("trucks.shift") && e.contains("start before it ends"),
        "{e}"
    );
    let e = error_of(&small.replace("\nshare = 0.25", "\nshare = 1.5"));
    assert!(
        e.contains("bins.zones[1].share") && e.contains("0..=1"),
        "{e}"
    );
    let e = error_of(&small.replace("per_day = 2", "per_day = 0"));
    assert!(e.contains("cameras.per_day") && e.contains("1..=24"), "{e}");
    let e = error_of(&small.replace("start_date = \"2026-11-30\"", "start_date = \"30/11/2026\""));
    assert!(e.contains("start_date") && e.contains("YYYY-MM-DD"), "{e}");
    let e = error_of(&small.replace("per_week = 2", "per_week = 9"));
    assert!(
        e.contains("policies[1].per_week") && e.contains("use 1..=6"),
        "{e}"
    );
    // Typos are errors, not silently ignored keys; the parser names the key.
    let e = error_of(&small.replace("capacity_litres = 12000", "capacity_liters = 12000"));
    assert!(e.contains("capacity_liters"), "{e}");
    assert!(matches!(
        Scenario::from_toml_str(&small.replace("[[depots]]", "[[depot]]")),
        Err(ScenarioError::Parse { .. })
    ));
}

#[test]
fn shipped_scenarios_are_valid() {
    for name in ["small", "andorra", "metro"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../scenarios/{name}.toml"));
        Scenario::from_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

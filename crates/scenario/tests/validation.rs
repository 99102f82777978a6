//! What `fillroute scenario check` refuses, and that it refuses everything
//! `scenario run` would refuse for the same file (issue 18). Each test is a
//! regression: the scenario it builds was accepted by `check` before.

use fillroute_scenario::{Scenario, World, config::parse_date};
use toml::Value;

/// The shipped small scenario with one edit applied to its TOML tree.
fn small_edited(edit: impl FnOnce(&mut Value)) -> String {
    let mut v: Value =
        toml::from_str(fillroute_scenario::config::SMALL_TOML).expect("small.toml is TOML");
    edit(&mut v);
    toml::to_string(&v).expect("serialises")
}

/// The message `check` gives for `toml`, which it must refuse.
fn refused(toml: &str) -> String {
    match Scenario::from_toml_str(toml) {
        Ok(_) => panic!("scenario should be refused"),
        Err(e) => e.to_string(),
    }
}

fn start_date(date: &str) -> String {
    small_edited(|v| v["start_date"] = Value::from(date))
}

#[test]
fn a_date_that_does_not_exist_is_refused_not_rolled_into_the_next_month() {
    let e = refused(&start_date("2026-02-31"));
    assert!(
        e.contains("start_date") && e.contains("2026-02-31") && e.contains("has 28 days"),
        "{e}"
    );
    let e = refused(&start_date("2026-04-31"));
    assert!(e.contains("April 2026 has 30 days"), "{e}");
    let e = refused(&start_date("2026-13-01"));
    assert!(e.contains("start_date") && e.contains("01..=12"), "{e}");
    assert!(parse_date("start_date", "2026-02-31").is_err());
}

#[test]
fn leap_days_exist_only_in_leap_years() {
    assert!(Scenario::from_toml_str(&start_date("2028-02-29")).is_ok());
    assert!(Scenario::from_toml_str(&start_date("2000-02-29")).is_ok());
    let e = refused(&start_date("2100-02-29"));
    assert!(e.contains("February 2100 has 28 days"), "{e}");
    refused(&start_date("2026-02-29"));
}

#[test]
fn dates_are_read_in_one_strict_shape() {
    for loose in [
        "2026-2-3",
        "+2026-11-30",
        "2026-11-30 ",
        "2026-11-30T00:00",
        "2026-11-3O",
        "20261130",
        "2026/11/30",
        "",
    ] {
        let e = refused(&start_date(loose));
        assert!(
            e.contains("start_date") && e.contains("YYYY-MM-DD"),
            "{loose:?}: {e}"
        );
    }
}

#[test]
fn day_counts_follow_the_calendar() {
    assert_eq!(parse_date("d", "1970-01-01").ok(), Some(0));
    assert_eq!(parse_date("d", "2026-11-30").ok(), Some(20_787));
    assert_eq!(parse_date("d", "2028-03-01").ok(), Some(21_244));
}

#[test]
fn far_dates_and_a_horizon_past_the_last_date_are_refused() {
    let e = refused(&start_date("9999-12-31"));
    assert!(e.contains("start_date") && e.contains("2200-12-31"), "{e}");
    refused(&start_date("1969-12-31"));
    let e = refused(&small_edited(|v| {
        v["start_date"] = Value::from("2200-12-30");
    }));
    assert!(e.contains("run.days") && e.contains("2200-12-31"), "{e}");
}

#[test]
fn check_refuses_a_grid_origin_off_the_globe_as_run_does() {
    let toml = small_edited(|v| v["roads"]["grid"]["origin"] = Value::from(vec![4.35, 95.0]));
    let e = refused(&toml);
    assert!(
        e.contains("roads.grid.origin") && e.contains("95") && e.contains("lat"),
        "{e}"
    );
    for origin in [[181.0, 50.0], [f64::NAN, 50.0], [4.35, f64::INFINITY]] {
        let e = refused(&small_edited(|v| {
            v["roads"]["grid"]["origin"] = Value::from(origin.to_vec());
        }));
        assert!(e.contains("roads.grid.origin"), "{e}");
    }
}

#[test]
fn check_refuses_a_grid_that_runs_past_the_pole_or_the_date_line() {
    let e = refused(&small_edited(|v| {
        v["roads"]["grid"]["origin"] = Value::from(vec![4.35, 89.999]);
    }));
    assert!(e.contains("roads.grid") && e.contains("90"), "{e}");
    let e = refused(&small_edited(|v| {
        v["roads"]["grid"]["origin"] = Value::from(vec![179.999, 50.0]);
    }));
    assert!(e.contains("roads.grid") && e.contains("180"), "{e}");
}

#[test]
fn check_refuses_a_grid_whose_block_count_overflows() {
    // 65536 x 65536 blocks wrapped to 0 in a u32 product and passed.
    let e = refused(&small_edited(|v| {
        v["roads"]["grid"]["blocks_x"] = Value::from(65_536);
        v["roads"]["grid"]["blocks_y"] = Value::from(65_536);
    }));
    assert!(e.contains("roads.grid") && e.contains("250000"), "{e}");
}

#[test]
fn check_refuses_more_bins_than_the_travel_matrix_can_hold() {
    // 50000 bins passed `check`; their travel matrix alone needs about 40 GB.
    let e = refused(&small_edited(|v| v["bins"]["count"] = Value::from(50_000)));
    assert!(e.contains("bins.count") && e.contains("10000"), "{e}");
    let mut explicit = Vec::new();
    for i in 0..10_001 {
        let mut b = toml::Table::new();
        b.insert("id".into(), Value::from(format!("x{i}")));
        b.insert("at".into(), Value::from(vec![4.3505, 50.8502]));
        b.insert("litres".into(), Value::from(240.0));
        b.insert("rate".into(), Value::from(0.1));
        explicit.push(Value::Table(b));
    }
    let e = refused(&small_edited(|v| {
        v["bins"]["count"] = Value::from(0);
        let bins = v["bins"].as_table_mut().expect("[bins] is a table");
        bins.insert("explicit".into(), Value::Array(explicit));
    }));
    assert!(e.contains("bins") && e.contains("10000"), "{e}");
}

#[test]
fn check_refuses_a_run_that_would_photograph_too_many_images() {
    let e = refused(&small_edited(|v| {
        v["run"]["days"] = Value::from(366);
        v["run"]["map_days"] = Value::Array(vec![]);
        v["bins"]["count"] = Value::from(9_000);
        v["cameras"]["per_day"] = Value::from(24);
    }));
    assert!(e.contains("cameras.per_day") && e.contains("images"), "{e}");
}

#[test]
fn check_refuses_too_many_policies() {
    let e = refused(&small_edited(|v| {
        let one = v["policies"][0].clone();
        let many: Vec<Value> = (0..40)
            .map(|i| {
                let mut p = one.clone();
                p["name"] = Value::from(format!("weekly-{i}"));
                p
            })
            .collect();
        v["policies"] = Value::Array(many);
    }));
    assert!(e.contains("policies") && e.contains("20"), "{e}");
}

#[test]
fn check_refuses_policy_names_that_cannot_name_a_file() {
    // Route maps are written as `map-day{day}-{policy}.html`.
    for name in ["", "a/b", "../up", "x\\y", "tab\there"] {
        let e = refused(&small_edited(|v| {
            v["policies"][0]["name"] = Value::from(name)
        }));
        assert!(e.contains("policies[0].name"), "{name:?}: {e}");
    }
}

#[test]
fn check_refuses_a_missing_roads_file_as_run_does() {
    let toml = small_edited(|v| {
        v["roads"] = toml::toml! { file = "no-such-extract.osm.pbf" }.into();
    });
    let e = refused(&toml);
    assert!(
        e.contains("roads.file") && e.contains("no-such-extract.osm.pbf"),
        "{e}"
    );
}

#[test]
fn check_refuses_a_service_window_outside_the_shift() {
    // The planner refused such bins on the first day of `run`.
    let e = refused(&small_edited(|v| {
        v["bins"]["zones"][1]["window"] = Value::from(vec!["02:00", "04:00"]);
    }));
    assert!(
        e.contains("bins.zones[1].window") && e.contains("shift"),
        "{e}"
    );
}

#[test]
fn what_check_accepts_builds_a_world() {
    // The grid's edges, the bins and the depots all land on the globe.
    let s = Scenario::from_toml_str(&small_edited(|v| {
        v["roads"]["grid"]["origin"] = Value::from(vec![-179.0, -89.0]);
        v["depots"][0]["at"] = Value::from(vec![-178.999, -88.999]);
        v["disposal_sites"][0]["at"] = Value::from(vec![-178.999, -88.999]);
    }))
    .expect("a grid near the south pole is valid");
    World::build(&s).expect("and builds");
}

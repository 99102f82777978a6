//! Issue 18: a reader allocates from what the file proves, never from a
//! header number alone. Each test writes a small file whose header promises
//! far more than its body holds (or more than a dense matrix can bear).
//!
//! On the code before the fix these tests abort with `memory allocation of
//! ... failed`; run them under `ulimit -v 4000000` to watch that safely.
#![allow(missing_docs, clippy::unwrap_used)]

use fillroute_planner::io;
use std::fmt::Write as _;
use std::path::PathBuf;

/// A fresh folder for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "fillroute-reader-limits-{}-{test}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn cvrp(header_extra: &str, nodes: usize) -> String {
    let mut s = format!(
        "NAME : t\nTYPE : CVRP\nDIMENSION : {nodes}\n{header_extra}EDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : 10\nNODE_COORD_SECTION\n"
    );
    for i in 1..=nodes {
        writeln!(s, "{i} {} {}", i % 1000, i / 1000).unwrap();
    }
    s.push_str("DEMAND_SECTION\n");
    for i in 1..=nodes {
        writeln!(s, "{i} {}", usize::from(i > 1)).unwrap();
    }
    s.push_str("DEPOT_SECTION\n1\n-1\nEOF\n");
    s
}

#[test]
fn a_vrp_vehicles_header_cannot_build_a_fleet_larger_than_the_customers_read() {
    let dir = scratch("vehicles");
    let p = dir.join("t.vrp");
    std::fs::write(&p, cvrp("VEHICLES : 100000000\n", 4)).unwrap();
    let bi = io::read_instance(&p).unwrap();
    assert_eq!(bi.instance.stops().len(), 3);
    assert!(
        bi.instance.vehicles().len() <= 3,
        "{} vehicles for 3 customers",
        bi.instance.vehicles().len()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_solomon_vehicle_number_cannot_build_a_fleet_larger_than_the_customers_read() {
    let dir = scratch("solomon");
    let p = dir.join("C999.txt");
    std::fs::write(
        &p,
        "C999\n\nVEHICLE\nNUMBER     CAPACITY\n  100000000   10\n\nCUSTOMER\n 0 0 0 0 0 100 0\n 1 5 5 1 0 100 1\n 2 6 5 1 0 100 1\n",
    )
    .unwrap();
    let bi = io::read_instance(&p).unwrap();
    assert!(bi.instance.vehicles().len() <= 2);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_kim_fleet_is_bounded_by_the_stops_read_even_with_a_tiny_daily_yardage() {
    let dir = scratch("kim");
    let p = dir.join("9_stop.txt");
    // 0.001 daily yards against 1e8 yards of load (in a 1e9-yard truck): the
    // fleet formula alone would ask for 2 x 10^10 trucks.
    std::fs::write(
        &p,
        "1000000000\n0.001\n500\n3600\n40\nStop_ID X\n0 1 1 0400 1500 0 0 0\n1 9 9 0000 2400 60 0 2\n2 5 5 0700 2400 60 100000000 1\n",
    )
    .unwrap();
    let bi = io::read_instance(&p).unwrap();
    assert!(bi.instance.vehicles().len() <= 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_vrp_with_more_locations_than_a_dense_matrix_can_hold_is_refused_with_the_limit() {
    // 25,000 coordinate rows in about 450 KB: the rows are really there, but
    // their dense matrix would take 25,000² entries (tens of GB).
    let dir = scratch("dimension");
    let p = dir.join("big.vrp");
    let text = cvrp("", 25_000);
    assert!(text.len() < 600_000);
    std::fs::write(&p, text).unwrap();
    let e = io::read_instance(&p).unwrap_err().to_string();
    assert!(
        e.contains("big.vrp") && e.contains("25000") && e.contains("at most"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_solomon_file_with_more_customers_than_a_dense_matrix_can_hold_is_refused() {
    let dir = scratch("solomon-big");
    let p = dir.join("R999.txt");
    let mut s = String::from("R999\n\nVEHICLE\nNUMBER     CAPACITY\n  25   200\n\nCUSTOMER\n");
    for i in 0..25_000 {
        writeln!(s, "{i} {} {} 1 0 1000 10", i % 1000, i / 1000).unwrap();
    }
    std::fs::write(&p, s).unwrap();
    let e = io::read_instance(&p).unwrap_err().to_string();
    assert!(e.contains("R999.txt") && e.contains("at most"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

//! `fillroute route check`: a solution file is judged in its own terms.
//! Issue 18: the stated cost is compared, violations use the file's own
//! numbering, and a header number cannot make the reader allocate gigabytes.
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

/// Depot (node 1) at the origin; customers 1, 2, 3 are nodes 2, 3, 4.
/// Route `1 2` costs 5 + 5 + 10 = 20 and route `3` costs 5 + 5 = 10.
const TINY: &str = "NAME : tiny\nTYPE : CVRP\nDIMENSION : 4\n@EDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : 10\nNODE_COORD_SECTION\n1 0 0\n2 3 4\n3 6 8\n4 0 5\nDEMAND_SECTION\n1 0\n2 5\n3 5\n4 5\nDEPOT_SECTION\n1\n-1\nEOF\n";

fn tiny(extra_header: &str) -> String {
    TINY.replace('@', extra_header)
}

fn fillroute(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fillroute"))
        .args(["route", "check"])
        .args(args)
        .output()
        .unwrap()
}

/// Runs `fillroute route check` with the address space capped at `kib`, so a
/// reader that allocates from a header number fails here, not on the host.
fn fillroute_capped(kib: u64, args: &[&Path]) -> Output {
    let mut cmd = format!(
        "ulimit -v {kib}; exec '{}' route check",
        env!("CARGO_BIN_EXE_fillroute")
    );
    for a in args {
        cmd.push_str(&format!(" '{}'", a.display()));
    }
    Command::new("sh").args(["-c", &cmd]).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn write_pair(dir: &Path, vrp: &str, sol: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let (v, s) = (dir.join("tiny.vrp"), dir.join("tiny.sol"));
    std::fs::write(&v, vrp).unwrap();
    std::fs::write(&s, sol).unwrap();
    (v, s)
}

#[test]
fn route_check_accepts_a_solution_at_its_stated_cost() {
    let dir = tempfile::tempdir().unwrap();
    let (v, s) = write_pair(
        dir.path(),
        &tiny(""),
        "Route #1: 1 2\nRoute #2: 3\nCost 30\n",
    );
    let out = fillroute(&[&v, &s]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn route_check_refuses_a_stated_cost_that_the_routes_do_not_have() {
    let dir = tempfile::tempdir().unwrap();
    let (v, s) = write_pair(
        dir.path(),
        &tiny(""),
        "Route #1: 1 2\nRoute #2: 3\nCost 1\n",
    );
    let out = fillroute(&[&v, &s]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("Cost 1") && all.contains("30"),
        "both figures: {all}"
    );
}

#[test]
fn route_check_names_customers_and_routes_as_the_solution_file_does() {
    let dir = tempfile::tempdir().unwrap();
    // Customer 2 (node 3 of the .vrp) twice on Route #1, which is then
    // over capacity too.
    let (v, s) = write_pair(
        dir.path(),
        &tiny(""),
        "Route #1: 1 2 2\nRoute #2: 3\nCost 40\n",
    );
    let out = fillroute(&[&v, &s]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("customer 2 ") && all.contains("Route #1"),
        "{all}"
    );
    assert!(
        !all.contains("stop '3'") && !all.contains("route 0"),
        "{all}"
    );
}

#[test]
fn route_check_reads_a_vehicles_header_of_a_hundred_million_within_a_small_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (v, s) = write_pair(
        dir.path(),
        &tiny("VEHICLES : 100000000\n"),
        "Route #1: 1 2\nRoute #2: 3\nCost 30\n",
    );
    let out = fillroute_capped(2_000_000, &[&v, &s]);
    assert!(out.status.success(), "{:?}: {}", out.status, text(&out));
}

#[test]
fn route_check_refuses_a_dimension_too_large_for_a_dense_matrix_without_allocating_it() {
    let dir = tempfile::tempdir().unwrap();
    let n = 25_000;
    let mut vrp = format!(
        "NAME : big\nTYPE : CVRP\nDIMENSION : {n}\nEDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : 10\nNODE_COORD_SECTION\n"
    );
    for i in 1..=n {
        vrp.push_str(&format!("{i} {} {}\n", i % 1000, i / 1000));
    }
    vrp.push_str("DEMAND_SECTION\n");
    for i in 1..=n {
        vrp.push_str(&format!("{i} 1\n"));
    }
    vrp.push_str("EOF\n");
    assert!(vrp.len() < 600_000);
    let (v, s) = write_pair(dir.path(), &vrp, "Route #1: 1\nCost 1\n");
    let out = fillroute_capped(2_000_000, &[&v, &s]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{:?}: {all}", out.status);
    assert!(
        all.contains("DIMENSION") && all.contains("at most"),
        "{all}"
    );
}

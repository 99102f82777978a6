//! `fillroute bench routing`: bad input is an error with a reason, never a
//! panic, and one bad file does not stop a run over a folder (issue 18).
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

const TINY: &str = "NAME : tiny\nTYPE : CVRP\nDIMENSION : 4\nEDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : 10\nNODE_COORD_SECTION\n1 0 0\n2 3 4\n3 6 8\n4 0 5\nDEMAND_SECTION\n1 0\n2 5\n3 5\n4 5\nDEPOT_SECTION\n1\n-1\nEOF\n";

fn bench(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fillroute"))
        .args(["bench", "routing"])
        .args(args)
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn bench_refuses_a_time_limit_outside_its_range_with_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.vrp"), TINY).unwrap();
    for bad in ["-1", "nan", "NaN", "inf", "-inf", "1e30", "abc"] {
        let arg = format!("--time-limit={bad}");
        let out = bench(&[&arg], dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(!err.contains("panicked"), "{bad}: {err}");
        assert!(
            err.contains("--time-limit") && err.contains("seconds"),
            "{bad}: {err}"
        );
    }
    // The space-separated form reaches the same check.
    let out = bench(&["--time-limit", "-1"], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--time-limit") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn bench_reports_a_bad_file_and_goes_on_with_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.vrp"), TINY).unwrap();
    std::fs::write(dir.path().join("b.vrp"), TINY.replace("2 3 4", "2 x 4")).unwrap();
    std::fs::write(dir.path().join("c.vrp"), TINY).unwrap();
    let out = bench(&["--time-limit=0.1"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(stdout.lines().any(|l| l.starts_with("a,")), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("c,")),
        "c.vrp after the bad one: {stdout}{stderr}"
    );
    assert!(
        stderr.contains("b.vrp:8") && stderr.contains("not a number"),
        "{stderr}"
    );
    assert!(stderr.contains("1 of 3"), "summary: {stderr}");
}

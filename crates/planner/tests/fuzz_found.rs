//! Inputs the reader fuzzing (`fuzz_readers.rs`) found to crash the readers
//! before issue 18's fix, kept as named regression tests. Besides these, it
//! found the header-sized fleets of `reader_limits.rs` (`VEHICLES : 1e10`
//! aborted on a 4 GB allocation).
#![allow(missing_docs, clippy::unwrap_used)]

use fillroute_planner::io;

fn read(name: &str, text: &str) -> Result<io::BenchInstance, String> {
    let dir = std::env::temp_dir().join(format!(
        "fillroute-fuzz-found-{}-{}",
        std::process::id(),
        name.replace('.', "-")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    let out = io::read_instance(&p).map_err(|e| e.to_string());
    std::fs::remove_dir_all(&dir).ok();
    out
}

#[test]
fn a_coordinate_of_1e30_is_refused_at_its_line_instead_of_overflowing_the_model() {
    // With a due date as far out, the distance and the window saturated to
    // i64::MAX units and the model's reachability test overflowed (`attempt
    // to add with overflow`, model.rs) with overflow checks on; release
    // builds wrapped and read the instance as valid.
    let e = read(
        "C9.txt",
        "C9\n\nVEHICLE\nNUMBER     CAPACITY\n  3   200\n\nCUSTOMER\n 0 40 50 0 0 1236 0\n 1 1e30 68 10 0 1e30 90\n",
    )
    .unwrap_err();
    assert!(e.contains("C9.txt:9:") && e.contains("1e30"), "{e}");
}

#[test]
fn an_infinite_coordinate_is_refused_at_its_line() {
    let e = read(
        "t.vrp",
        "NAME : t\nDIMENSION : 2\nCAPACITY : 10\nNODE_COORD_SECTION\n1 0 0\n2 inf 4\nDEMAND_SECTION\n1 0\n2 5\nEOF\n",
    )
    .unwrap_err();
    assert!(e.contains("t.vrp:6:") && e.contains("inf"), "{e}");
}

#[test]
fn a_dimension_of_zero_with_time_windows_is_refused_not_a_panic() {
    // An empty instance reached `t[depot]` on an empty TIME_WINDOW_SECTION.
    let e = read(
        "z.vrp",
        "NAME : z\nTYPE : MTVRPTWR\nDIMENSION : 0\nCAPACITY : 10\nNODE_COORD_SECTION\nDEMAND_SECTION\nTIME_WINDOW_SECTION\nEOF\n",
    )
    .unwrap_err();
    assert!(e.contains("z.vrp:3:") && e.contains("DIMENSION"), "{e}");
}

#[test]
fn a_negative_dimension_is_refused_not_read_as_zero() {
    let e = read(
        "n.vrp",
        "NAME : n\nDIMENSION : -3\nCAPACITY : 10\nNODE_COORD_SECTION\nDEMAND_SECTION\nTIME_WINDOW_SECTION\nEOF\n",
    )
    .unwrap_err();
    assert!(e.contains("n.vrp:2:") && e.contains("DIMENSION"), "{e}");
}

#[test]
fn a_kim_speed_of_zero_is_refused_with_its_meaning() {
    let e = read(
        "3_stop.txt",
        "280.0\n400.0\n500\n3600\n0\nStop_ID X\n0 1 1 0400 1500 0 0 0\n1 9 9 0000 2400 60 0 2\n2 5 5 0700 2400 60 1 1\n",
    )
    .unwrap_err();
    assert!(e.contains("mph"), "{e}");
}

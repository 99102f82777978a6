//! Bad input: every validation error, with the entity and field it names.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;
use common::*;
use fillroute_planner::*;

fn pts() -> Vec<(f64, f64)> {
    vec![(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)]
}

fn ok_vehicle() -> Vehicle {
    Vehicle::new("v1", vec![10], 0)
}

fn err(b: InstanceBuilder) -> ModelError {
    b.build().expect_err("instance should be rejected")
}

#[test]
fn rejects_empty_fleet() {
    let e = err(builder(&pts()).stop(Stop::new("s", 1, 1)));
    assert_eq!(e, ModelError::EmptyFleet);
    assert!(e.to_string().contains("add at least one vehicle"));
}

#[test]
fn rejects_missing_profile() {
    let e = err(InstanceBuilder::new().depot("d", 0).vehicle(ok_vehicle()));
    assert_eq!(e, ModelError::NoProfile);
}

#[test]
fn rejects_non_square_matrix() {
    let e = err(InstanceBuilder::new()
        .profile(vec![0.0; 9], vec![0.0; 8], 1.0)
        .depot("d", 0)
        .vehicle(ok_vehicle()));
    assert!(
        matches!(
            e,
            ModelError::MatrixShape {
                matrix: "duration",
                got: 8,
                expected: 9,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn rejects_nan_matrix_entry() {
    let mut m = plane(&pts());
    m[1] = f64::NAN;
    let e = err(InstanceBuilder::new()
        .profile(m.clone(), plane(&pts()), 1.0)
        .depot("d", 0)
        .vehicle(ok_vehicle()));
    assert!(
        matches!(
            e,
            ModelError::BadMatrixEntry {
                matrix: "distance",
                from: 0,
                to: 1,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("finite and >= 0"));
}

#[test]
fn rejects_negative_matrix_entry() {
    let mut m = plane(&pts());
    m[5] = -3.0;
    let e = err(InstanceBuilder::new()
        .profile(plane(&pts()), m, 1.0)
        .depot("d", 0)
        .vehicle(ok_vehicle()));
    assert!(
        matches!(
            e,
            ModelError::BadMatrixEntry {
                matrix: "duration",
                from: 1,
                to: 2,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn rejects_nonzero_diagonal() {
    let mut m = plane(&pts());
    m[4] = 1.0;
    let e = err(InstanceBuilder::new()
        .profile(m.clone(), m, 1.0)
        .depot("d", 0)
        .vehicle(ok_vehicle()));
    assert!(
        matches!(e, ModelError::NonZeroDiagonal { location: 1, .. }),
        "{e}"
    );
}

#[test]
fn rejects_unknown_location() {
    let e = err(builder(&pts())
        .stop(Stop::new("bin-7", 9, 1))
        .vehicle(ok_vehicle()));
    assert_eq!(
        e,
        ModelError::UnknownLocation {
            entity: "stop 'bin-7'".into(),
            location: 9,
            n: 3
        }
    );
    assert!(e.to_string().contains("use an index below 3"));
}

#[test]
fn rejects_unknown_depot_and_profile() {
    let mut v = ok_vehicle();
    v.end_depot = 4;
    let e = err(builder(&pts()).vehicle(v));
    assert!(
        matches!(
            e,
            ModelError::UnknownReference {
                field: "end_depot",
                index: 4,
                ..
            }
        ),
        "{e}"
    );
    let mut v = ok_vehicle();
    v.profile = 2;
    let e = err(builder(&pts()).vehicle(v));
    assert!(
        matches!(
            e,
            ModelError::UnknownReference {
                field: "profile",
                index: 2,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn rejects_demand_with_wrong_dimensions() {
    let mut s = Stop::new("s", 1, 1);
    s.demand = vec![1, 2];
    let e = err(builder(&pts()).stop(s).vehicle(ok_vehicle()));
    assert!(
        matches!(
            e,
            ModelError::DimensionMismatch {
                field: "demand",
                got: 2,
                expected: 1,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn rejects_too_many_dimensions() {
    let e = err(builder(&pts()).vehicle(Vehicle::new("v", vec![1, 2, 3], 0)));
    assert!(
        matches!(e, ModelError::TooManyDimensions { dims: 3, .. }),
        "{e}"
    );
}

#[test]
fn rejects_negative_quantities() {
    let e = err(builder(&pts())
        .stop(Stop::new("s", 1, -1))
        .vehicle(ok_vehicle()));
    assert_eq!(
        e,
        ModelError::Negative {
            entity: "stop 's'".into(),
            field: "demand",
            value: -1
        }
    );
    let mut s = Stop::new("s", 1, 1);
    s.service = -5;
    assert!(matches!(
        err(builder(&pts()).stop(s).vehicle(ok_vehicle())),
        ModelError::Negative {
            field: "service",
            ..
        }
    ));
    let mut v = ok_vehicle();
    v.cost_per_distance = -1;
    assert!(matches!(
        err(builder(&pts()).vehicle(v)),
        ModelError::Negative {
            field: "cost_per_distance",
            ..
        }
    ));
}

#[test]
fn rejects_inverted_windows() {
    let mut s = Stop::new("s", 1, 1);
    s.windows = vec![TimeWindow::new(50, 10)];
    let e = err(builder(&pts()).stop(s).vehicle(ok_vehicle()));
    assert!(
        matches!(
            e,
            ModelError::InvertedWindow {
                field: "windows",
                early: 50,
                late: 10,
                ..
            }
        ),
        "{e}"
    );
    let mut v = ok_vehicle();
    v.shift = TimeWindow::new(9, 1);
    assert!(matches!(
        err(builder(&pts()).vehicle(v)),
        ModelError::InvertedWindow { field: "shift", .. }
    ));
}

#[test]
fn rejects_demand_larger_than_every_capacity() {
    let e = err(builder(&pts())
        .stop(Stop::new("huge", 1, 11))
        .vehicle(ok_vehicle()));
    assert_eq!(
        e,
        ModelError::DemandExceedsCapacity {
            stop: "huge".into(),
            dim: 0,
            demand: 11,
            max_capacity: 10
        }
    );
    assert!(
        e.to_string()
            .contains("split the stop or add a larger vehicle")
    );
}

#[test]
fn rejects_window_unreachable_from_every_depot() {
    let mut s = Stop::new("early-bird", 1, 1);
    s.windows = vec![TimeWindow::new(0, 5)]; // 10 away
    let e = err(builder(&pts()).stop(s).vehicle(ok_vehicle()));
    assert!(
        matches!(e, ModelError::UnreachableWindow { ref stop, earliest_arrival: 10 } if stop == "early-bird"),
        "{e}"
    );
}

#[test]
fn rejects_stop_no_vehicle_can_serve() {
    let mut s = Stop::new("crane-bin", 1, 1);
    s.skills = 0b100;
    assert!(matches!(
        err(builder(&pts()).stop(s).vehicle(ok_vehicle())),
        ModelError::NoCompatibleVehicle {
            field: "skills",
            ..
        }
    ));
    let mut s = Stop::new("glass", 1, 1);
    s.stream = 0b10;
    let mut v = ok_vehicle();
    v.streams = 0b01;
    assert!(matches!(
        err(builder(&pts()).stop(s).vehicle(v)),
        ModelError::NoCompatibleVehicle {
            field: "stream",
            ..
        }
    ));
}

#[test]
fn rejects_stop_in_two_streams() {
    let mut s = Stop::new("mixed", 1, 1);
    s.stream = 0b11;
    assert!(matches!(
        err(builder(&pts()).stop(s).vehicle(ok_vehicle())),
        ModelError::MultiStream { .. }
    ));
}

#[test]
fn rejects_final_disposal_without_a_site() {
    let mut v = ok_vehicle();
    v.final_disposal_required = true;
    let e = err(builder(&pts()).vehicle(v));
    assert!(
        matches!(e, ModelError::NoDisposalSite { ref vehicle, .. } if vehicle == "v1"),
        "{e}"
    );
}

#[test]
fn rejects_duplicate_ids() {
    let e = err(builder(&pts())
        .stop(Stop::new("s", 1, 1))
        .stop(Stop::new("s", 2, 1))
        .vehicle(ok_vehicle()));
    assert_eq!(
        e,
        ModelError::DuplicateId {
            kind: "stop",
            id: "s".into()
        }
    );
}

#[test]
fn reader_reports_file_and_line_of_malformed_input() {
    let dir = std::env::temp_dir().join(format!("fillroute-planner-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("bad.vrp");
    std::fs::write(&p, "NAME : bad\nTYPE : CVRP\nDIMENSION : 2\nCAPACITY : 10\nEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 x 1\nEOF\n").unwrap();
    let e = io::read_instance(&p).unwrap_err().to_string();
    assert!(e.contains("bad.vrp:8:"), "{e}");
    let s = dir.join("C999.txt");
    std::fs::write(&s, "C999\n\nVEHICLE\nNUMBER     CAPACITY\n  2   10\n\nCUSTOMER\n 0 0 0 0 0 100 0\n 1 5 5 1 0\n").unwrap();
    let e = io::read_instance(&s).unwrap_err().to_string();
    assert!(e.contains("C999.txt:9:"), "{e}");
    let k = dir.join("9_stop.txt");
    std::fs::write(&k, "280.0 // cap\n400.0\n500\n3600\n40\nStop_ID X\n0 1 1 0400 1500 0 0 0\n1 1 1 0000 2599 0 1 1\n").unwrap();
    let e = io::read_instance(&k).unwrap_err().to_string();
    assert!(e.contains("9_stop.txt:8:"), "{e}");
    let sol = dir.join("x.sol");
    std::fs::write(&sol, "Route #1: 1 two\nCost 3\n").unwrap();
    let e = io::read_sol(&sol).unwrap_err().to_string();
    assert!(e.contains("x.sol:1:"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rejects_an_initial_load_above_capacity_naming_the_dimension() {
    let mut v = ok_vehicle();
    v.initial_load = vec![11];
    let e = err(builder(&pts()).vehicle(v));
    assert_eq!(
        e,
        ModelError::InitialLoadExceedsCapacity {
            vehicle: "v1".into(),
            dim: 0,
            load: 11,
            capacity: 10
        }
    );
    assert!(e.to_string().contains("`initial_load[0]` is 11"), "{e}");
}

#[test]
fn rejects_a_negative_initial_load() {
    let mut v = ok_vehicle();
    v.initial_load = vec![-1];
    let e = err(builder(&pts()).vehicle(v));
    assert!(
        matches!(
            e,
            ModelError::Negative {
                field: "initial_load",
                value: -1,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn rejects_an_initial_load_with_the_wrong_number_of_dimensions() {
    let mut v = ok_vehicle();
    v.initial_load = vec![1, 2];
    let e = err(builder(&pts()).vehicle(v));
    assert!(
        matches!(
            e,
            ModelError::DimensionMismatch {
                field: "initial_load",
                got: 2,
                expected: 1,
                ..
            }
        ),
        "{e}"
    );
}

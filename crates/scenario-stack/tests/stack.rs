//! `--stack` end to end on the `small` city: the same scenario once embedded
//! and once through the real services (PostGIS, JetStream, the vision
//! service on ONNX Runtime, the nightly job behind PlannerService).
#![allow(clippy::unwrap_used, missing_docs)]

use fillroute_scenario::{PolicyKpis, Scenario, Vision, World, kpi_table, run};
use fillroute_scenario_stack::StackOptions;

/// How far stack KPIs may sit from embedded ones: "classifier noise".
///
/// Measured, not guessed: the embedded replay of this 4-day `small` run
/// with five fill heads trained on different rendered photo sets (seeds
/// 7–11; `cargo run --release -p fillroute-scenario-stack --example
/// head_noise -- 4 7 8 9 10 11`) reads the same photos with different
/// mistakes, and its KPIs span: truck-km 6.9–8.7, pickups 14–24, mean fill
/// at pickup 0.589–0.672, overflow bin-days 0–1, missed must-collect 0–0,
/// vision accuracy 0.668–0.704. The tolerance of each KPI is that span
/// (max − min): stack and embedded may differ by no more than two embedded
/// runs differ when only the classifier changes. Truck-hours (and so cost)
/// are not compared: the nightly job searches for a wall-clock budget, the
/// embedded replay for a fixed number of iterations.
///
/// Both price a may-collect bin the same way (`fillroute_pipeline`): the
/// scenario's overflow cost goes to PlanDay (`overflow_cost`), and the stack
/// commits each plan it drives, as a dispatcher does, so the job learns the
/// bins a route serves from committed plans as the replay learns them from
/// the routes it drove. Without those two the job took every fullish bin
/// (33 pickups at 49 % against 18 at 62 %, 2026-12-07).
struct Tolerance {
    truck_km: f64,
    pickups: usize,
    mean_fill_at_pickup: f64,
    overflow_bin_days: usize,
    missed_must_collect: usize,
    classifier_accuracy: f64,
}

const CLASSIFIER_NOISE: Tolerance = Tolerance {
    truck_km: 1.8,
    pickups: 10,
    mean_fill_at_pickup: 0.083,
    overflow_bin_days: 1,
    missed_must_collect: 0,
    classifier_accuracy: 0.036,
};

fn assert_within_classifier_noise(e: &PolicyKpis, k: &PolicyKpis) {
    let t = CLASSIFIER_NOISE;
    let near = |what: &str, a: f64, b: f64, tol: f64| {
        assert!(
            (a - b).abs() <= tol + 1e-9,
            "{what}: stack {a:.3} vs embedded {b:.3} differs by more than classifier noise ({tol})"
        );
    };
    near("truck-km", k.truck_km, e.truck_km, t.truck_km);
    near(
        "pickups",
        k.pickups as f64,
        e.pickups as f64,
        t.pickups as f64,
    );
    near(
        "mean fill at pickup",
        k.mean_fill_at_pickup,
        e.mean_fill_at_pickup,
        t.mean_fill_at_pickup,
    );
    near(
        "overflow bin-days",
        k.overflow_bin_days as f64,
        e.overflow_bin_days as f64,
        t.overflow_bin_days as f64,
    );
    near(
        "missed must-collect",
        k.missed_must_collect as f64,
        e.missed_must_collect as f64,
        t.missed_must_collect as f64,
    );
    near(
        "classifier accuracy",
        k.classifier_accuracy.unwrap_or(0.0),
        e.classifier_accuracy.unwrap_or(0.0),
        t.classifier_accuracy,
    );
}

/// `small`, shortened for CI (Monday to Thursday), with one policy the
/// nightly job implements.
fn small(days: usize, policy: &str) -> Scenario {
    let mut s = Scenario::default_small();
    s.run.days = days;
    s.run.map_days.clear();
    s.bins.holidays.retain(|h| h.day <= days);
    s.policies.retain(|p| p.name() == policy);
    s.validate().expect("trimmed small scenario is valid");
    s
}

/// Fill-driven: the pipeline runs exactly once per photo, every route
/// passes the checker and day 1 is decided as embedded decides it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stack_replay_turns_every_photo_into_one_reading_and_decides_day_one_as_embedded() {
    stack_matches_embedded(small(4, "fill-driven"), false).await;
}

/// Fill-driven KPIs over the 4 days.
///
/// It failed on 2026-12-07 (seed 7): day 1 decided the same bins in both
/// modes, but from day 2 the stack took 10 pickups at 81 % fill where
/// embedded took 20 at 62 % (6.0 against 7.5 km). The nightly job decided
/// for the first shift start (06:00), the replay for 0.4 of the day
/// (09:36); both now decide for `fillroute_pipeline::collection_time`, and
/// the KPIs agree (7.5 km, 20 pickups, 62 %, on 2026-12-08).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stack_replay_matches_embedded_fill_driven_kpis_within_classifier_noise() {
    stack_matches_embedded(small(4, "fill-driven"), true).await;
}

/// The calendar policy: the stack stores the replay's calendar as the
/// region's, and the nightly job decides over it. It failed (27 pickups
/// against 18) while the job fitted with the default rate prior and camera
/// floor and the replay with the zone's rate and 0.08; one
/// `ModelConfig::for_bin` for both fixed it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn over_a_stored_calendar_the_stack_replay_matches_embedded_kpis_within_classifier_noise() {
    stack_matches_embedded(small(4, "fill-calendar"), true).await;
}

/// One replay at a time: the nightly job searches for a wall-clock budget,
/// so two replays sharing the cores would each get worse routes.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

// Held across awaits on purpose: the guard only orders whole test runs.
#[allow(clippy::await_holding_lock)]
async fn stack_matches_embedded(s: Scenario, compare_kpis: bool) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let world = World::build(&s).expect("world builds");
    let mut vision = Vision::load_or_train(
        s.run.seed,
        s.cameras.train_per_class,
        s.cameras.batch,
        2,
        |_| {},
    )
    .expect("vision backbone loads: run scripts/setup.sh and `source ~/.cache/fillroute/env.sh`");
    let started = std::time::Instant::now();
    let embedded = tokio::task::block_in_place(|| run(&s, &world, &mut vision, |_| {})).unwrap();
    eprintln!("embedded {:.1} s", started.elapsed().as_secs_f64());
    let head = vision.model_path.clone();
    drop(vision);

    let started = std::time::Instant::now();
    let stack = fillroute_scenario_stack::run(&s, &world, &head, &StackOptions::default(), |_| {})
        .await
        .expect("stack replay runs (PostgreSQL and NATS up: scripts/services.sh)");
    eprintln!("stack {:.1} s", started.elapsed().as_secs_f64());
    eprintln!("embedded:\n{}", kpi_table(&embedded));
    eprintln!("stack:\n{}", kpi_table(&stack.result));
    eprintln!("{:?}", stack.counts);
    for (e, k) in embedded.daily[0].iter().zip(&stack.result.daily[0]) {
        eprintln!("DAY {}\n  E {:?}\n  S {:?}", e.day, e, k);
    }

    // Exactly once: every upload is one classified image row with one
    // camera reading, or none when the frame is blind (dark, blocked).
    let c = stack.counts;
    let uploads = stack.uploads as i64;
    assert!(uploads > 0);
    assert_eq!(c.images, uploads, "{c:?}");
    assert_eq!(c.failed, 0, "{c:?}");
    assert_eq!(c.classified, uploads, "{c:?}");
    assert_eq!(c.camera_readings + c.blind, uploads, "{c:?}");
    assert_eq!(c.images_with_reading, c.camera_readings, "{c:?}");

    let e: &PolicyKpis = &embedded.kpis[0];
    let k: &PolicyKpis = &stack.result.kpis[0];
    // The same photos were taken: read + rejected is every photo in both modes.
    assert_eq!(
        (k.images_read + k.images_rejected) as i64,
        uploads,
        "every stack photo was scored"
    );
    assert_eq!(
        e.images_read + e.images_rejected,
        k.images_read + k.images_rejected
    );
    assert_eq!(
        k.images_rejected, e.images_rejected,
        "the same frames are blind (no reading) in both modes"
    );
    // Every driven route passed the planner service's independent checker
    // (the replay fails otherwise); make sure trucks did drive.
    assert!(k.routes_checked > 0 && k.pickups > 0, "{k:?}");
    assert_eq!(
        stack.plans, 4,
        "Monday to Thursday each planned through PlannerService"
    );
    assert_eq!(
        stack.service_reports, k.pickups,
        "every emptying reported back"
    );
    same_first_day_decisions(&embedded.daily[0], &stack.result.daily[0]);
    if compare_kpis {
        assert_within_classifier_noise(e, k);
    }
}

/// On the first planned day both modes have read the same photos with the
/// same head and no truck has driven yet, so the nightly job (over PostGIS)
/// and the embedded replay (in memory) decide from the same readings: they
/// must pick the same must- and may-collect bins. Later days differ by the
/// routes driven (the job searches for a wall-clock budget).
fn same_first_day_decisions(
    embedded: &[fillroute_scenario::DayKpis],
    stack: &[fillroute_scenario::DayKpis],
) {
    let (e, k) = (&embedded[0], &stack[0]);
    assert_eq!(e.day, 1);
    assert_eq!(k.day, 1);
    assert!(
        !e.must.is_empty() || !e.may.is_empty(),
        "day 1 decided nothing"
    );
    assert_eq!(k.must, e.must, "day-1 must-collect bins: stack vs embedded");
    assert_eq!(k.may, e.may, "day-1 may-collect bins: stack vs embedded");
}

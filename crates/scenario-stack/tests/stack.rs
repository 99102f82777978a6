//! `--stack` end to end on the `small` city: the same scenario once embedded
//! and once through the real services (PostGIS, JetStream, the vision
//! service on ONNX Runtime, the nightly job behind PlannerService).
#![allow(clippy::unwrap_used, missing_docs)]

use fillroute_scenario::{PolicyKpis, Scenario, Vision, World, kpi_table, run};
use fillroute_scenario_stack::StackOptions;

/// `small`, shortened for CI (Monday to Thursday), fill-driven only.
fn small(days: usize) -> Scenario {
    let mut s = Scenario::default_small();
    s.run.days = days;
    s.run.map_days.clear();
    s.bins.holidays.retain(|h| h.day <= days);
    s.policies.retain(|p| p.name() == "fill-driven");
    s.validate().expect("trimmed small scenario is valid");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stack_replay_reads_every_photo_once_and_matches_embedded_kpis() {
    let s = small(4);
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

    // Exactly once: every upload is one image row with one camera reading.
    let c = stack.counts;
    let uploads = stack.uploads as i64;
    assert!(uploads > 0);
    assert_eq!(c.images, uploads, "{c:?}");
    assert_eq!(c.failed, 0, "{c:?}");
    assert_eq!(c.classified, uploads, "{c:?}");
    assert_eq!(c.camera_readings, uploads, "{c:?}");
    assert_eq!(c.images_with_reading, uploads, "{c:?}");

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
    assert!(k.routes_checked > 0 && k.pickups > 0, "{k:?}");
}

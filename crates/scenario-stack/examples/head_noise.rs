//! How much the embedded KPIs move when only the fill head changes: heads
//! trained on different rendered photo sets (seeds) read the same photos
//! with different mistakes. This spread is the "classifier noise" the stack
//! test's tolerance is measured against.
//!
//! `cargo run --release -p fillroute-scenario-stack --example head_noise -- DAYS SEED...`
#![allow(clippy::unwrap_used, missing_docs)]

use fillroute_scenario::{Scenario, Vision, World, run};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let days: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(4);
    let seeds: Vec<u64> = args.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    let mut s = Scenario::default_small();
    s.run.days = days;
    s.run.map_days.clear();
    s.bins.holidays.retain(|h| h.day <= days);
    s.policies.retain(|p| p.name() == "fill-driven");
    let world = World::build(&s).unwrap();
    for seed in seeds {
        let mut v =
            Vision::load_or_train(seed, s.cameras.train_per_class, s.cameras.batch, 2, |_| {})
                .unwrap();
        let r = run(&s, &world, &mut v, |_| {}).unwrap();
        let k = &r.kpis[0];
        println!(
            "head seed {seed}: km {:.2} haul {:.2} h {:.2} pickups {} fill {:.3} overflow {} missed {} vision {:.3} routes {}",
            k.truck_km,
            k.haul_km,
            k.truck_hours,
            k.pickups,
            k.mean_fill_at_pickup,
            k.overflow_bin_days,
            k.missed_must_collect,
            k.classifier_accuracy.unwrap_or(0.0),
            k.routes_checked
        );
    }
}

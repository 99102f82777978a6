//! Ground truth the policies never see: how much waste goes into each bin
//! each day, and what each camera does. Drawn once per run from the seed and
//! shared by every policy (common random numbers), so policies are compared
//! on exactly the same city, not on different luck.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::Scenario;
use crate::world::{World, lognormal};

/// Fill increments and camera behaviour for days `0..=days` (day 0 is the
/// observation-only day before the horizon, when cameras already run).
pub struct Truth {
    /// `inc[day][bin]`: containers of waste added during the day.
    pub inc: Vec<Vec<f64>>,
    /// `silent[day][bin]`: the camera sends nothing that day.
    pub silent: Vec<Vec<bool>>,
    /// `dark[day][bin][shot]`: this shot comes from a dark lens.
    pub dark: Vec<Vec<Vec<bool>>>,
    /// Level at the start of day 0.
    pub start_level: Vec<f64>,
}

/// Weekday (0 = Monday) of simulated day `day` (1 = the start date).
pub fn weekday_of(start_days_since_epoch: i64, day: usize) -> usize {
    // 1970-01-01 was a Thursday (weekday 3).
    (start_days_since_epoch + day as i64 - 1 + 3).rem_euclid(7) as usize
}

impl Truth {
    /// Draws the truth for the scenario.
    pub fn draw(s: &Scenario, world: &World, start_days: i64) -> Self {
        let n = world.bins.len();
        let days = s.run.days;
        let mut inc = Vec::with_capacity(days + 1);
        let mut silent = Vec::with_capacity(days + 1);
        let mut dark = Vec::with_capacity(days + 1);
        for day in 0..=days {
            let mut rng = ChaCha8Rng::seed_from_u64(
                s.run.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (day as u64 + 1),
            );
            let wd = weekday_of(start_days, day);
            let holiday: f64 = s
                .bins
                .holidays
                .iter()
                .filter(|h| h.day == day)
                .map(|h| h.factor)
                .product();
            inc.push(
                world
                    .bins
                    .iter()
                    .map(|b| {
                        b.rate
                            * s.bins.weekday_pattern[wd]
                            * holiday
                            * lognormal(&mut rng, s.bins.noise_log_sd)
                    })
                    .collect(),
            );
            silent.push(
                (0..n)
                    .map(|_| rng.random_bool(s.cameras.silent_rate))
                    .collect(),
            );
            dark.push(
                (0..n)
                    .map(|_| {
                        (0..s.cameras.per_day)
                            .map(|_| rng.random_bool(s.cameras.dark_lens_rate))
                            .collect()
                    })
                    .collect(),
            );
        }
        let start_level = world
            .bins
            .iter()
            .zip(&inc[0])
            .map(|(b, i): (&crate::world::Bin, &f64)| (b.fill0 - i).max(0.0))
            .collect();
        Self {
            inc,
            silent,
            dark,
            start_level,
        }
    }
}

/// The photo camera `shot` of bin `bin` takes on `day` when the bin is
/// `fill` full: seeded by the run, so the embedded and the stack replays
/// show the vision model the very same scenes.
pub fn camera_scene(
    run_seed: u64,
    day: usize,
    bin: usize,
    shot: usize,
    fill: f64,
    style: fillroute_lidcam::ContainerStyle,
    dark: bool,
) -> fillroute_lidcam::Scene {
    use fillroute_lidcam::{CameraFault, FillFraction, Scene};
    let seed = run_seed ^ ((day as u64) << 40) ^ ((bin as u64) << 8) ^ shot as u64;
    let fault = if dark {
        CameraFault::Dark
    } else {
        CameraFault::None
    };
    Scene::new(FillFraction::saturating(fill as f32), style, seed).with_fault(fault)
}

/// Level during a day that starts at `level` and gains `inc`, at fraction `x`
/// of the day, when the bin is emptied at fraction `pickup` (if at all).
/// Containers hold at most 1.3 (heaped over the rim); the rest is litter.
pub fn level_at(level: f64, inc: f64, x: f64, pickup: Option<f64>) -> f64 {
    match pickup {
        Some(f) if x >= f => inc * (x - f),
        _ => level + inc * x,
    }
    .min(1.3)
}

//! Backtest on simulated bins with known ground truth: how far off is tomorrow's forecast, and
//! do the 80 % intervals hold 80 % of the truth?
//!
//! The simulator is deliberately not the model: rates vary day to day (log-normal), each bin has
//! its own weekday pattern, readings are classifier-like (a noisy fill turned into class
//! probabilities over the six class midpoints, then back into an expected fill, so they are
//! quantised and biased near empty and full), and a few readings are wild misreads.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::classes::FillClass;
use crate::error::Result;
use crate::forecast::box_muller;
use crate::model::{ModelConfig, fit};
use crate::reading::{Detection, History, Reading, Source};
use crate::time::{DAY, Timestamp};

/// Simulation and evaluation settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BacktestConfig {
    /// RNG seed; the same seed gives the same report.
    pub seed: u64,
    /// Simulated bins.
    pub bins: usize,
    /// Simulated days per bin.
    pub days: usize,
    /// Forecasts are evaluated from this day on (earlier days are history only).
    pub warmup_days: usize,
    /// Median fill rate per day across bins.
    pub rate_median: f64,
    /// Log-sd of the rate across bins.
    pub rate_log_sd_across_bins: f64,
    /// Day-to-day log-sd of each bin's rate.
    pub daily_log_sd: f64,
    /// Common weekday pattern (Monday first), before per-bin jitter; normalised to mean 1.
    pub weekday_pattern: [f64; 7],
    /// Per-bin log-sd jitter of each weekday factor.
    pub weekday_jitter: f64,
    /// sd of the classifier's fill perception before class quantisation.
    pub reading_sd: f64,
    /// Probability that a reading is a wild misread (uniform 0..1.2).
    pub misread_prob: f64,
    /// Trucks empty a bin at 11:00 when its 08:00 fill is above this.
    pub service_threshold: f64,
    /// Prediction-interval coverage evaluated.
    pub coverage: f64,
    /// The model under test.
    pub model: ModelConfig,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            bins: 40,
            days: 70,
            warmup_days: 28,
            rate_median: 0.12,
            rate_log_sd_across_bins: 0.5,
            daily_log_sd: 0.2,
            weekday_pattern: [1.3, 0.9, 0.9, 0.9, 1.0, 1.2, 0.8],
            weekday_jitter: 0.1,
            reading_sd: 0.05,
            misread_prob: 0.02,
            service_threshold: 0.8,
            coverage: 0.8,
            model: ModelConfig::default(),
        }
    }
}

/// Backtest figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BacktestReport {
    /// Forecasts evaluated (bin-evenings without a service in the next 24 h).
    pub evaluations: usize,
    /// Mean absolute error of the next-day expected fill against the true fill.
    pub mae: f64,
    /// Same for the median forecast.
    pub mae_median: f64,
    /// Mean signed error (forecast − truth).
    pub bias: f64,
    /// Baseline: MAE of "tomorrow = the latest reading".
    pub mae_last_reading: f64,
    /// Share of true next-day fills inside the central interval.
    pub coverage: f64,
    /// The interval's nominal coverage.
    pub nominal_coverage: f64,
    /// Mean interval width.
    pub mean_interval_width: f64,
    /// True services in the simulation (after the first day).
    pub services_true: usize,
    /// Detected services matched to a true one within 24 h.
    pub services_detected: usize,
    /// Detected services with no true service within 24 h.
    pub services_false: usize,
    /// Share of evaluations where the weekday pattern had been learned.
    pub weekday_learned_share: f64,
    /// Mean forecast P(next-day fill ≥ service threshold).
    pub mean_p_above_threshold: f64,
    /// Observed share of next-day fills ≥ service threshold (calibration: compare with the above).
    pub observed_above_threshold: f64,
    /// Brier score of that probability (0 perfect; always guessing the base rate scores p(1−p)).
    pub brier_above_threshold: f64,
}

struct SimBin {
    readings: Vec<Reading>,
    truth: Vec<f64>, // true fill at the end of each hour
    services: Vec<Timestamp>,
}

/// Runs the backtest. Deterministic for a given config.
pub fn run(config: &BacktestConfig) -> Result<BacktestReport> {
    config.model.validate()?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let start = Timestamp(1_795_996_800); // a Monday, 00:00 UTC
    let (mut n, mut abs, mut abs_med, mut signed, mut naive, mut inside, mut width, mut learned) =
        (0usize, 0.0, 0.0, 0.0, 0.0, 0usize, 0.0, 0usize);
    let (mut s_true, mut s_hit, mut s_false) = (0, 0, 0);
    let (mut p_sum, mut above, mut brier) = (0.0, 0usize, 0.0);
    for _ in 0..config.bins {
        let bin = simulate(config, start, &mut rng);
        let history = History::new(&bin.readings, &config.model.noise)?;
        for d in config.warmup_days..config.days.saturating_sub(1) {
            let as_of = Timestamp(start.0 + d as i64 * DAY + 20 * 3600);
            let target = Timestamp(as_of.0 + DAY);
            if bin.services.iter().any(|s| *s > as_of && *s <= target) {
                continue;
            }
            let truth = bin.truth[(target.0 - start.0) as usize / 3600 - 1];
            let f = fit(&history, &[], as_of, &config.model)?;
            let expected = f.expected_fill(target);
            let median = f.median_fill(target);
            let (lo, hi) = f.fill_interval(target, config.coverage)?;
            let last = history.up_to(as_of).last().map_or(0.0, |o| o.fill.get());
            n += 1;
            abs += (expected - truth).abs();
            abs_med += (median - truth).abs();
            signed += expected - truth;
            naive += (last - truth).abs();
            inside += usize::from(lo <= truth && truth <= hi);
            width += hi - lo;
            learned += usize::from(f.weekday_learned);
            let p = f.p_above(target, config.service_threshold);
            let hit = truth >= config.service_threshold;
            p_sum += p;
            above += usize::from(hit);
            brier += (p - f64::from(u8::from(hit))).powi(2);
        }
        // Service detection over the whole history.
        let end = Timestamp(start.0 + config.days as i64 * DAY);
        let f = fit(
            &history,
            &[],
            end,
            &ModelConfig {
                max_history_days: config.days as f64 + 1.0,
                max_cycles: 1000,
                ..config.model
            },
        )?;
        let detected: Vec<Timestamp> = f
            .services
            .iter()
            .filter(|s| matches!(s.detection, Detection::FillDrop { .. }))
            .map(|s| s.at)
            .collect();
        let truths: Vec<Timestamp> = bin
            .services
            .iter()
            .copied()
            .filter(|s| s.0 > start.0 + DAY)
            .collect();
        s_true += truths.len();
        s_hit += truths
            .iter()
            .filter(|t| detected.iter().any(|d| (d.0 - t.0).abs() <= DAY))
            .count();
        s_false += detected
            .iter()
            .filter(|d| !bin.services.iter().any(|t| (d.0 - t.0).abs() <= DAY))
            .count();
    }
    let nf = n.max(1) as f64;
    Ok(BacktestReport {
        evaluations: n,
        mae: abs / nf,
        mae_median: abs_med / nf,
        bias: signed / nf,
        mae_last_reading: naive / nf,
        coverage: inside as f64 / nf,
        nominal_coverage: config.coverage,
        mean_interval_width: width / nf,
        services_true: s_true,
        services_detected: s_hit,
        services_false: s_false,
        weekday_learned_share: learned as f64 / nf,
        mean_p_above_threshold: p_sum / nf,
        observed_above_threshold: above as f64 / nf,
        brier_above_threshold: brier / nf,
    })
}

fn normal<R: Rng>(rng: &mut R) -> f64 {
    box_muller(rng).0
}

fn simulate<R: Rng>(c: &BacktestConfig, start: Timestamp, rng: &mut R) -> SimBin {
    let rate = c.rate_median * (c.rate_log_sd_across_bins * normal(rng)).exp();
    let mut pattern = c
        .weekday_pattern
        .map(|f| f * (c.weekday_jitter * normal(rng)).exp());
    let mean = pattern.iter().sum::<f64>() / 7.0;
    pattern = pattern.map(|f| f / mean);
    let mut fill: f64 = rng.random::<f64>() * 0.5;
    let (mut readings, mut truth, mut services) = (Vec::new(), Vec::new(), Vec::new());
    let mut fill_at_8 = 0.0;
    for d in 0..c.days {
        let day_factor = (c.daily_log_sd * normal(rng)).exp();
        let per_hour = rate * pattern[d % 7] * day_factor / 24.0;
        for h in 0..24 {
            let at = Timestamp(start.0 + d as i64 * DAY + h * 3600);
            if h == 8 {
                fill_at_8 = fill;
            }
            if h == 11 && fill_at_8 > c.service_threshold {
                fill = rng.random::<f64>() * 0.04;
                services.push(at);
            }
            if h == 8 || h == 14 || h == 20 {
                readings.push(classifier_reading(at, fill, c, rng));
            }
            fill = (fill + per_hour).min(1.3);
            truth.push(fill);
        }
    }
    SimBin {
        readings,
        truth,
        services,
    }
}

/// A noisy perception turned into class probabilities (Gaussian kernel over class midpoints),
/// reported as the probability-weighted fill, like the vision service does.
fn classifier_reading<R: Rng>(
    at: Timestamp,
    fill: f64,
    c: &BacktestConfig,
    rng: &mut R,
) -> Reading {
    let seen = if rng.random::<f64>() < c.misread_prob {
        rng.random::<f64>() * 1.2
    } else {
        fill + c.reading_sd * normal(rng)
    };
    let mut p: Vec<f64> = FillClass::MIDPOINTS
        .iter()
        .map(|m| (-(m - seen).powi(2) / (2.0 * 0.1f64.powi(2))).exp() + 1e-6)
        .collect();
    let s: f64 = p.iter().sum();
    p.iter_mut().for_each(|x| *x /= s);
    let expected = p.iter().zip(FillClass::MIDPOINTS).map(|(p, m)| p * m).sum();
    Reading {
        at,
        fill: expected,
        probabilities: Some(p),
        source: Source::Camera,
    }
}

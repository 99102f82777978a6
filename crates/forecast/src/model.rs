//! Fitting the per-bin model: fill(t) = level after last service + rate × effective elapsed time.

use serde::{Deserialize, Serialize};

use crate::error::{Result, check_param};
use crate::forecast::{Forecast, RateBasis};
use crate::reading::{History, NoiseConfig, Observation, ServiceEvent};
use crate::service::ServiceDetection;
use crate::stats::{weighted_mad, weighted_median};
use crate::time::{Timestamp, WeekdayFactors};

/// Everything the fit needs to know that is not in the readings. Defaults suit city bins read
/// three times a day; `prior_rate_per_day` should come from the zone / container type.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Fill fraction per day assumed for a bin with too little history (zone/container default).
    pub prior_rate_per_day: f64,
    /// Log-scale sd of that prior (0.7 ≈ "within a factor of 2").
    pub prior_rate_log_sd: f64,
    /// Day-to-day log-sd of the fill rate (people do not throw away the same every day).
    pub daily_rate_log_sd: f64,
    /// Cycle-to-cycle log-sd of the rate assumed until three cycles have been seen.
    pub default_cycle_log_sd: f64,
    /// Weight of a past cycle halves every this many cycles.
    pub recency_half_life_cycles: f64,
    /// At most this many past cycles are pooled.
    pub max_cycles: usize,
    /// Readings older than this many days before `as_of` are ignored.
    pub max_history_days: f64,
    /// Reading pairs closer than this are too noisy to give a slope.
    pub min_pair_gap_hours: f64,
    /// Recency half-life when estimating the current level from recent readings.
    pub level_half_life_hours: f64,
    /// Weekday factors are learned only once the history spans this many days.
    pub weekday_min_days: f64,
    /// Pseudo-days of "factor 1" evidence each weekday factor is shrunk towards.
    pub weekday_shrinkage_days: f64,
    /// Offset of the bin's zone from UTC, seconds (defines local weekdays).
    pub utc_offset_secs: i32,
    /// Fill just after a service.
    pub post_service_level: f64,
    /// Its sd.
    pub post_service_level_sd: f64,
    /// Fill assumed for a bin never read, and its sd.
    pub unknown_level: f64,
    /// sd of `unknown_level`.
    pub unknown_level_sd: f64,
    /// Fill at which the bin counts as overflowing.
    pub overflow_level: f64,
    /// Reading noise per source.
    pub noise: NoiseConfig,
    /// How services are detected from readings.
    pub detection: ServiceDetection,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            prior_rate_per_day: 0.12,
            prior_rate_log_sd: 0.7,
            daily_rate_log_sd: 0.25,
            default_cycle_log_sd: 0.2,
            recency_half_life_cycles: 3.0,
            max_cycles: 12,
            max_history_days: 84.0,
            min_pair_gap_hours: 5.0,
            level_half_life_hours: 24.0,
            weekday_min_days: 21.0,
            weekday_shrinkage_days: 3.0,
            utc_offset_secs: 0,
            post_service_level: 0.03,
            post_service_level_sd: 0.05,
            unknown_level: 0.3,
            unknown_level_sd: 0.25,
            overflow_level: 1.0,
            noise: NoiseConfig::default(),
            detection: ServiceDetection::default(),
        }
    }
}

/// The fill rate a hauler plans with for bins like this one (its land-use
/// zone's or container type's figure): the forecast's prior until the bin has
/// history of its own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RatePrior {
    /// Fill fraction per day.
    pub rate_per_day: f64,
    /// Log-scale sd of that figure (0.7 ≈ "within a factor of 2").
    pub log_sd: f64,
}

impl RatePrior {
    /// A checked prior, named as the API, the bins CSV and the `bins` table
    /// name it (`fill_rate_prior`, `fill_rate_prior_log_sd`); without an sd,
    /// the model's default (0.7).
    ///
    /// # Errors
    /// [`crate::ForecastError::InvalidParameter`] naming the field out of range.
    pub fn new(rate_per_day: f64, log_sd: Option<f64>) -> Result<Self> {
        check_param(
            "fill_rate_prior",
            rate_per_day,
            1e-4..=10.0,
            "use a fill fraction per day in 0.0001..=10 (e.g. 0.12 fills the bin in about 8 days)",
        )?;
        let log_sd = log_sd.unwrap_or(ModelConfig::default().prior_rate_log_sd);
        check_param(
            "fill_rate_prior_log_sd",
            log_sd,
            0.01..=5.0,
            "use a log-scale sd in 0.01..=5 (0.7 ≈ within a factor of 2), or leave it unset",
        )?;
        Ok(Self {
            rate_per_day,
            log_sd,
        })
    }

    /// The prior in a bin's two optional fields, as every entry point (the
    /// `RegisterBin` RPC, the bins CSV) receives them: none when both are
    /// unset, checked by [`Self::new`] when the rate is set.
    ///
    /// # Errors
    /// [`crate::ForecastError::InvalidParameter`] naming the bad field, also
    /// when the sd comes without a rate.
    pub fn from_fields(rate_per_day: Option<f64>, log_sd: Option<f64>) -> Result<Option<Self>> {
        match (rate_per_day, log_sd) {
            (None, None) => Ok(None),
            (None, Some(value)) => Err(crate::ForecastError::InvalidParameter {
                field: "fill_rate_prior_log_sd",
                value,
                fix: "set fill_rate_prior too, or leave both unset",
            }),
            (Some(rate), sd) => Self::new(rate, sd).map(Some),
        }
    }
}

impl ModelConfig {
    /// The one forecast set-up for a bin: the defaults, local weekdays at
    /// `utc_offset_secs`, and the bin's planning rate as the prior when it has
    /// one. The nightly job, the ingest workers, the dashboard and the replay
    /// all build their configs here.
    pub fn for_bin(utc_offset_secs: i32, prior: Option<RatePrior>) -> Self {
        Self {
            utc_offset_secs,
            ..Self::default()
        }
        .with_prior(prior)
    }

    /// This config with `prior` as the rate prior (unchanged for `None`).
    pub fn with_prior(self, prior: Option<RatePrior>) -> Self {
        match prior {
            Some(p) => Self {
                prior_rate_per_day: p.rate_per_day,
                prior_rate_log_sd: p.log_sd,
                ..self
            },
            None => self,
        }
    }

    /// Rejects parameters outside their meaningful ranges.
    pub fn validate(&self) -> Result<()> {
        check_param(
            "prior_rate_per_day",
            self.prior_rate_per_day,
            1e-4..=10.0,
            "use a fill rate per day in 0.0001..=10 (e.g. 0.12)",
        )?;
        check_param(
            "prior_rate_log_sd",
            self.prior_rate_log_sd,
            0.01..=5.0,
            "use 0.01..=5 (0.7 ≈ within a factor of 2)",
        )?;
        check_param(
            "daily_rate_log_sd",
            self.daily_rate_log_sd,
            0.0..=3.0,
            "use 0..=3 (e.g. 0.25)",
        )?;
        check_param(
            "default_cycle_log_sd",
            self.default_cycle_log_sd,
            0.0..=3.0,
            "use 0..=3 (e.g. 0.2)",
        )?;
        check_param(
            "recency_half_life_cycles",
            self.recency_half_life_cycles,
            0.1..=1000.0,
            "use 0.1..=1000 cycles (e.g. 3)",
        )?;
        check_param(
            "max_cycles",
            self.max_cycles as f64,
            1.0..=1000.0,
            "use 1..=1000 cycles (e.g. 12)",
        )?;
        check_param(
            "max_history_days",
            self.max_history_days,
            1.0..=3650.0,
            "use 1..=3650 days (e.g. 84)",
        )?;
        check_param(
            "min_pair_gap_hours",
            self.min_pair_gap_hours,
            0.0..=240.0,
            "use 0..=240 hours (e.g. 5)",
        )?;
        check_param(
            "level_half_life_hours",
            self.level_half_life_hours,
            0.5..=2400.0,
            "use 0.5..=2400 hours (e.g. 24)",
        )?;
        check_param(
            "weekday_min_days",
            self.weekday_min_days,
            7.0..=3650.0,
            "use at least 7 days (e.g. 21)",
        )?;
        check_param(
            "weekday_shrinkage_days",
            self.weekday_shrinkage_days,
            0.0..=1000.0,
            "use 0..=1000 pseudo-days (e.g. 3)",
        )?;
        check_param(
            "utc_offset_secs",
            f64::from(self.utc_offset_secs),
            -50_400.0..=50_400.0,
            "use an offset within ±14 h, in seconds",
        )?;
        check_param(
            "post_service_level",
            self.post_service_level,
            0.0..=1.0,
            "use 0..=1 (e.g. 0.03)",
        )?;
        check_param(
            "post_service_level_sd",
            self.post_service_level_sd,
            1e-4..=1.0,
            "use 0.0001..=1 (e.g. 0.05)",
        )?;
        check_param(
            "unknown_level",
            self.unknown_level,
            0.0..=1.5,
            "use 0..=1.5 (e.g. 0.3)",
        )?;
        check_param(
            "unknown_level_sd",
            self.unknown_level_sd,
            1e-4..=2.0,
            "use 0.0001..=2 (e.g. 0.25)",
        )?;
        check_param(
            "overflow_level",
            self.overflow_level,
            0.1..=2.0,
            "use 0.1..=2 (1.0 = brim)",
        )?;
        check_param(
            "noise.camera_sd",
            self.noise.camera_sd,
            1e-3..=1.0,
            "use 0.001..=1 (e.g. 0.1)",
        )?;
        check_param(
            "noise.camera_floor_sd",
            self.noise.camera_floor_sd,
            1e-3..=1.0,
            "use 0.001..=1 (e.g. 0.08)",
        )?;
        check_param(
            "noise.sensor_sd",
            self.noise.sensor_sd,
            1e-3..=1.0,
            "use 0.001..=1 (e.g. 0.03)",
        )?;
        check_param(
            "noise.driver_sd",
            self.noise.driver_sd,
            1e-3..=1.0,
            "use 0.001..=1 (e.g. 0.12)",
        )?;
        self.detection.validate()
    }
}

/// Rates below this (fill per effective day) are treated as this, so the log-normal is defined.
const MIN_RATE: f64 = 0.005;

/// One fill cycle: readings between two services.
struct Cycle<'a> {
    start: Option<Timestamp>,
    obs: &'a [Observation],
}

/// Rate estimate from pooled reading pairs.
struct RateFit {
    /// Weighted Theil–Sen slope across cycles, if any pair qualified.
    rate: Option<f64>,
    /// Log-scale standard error of that estimate.
    log_se: f64,
    /// Cycle-to-cycle log-sd beyond estimation noise.
    between_log_sd: f64,
    pairs: usize,
    cycles: usize,
}

/// Fits the forecast for one bin from its history, as of `as_of`.
///
/// Readings after `as_of` are ignored (so backtests cannot peek); `reported` services (driver,
/// completed plan stops) are merged with services detected from the readings.
pub fn fit(
    history: &History,
    reported: &[ServiceEvent],
    as_of: Timestamp,
    config: &ModelConfig,
) -> Result<Forecast> {
    config.validate()?;
    Timestamp::checked(as_of.0, "as_of")?;
    for (i, s) in reported.iter().enumerate() {
        Timestamp::checked(s.at.0, &format!("reported[{i}].at"))?;
    }
    let all = history.up_to(as_of);
    let oldest = as_of.plus_days(-config.max_history_days);
    let obs = &all[all.partition_point(|o| o.at < oldest)..];

    let detected = config.detection.detect(obs);
    let services = config.detection.merge(&detected, reported, as_of);
    let mut cycles = split_cycles(obs, &services);
    if cycles.len() > config.max_cycles {
        cycles.drain(..cycles.len() - config.max_cycles);
    }

    let flat = WeekdayFactors::flat(config.utc_offset_secs);
    let mut fit = estimate_rate(&cycles, &flat, config);
    let span_days = obs.first().map_or(0.0, |o| as_of.days_since(o.at));
    let mut weekday = flat;
    let mut weekday_learned = false;
    if span_days >= config.weekday_min_days
        && let Some(rate) = fit.rate
    {
        weekday.factors = estimate_weekday(&cycles, rate.max(MIN_RATE), config);
        weekday_learned = true;
        fit = estimate_rate(&cycles, &weekday, config);
    }

    // Combine the data with the prior in log space (precision weighted).
    let prior_mu = config.prior_rate_per_day.ln();
    let prior_var = config.prior_rate_log_sd.powi(2);
    let (mu, post_var, basis) = match fit.rate {
        Some(r) => {
            let data_var = fit.log_se.powi(2).max(1e-6);
            let mu = (prior_mu / prior_var + r.max(MIN_RATE).ln() / data_var)
                / (1.0 / prior_var + 1.0 / data_var);
            let var = 1.0 / (1.0 / prior_var + 1.0 / data_var);
            (
                mu,
                var,
                RateBasis::Data {
                    pairs: fit.pairs,
                    cycles: fit.cycles,
                },
            )
        }
        None => (prior_mu, prior_var, RateBasis::Prior),
    };
    let rate = mu.exp();
    let rate_log_sd = (post_var + fit.between_log_sd.powi(2)).sqrt();

    let last_service = services.last().copied();
    let current = cycles
        .last()
        .filter(|c| !c.obs.is_empty() || c.start.is_some());
    let (level_now, level_sd) = match current {
        Some(c) if !c.obs.is_empty() => {
            current_level(c.obs, rate, rate_log_sd, &weekday, as_of, config)
        }
        _ => match last_service {
            Some(s) => (
                config.post_service_level + rate * weekday.effective_days(s.at, as_of).max(0.0),
                config.post_service_level_sd,
            ),
            None => (config.unknown_level, config.unknown_level_sd),
        },
    };
    let cycle_start = last_service
        .map(|s| s.at)
        .or_else(|| obs.first().map(|o| o.at));
    let level_after_service = match cycle_start {
        Some(s) => level_now - rate * weekday.effective_days(s, as_of),
        None => level_now,
    };

    Ok(Forecast {
        as_of,
        cycle_start,
        level_after_service,
        level_now,
        level_sd,
        rate_per_day: rate,
        rate_log_sd,
        daily_rate_log_sd: config.daily_rate_log_sd,
        weekday,
        weekday_learned,
        basis,
        readings_used: obs.len(),
        last_service,
        services,
        overflow_level: config.overflow_level,
    })
}

fn split_cycles<'a>(obs: &'a [Observation], services: &[ServiceEvent]) -> Vec<Cycle<'a>> {
    let mut cycles = Vec::new();
    let (mut from, mut start) = (0, None);
    for s in services {
        let to = obs.partition_point(|o| o.at < s.at).max(from);
        if to > from {
            cycles.push(Cycle {
                start,
                obs: &obs[from..to],
            });
        }
        from = to;
        start = Some(s.at);
    }
    cycles.push(Cycle {
        start,
        obs: &obs[from..],
    });
    cycles
}

/// Effective time of each observation, relative to the first one.
fn effective_times(obs: &[Observation], weekday: &WeekdayFactors) -> Vec<f64> {
    let mut tau = Vec::with_capacity(obs.len());
    let mut acc = 0.0;
    for (i, o) in obs.iter().enumerate() {
        if i > 0 {
            acc += weekday.effective_days(obs[i - 1].at, o.at);
        }
        tau.push(acc);
    }
    tau
}

/// Weighted Theil–Sen over reading pairs within each cycle, pooled across cycles.
///
/// A pair's weight is Δτ² / (var_i + var_j), the inverse variance of its slope, so confident,
/// far-apart readings count most; each cycle's pairs then share a total weight of
/// (recency weight × readings in cycle), so long cycles do not drown the rest.
fn estimate_rate(cycles: &[Cycle<'_>], weekday: &WeekdayFactors, config: &ModelConfig) -> RateFit {
    let min_gap = config.min_pair_gap_hours / 24.0;
    let n = cycles.len();
    let mut pooled: Vec<(f64, f64)> = Vec::new();
    let mut per_cycle: Vec<(f64, f64, f64)> = Vec::new(); // (rate, se, weight)
    let mut info = 0.0;
    for (k, c) in cycles.iter().enumerate() {
        if c.obs.len() < 2 {
            continue;
        }
        let recency = 0.5f64.powf((n - 1 - k) as f64 / config.recency_half_life_cycles);
        let tau = effective_times(c.obs, weekday);
        let mut slopes = Vec::new();
        for i in 0..c.obs.len() {
            for j in i + 1..c.obs.len() {
                let dt = tau[j] - tau[i];
                if c.obs[j].at.days_since(c.obs[i].at) < min_gap || dt <= 0.0 {
                    continue;
                }
                let dy = c.obs[j].fill.get() - c.obs[i].fill.get();
                slopes.push((dy / dt, dt * dt / (c.obs[i].variance + c.obs[j].variance)));
            }
        }
        let total: f64 = slopes.iter().map(|s| s.1).sum();
        if slopes.is_empty() || total.is_nan() || total <= 0.0 {
            continue;
        }
        let Some(rate_c) = weighted_median(&mut slopes) else {
            continue;
        };
        // Standard error as for least squares, with the robust residual scale.
        let resid: Vec<(f64, f64)> = c
            .obs
            .iter()
            .zip(&tau)
            .map(|(o, t)| (o.fill.get() - rate_c * t, 1.0))
            .collect();
        let mut r2 = resid.clone();
        let icpt = weighted_median(&mut r2).unwrap_or(0.0);
        let mean_var = c.obs.iter().map(|o| o.variance).sum::<f64>() / c.obs.len() as f64;
        let scale = weighted_mad(&resid, icpt)
            .unwrap_or(0.0)
            .max(0.5 * mean_var.sqrt())
            .max(0.01);
        let mean_tau = tau.iter().sum::<f64>() / tau.len() as f64;
        let sxx: f64 = tau.iter().map(|t| (t - mean_tau).powi(2)).sum();
        let se = 1.25 * scale / sxx.max(1e-9).sqrt();
        per_cycle.push((rate_c, se, recency));
        info += recency / (se * se);
        let share = recency * c.obs.len() as f64 / total;
        pooled.extend(slopes.into_iter().map(|(s, w)| (s, w * share)));
    }
    let pairs = pooled.len();
    let Some(rate) = weighted_median(&mut pooled) else {
        return RateFit {
            rate: None,
            log_se: f64::INFINITY,
            between_log_sd: config.default_cycle_log_sd,
            pairs: 0,
            cycles: 0,
        };
    };
    let r = rate.max(MIN_RATE);
    let log_se = ((1.0 / info.max(1e-12)).sqrt() / r).min(3.0);
    let between_log_sd = if per_cycle.len() >= 3 {
        let logs: Vec<(f64, f64)> = per_cycle
            .iter()
            .map(|&(rc, _, w)| (rc.max(MIN_RATE).ln(), w))
            .collect();
        let spread = weighted_mad(&logs, r.ln()).unwrap_or(0.0);
        let noise = per_cycle
            .iter()
            .map(|&(rc, se, _)| (se / rc.max(MIN_RATE)).powi(2))
            .sum::<f64>()
            / per_cycle.len() as f64;
        (spread * spread - noise).max(0.0).sqrt().min(2.0)
    } else {
        config.default_cycle_log_sd
    };
    RateFit {
        rate: Some(rate),
        log_se,
        between_log_sd,
        pairs,
        cycles: per_cycle.len(),
    }
}

/// Multiplicative weekday factors from consecutive-reading increments.
///
/// Each increment's expected size is rate × Σ_d factor_d × exposure_d; the factors solve that by
/// a few EM (ratio) sweeps over winsorised increments, are shrunk towards 1 by
/// `weekday_shrinkage_days` pseudo-days, and are normalised to mean 1 so the weekly total is the
/// rate's job, not theirs.
fn estimate_weekday(cycles: &[Cycle<'_>], rate: f64, config: &ModelConfig) -> [f64; 7] {
    let mut incs: Vec<(f64, [f64; 7])> = Vec::new();
    for c in cycles {
        for w in c.obs.windows(2) {
            let days = w[1].at.days_since(w[0].at);
            if days <= 0.0 || days > 1.5 {
                continue;
            }
            let e = WeekdayFactors::exposure_days(config.utc_offset_secs, w[0].at, w[1].at);
            incs.push((w[1].fill.get() - w[0].fill.get(), e));
        }
    }
    if incs.len() < 14 {
        return [1.0; 7];
    }
    let resid: Vec<(f64, f64)> = incs
        .iter()
        .map(|(dy, e)| (dy - rate * e.iter().sum::<f64>(), 1.0))
        .collect();
    let scale = weighted_mad(&resid, 0.0).unwrap_or(0.0).max(0.02);
    for (dy, e) in &mut incs {
        let expect = rate * e.iter().sum::<f64>();
        *dy = dy.clamp(expect - 3.0 * scale, expect + 3.0 * scale);
    }
    let mut exposure = [0.0; 7];
    for (_, e) in &incs {
        for d in 0..7 {
            exposure[d] += e[d];
        }
    }
    let mut f = [1.0; 7];
    for _ in 0..20 {
        let mut num = [0.0; 7];
        for (dy, e) in &incs {
            let norm: f64 = (0..7).map(|d| f[d] * e[d]).sum();
            if norm > 0.0 {
                for d in 0..7 {
                    num[d] += dy * f[d] * e[d] / norm;
                }
            }
        }
        for d in 0..7 {
            f[d] = if exposure[d] > 0.0 {
                (num[d] / (rate * exposure[d])).clamp(0.05, 10.0)
            } else {
                1.0
            };
        }
    }
    let k = config.weekday_shrinkage_days;
    for d in 0..7 {
        f[d] = if exposure[d] + k > 0.0 {
            (exposure[d] * f[d] + k) / (exposure[d] + k)
        } else {
            1.0
        };
    }
    let mean = f.iter().sum::<f64>() / 7.0;
    f.map(|x| (x / mean).clamp(0.2, 5.0))
}

/// Current level: a recency-weighted median of the current cycle's readings, each projected
/// forward to `as_of` along the fitted rate. Returns (level, sd).
fn current_level(
    obs: &[Observation],
    rate: f64,
    rate_log_sd: f64,
    weekday: &WeekdayFactors,
    as_of: Timestamp,
    config: &ModelConfig,
) -> (f64, f64) {
    let mut projected = Vec::with_capacity(obs.len());
    let mut lead = Vec::with_capacity(obs.len());
    for o in obs {
        let d = weekday.effective_days(o.at, as_of).max(0.0);
        let age_h = as_of.days_since(o.at) * 24.0;
        let w = 0.5f64.powf(age_h / config.level_half_life_hours) / o.variance;
        projected.push((o.fill.get() + rate * d, w));
        lead.push(d);
    }
    let mut sorted = projected.clone();
    let level = weighted_median(&mut sorted).unwrap_or(config.unknown_level);
    let sw: f64 = projected.iter().map(|p| p.1).sum();
    let sw2: f64 = projected.iter().map(|p| p.1 * p.1).sum();
    let n_eff = if sw2 > 0.0 { sw * sw / sw2 } else { 1.0 };
    // Reading scale: the classifier's own variance, blended with the observed spread once
    // there are enough readings to trust a spread.
    let hm_var = obs.len() as f64 / obs.iter().map(|o| 1.0 / o.variance).sum::<f64>();
    let mad = weighted_mad(&projected, level).unwrap_or(0.0);
    let var = if obs.len() >= 4 {
        0.5 * (mad * mad + hm_var)
    } else {
        hm_var
    };
    let projection_var = projected
        .iter()
        .zip(&lead)
        .map(|(p, d)| p.1 * (rate * rate_log_sd * d).powi(2))
        .sum::<f64>()
        / sw.max(1e-12);
    let sd = (1.25f64.powi(2) * var / n_eff + projection_var).sqrt();
    (level.max(0.0), sd.max(0.005))
}

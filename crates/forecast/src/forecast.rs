//! A fitted bin forecast and what can be asked of it.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Result, check_param};
use crate::reading::ServiceEvent;
use crate::stats::{normal_cdf, normal_quantile};
use crate::time::{Timestamp, WeekdayFactors};

/// Where the rate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RateBasis {
    /// Too few readings: the configured zone/container prior.
    Prior,
    /// Reading pairs (shrunk towards the prior by their precision).
    Data {
        /// Reading pairs used.
        pairs: usize,
        /// Cycles that contributed.
        cycles: usize,
    },
}

/// One bin's fitted fill model as of a moment.
///
/// Predictive model, in effective days Δ(t) = weekday-weighted time from `as_of` to `t`:
///
/// ```text
/// F(t) = L + R · Δ(t),   L ~ Normal(level_now, level_sd²)
/// ln R ~ Normal(ln rate_per_day, rate_log_sd² + daily_rate_log_sd² / max(days, 1))
/// ```
///
/// The log-normal keeps the rate positive and makes uncertainty proportional to the rate;
/// the daily term is day-to-day variation averaging out over longer horizons. Probabilities
/// are integrated numerically (Simpson over ±6 sd, no Monte Carlo), so they are
/// deterministic and accurate to about 1e-4.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// The moment the forecast was fitted for; readings after it were ignored.
    pub as_of: Timestamp,
    /// Start of the current fill cycle: the last service, else the first reading.
    pub cycle_start: Option<Timestamp>,
    /// Fill at `cycle_start` implied by the fit (fill(t) = this + rate × effective elapsed).
    pub level_after_service: f64,
    /// Estimated fill at `as_of`.
    pub level_now: f64,
    /// Standard deviation of `level_now`.
    pub level_sd: f64,
    /// Median fill rate, fill fraction per effective day.
    pub rate_per_day: f64,
    /// Log-scale sd of the rate (estimation + cycle-to-cycle).
    pub rate_log_sd: f64,
    /// Day-to-day log-sd of the rate.
    pub daily_rate_log_sd: f64,
    /// Weekday rate factors (flat until learned).
    pub weekday: WeekdayFactors,
    /// Whether `weekday` was learned from history.
    pub weekday_learned: bool,
    /// Where the rate came from.
    pub basis: RateBasis,
    /// Readings inside the history window.
    pub readings_used: usize,
    /// The last service, if any.
    pub last_service: Option<ServiceEvent>,
    /// All services in the window (detected and reported).
    pub services: Vec<ServiceEvent>,
    /// Fill at which the bin overflows.
    pub overflow_level: f64,
}

/// When the bin reaches a fill level, with a prediction interval. `None` means "not within a year".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeToLevel {
    /// The level asked about.
    pub level: f64,
    /// Interval coverage (e.g. 0.8).
    pub coverage: f64,
    /// Lower end of the interval (earliest plausible).
    pub lower: Option<Timestamp>,
    /// Median time.
    pub median: Option<Timestamp>,
    /// Upper end of the interval.
    pub upper: Option<Timestamp>,
}

/// One point of a dashboard forecast curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// When.
    pub at: Timestamp,
    /// Expected fill.
    pub expected: f64,
    /// Lower band.
    pub lower: f64,
    /// Upper band.
    pub upper: f64,
    /// P(fill ≥ overflow level) at that moment.
    pub p_overflow: f64,
}

const HORIZON_DAYS: f64 = 365.0;
/// Integration steps over the standard normal (±6 sd).
const Z_STEPS: usize = 64; // even, for Simpson's rule

impl Forecast {
    /// Effective days from `as_of` to `t` (0 for times before `as_of`).
    fn delta(&self, t: Timestamp) -> f64 {
        self.weekday.effective_days(self.as_of, t).max(0.0)
    }

    fn log_sd_at(&self, t: Timestamp) -> f64 {
        let days = t.days_since(self.as_of).max(1.0);
        (self.rate_log_sd.powi(2) + self.daily_rate_log_sd.powi(2) / days).sqrt()
    }

    /// Mean fill at `t` (times before `as_of` give the as-of level).
    pub fn expected_fill(&self, t: Timestamp) -> f64 {
        let s = self.log_sd_at(t);
        self.level_now + self.rate_per_day * (0.5 * s * s).exp() * self.delta(t)
    }

    /// Median fill at `t`: the point forecast that minimises absolute error.
    pub fn median_fill(&self, t: Timestamp) -> f64 {
        self.fill_quantile(t, 0.5)
    }

    /// P(fill at `t` ≤ x).
    pub fn fill_cdf(&self, t: Timestamp, x: f64) -> f64 {
        let d = self.delta(t);
        if d <= 0.0 {
            return normal_cdf((x - self.level_now) / self.level_sd);
        }
        let (mu, s) = (self.rate_per_day.ln(), self.log_sd_at(t));
        // Integrate over whichever of L and R has the wider effect, with the other's CDF exact
        // inside, so the integrand is smooth (a near-step integrand defeats a fixed grid).
        let over_rate = self.level_sd >= d * self.rate_per_day * s;
        let h = 12.0 / Z_STEPS as f64;
        let mut acc = 0.0;
        for k in 0..=Z_STEPS {
            let z = -6.0 + h * k as f64;
            let simpson = if k == 0 || k == Z_STEPS {
                1.0
            } else if k % 2 == 1 {
                4.0
            } else {
                2.0
            };
            let p = if over_rate {
                normal_cdf((x - self.level_now - d * (mu + s * z).exp()) / self.level_sd)
            } else {
                let u = (x - self.level_now - self.level_sd * z) / d;
                if u <= 0.0 {
                    0.0
                } else {
                    normal_cdf((u.ln() - mu) / s)
                }
            };
            acc += simpson * (-0.5 * z * z).exp() * p;
        }
        (acc * h / 3.0 / (std::f64::consts::TAU).sqrt()).clamp(0.0, 1.0)
    }

    /// The `q` quantile of fill at `t`.
    pub fn fill_quantile(&self, t: Timestamp, q: f64) -> f64 {
        let q = q.clamp(1e-6, 1.0 - 1e-6);
        let d = self.delta(t);
        if d <= 0.0 {
            return self.level_now + self.level_sd * normal_quantile(q);
        }
        let s = self.log_sd_at(t);
        let mut lo = self.level_now - 7.0 * self.level_sd;
        let mut hi =
            self.level_now + 7.0 * self.level_sd + (self.rate_per_day.ln() + 7.0 * s).exp() * d;
        for _ in 0..50 {
            let mid = 0.5 * (lo + hi);
            if self.fill_cdf(t, mid) < q {
                lo = mid
            } else {
                hi = mid
            }
            if hi - lo < 1e-5 {
                break;
            }
        }
        0.5 * (lo + hi)
    }

    /// Central prediction interval of fill at `t` with the given coverage (e.g. 0.8).
    pub fn fill_interval(&self, t: Timestamp, coverage: f64) -> Result<(f64, f64)> {
        check_param(
            "coverage",
            coverage,
            0.01..=0.999,
            "use a coverage in 0.01..=0.999 (e.g. 0.8)",
        )?;
        let a = (1.0 - coverage) / 2.0;
        Ok((self.fill_quantile(t, a), self.fill_quantile(t, 1.0 - a)))
    }

    /// P(the bin overflows before `t`). Fill only rises between services, so this is
    /// P(fill at `t` ≥ overflow level).
    pub fn p_overflow_before(&self, t: Timestamp) -> f64 {
        1.0 - self.fill_cdf(t, self.overflow_level)
    }

    /// P(fill at `t` ≥ `level`).
    pub fn p_above(&self, t: Timestamp, level: f64) -> f64 {
        1.0 - self.fill_cdf(t, level)
    }

    /// When the bin reaches 100 %, with a central interval of the given coverage.
    pub fn time_until_full(&self, coverage: f64) -> Result<TimeToLevel> {
        self.time_until(1.0, coverage)
    }

    /// When the bin reaches `level`: the time t with P(fill(t) ≥ level) = q, for the median and
    /// the interval's ends (fill is monotone, so this is the distribution of the hitting time).
    pub fn time_until(&self, level: f64, coverage: f64) -> Result<TimeToLevel> {
        check_param(
            "coverage",
            coverage,
            0.01..=0.999,
            "use a coverage in 0.01..=0.999 (e.g. 0.8)",
        )?;
        check_param(
            "level",
            level,
            0.0..=2.0,
            "use a fill level in 0..=2 (1.0 = full)",
        )?;
        let a = (1.0 - coverage) / 2.0;
        Ok(TimeToLevel {
            level,
            coverage,
            lower: self.hitting_time(level, a),
            median: self.hitting_time(level, 0.5),
            upper: self.hitting_time(level, 1.0 - a),
        })
    }

    /// Earliest t (to ten minutes) with P(fill(t) ≥ level) ≥ `target`.
    fn hitting_time(&self, level: f64, target: f64) -> Option<Timestamp> {
        if self.p_above(self.as_of, level) >= target {
            return Some(self.as_of);
        }
        let end = self.as_of.plus_days(HORIZON_DAYS);
        if self.p_above(end, level) < target {
            return None;
        }
        let (mut lo, mut hi) = (self.as_of.0, end.0);
        while hi - lo > 600 {
            let mid = lo + (hi - lo) / 2;
            if self.p_above(Timestamp(mid), level) >= target {
                hi = mid
            } else {
                lo = mid
            }
        }
        Some(Timestamp(hi))
    }

    /// Forecast curve for the dashboard: expected fill and a central band every `step_secs`
    /// from `as_of` through `until`.
    pub fn curve(
        &self,
        until: Timestamp,
        step_secs: i64,
        coverage: f64,
    ) -> Result<Vec<CurvePoint>> {
        check_param(
            "step_secs",
            step_secs as f64,
            60.0..=31_536_000.0,
            "use a step of at least 60 seconds",
        )?;
        check_param(
            "coverage",
            coverage,
            0.01..=0.999,
            "use a coverage in 0.01..=0.999 (e.g. 0.8)",
        )?;
        let mut out = Vec::new();
        let mut t = self.as_of;
        while t <= until && out.len() < 10_000 {
            let (lower, upper) = self.fill_interval(t, coverage)?;
            out.push(CurvePoint {
                at: t,
                expected: self.expected_fill(t),
                lower,
                upper,
                p_overflow: self.p_overflow_before(t),
            });
            t = Timestamp(t.0 + step_secs);
        }
        Ok(out)
    }

    /// One random draw of the fill at `t` from the predictive distribution (for simulators).
    pub fn sample_fill<R: Rng + ?Sized>(&self, t: Timestamp, rng: &mut R) -> f64 {
        let (z1, z2) = box_muller(rng);
        let rate = (self.rate_per_day.ln() + self.log_sd_at(t) * z2).exp();
        (self.level_now + self.level_sd * z1 + rate * self.delta(t)).max(0.0)
    }
}

/// Two independent standard normals.
pub(crate) fn box_muller<R: Rng + ?Sized>(rng: &mut R) -> (f64, f64) {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random::<f64>();
    let r = (-2.0 * u1.ln()).sqrt();
    let th = std::f64::consts::TAU * u2;
    (r * th.cos(), r * th.sin())
}

//! Readings and service events as validated domain values, parsed once at the edge.

use serde::{Deserialize, Serialize};

use crate::classes::FillClass;
use crate::error::{ForecastError, Result};
use crate::time::Timestamp;

/// How full a container is: 0 empty, 1 full, above 1 overflowing. Never NaN or negative.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct FillFraction(f64);

impl FillFraction {
    /// Accepts finite values >= 0.
    pub fn new(value: f64) -> Result<Self> {
        if value.is_finite() && value >= 0.0 {
            Ok(Self(value))
        } else {
            Err(ForecastError::InvalidFill {
                field: "fill".into(),
                value,
            })
        }
    }

    /// The fraction.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for FillFraction {
    type Error = ForecastError;
    fn try_from(value: f64) -> Result<Self> {
        Self::new(value)
    }
}

impl From<FillFraction> for f64 {
    fn from(f: FillFraction) -> f64 {
        f.0
    }
}

/// Where a reading came from; each source has its own noise level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Lid camera + vision classifier.
    Camera,
    /// Ultrasonic or weight sensor.
    Sensor,
    /// A driver's estimate.
    Driver,
}

/// One fill observation of one bin, as ingested (unvalidated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// When the observation was taken.
    pub at: Timestamp,
    /// Expected fill fraction (for cameras: the classifier's probability-weighted fill).
    pub fill: f64,
    /// Class probabilities over [`FillClass::ALL`], when the source is the classifier.
    pub probabilities: Option<Vec<f64>>,
    /// Who produced it.
    pub source: Source,
}

impl Reading {
    /// A reading without class probabilities.
    pub fn new(at: Timestamp, fill: f64, source: Source) -> Self {
        Self {
            at,
            fill,
            probabilities: None,
            source,
        }
    }
}

/// How a service was learned about.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Detection {
    /// Inferred from a sharp fall between consecutive readings.
    FillDrop {
        /// The fill level before the fall (robust: the lower of the last two readings).
        from: f64,
        /// The first reading after the fall.
        to: f64,
        /// Time of the last reading before the fall; the service happened in `(previous_at, at]`.
        previous_at: Timestamp,
        /// Whether the reading after the fall agrees (false when the fall is the latest reading).
        confirmed: bool,
    },
    /// Reported by a driver, a truck or the plan's completed stop.
    Reported,
}

/// The bin was emptied at (or just before) `at`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServiceEvent {
    /// When the service is known to have happened by.
    pub at: Timestamp,
    /// How it was detected.
    pub detection: Detection,
}

impl ServiceEvent {
    /// A service reported from outside (driver, completed plan stop).
    pub fn reported(at: Timestamp) -> Self {
        Self {
            at,
            detection: Detection::Reported,
        }
    }

    /// The interval the service happened in: `(last reading before the fall, at]` for a
    /// detected service, the instant itself for a reported one.
    pub fn window(&self) -> (Timestamp, Timestamp) {
        match self.detection {
            Detection::FillDrop { previous_at, .. } => (previous_at, self.at),
            Detection::Reported => (self.at, self.at),
        }
    }

    /// Whether this service explains a stop planned (or reported done) at `stop`, allowing
    /// `tolerance_secs` of clock and ETA slack either side of the window. Answers "was the bin
    /// really emptied by that stop?".
    pub fn matches_stop(&self, stop: Timestamp, tolerance_secs: i64) -> bool {
        let (from, to) = self.window();
        stop.0 > from.0.saturating_sub(tolerance_secs)
            && stop.0 <= to.0.saturating_add(tolerance_secs)
    }
}

/// The service (if any) that confirms a stop at `stop`: the first event whose window, widened
/// by `tolerance_secs`, contains it.
pub fn confirming_service(
    events: &[ServiceEvent],
    stop: Timestamp,
    tolerance_secs: i64,
) -> Option<ServiceEvent> {
    events
        .iter()
        .copied()
        .find(|e| e.matches_stop(stop, tolerance_secs))
}

/// Noise levels per source, standard deviations in fill fraction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoiseConfig {
    /// Camera readings that come without probabilities.
    pub camera_sd: f64,
    /// Floor for camera readings with probabilities (a confident classifier is
    /// still a classifier). The default, 0.08, is the reader accuracy the replay
    /// measures for the real model on rendered lid-camera photos
    /// (crates/scenario/RESULTS.md); 0.04 let a confident class read count
    /// almost as a level sensor.
    pub camera_floor_sd: f64,
    /// Ultrasonic / weight sensors.
    pub sensor_sd: f64,
    /// Driver estimates.
    pub driver_sd: f64,
}

impl Default for NoiseConfig {
    fn default() -> Self {
        Self {
            camera_sd: 0.1,
            camera_floor_sd: 0.08,
            sensor_sd: 0.03,
            driver_sd: 0.12,
        }
    }
}

/// A validated reading: finite fill, normalised probabilities, and its variance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// When.
    pub at: Timestamp,
    /// Fill fraction.
    pub fill: FillFraction,
    /// Variance of the reading around the true fill.
    pub variance: f64,
    /// Who produced it.
    pub source: Source,
}

/// Variance of a classifier reading: the spread of the class distribution over class
/// midpoints, plus the within-class width (uniform) of each class, floored.
pub fn classifier_variance(probabilities: &[f64], floor_sd: f64) -> f64 {
    let mean: f64 = probabilities
        .iter()
        .zip(FillClass::ALL)
        .map(|(p, c)| p * c.midpoint())
        .sum();
    let spread: f64 = probabilities
        .iter()
        .zip(FillClass::ALL)
        .map(|(p, c)| p * ((c.midpoint() - mean).powi(2) + c.width().powi(2) / 12.0))
        .sum();
    spread.max(floor_sd * floor_sd)
}

/// A bin's validated readings, sorted by time.
///
/// Readings out of order are **sorted** (stable, so equal timestamps keep arrival order), not
/// rejected: uploads after an outage arrive late and that is normal. Bad values are rejected with
/// the index of the offending reading.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    observations: Vec<Observation>,
}

impl History {
    /// Validates and sorts `readings`.
    pub fn new(readings: &[Reading], noise: &NoiseConfig) -> Result<Self> {
        let mut observations = Vec::with_capacity(readings.len());
        for (i, r) in readings.iter().enumerate() {
            Timestamp::checked(r.at.0, &format!("readings[{i}].at"))?;
            let fill = FillFraction::new(r.fill).map_err(|_| ForecastError::InvalidFill {
                field: format!("readings[{i}].fill"),
                value: r.fill,
            })?;
            let variance = match (&r.probabilities, r.source) {
                (Some(p), _) => {
                    let p = normalised(p, i)?;
                    classifier_variance(&p, noise.camera_floor_sd)
                }
                (None, Source::Camera) => noise.camera_sd.powi(2),
                (None, Source::Sensor) => noise.sensor_sd.powi(2),
                (None, Source::Driver) => noise.driver_sd.powi(2),
            };
            observations.push(Observation {
                at: r.at,
                fill,
                variance,
                source: r.source,
            });
        }
        observations.sort_by_key(|o| o.at);
        Ok(Self { observations })
    }

    /// The sorted observations.
    pub fn observations(&self) -> &[Observation] {
        &self.observations
    }

    /// Observations taken at or before `as_of`.
    pub fn up_to(&self, as_of: Timestamp) -> &[Observation] {
        let n = self.observations.partition_point(|o| o.at <= as_of);
        &self.observations[..n]
    }
}

fn normalised(p: &[f64], i: usize) -> Result<Vec<f64>> {
    let bad = |reason: String| ForecastError::InvalidProbabilities {
        field: format!("readings[{i}].probabilities"),
        reason,
        expected: FillClass::ALL.len(),
    };
    if p.len() != FillClass::ALL.len() {
        return Err(bad(format!("got {} values", p.len())));
    }
    if let Some(x) = p.iter().find(|x| !x.is_finite() || **x < 0.0) {
        return Err(bad(format!("contains {x}")));
    }
    let sum: f64 = p.iter().sum();
    if (sum - 1.0).abs() > 0.01 {
        return Err(bad(format!("sum is {sum}")));
    }
    Ok(p.iter().map(|x| x / sum).collect())
}

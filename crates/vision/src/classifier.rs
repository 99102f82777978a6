//! The fill reader's only trained part: a multinomial logistic regression with
//! L2 penalty on standardised deep features (fitted by `linfa-logistic`). A
//! temperature for its logits is fitted on cross-validation predictions and
//! reported with the calibration it would give (not yet applied to readings).
//! The fitted model is a versioned JSON artifact that records the classes, the
//! scaler, the weights, the backbone it was trained on and its metrics, and
//! refuses to load against any other backbone.

use crate::calibration::{CalibrationReport, Reliability, fit_temperature, softmax};
use crate::error::{Result, VisionError};
use crate::metrics::Metrics;
use fillroute_forecast::FillClass;
use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray16::{Array1, Array2};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Artifact schema version; bump when the JSON layout changes.
pub const ARTIFACT_FORMAT: u32 = 2;

/// The default ordered fill classes of a bin camera ([`FillClass::NAMES`]).
pub const DEFAULT_FILL_CLASSES: [&str; 6] = FillClass::NAMES;

/// Fill fraction at the middle of each default class ([`FillClass::MIDPOINTS`]:
/// full is 0.9375 and overflowing 1.15, as the renderer labels and the
/// forecast weighs them).
pub const DEFAULT_FILL_MIDPOINTS: [f32; 6] = FillClass::MIDPOINTS_F32;

/// A trained linear classifier on top of a specific backbone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Classifier {
    /// [`ARTIFACT_FORMAT`] at save time.
    pub format: u32,
    /// Human-readable version, e.g. `fill-20261129-3f2a9c1e`.
    pub version: String,
    /// Class names in output order.
    pub classes: Vec<String>,
    /// Fill fraction per class, when classes are fill levels.
    pub midpoints: Option<Vec<f32>>,
    /// sha256 of the backbone ONNX file the features came from.
    pub backbone_sha256: String,
    /// Per-feature mean of the training set.
    pub mean: Vec<f32>,
    /// Per-feature standard deviation of the training set (floored).
    pub scale: Vec<f32>,
    /// `classes × features` weights, row-major.
    pub weights: Vec<f32>,
    /// One intercept per class.
    pub intercept: Vec<f32>,
    /// The chosen L2 strength.
    pub l2: f64,
    /// What the model was trained on.
    pub training: TrainingSummary,
    /// Cross-validation and held-out test scores.
    pub metrics: ArtifactMetrics,
}

/// What data produced an artifact.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// Folder of class sub-folders.
    pub data: String,
    /// Split seed.
    pub seed: u64,
    /// Training images per class.
    pub train_per_class: Vec<usize>,
    /// Cross-validation folds used to pick `l2` (0: none, too few labels).
    pub cv_folds: usize,
    /// Test images (scored once).
    pub test: usize,
    /// Cross-validated accuracy per L2 candidate.
    pub l2_search: Vec<(f64, f64)>,
    /// Temperature folded into the weights (1: none; absent in older artifacts).
    #[serde(default)]
    pub temperature: Option<f64>,
}

/// Held-out scores stored in the artifact.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ArtifactMetrics {
    /// Cross-validated accuracy of the chosen L2 on the training rows.
    pub cross_validation_accuracy: Option<f64>,
    /// On the test split.
    pub test: Option<Metrics>,
    /// The raw-pixel linear baseline on the same test split, for comparison.
    #[serde(default)]
    pub pixel_baseline_test: Option<Metrics>,
    /// Temperature scaling and the test split's calibration before and after it.
    #[serde(default)]
    pub calibration: Option<CalibrationReport>,
}

/// One prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Index of the most probable class.
    pub class: usize,
    /// Probability per class.
    pub probabilities: Vec<f32>,
    /// Probability-weighted class midpoints, when the classes are fill levels.
    pub fill_fraction: Option<f32>,
    /// Standard deviation of the class midpoint under the class probabilities:
    /// the reading's own uncertainty, for the forecast.
    pub fill_sd: Option<f32>,
}

/// L2 strengths tried on the validation split.
pub const L2_GRID: [f64; 6] = [1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0];

/// Standardisation fitted on training rows.
#[derive(Debug, Clone)]
struct Scaler {
    mean: Vec<f32>,
    scale: Vec<f32>,
}

impl Scaler {
    fn fit(rows: &[Vec<f32>]) -> Self {
        let dim = rows[0].len();
        let n = rows.len() as f64;
        let mut mean = vec![0f64; dim];
        for r in rows {
            for (m, &v) in mean.iter_mut().zip(r) {
                *m += f64::from(v);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0f64; dim];
        for r in rows {
            for ((s, &v), m) in var.iter_mut().zip(r).zip(&mean) {
                *s += (f64::from(v) - m).powi(2);
            }
        }
        Self {
            mean: mean.iter().map(|&m| m as f32).collect(),
            scale: var
                .iter()
                .map(|&s| ((s / n).sqrt() as f32).max(1e-6))
                .collect(),
        }
    }

    fn matrix(&self, rows: &[Vec<f32>]) -> Array2<f64> {
        let dim = self.mean.len();
        Array2::from_shape_fn((rows.len(), dim), |(i, j)| {
            f64::from((rows[i][j] - self.mean[j]) / self.scale[j])
        })
    }
}

/// Fits one model with L2 strength `l2`; returns (weights classes×dim, intercept).
fn fit(x: &Array2<f64>, y: &[usize], classes: usize, l2: f64) -> Result<(Vec<f32>, Vec<f32>)> {
    let targets = Array1::from_vec(y.to_vec());
    let data = Dataset::new(x.clone(), targets);
    let model = MultiLogisticRegression::default()
        .alpha(l2)
        .max_iterations(300)
        .fit(&data)
        .map_err(|e| VisionError::Training(e.to_string()))?;
    let dim = x.ncols();
    let mut weights = vec![0f32; classes * dim];
    // Classes absent from training keep a very low intercept: never predicted.
    let mut intercept = vec![-1e4f32; classes];
    for (col, &class) in model.classes().iter().enumerate() {
        intercept[class] = model.intercept()[col] as f32;
        for j in 0..dim {
            weights[class * dim + j] = model.params()[[j, col]] as f32;
        }
    }
    Ok((weights, intercept))
}

/// Training input: feature rows with class indices.
pub struct TrainingData<'a> {
    /// Class names in output order.
    pub classes: &'a [String],
    /// Fill midpoints, if the classes are fill levels.
    pub midpoints: Option<Vec<f32>>,
    /// Training rows and labels: every label the model may see.
    pub train: (&'a [Vec<f32>], &'a [usize]),
    /// Test rows and labels (scored once, never fitted).
    pub test: (&'a [Vec<f32>], &'a [usize]),
}

/// Stratified fold of each row: the r-th row of a class goes to fold r mod F,
/// with F = min(3, smallest class count). Returns (folds, F).
fn stratified_folds(labels: &[usize], classes: usize) -> (Vec<usize>, usize) {
    let mut counts = vec![0usize; classes];
    labels.iter().for_each(|&c| counts[c] += 1);
    let smallest = counts.iter().copied().filter(|&c| c > 0).min().unwrap_or(0);
    let folds = smallest.min(3);
    let mut seen = vec![0usize; classes];
    let assignment = labels
        .iter()
        .map(|&c| {
            seen[c] += 1;
            (seen[c] - 1) % folds.max(1)
        })
        .collect();
    (assignment, folds)
}

impl Classifier {
    /// Picks L2 by stratified cross-validation on the training rows, fits on
    /// all of them, and scores the test split. The training rows are the only
    /// labels used, so "labels per class" in a learning curve means what it says.
    pub fn train(
        data: &TrainingData<'_>,
        backbone_sha256: &str,
        mut summary: TrainingSummary,
    ) -> Result<Self> {
        let (train_x, train_y) = data.train;
        if train_x.is_empty() {
            return Err(VisionError::Training("no training images".into()));
        }
        let k = data.classes.len();
        let (fold_of, folds) = stratified_folds(train_y, k);
        summary.l2_search.clear();
        summary.cv_folds = folds;
        // Best (l2, accuracy) and that L2's out-of-fold logits, for calibration.
        let mut best: Option<(f64, f64)> = None;
        let mut best_held: Vec<Vec<f32>> = Vec::new();
        if folds >= 2 {
            for &l2 in &L2_GRID {
                let mut held_logits = vec![Vec::new(); train_x.len()];
                for fold in 0..folds {
                    let (fit_idx, held_idx): (Vec<usize>, Vec<usize>) =
                        (0..train_x.len()).partition(|&i| fold_of[i] != fold);
                    let fit_x: Vec<Vec<f32>> =
                        fit_idx.iter().map(|&i| train_x[i].clone()).collect();
                    let fit_y: Vec<usize> = fit_idx.iter().map(|&i| train_y[i]).collect();
                    let scaler = Scaler::fit(&fit_x);
                    let (w, b) = fit(&scaler.matrix(&fit_x), &fit_y, k, l2)?;
                    let m = Self::assemble(
                        data,
                        backbone_sha256,
                        &scaler,
                        w,
                        b,
                        l2,
                        TrainingSummary::default(),
                    );
                    for &i in &held_idx {
                        held_logits[i] = m.logits(&train_x[i]);
                    }
                }
                let correct = held_logits
                    .iter()
                    .zip(train_y)
                    .filter(|(l, y)| argmax(l) == **y)
                    .count();
                let acc = correct as f64 / train_x.len() as f64;
                summary.l2_search.push((l2, acc));
                // Ties go to the stronger penalty: simpler models generalise better.
                if best.is_none_or(|(_, a)| acc >= a) {
                    best = Some((l2, acc));
                    best_held = held_logits;
                }
            }
        }
        // With a single label per class there is nothing to cross-validate: a
        // strong penalty is the safe default, and no temperature can be fitted.
        let l2 = best.map_or(10.0, |(l2, _)| l2);
        let temperature =
            fit_temperature(&best_held, if best_held.is_empty() { &[] } else { train_y });
        summary.temperature = Some(temperature);
        let scaler = Scaler::fit(train_x);
        let (w, b) = fit(&scaler.matrix(train_x), train_y, k, l2)?;
        let raw = Self::assemble(
            data,
            backbone_sha256,
            &scaler,
            w.clone(),
            b.clone(),
            l2,
            summary.clone(),
        );
        // The temperature is measured and reported, not applied: folded into
        // the weights (logits / T) it pulled every fill reading towards the
        // middle (the ingest pipeline's 20 %, 50 %, 80 %, 5 % photos read as
        // 41 %, 55 %, 61 %, 51 %), so the forecast stopped seeing emptyings.
        // It becomes part of the reading once the forecast weighs class
        // probabilities with their calibration.
        let inv = (1.0 / temperature) as f32;
        let (w_t, b_t) = (
            w.iter().map(|v| v * inv).collect(),
            b.iter().map(|v| v * inv).collect(),
        );
        let scaled = Self::assemble(data, backbone_sha256, &scaler, w_t, b_t, l2, summary);
        let mut model = raw;
        model.metrics.cross_validation_accuracy = best.map(|(_, a)| a);
        let (test_x, test_y) = data.test;
        if !test_x.is_empty() {
            model.metrics.test = Some(model.score(test_x, test_y));
            let probabilities = |m: &Self| -> Vec<Vec<f32>> {
                test_x.iter().map(|r| m.predict(r).probabilities).collect()
            };
            model.metrics.calibration = Some(CalibrationReport {
                temperature,
                fitted_on: best_held.len(),
                before: Reliability::compute(&probabilities(&model), test_y),
                after: Reliability::compute(&probabilities(&scaled), test_y),
            });
        }
        Ok(model)
    }

    fn assemble(
        data: &TrainingData<'_>,
        backbone_sha256: &str,
        scaler: &Scaler,
        weights: Vec<f32>,
        intercept: Vec<f32>,
        l2: f64,
        training: TrainingSummary,
    ) -> Self {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(
            weights
                .iter()
                .flat_map(|w| w.to_le_bytes())
                .collect::<Vec<u8>>(),
        );
        Self {
            format: ARTIFACT_FORMAT,
            version: format!("linear-{}", &hex::encode(digest)[..12]),
            classes: data.classes.to_vec(),
            midpoints: data.midpoints.clone(),
            backbone_sha256: backbone_sha256.to_string(),
            mean: scaler.mean.clone(),
            scale: scaler.scale.clone(),
            weights,
            intercept,
            l2,
            training,
            metrics: ArtifactMetrics::default(),
        }
    }

    /// The head's logits for one feature vector (calibrated: already divided by T).
    pub fn logits(&self, features: &[f32]) -> Vec<f32> {
        let dim = self.mean.len();
        let z: Vec<f32> = features
            .iter()
            .zip(&self.mean)
            .zip(&self.scale)
            .map(|((v, m), s)| (v - m) / s)
            .collect();
        (0..self.classes.len())
            .map(|c| {
                self.intercept[c]
                    + self.weights[c * dim..(c + 1) * dim]
                        .iter()
                        .zip(&z)
                        .map(|(w, x)| w * x)
                        .sum::<f32>()
            })
            .collect()
    }

    /// Class probabilities, expected fill and its standard deviation for one
    /// feature vector.
    pub fn predict(&self, features: &[f32]) -> Prediction {
        let probabilities = softmax(&self.logits(features), 1.0);
        let class = argmax(&probabilities);
        let (fill_fraction, fill_sd) = match &self.midpoints {
            Some(mids) => {
                let (mean, sd) = expected_fill(&probabilities, mids);
                (Some(mean), Some(sd))
            }
            None => (None, None),
        };
        Prediction {
            class,
            probabilities,
            fill_fraction,
            fill_sd,
        }
    }

    /// Scores the model on labelled feature rows.
    pub fn score(&self, rows: &[Vec<f32>], labels: &[usize]) -> Metrics {
        let predictions: Vec<Prediction> = rows.iter().map(|r| self.predict(r)).collect();
        let predicted: Vec<usize> = predictions.iter().map(|p| p.class).collect();
        let mut metrics = Metrics::compute(&self.classes, labels, &predicted);
        let probabilities: Vec<Vec<f32>> =
            predictions.into_iter().map(|p| p.probabilities).collect();
        metrics.ece = Some(Reliability::compute(&probabilities, labels).ece);
        metrics
    }

    /// Feature dimension the model expects.
    pub fn feature_dim(&self) -> usize {
        self.mean.len()
    }

    /// Writes the artifact as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        let json =
            serde_json::to_vec_pretty(self).map_err(|e| VisionError::Training(e.to_string()))?;
        std::fs::write(path, json).map_err(|e| VisionError::io(path, e))
    }

    /// Loads an artifact and checks it against the running backbone (`None`
    /// skips the check, for models on other features such as raw pixels).
    pub fn load(path: &Path, backbone_sha256: Option<&str>) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| VisionError::io(path, e))?;
        let bad = |reason: String| VisionError::Artifact {
            path: path.to_path_buf(),
            reason,
        };
        #[derive(Deserialize)]
        struct Header {
            format: u32,
        }
        let header: Header = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("not a classifier artifact: {e}")))?;
        if header.format != ARTIFACT_FORMAT {
            return Err(bad(format!(
                "format {} is not {ARTIFACT_FORMAT}: retrain with `fillroute vision train`",
                header.format
            )));
        }
        let model: Self = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("not a classifier artifact: {e}")))?;
        if model.format != ARTIFACT_FORMAT {
            return Err(bad(format!(
                "format {} is not {ARTIFACT_FORMAT}: retrain with this version",
                model.format
            )));
        }
        let k = model.classes.len();
        let dim = model.mean.len();
        if k < 2
            || model.scale.len() != dim
            || model.weights.len() != k * dim
            || model.intercept.len() != k
        {
            return Err(bad(
                "inconsistent shapes between classes, scaler and weights".into(),
            ));
        }
        if model.midpoints.as_ref().is_some_and(|m| m.len() != k) {
            return Err(bad("`midpoints` must have one entry per class".into()));
        }
        if let Some(sha) = backbone_sha256
            && model.backbone_sha256 != sha
        {
            return Err(bad(format!(
                "trained on backbone {} but this server runs {}: retrain with `fillroute vision train`",
                short(&model.backbone_sha256),
                short(sha)
            )));
        }
        Ok(model)
    }
}

/// Mean and standard deviation of the class midpoints under `probabilities`.
pub fn expected_fill(probabilities: &[f32], midpoints: &[f32]) -> (f32, f32) {
    let mean: f32 = probabilities
        .iter()
        .zip(midpoints)
        .map(|(p, m)| p * m)
        .sum();
    let var: f32 = probabilities
        .iter()
        .zip(midpoints)
        .map(|(p, m)| p * (m - mean).powi(2))
        .sum();
    (mean, var.max(0.0).sqrt())
}

fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn blobs(n: usize, seed: u64) -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let centres = [[0.0f32, 0.0, 5.0], [5.0, 0.0, 0.0], [0.0, 5.0, 0.0]];
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            let c = i % 3;
            rows.push(
                centres[c]
                    .iter()
                    .map(|m| m + rng.random_range(-1.0f32..1.0))
                    .collect(),
            );
            labels.push(c);
        }
        (rows, labels)
    }

    #[test]
    fn separates_well_separated_blobs_and_round_trips_through_json() {
        let classes: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let (tx, ty) = blobs(60, 1);
        let (sx, sy) = blobs(30, 3);
        let data = TrainingData {
            classes: &classes,
            midpoints: Some(vec![0.0, 0.5, 1.0]),
            train: (&tx, &ty),
            test: (&sx, &sy),
        };
        let model = Classifier::train(&data, "abc", TrainingSummary::default()).expect("trains");
        assert!(
            model
                .metrics
                .test
                .as_ref()
                .is_some_and(|m| m.accuracy > 0.95)
        );
        let p = model.predict(&sx[0]);
        assert!((p.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.json");
        model.save(&path).expect("saves");
        let back = Classifier::load(&path, Some("abc")).expect("loads");
        assert_eq!(back.predict(&sx[0]), p);
    }

    #[test]
    fn expected_fill_is_the_midpoint_mean_with_its_spread() {
        let mids = DEFAULT_FILL_MIDPOINTS;
        let (mean, sd) = expected_fill(&[0.0, 0.0, 1.0, 0.0, 0.0, 0.0], &mids);
        assert!((mean - 0.5).abs() < 1e-6 && sd.abs() < 1e-6);
        let (mean, sd) = expected_fill(&[0.5, 0.0, 0.0, 0.0, 0.5, 0.0], &mids);
        // Empty (0.0625) and full (0.9375), half each.
        assert!((mean - 0.5).abs() < 1e-6 && (sd - 0.4375).abs() < 1e-6);
    }

    #[test]
    fn temperature_is_fitted_on_held_out_folds_and_never_changes_the_winner() {
        // Overlapping blobs: the head is unsure, so calibration has work to do.
        let classes: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let spread = |(rows, labels): (Vec<Vec<f32>>, Vec<usize>)| {
            let rows = rows
                .into_iter()
                .enumerate()
                .map(|(i, r)| r.iter().map(|v| v * 0.35 + (i % 7) as f32 * 0.3).collect())
                .collect::<Vec<Vec<f32>>>();
            (rows, labels)
        };
        let (tx, ty) = spread(blobs(90, 5));
        let (sx, sy) = spread(blobs(60, 6));
        let data = TrainingData {
            classes: &classes,
            midpoints: Some(vec![0.0, 0.5, 1.0]),
            train: (&tx, &ty),
            test: (&sx, &sy),
        };
        let model = Classifier::train(&data, "abc", TrainingSummary::default()).expect("trains");
        let report = model.metrics.calibration.as_ref().expect("calibrated");
        assert_eq!(report.fitted_on, tx.len());
        assert!(report.temperature > 0.0 && report.temperature != 1.0);
        assert_eq!(model.training.temperature, Some(report.temperature));
        let accuracy = |r: &Reliability| -> f64 {
            r.bins
                .iter()
                .map(|b| b.accuracy * b.count as f64)
                .sum::<f64>()
                / sy.len() as f64
        };
        assert!((accuracy(&report.before) - accuracy(&report.after)).abs() < 1e-9);
        let test = model.metrics.test.as_ref().expect("scored");
        assert!((test.accuracy - accuracy(&report.after)).abs() < 1e-9);
        // The shipped weights are the unscaled ones; `after` is what T would give.
        assert_eq!(test.ece, Some(report.before.ece));
        let p = model.predict(&sx[0]);
        assert!(p.fill_sd.is_some_and(|sd| (0.0..=0.5).contains(&sd)));
    }

    #[test]
    fn refuses_to_load_against_a_different_backbone() {
        let classes: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let (tx, ty) = blobs(30, 1);
        let data = TrainingData {
            classes: &classes,
            midpoints: None,
            train: (&tx, &ty),
            test: (&[], &[]),
        };
        let model =
            Classifier::train(&data, "backbone-one", TrainingSummary::default()).expect("trains");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.json");
        model.save(&path).expect("saves");
        let err = Classifier::load(&path, Some("backbone-two")).unwrap_err();
        assert!(err.to_string().contains("retrain"), "{err}");
    }
}

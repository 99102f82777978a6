//! The training workflows behind `fillroute vision train` and
//! `learning-curve`: split a labelled folder, extract (cached) deep features,
//! fit the linear head, and score it against the raw-pixel baseline.

use crate::classifier::{Classifier, DEFAULT_FILL_MIDPOINTS, TrainingData, TrainingSummary};
use crate::dataset::{LabelledSet, Split};
use crate::error::Result;
use crate::extract::Extractor;
use crate::metrics::Metrics;
use crate::pixels::pixel_features_of_files;
use std::path::PathBuf;

/// Fraction of each class held out for test; L2 is picked by cross-validation
/// inside the training labels, so no labels are spent on a validation split.
pub const TEST_FRACTION: f64 = 0.3;

/// Feature rows for every item of a set, in item order.
pub struct SetFeatures {
    /// The labelled folder.
    pub set: LabelledSet,
    /// Deep features per item.
    pub deep: Vec<Vec<f32>>,
    /// Raw-pixel features per item (only when a baseline was asked for).
    pub pixels: Option<Vec<Vec<f32>>>,
}

impl SetFeatures {
    /// Extracts deep features (through the cache) and, if asked, pixel features.
    pub fn load(
        set: LabelledSet,
        extractor: &mut Extractor,
        with_pixels: bool,
        progress: impl FnMut(usize),
    ) -> Result<Self> {
        let files: Vec<PathBuf> = set.items.iter().map(|(p, _)| p.clone()).collect();
        let deep = extractor.features_of_files(&files, progress)?;
        let pixels = if with_pixels {
            Some(pixel_features_of_files(&files, &extractor.limits)?)
        } else {
            None
        };
        Ok(Self { set, deep, pixels })
    }

    /// Trains a head on `rows` (deep or pixel) for one split.
    pub fn train(
        &self,
        rows: &[Vec<f32>],
        split: &Split,
        seed: u64,
        backbone_sha256: &str,
    ) -> Result<Classifier> {
        let pick = |idx: &[usize]| -> (Vec<Vec<f32>>, Vec<usize>) {
            (
                idx.iter().map(|&i| rows[i].clone()).collect(),
                idx.iter().map(|&i| self.set.items[i].1).collect(),
            )
        };
        let (tx, ty) = pick(&split.train);
        let (sx, sy) = pick(&split.test);
        let mut per_class = vec![0; self.set.classes.len()];
        ty.iter().for_each(|&c| per_class[c] += 1);
        let summary = TrainingSummary {
            data: self.set.root.display().to_string(),
            seed,
            train_per_class: per_class,
            cv_folds: 0,
            test: sy.len(),
            l2_search: Vec::new(),
            temperature: None,
        };
        let midpoints = self
            .set
            .is_fill_levels()
            .then(|| DEFAULT_FILL_MIDPOINTS.to_vec());
        let data = TrainingData {
            classes: &self.set.classes,
            midpoints,
            train: (&tx, &ty),
            test: (&sx, &sy),
        };
        Classifier::train(&data, backbone_sha256, summary)
    }
}

/// Test scores of deep features and of the pixel baseline on one split.
pub struct Comparison {
    /// Deep features + linear head (the artifact to ship).
    pub deep: Classifier,
    /// Raw pixels + linear head.
    pub pixels: Option<Metrics>,
}

/// Trains deep and (optionally) pixel heads on the same seeded split.
pub fn train_and_compare(
    features: &SetFeatures,
    seed: u64,
    labels_per_class: Option<usize>,
    backbone_sha256: &str,
) -> Result<Comparison> {
    let split = features.set.split(seed, TEST_FRACTION, labels_per_class);
    let mut deep = features.train(&features.deep, &split, seed, backbone_sha256)?;
    let pixels = match &features.pixels {
        Some(rows) => {
            features
                .train(rows, &split, seed, "raw-pixels")?
                .metrics
                .test
        }
        None => None,
    };
    deep.metrics.pixel_baseline_test = pixels.clone();
    Ok(Comparison { deep, pixels })
}

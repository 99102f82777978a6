//! The real fill reader for the run: the frozen EfficientNet backbone plus a
//! linear head trained once from rendered, labelled lid-camera photos. The
//! head is cached on disk keyed by the backbone, the seed and the set size,
//! so a second run starts reading immediately.

use std::path::PathBuf;

use fillroute_lidcam::{FillClasses, FillFraction, Scene, render_jpeg};
use fillroute_vision::backbone::{Backbone, BackboneConfig, default_cache_dir};
use fillroute_vision::classifier::{DEFAULT_FILL_MIDPOINTS, TrainingData, TrainingSummary};
use fillroute_vision::extract::Extractor;
use fillroute_vision::health::HealthFlag;
use fillroute_vision::{Classifier, DEFAULT_FILL_CLASSES, DecodeLimits, FillReader};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::Result;

/// One image's reading as the forecasts see it.
#[derive(Debug, Clone)]
pub struct CameraReading {
    /// Probability-weighted fill.
    pub fill: f64,
    /// Class probabilities.
    pub probabilities: Vec<f64>,
    /// Most probable class.
    pub class: usize,
}

/// The reader and what it was trained on.
pub struct Vision {
    reader: FillReader,
    batch: usize,
    /// Where the trained head is cached.
    pub model_path: PathBuf,
    /// Whether the head came from the cache.
    pub cached: bool,
}

impl Vision {
    /// Loads the backbone and the cached head, or trains the head from
    /// `per_class` rendered photos per fill class.
    pub fn load_or_train(
        seed: u64,
        per_class: usize,
        batch: usize,
        threads: usize,
        mut progress: impl FnMut(&str),
    ) -> Result<Self> {
        let backbone = Backbone::load(&BackboneConfig::from_env(threads))?;
        let sha = backbone.sha256().to_string();
        let dir = default_cache_dir().join("scenario");
        let model_path = dir.join(format!(
            "fill-head-{}-seed{seed}-n{per_class}.json",
            &sha[..12]
        ));
        if let Ok(classifier) = Classifier::load(&model_path, Some(&sha)) {
            return Ok(Self {
                reader: FillReader {
                    backbone,
                    classifier,
                    limits: DecodeLimits::default(),
                },
                batch,
                model_path,
                cached: true,
            });
        }
        progress(&format!(
            "training the fill head on {} rendered photos",
            per_class * 6
        ));
        let classes = FillClasses::default();
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7EA1_7EA1);
        let mut scenes = Vec::new();
        let mut labels = Vec::new();
        for (c, class) in classes.classes().iter().enumerate() {
            for _ in 0..per_class {
                let fill = rng.random_range(class.min..class.max);
                scenes.push(Scene::random(FillFraction::saturating(fill), &mut rng));
                labels.push(c);
            }
        }
        let jpegs: Vec<Vec<u8>> = scenes
            .par_iter()
            .map(render_jpeg)
            .collect::<std::result::Result<_, _>>()?;
        let mut extractor = Extractor {
            backbone,
            cache: None,
            batch_size: batch,
            limits: DecodeLimits::default(),
        };
        let refs: Vec<&[u8]> = jpegs.iter().map(Vec::as_slice).collect();
        let rows: Vec<Vec<f32>> = extractor
            .run_encoded(&refs)?
            .into_iter()
            .map(|r| r.map(|o| o.features))
            .collect::<std::result::Result<_, _>>()?;
        let names: Vec<String> = DEFAULT_FILL_CLASSES.iter().map(|s| s.to_string()).collect();
        let data = TrainingData {
            classes: &names,
            midpoints: Some(DEFAULT_FILL_MIDPOINTS.to_vec()),
            train: (&rows, &labels),
            test: (&[], &[]),
        };
        let summary = TrainingSummary {
            data: format!("rendered lidcam, seed {seed}"),
            seed,
            ..TrainingSummary::default()
        };
        let classifier = Classifier::train(&data, &sha, summary)?;
        if std::fs::create_dir_all(&dir).is_ok() {
            // A failed cache write only costs the next run a retrain.
            let _ = classifier.save(&model_path);
        }
        Ok(Self {
            reader: FillReader {
                backbone: extractor.backbone,
                classifier,
                limits: DecodeLimits::default(),
            },
            batch,
            model_path,
            cached: false,
        })
    }

    /// Cross-validated accuracy of the head on its training photos.
    pub fn training_accuracy(&self) -> Option<f64> {
        self.reader.classifier.metrics.cross_validation_accuracy
    }

    /// Reads encoded images in batches. `None` for an image the reader
    /// flags (dark or covered lens) or cannot decode: no reading, as in the field.
    pub fn read(&mut self, images: &[Vec<u8>]) -> Result<Vec<Option<CameraReading>>> {
        let mut out = Vec::with_capacity(images.len());
        for chunk in images.chunks(self.batch.max(1)) {
            let refs: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
            for r in self.reader.read_batch(&refs)? {
                out.push(r.ok().and_then(|r| {
                    let unusable = r.health.iter().any(|h| {
                        matches!(
                            h,
                            HealthFlag::Dark { .. } | HealthFlag::NearlyUniform { .. }
                        )
                    });
                    (!unusable).then(|| CameraReading {
                        fill: f64::from(r.prediction.fill_fraction.unwrap_or(0.0)),
                        probabilities: r
                            .prediction
                            .probabilities
                            .iter()
                            .map(|&p| f64::from(p))
                            .collect(),
                        class: r.prediction.class,
                    })
                }));
            }
        }
        Ok(out)
    }
}

//! The real fill reader for the run: the frozen EfficientNet backbone plus a
//! linear head trained once from rendered, labelled lid-camera photos. The
//! head is cached on disk keyed by the backbone, the seed and the set size,
//! so a second run starts reading immediately. For parameter sweeps the
//! reader can instead sample each photo's reading from the real model's
//! readings of a bank of rendered photos of nearly the same true fill.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use fillroute_lidcam::{CameraFault, FillClasses, FillFraction, Scene, render_jpeg};
use fillroute_vision::backbone::{Backbone, BackboneConfig, default_cache_dir};
use fillroute_vision::classifier::{DEFAULT_FILL_MIDPOINTS, TrainingData, TrainingSummary};
use fillroute_vision::extract::Extractor;
use fillroute_vision::health::HealthFlag;
use fillroute_vision::{Classifier, DEFAULT_FILL_CLASSES, DecodeLimits, FillReader};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

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

/// How camera photos become readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReaderMode {
    /// Render every photo and read it with the real model.
    Model,
    /// For parameter sweeps: draw each photo's reading from the real model's
    /// readings of a bank of rendered photos of nearly the same true fill
    /// (the same [`BANK_STRATUM`]-wide band) or of a dark lens, measured once
    /// per run. No photo is rendered or read.
    Sampled,
}

/// Real readings of rendered photos, by true fill band, for [`ReaderMode::Sampled`].
struct ReadingBank {
    by_stratum: Vec<Vec<Option<CameraReading>>>,
    dark: Vec<Option<CameraReading>>,
    confusion: ReaderConfusion,
}

/// The reader and what it was trained on.
pub struct Vision {
    /// The real model; `None` only in a [`Vision::sampled_copy`], which never runs it.
    reader: Option<FillReader>,
    training_accuracy: Option<f64>,
    batch: usize,
    /// Where the trained head is cached.
    pub model_path: PathBuf,
    /// Whether the head came from the cache.
    pub cached: bool,
    bank: Option<Arc<ReadingBank>>,
    seed: u64,
    setup_s: f64,
}

/// Width of the true-fill bands of the sampled reader's bank. A band much
/// narrower than a fill class keeps what the model knows within a class (a
/// 0.79 and a 0.61 fill are read differently), which class rows alone lose.
pub const BANK_STRATUM: f32 = 0.05;
/// Rendered photos per band.
const BANK_PER_STRATUM: usize = 30;
/// Dark-lens photos in the bank.
const BANK_DARK: usize = 100;

fn strata() -> usize {
    (FillFraction::MAX / BANK_STRATUM).ceil() as usize
}

fn stratum_of(fill: f32) -> usize {
    ((fill.max(0.0) / BANK_STRATUM) as usize).min(strata() - 1)
}

/// What the sampled reader was measured on: how often the real model read a
/// photo of each true class (rows) as each class (columns), the same per
/// true-fill band (the rows the reader samples from), and how many of the
/// dark-lens photos it refused.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReaderConfusion {
    /// Counts, true class by read class.
    pub counts: Vec<Vec<usize>>,
    /// Rendered photos per class that were refused (dark, covered or undecodable).
    pub refused: Vec<usize>,
    /// One row per true-fill band of width [`BANK_STRATUM`].
    pub bands: Vec<BandRow>,
    /// Dark-lens photos refused, of `dark_total`.
    pub dark_refused: usize,
    /// Dark-lens photos in the bank.
    pub dark_total: usize,
}

/// The real model on the bank's photos of one true-fill band.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BandRow {
    /// True fill `[from, to)`.
    pub fill: [f32; 2],
    /// Photos read, by read class.
    pub counts: Vec<usize>,
    /// Photos refused.
    pub refused: usize,
    /// Mean probability-weighted fill the model read (`None` if it read none).
    pub mean_read_fill: Option<f64>,
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
        let started = Instant::now();
        let backbone = Backbone::load(&BackboneConfig::from_env(threads))?;
        let sha = backbone.sha256().to_string();
        let dir = default_cache_dir().join("scenario");
        let model_path = dir.join(format!(
            "fill-head-{}-seed{seed}-n{per_class}.json",
            &sha[..12]
        ));
        // A head cached before the class midpoints changed reads with the
        // old ones: retrain it.
        if let Some(classifier) = Classifier::load(&model_path, Some(&sha))
            .ok()
            .filter(|c| c.midpoints.as_deref() == Some(&DEFAULT_FILL_MIDPOINTS[..]))
        {
            return Ok(Self {
                training_accuracy: classifier.metrics.cross_validation_accuracy,
                reader: Some(FillReader {
                    backbone,
                    classifier,
                    limits: DecodeLimits::default(),
                }),
                batch,
                model_path,
                cached: true,
                bank: None,
                seed,
                setup_s: started.elapsed().as_secs_f64(),
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
            training_accuracy: classifier.metrics.cross_validation_accuracy,
            reader: Some(FillReader {
                backbone: extractor.backbone,
                classifier,
                limits: DecodeLimits::default(),
            }),
            batch,
            model_path,
            cached: false,
            bank: None,
            seed,
            setup_s: started.elapsed().as_secs_f64(),
        })
    }

    /// The mode readings come from.
    pub fn mode(&self) -> ReaderMode {
        if self.bank.is_some() {
            ReaderMode::Sampled
        } else {
            ReaderMode::Model
        }
    }

    /// Switches to [`ReaderMode::Sampled`]: renders `BANK_PER_STRATUM`
    /// photos in every [`BANK_STRATUM`]-wide band of true fill and
    /// `BANK_DARK` dark-lens photos, reads them with the real model, and
    /// returns its confusion on them.
    pub fn sample_from_bank(&mut self) -> Result<ReaderConfusion> {
        let started = Instant::now();
        let classes = FillClasses::default();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0xBA4C_0001);
        let mut scenes = Vec::new();
        for band in 0..strata() {
            let lo = band as f32 * BANK_STRATUM;
            let hi = (lo + BANK_STRATUM).min(FillFraction::MAX);
            for _ in 0..BANK_PER_STRATUM {
                let fill = rng.random_range(lo..hi);
                scenes.push(Scene::random(FillFraction::saturating(fill), &mut rng));
            }
        }
        for _ in 0..BANK_DARK {
            let fill = rng.random_range(0.0..=1.2);
            scenes.push(
                Scene::random(FillFraction::saturating(fill), &mut rng)
                    .with_fault(CameraFault::Dark),
            );
        }
        // The bank itself is read by the real model (not by an earlier bank).
        self.bank = None;
        let (readings, _, _) = self.read_scenes(&scenes)?;
        let k = classes.classes().len();
        let mut confusion = ReaderConfusion {
            counts: vec![vec![0; k]; k],
            refused: vec![0; k],
            bands: (0..strata())
                .map(|b| BandRow {
                    fill: [
                        b as f32 * BANK_STRATUM,
                        ((b + 1) as f32 * BANK_STRATUM).min(FillFraction::MAX),
                    ],
                    counts: vec![0; k],
                    refused: 0,
                    mean_read_fill: None,
                })
                .collect(),
            dark_refused: 0,
            dark_total: BANK_DARK,
        };
        let mut by_stratum = vec![Vec::new(); strata()];
        let mut dark = Vec::new();
        for (scene, r) in scenes.iter().zip(readings) {
            if scene.fault != CameraFault::None {
                confusion.dark_refused += usize::from(r.is_none());
                dark.push(r);
                continue;
            }
            let (c, b) = (
                classes.class_for_fill(scene.fill.get()),
                stratum_of(scene.fill.get()),
            );
            match &r {
                Some(x) => {
                    confusion.counts[c][x.class.min(k - 1)] += 1;
                    confusion.bands[b].counts[x.class.min(k - 1)] += 1;
                }
                None => {
                    confusion.refused[c] += 1;
                    confusion.bands[b].refused += 1;
                }
            }
            by_stratum[b].push(r);
        }
        for (row, pool) in confusion.bands.iter_mut().zip(&by_stratum) {
            let read: Vec<f64> = pool.iter().flatten().map(|r| r.fill).collect();
            row.mean_read_fill =
                (!read.is_empty()).then(|| read.iter().sum::<f64>() / read.len() as f64);
        }
        self.bank = Some(Arc::new(ReadingBank {
            by_stratum,
            dark,
            confusion: confusion.clone(),
        }));
        self.setup_s += started.elapsed().as_secs_f64();
        Ok(confusion)
    }

    /// Another sampled reader over the same bank, for a run in parallel with
    /// this one: no model is loaded, so it is cheap. `None` in model mode.
    pub fn sampled_copy(&self) -> Option<Vision> {
        let bank = self.bank.clone()?;
        Some(Vision {
            reader: None,
            training_accuracy: self.training_accuracy,
            batch: self.batch,
            model_path: self.model_path.clone(),
            cached: self.cached,
            bank: Some(bank),
            seed: self.seed,
            setup_s: 0.0,
        })
    }

    /// Wall-clock seconds spent loading the model, training its head and
    /// measuring the sampled reader's bank.
    pub fn setup_seconds(&self) -> f64 {
        self.setup_s
    }

    /// The sampled reader's measured confusion (`None` in model mode).
    pub fn confusion(&self) -> Option<&ReaderConfusion> {
        self.bank.as_ref().map(|b| &b.confusion)
    }

    /// Reads the camera scenes: renders and reads them with the real model,
    /// or, in sampled mode, draws each one's reading from the bank by its
    /// true class (deterministically from the scene's seed). Returns the
    /// readings and the seconds spent rendering and reading.
    pub fn read_scenes(
        &mut self,
        scenes: &[Scene],
    ) -> Result<(Vec<Option<CameraReading>>, f64, f64)> {
        if let Some(bank) = &self.bank {
            let out = scenes
                .iter()
                .map(|sc| {
                    let pool = if sc.fault == CameraFault::None {
                        &bank.by_stratum[stratum_of(sc.fill.get())]
                    } else {
                        &bank.dark
                    };
                    let mut rng = ChaCha8Rng::seed_from_u64(sc.seed ^ 0x5A3B_1E00);
                    pool[rng.random_range(0..pool.len())].clone()
                })
                .collect();
            return Ok((out, 0.0, 0.0));
        }
        let t = std::time::Instant::now();
        let jpegs: Vec<Vec<u8>> = scenes
            .par_iter()
            .map(render_jpeg)
            .collect::<std::result::Result<_, _>>()?;
        let render = t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let readings = self.read(&jpegs)?;
        Ok((readings, render, t.elapsed().as_secs_f64()))
    }

    /// Cross-validated accuracy of the head on its training photos.
    pub fn training_accuracy(&self) -> Option<f64> {
        self.training_accuracy
    }

    /// Reads encoded images in batches. `None` for an image the reader
    /// flags (dark or covered lens) or cannot decode: no reading, as in the field.
    pub fn read(&mut self, images: &[Vec<u8>]) -> Result<Vec<Option<CameraReading>>> {
        let Some(reader) = self.reader.as_mut() else {
            return Err(crate::error::invalid(
                "reader",
                "a sampled copy",
                "read photos with the Vision it was copied from (a copy has no model)",
            ));
        };
        let mut out = Vec::with_capacity(images.len());
        for chunk in images.chunks(self.batch.max(1)) {
            let refs: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
            for r in reader.read_batch(&refs)? {
                out.push(r.ok().and_then(|r| {
                    let unusable = r.health.iter().any(HealthFlag::is_blind);
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

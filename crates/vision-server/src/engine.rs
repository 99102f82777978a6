//! Start-up: loads the backbone and the classifier, refuses a classifier that
//! was trained on another backbone's features (its weights would read noise),
//! and embeds the similarity folder once so `FindSimilar` is a pure lookup.

use crate::config::ServerConfig;
use crate::error::ServerError;
use fillroute_vision::similar::SimilarityIndex;
use fillroute_vision::{Backbone, Classifier, FEATURE_DIM, FillReader, VisionError};
use std::path::{Path, PathBuf};

/// What the service reports about its models (`GetModelInfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSummary {
    /// The classifier artifact's version.
    pub version: String,
    /// Backbone name, from its file name (e.g. `efficientnet-lite0`).
    pub backbone_name: String,
    /// sha256 of the backbone ONNX file.
    pub backbone_sha256: String,
    /// Class names in probability order.
    pub classes: Vec<String>,
    /// Length of the feature vector.
    pub feature_dim: usize,
    /// Largest inference batch.
    pub max_batch: usize,
    /// Images in the similarity index.
    pub indexed_images: usize,
}

/// The loaded models, ready to hand to the batcher.
pub struct Loaded {
    /// Backbone plus classifier plus decode limits, one per inference worker.
    pub readers: Vec<FillReader>,
    /// Identity of what was loaded.
    pub summary: ModelSummary,
    /// Features of the indexed images.
    pub index: SimilarityIndex,
}

/// Loads everything `config` names. Blocking: call it off the async runtime.
pub fn load(config: &ServerConfig) -> Result<Loaded, ServerError> {
    let backbone = Backbone::load(&config.backbone).map_err(ServerError::Backbone)?;
    let sha = backbone.sha256().to_string();
    let classifier = load_classifier(&config.classifier_path, &sha)?;
    let backbone_name = backbone.path().file_stem().map_or_else(
        || "backbone".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let mut reader = FillReader {
        backbone,
        classifier,
        limits: config.decode_limits,
    };
    let index = match &config.similarity_index {
        Some(dir) => build_index(&mut reader, dir, config.max_batch)?,
        None => SimilarityIndex::default(),
    };
    let mut readers = vec![reader];
    for _ in 1..config.inference_workers {
        let backbone = Backbone::load(&config.backbone).map_err(ServerError::Backbone)?;
        let first = &readers[0];
        readers.push(FillReader {
            backbone,
            classifier: first.classifier.clone(),
            limits: first.limits,
        });
    }
    let summary = ModelSummary {
        version: readers[0].classifier.version.clone(),
        backbone_name,
        backbone_sha256: sha,
        classes: readers[0].classifier.classes.clone(),
        feature_dim: FEATURE_DIM,
        max_batch: config.max_batch,
        indexed_images: index.len(),
    };
    tracing::info!(
        classifier = %summary.version,
        backbone = %summary.backbone_sha256,
        indexed = summary.indexed_images,
        "models loaded"
    );
    Ok(Loaded {
        readers,
        summary,
        index,
    })
}

/// Loads the artifact checked against the running backbone's sha256; a
/// mismatch becomes the typed [`ServerError::BackboneMismatch`].
pub fn load_classifier(path: &Path, backbone_sha256: &str) -> Result<Classifier, ServerError> {
    let classifier = Classifier::load(path, Some(backbone_sha256)).map_err(|e| {
        // Re-read without the check only to tell a mismatch from a broken file.
        match Classifier::load(path, None) {
            Ok(other) if other.backbone_sha256 != backbone_sha256 => {
                ServerError::BackboneMismatch {
                    path: path.to_path_buf(),
                    artifact_sha256: other.backbone_sha256,
                    backbone_sha256: backbone_sha256.to_string(),
                }
            }
            _ => ServerError::Classifier(e),
        }
    })?;
    if classifier.feature_dim() != FEATURE_DIM {
        return Err(ServerError::Classifier(VisionError::Artifact {
            path: path.to_path_buf(),
            reason: format!(
                "expects {} features but the backbone gives {FEATURE_DIM}",
                classifier.feature_dim()
            ),
        }));
    }
    Ok(classifier)
}

const IMAGE_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "webp"];

/// Image files under `dir`, recursively, in a stable order.
fn image_files(dir: &Path) -> Result<Vec<PathBuf>, VisionError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|source| VisionError::Io {
            path: folder.clone(),
            source,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|source| VisionError::Io {
                    path: folder.clone(),
                    source,
                })?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Embeds every image under `dir`; ids are paths relative to `dir`. An
/// unreadable image is skipped with a warning rather than failing start-up.
fn build_index(
    reader: &mut FillReader,
    dir: &Path,
    batch: usize,
) -> Result<SimilarityIndex, ServerError> {
    let files = image_files(dir).map_err(ServerError::SimilarityIndex)?;
    let mut index = SimilarityIndex::default();
    for chunk in files.chunks(batch.max(1)) {
        let bytes = chunk
            .iter()
            .map(|path| {
                std::fs::read(path).map_err(|source| VisionError::Io {
                    path: path.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(ServerError::SimilarityIndex)?;
        let refs: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
        let readings = reader
            .read_batch(&refs)
            .map_err(ServerError::SimilarityIndex)?;
        for (path, reading) in chunk.iter().zip(readings) {
            let id = path
                .strip_prefix(dir)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned();
            match reading {
                Ok(reading) => index.add(id, reading.features),
                Err(e) => tracing::warn!(image = %path.display(), error = %e, "not indexed"),
            }
        }
    }
    Ok(index)
}

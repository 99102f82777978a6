//! Batched deep-feature extraction: decode and preprocess in parallel, run the
//! backbone on whole batches, and remember results in the feature cache.

use crate::backbone::{Backbone, BackboneOutput, FEATURE_DIM};
use crate::cache::FeatureCache;
use crate::decode::{DecodeLimits, decode};
use crate::error::{Result, VisionError};
use crate::preprocess::{INPUT_SIDE, input_len, preprocess_into};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// sha256 of encoded image bytes, hex: the image's identity in caches and stores.
pub fn image_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Decodes and preprocesses encoded images in parallel into one batch tensor
/// for a 224×224 (Lite0) backbone; see [`prepare_batch_for`] for other sides.
/// Images that fail to decode are reported per index and left out.
pub fn prepare_batch(images: &[&[u8]], limits: &DecodeLimits) -> (Vec<f32>, Vec<Result<usize>>) {
    prepare_batch_for(images, limits, INPUT_SIDE)
}

/// [`prepare_batch`] for a `side`×`side` backbone ([`Backbone::input_side`]).
pub fn prepare_batch_for(
    images: &[&[u8]],
    limits: &DecodeLimits,
    side: u32,
) -> (Vec<f32>, Vec<Result<usize>>) {
    let len = input_len(side);
    let decoded: Vec<Result<Vec<f32>>> = images
        .par_iter()
        .map(|bytes| {
            let img = decode(bytes, limits)?;
            let mut t = vec![0f32; len];
            preprocess_into(&img, side, &mut t);
            Ok(t)
        })
        .collect();
    let mut tensor = Vec::with_capacity(images.len() * len);
    let mut slots = Vec::with_capacity(images.len());
    let mut row = 0;
    for d in decoded {
        slots.push(d.map(|t| {
            tensor.extend_from_slice(&t);
            row += 1;
            row - 1
        }));
    }
    (tensor, slots)
}

/// Extracts features for files, using and filling the cache.
pub struct Extractor {
    /// The backbone.
    pub backbone: Backbone,
    /// Optional feature cache.
    pub cache: Option<FeatureCache>,
    /// Images per backbone call.
    pub batch_size: usize,
    /// Decoding limits.
    pub limits: DecodeLimits,
}

impl Extractor {
    /// Runs encoded images through the backbone, batch by batch.
    pub fn run_encoded(&mut self, images: &[&[u8]]) -> Result<Vec<Result<BackboneOutput>>> {
        let mut out = Vec::with_capacity(images.len());
        for chunk in images.chunks(self.batch_size.max(1)) {
            let (tensor, slots) =
                prepare_batch_for(chunk, &self.limits, self.backbone.input_side());
            let batch = if tensor.is_empty() {
                None
            } else {
                Some(self.backbone.run(&tensor)?)
            };
            for slot in slots {
                out.push(slot.map(|row| {
                    let b = batch.as_ref().expect("a decoded row implies a batch");
                    BackboneOutput {
                        features: b.features[row * FEATURE_DIM..(row + 1) * FEATURE_DIM].to_vec(),
                        logits: b.logits[row * 1000..(row + 1) * 1000].to_vec(),
                    }
                }));
            }
        }
        Ok(out)
    }

    /// Features of each file (cache first), calling `progress(done)` as it goes.
    pub fn features_of_files(
        &mut self,
        files: &[PathBuf],
        mut progress: impl FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        let mut result: Vec<Option<Vec<f32>>> = vec![None; files.len()];
        let mut todo: Vec<(usize, Vec<u8>, String)> = Vec::new();
        for (i, path) in files.iter().enumerate() {
            let bytes = std::fs::read(path).map_err(|e| VisionError::io(path, e))?;
            let sha = image_sha256(&bytes);
            match self
                .cache
                .as_ref()
                .and_then(|c| c.get(&sha))
                .filter(|f| f.len() == FEATURE_DIM)
            {
                Some(f) => result[i] = Some(f),
                None => todo.push((i, bytes, sha)),
            }
        }
        let mut done = files.len() - todo.len();
        progress(done);
        for chunk in todo.chunks(self.batch_size.max(1) * 4) {
            let refs: Vec<&[u8]> = chunk.iter().map(|(_, b, _)| b.as_slice()).collect();
            let outs = self.run_encoded(&refs)?;
            for ((i, _, sha), out) in chunk.iter().zip(outs) {
                let out = out.map_err(|e| VisionError::Dataset {
                    path: files[*i].clone(),
                    reason: e.to_string(),
                })?;
                if let Some(cache) = &self.cache {
                    cache.put(sha, &out.features)?;
                }
                result[*i] = Some(out.features);
            }
            done += chunk.len();
            progress(done);
        }
        Ok(result.into_iter().map(|f| f.unwrap_or_default()).collect())
    }
}

//! The fill reader used by the service and by scenario replay: encoded images
//! in, fill readings out, in batches, with per-stage timings and camera-health
//! flags. Bad images fail alone; the rest of the batch is still read.

use crate::backbone::{Backbone, FEATURE_DIM};
use crate::classifier::{Classifier, Prediction};
use crate::decode::{DecodeLimits, decode};
use crate::error::{Result, VisionError};
use crate::health::{HealthFlag, pixel_flags};
use crate::preprocess::preprocess_into;
use rayon::prelude::*;
use std::time::Instant;

/// One image's reading.
#[derive(Debug, Clone)]
pub struct Reading {
    /// Classifier output.
    pub prediction: Prediction,
    /// The deep features, for similarity and drift checks.
    pub features: Vec<f32>,
    /// Pixel-level health flags.
    pub health: Vec<HealthFlag>,
    /// Decode + preprocess time of this image.
    pub decode_us: u32,
    /// Backbone time of the whole batch.
    pub inference_us: u32,
    /// Images in the batch this one ran in.
    pub batch_size: u32,
}

/// Backbone plus classifier.
pub struct FillReader {
    /// The frozen CNN.
    pub backbone: Backbone,
    /// The trained linear head.
    pub classifier: Classifier,
    /// Decoding limits.
    pub limits: DecodeLimits,
}

impl FillReader {
    /// Reads a batch of encoded images; one result per input, in order.
    pub fn read_batch(&mut self, images: &[&[u8]]) -> Result<Vec<Result<Reading>>> {
        type Prepared = Result<(Vec<f32>, Vec<HealthFlag>, u32)>;
        let (side, len) = (self.backbone.input_side(), self.backbone.input_len());
        let prepared: Vec<Prepared> = images
            .par_iter()
            .map(|bytes| {
                let started = Instant::now();
                let img = decode(bytes, &self.limits)?;
                let health = pixel_flags(&img);
                let mut t = vec![0f32; len];
                preprocess_into(&img, side, &mut t);
                Ok((
                    t,
                    health,
                    started.elapsed().as_micros().min(u32::MAX as u128) as u32,
                ))
            })
            .collect();
        let mut tensor = Vec::with_capacity(images.len() * len);
        for (t, _, _) in prepared.iter().flatten() {
            tensor.extend_from_slice(t);
        }
        let n = tensor.len() / len;
        let started = Instant::now();
        let out = if n > 0 {
            Some(self.backbone.run(&tensor)?)
        } else {
            None
        };
        let inference_us = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
        let mut row = 0;
        Ok(prepared
            .into_iter()
            .map(|p| {
                let (_, health, decode_us) = p?;
                let out = out.as_ref().ok_or_else(|| {
                    VisionError::Inference("decoded image missing from batch".into())
                })?;
                let features = out.features[row * FEATURE_DIM..(row + 1) * FEATURE_DIM].to_vec();
                row += 1;
                Ok(Reading {
                    prediction: self.classifier.predict(&features),
                    features,
                    health,
                    decode_us,
                    inference_us,
                    batch_size: n as u32,
                })
            })
            .collect())
    }
}

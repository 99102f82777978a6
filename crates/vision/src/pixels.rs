//! The raw-pixel baseline that deep features must beat: the same central
//! crop, downscaled to a small RGB thumbnail and flattened. A linear model
//! on these sees colours and layout but none of the learned shapes.

use crate::decode::{DecodeLimits, decode};
use crate::error::{Result, VisionError};
use crate::preprocess::crop_resize;
use rayon::prelude::*;
use std::path::PathBuf;

/// Thumbnail side for the baseline (24 × 24 × 3 = 1728 values).
pub const THUMB_SIDE: u32 = 24;

/// Raw-pixel features of image files, in [0, 1].
pub fn pixel_features_of_files(files: &[PathBuf], limits: &DecodeLimits) -> Result<Vec<Vec<f32>>> {
    files
        .par_iter()
        .map(|path| {
            let bytes = std::fs::read(path).map_err(|e| VisionError::io(path, e))?;
            let img = decode(&bytes, limits).map_err(|e| VisionError::Dataset {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            Ok(crop_resize(&img, THUMB_SIDE)
                .into_iter()
                .map(|v| f32::from(v) / 255.0)
                .collect())
        })
        .collect()
}

//! Camera health from the same pixels and features: a nearly uniform frame
//! (blocked or dark lens) and a frame whose deep features are far from that
//! camera's recent frames (moved camera, something stuck on the lens).

use crate::similar::l2_normalise;
use image::RgbImage;
use std::collections::VecDeque;

/// Why a frame looks wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum HealthFlag {
    /// Almost no contrast: a covered lens or no light.
    NearlyUniform {
        /// Luminance standard deviation, 0–255.
        luma_std: f32,
    },
    /// Very dark frame.
    Dark {
        /// Mean luminance, 0–255.
        luma_mean: f32,
    },
    /// Features far from this camera's recent frames.
    Drift {
        /// Cosine distance to the recent mean, 0–2.
        distance: f32,
    },
}

impl HealthFlag {
    /// Whether this flag makes the frame blind: a covered lens or no light.
    /// Such a frame shows no fill at all (its class is the model's guess at
    /// a black picture), so it becomes no reading, in the ingest pipeline
    /// and in the replay alike.
    pub fn is_blind(&self) -> bool {
        matches!(self, Self::NearlyUniform { .. } | Self::Dark { .. })
    }

    /// Stable machine name, used in APIs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::NearlyUniform { .. } => "nearly_uniform",
            Self::Dark { .. } => "dark",
            Self::Drift { .. } => "drift",
        }
    }
}

/// Pixel-level checks: uniform or dark frames.
pub fn pixel_flags(img: &RgbImage) -> Vec<HealthFlag> {
    let n = f64::from(img.width()) * f64::from(img.height());
    if n == 0.0 {
        return vec![HealthFlag::NearlyUniform { luma_std: 0.0 }];
    }
    let (mut sum, mut sum2) = (0f64, 0f64);
    for p in img.pixels() {
        let y = 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
        sum += y;
        sum2 += y * y;
    }
    let mean = sum / n;
    let std = (sum2 / n - mean * mean).max(0.0).sqrt();
    let mut flags = Vec::new();
    if std < 8.0 {
        flags.push(HealthFlag::NearlyUniform {
            luma_std: std as f32,
        });
    }
    if mean < 20.0 {
        flags.push(HealthFlag::Dark {
            luma_mean: mean as f32,
        });
    }
    flags
}

/// Rolling memory of one camera's recent feature vectors.
#[derive(Debug, Clone)]
pub struct CameraBaseline {
    recent: VecDeque<Vec<f32>>,
    capacity: usize,
    threshold: f32,
}

impl CameraBaseline {
    /// Remembers `capacity` frames; flags a cosine distance above `threshold`.
    pub fn new(capacity: usize, threshold: f32) -> Self {
        Self {
            recent: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
            threshold,
        }
    }

    /// Checks a frame against the baseline, then adds it if it looked normal
    /// (so a blocked lens does not become the new normal).
    pub fn observe(&mut self, features: &[f32]) -> Option<HealthFlag> {
        let mut f = features.to_vec();
        l2_normalise(&mut f);
        let flag = (self.recent.len() >= 3).then(|| {
            let mut mean = vec![0f32; f.len()];
            for r in &self.recent {
                mean.iter_mut().zip(r).for_each(|(m, v)| *m += v);
            }
            l2_normalise(&mut mean);
            1.0 - mean.iter().zip(&f).map(|(a, b)| a * b).sum::<f32>()
        });
        match flag {
            Some(distance) if distance > self.threshold => Some(HealthFlag::Drift { distance }),
            _ => {
                if self.recent.len() == self.capacity {
                    self.recent.pop_front();
                }
                self.recent.push_back(f);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_a_uniform_dark_frame() {
        let img = RgbImage::from_pixel(32, 32, image::Rgb([5, 5, 5]));
        let names: Vec<&str> = pixel_flags(&img).iter().map(HealthFlag::name).collect();
        assert_eq!(names, ["nearly_uniform", "dark"]);
    }

    #[test]
    fn flags_a_frame_far_from_the_cameras_recent_frames() {
        let mut baseline = CameraBaseline::new(8, 0.3);
        for i in 0..5 {
            assert_eq!(baseline.observe(&[1.0, 0.1 * i as f32, 0.0]), None);
        }
        assert!(matches!(
            baseline.observe(&[0.0, 0.0, 1.0]),
            Some(HealthFlag::Drift { .. })
        ));
        assert_eq!(baseline.observe(&[1.0, 0.2, 0.0]), None);
    }
}

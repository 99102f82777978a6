//! On-disk feature cache keyed by (backbone sha256, image sha256), so that
//! retraining, learning curves and similarity search never re-run the CNN on
//! an image they have seen. One small file per image: safe to share between
//! processes, and a crash mid-write leaves only a temp file behind.

use crate::error::{Result, VisionError};
use std::path::{Path, PathBuf};

/// A feature cache for one backbone.
#[derive(Debug, Clone)]
pub struct FeatureCache {
    dir: PathBuf,
}

impl FeatureCache {
    /// Opens (creating) `root/<backbone sha prefix>/`.
    pub fn open(root: &Path, backbone_sha256: &str) -> Result<Self> {
        let dir = root.join(&backbone_sha256[..backbone_sha256.len().min(16)]);
        std::fs::create_dir_all(&dir).map_err(|e| VisionError::io(&dir, e))?;
        Ok(Self { dir })
    }

    fn path(&self, image_sha256: &str) -> PathBuf {
        self.dir.join(format!("{image_sha256}.f32"))
    }

    /// Cached features of an image, if present and well-formed.
    pub fn get(&self, image_sha256: &str) -> Option<Vec<f32>> {
        let bytes = std::fs::read(self.path(image_sha256)).ok()?;
        if bytes.is_empty() || bytes.len() % 4 != 0 {
            return None;
        }
        Some(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }

    /// Stores features atomically (write to a temp file, then rename).
    pub fn put(&self, image_sha256: &str, features: &[f32]) -> Result<()> {
        let path = self.path(image_sha256);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let bytes: Vec<u8> = features.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&tmp, bytes).map_err(|e| VisionError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| VisionError::io(&path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_and_returns_features_per_backbone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = FeatureCache::open(dir.path(), "aaaa").expect("opens");
        let b = FeatureCache::open(dir.path(), "bbbb").expect("opens");
        a.put("img", &[1.0, -2.5]).expect("puts");
        assert_eq!(a.get("img"), Some(vec![1.0, -2.5]));
        assert_eq!(b.get("img"), None);
    }
}

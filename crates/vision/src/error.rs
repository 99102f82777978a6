//! The vision layer's typed errors. Each names the problem and, where the
//! caller can act, the fix; the gRPC adapter maps them to status codes once.

use std::path::PathBuf;

/// Everything that can go wrong while reading images or running models.
#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    /// The image payload has no bytes.
    #[error("image is empty: send the encoded JPEG, PNG or WebP bytes")]
    EmptyImage,
    /// The payload is larger than the configured byte limit.
    #[error("image is {bytes} bytes, above the {limit}-byte limit: downscale or recompress it")]
    TooManyBytes {
        /// Size of the payload.
        bytes: usize,
        /// Configured limit.
        limit: usize,
    },
    /// The header declares more pixels than allowed (a decompression bomb guard).
    #[error(
        "image declares {width}x{height} pixels, above the {limit}-pixel limit: downscale it before upload"
    )]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// Configured limit in pixels.
        limit: u64,
    },
    /// Not a format we decode.
    #[error("unsupported image format ({0}): send JPEG, PNG or WebP")]
    UnsupportedFormat(String),
    /// The bytes claim a supported format but do not decode.
    #[error("corrupt or truncated image: {0}")]
    CorruptImage(String),
    /// The ONNX Runtime library could not be loaded.
    #[error(
        "cannot load ONNX Runtime from {path}: {reason}. Run scripts/setup.sh, then set ORT_DYLIB_PATH (source ~/.cache/fillroute/env.sh)"
    )]
    RuntimeMissing {
        /// Where we looked.
        path: PathBuf,
        /// What the loader said.
        reason: String,
    },
    /// The backbone model file is missing or invalid.
    #[error("cannot load backbone model {path}: {reason}. Run scripts/setup.sh to export it")]
    ModelMissing {
        /// Where we looked.
        path: PathBuf,
        /// Why it failed.
        reason: String,
    },
    /// ONNX Runtime failed while running the model.
    #[error("inference failed: {0}")]
    Inference(String),
    /// A classifier artifact does not match the running backbone or is malformed.
    #[error("classifier {path}: {reason}")]
    Artifact {
        /// The artifact file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A training or evaluation data set is unusable.
    #[error("dataset {path}: {reason}")]
    Dataset {
        /// The data folder.
        path: PathBuf,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// Training could not fit a model.
    #[error("training failed: {0}")]
    Training(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl VisionError {
    /// True when the caller sent a bad image (maps to INVALID_ARGUMENT).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::EmptyImage
                | Self::TooManyBytes { .. }
                | Self::TooManyPixels { .. }
                | Self::UnsupportedFormat(_)
                | Self::CorruptImage(_)
        )
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias for the vision layer.
pub type Result<T, E = VisionError> = std::result::Result<T, E>;

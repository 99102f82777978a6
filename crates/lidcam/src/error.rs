//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong while describing or writing synthetic images.
///
/// Validation variants name the offending value and how to fix it, so a CLI
/// can print them as they are.
#[derive(Debug, thiserror::Error)]
pub enum LidcamError {
    /// A fill fraction outside what a lid camera can see.
    #[error(
        "fill fraction {value} is out of range: use a finite value in 0.0..=1.3 (1.0 = full to the rim)"
    )]
    InvalidFill {
        /// The rejected value.
        value: f32,
    },
    /// A class table that does not tile the fill range.
    #[error("invalid fill classes: {reason}")]
    InvalidClasses {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// Creating a folder or writing an image failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The JPEG encoder refused an image.
    #[error("JPEG encoding failed: {0}")]
    Encode(#[from] image::ImageError),
}

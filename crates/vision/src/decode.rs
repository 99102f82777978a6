//! Safe decoding of untrusted camera uploads: byte and pixel limits are
//! checked from the header before any pixel is decoded, and EXIF orientation
//! is applied so the classifier sees the scene upright.

use crate::error::{Result, VisionError};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};
use std::io::Cursor;

/// Limits applied to every decoded image.
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    /// Maximum encoded size in bytes.
    pub max_bytes: usize,
    /// Maximum width × height declared by the header.
    pub max_pixels: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        // 16 MiB and 40 MP cover any camera we ship; a bomb declaring more is refused.
        Self {
            max_bytes: 16 << 20,
            max_pixels: 40_000_000,
        }
    }
}

/// Decodes JPEG, PNG or WebP bytes to upright RGB, within `limits`.
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<RgbImage> {
    if bytes.is_empty() {
        return Err(VisionError::EmptyImage);
    }
    if bytes.len() > limits.max_bytes {
        return Err(VisionError::TooManyBytes {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| VisionError::CorruptImage(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        Some(other) => return Err(VisionError::UnsupportedFormat(format!("{other:?}"))),
        None => return Err(VisionError::UnsupportedFormat("unrecognised bytes".into())),
    }
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| VisionError::CorruptImage(format!("bad header: {e}")))?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(VisionError::CorruptImage(format!(
            "header declares {width}x{height} pixels"
        )));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(VisionError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder)
        .map_err(|e| VisionError::CorruptImage(e.to_string()))?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    Ok(image.into_rgb8())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_pixel(width, height, image::Rgb([10, 20, 30]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("encode png");
        out
    }

    #[test]
    fn decodes_a_valid_png() {
        let img = decode(&png(40, 30), &DecodeLimits::default()).expect("decodes");
        assert_eq!(img.dimensions(), (40, 30));
    }

    #[test]
    fn refuses_empty_bytes() {
        assert!(matches!(
            decode(&[], &DecodeLimits::default()),
            Err(VisionError::EmptyImage)
        ));
    }

    #[test]
    fn refuses_truncated_png() {
        let bytes = png(64, 64);
        let err = decode(&bytes[..bytes.len() / 2], &DecodeLimits::default()).unwrap_err();
        assert!(matches!(err, VisionError::CorruptImage(_)), "{err}");
    }

    #[test]
    fn refuses_unknown_format() {
        let err = decode(b"hello, this is not an image", &DecodeLimits::default()).unwrap_err();
        assert!(matches!(err, VisionError::UnsupportedFormat(_)), "{err}");
    }

    #[test]
    fn refuses_pixel_bomb_from_header_alone() {
        let limits = DecodeLimits {
            max_pixels: 1000,
            ..DecodeLimits::default()
        };
        let err = decode(&png(100, 100), &limits).unwrap_err();
        assert!(
            matches!(
                err,
                VisionError::TooManyPixels {
                    width: 100,
                    height: 100,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn refuses_oversized_payload() {
        let limits = DecodeLimits {
            max_bytes: 10,
            ..DecodeLimits::default()
        };
        assert!(matches!(
            decode(&png(8, 8), &limits),
            Err(VisionError::TooManyBytes { .. })
        ));
    }
}

//! What an upload must be to be accepted: a JPEG, PNG or WebP that decodes
//! in full within the pixel limit. It is decoded here, before anything is
//! written, because an image that only fails in the vision worker reaches
//! nobody who can fix it: the device has long been told "stored". The
//! decoders are the ones the vision service uses (`image`), so what passes
//! here decodes there.
//!
//! Decoding runs on a few threads of its own, never on the async runtime
//! and never on tokio's blocking pool: the pixel buffers are the largest
//! allocations ingest makes, and on a fixed set of threads the memory the
//! allocator keeps for them is bounded by threads × largest image, however
//! many devices upload.

use crate::error::IngestError;
use bytes::Bytes;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use std::io::Cursor;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The fix every refusal ends with.
const FIX: &str = "send the whole file the camera wrote, as JPEG, PNG or WebP";

type Job = (Bytes, oneshot::Sender<Result<(), IngestError>>);

/// The decoding threads; dropping this stops them.
#[derive(Debug)]
pub struct PhotoCheck {
    jobs: mpsc::Sender<Job>,
}

impl PhotoCheck {
    /// Starts `threads` decoding threads refusing images larger than
    /// `max_pixels` (width × height).
    pub fn new(threads: usize, max_pixels: u64) -> Result<Self, IngestError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("ingest-decode-{i}"))
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok((bytes, answer)) = job else { return };
                        let _ = answer.send(decodes(&bytes, max_pixels));
                    }
                })
                .map_err(|e| IngestError::Internal(format!("decode thread: {e}")))?;
        }
        Ok(Self { jobs })
    }

    /// `Ok` when `bytes` decode in full; otherwise an `image` field error
    /// saying why and what to send instead.
    pub async fn check(&self, bytes: Bytes) -> Result<(), IngestError> {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send((bytes, answer))
            .map_err(|_| IngestError::Internal("decode threads stopped".into()))?;
        answered
            .await
            .map_err(|_| IngestError::Internal("decode thread stopped".into()))?
    }
}

/// Decodes `bytes` and drops the pixels; the header's size is checked first.
pub fn decodes(bytes: &[u8], max_pixels: u64) -> Result<(), IngestError> {
    let undecodable = |what: String, why: String| {
        IngestError::invalid(
            "image",
            what,
            format!("it cannot be decoded ({why}); {FIX}"),
        )
    };
    let size = bytes.len();
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| undecodable(format!("{size} bytes"), e.to_string()))?;
    let format = match reader.format() {
        Some(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => f,
        other => {
            let seen = other.map_or_else(|| "unrecognised bytes".into(), |f| format!("{f:?}"));
            return Err(IngestError::invalid(
                "image",
                format!("{size} bytes of {seen}"),
                FIX,
            ));
        }
    };
    let what = format!("{size}-byte {format:?}");
    let decoder = reader
        .into_decoder()
        .map_err(|e| undecodable(what.clone(), format!("bad header: {e}")))?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(undecodable(
            what,
            format!("the header declares {width}x{height} pixels"),
        ));
    }
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(IngestError::invalid(
            "image",
            format!("{what} of {width}x{height} pixels"),
            format!("use at most {max_pixels} pixels: resize on the camera"),
        ));
    }
    // The JPEG decoder fills a cut-short scan with grey rather than fail, and
    // a reading of half a photo is wrong: the file must end with its
    // end-of-image marker (trailing zero padding aside).
    if format == ImageFormat::Jpeg {
        let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        if !bytes[..end].ends_with(&[0xFF, 0xD9]) {
            return Err(undecodable(
                what,
                "the JPEG has no end-of-image marker (FF D9): the file is cut short".into(),
            ));
        }
    }
    DynamicImage::from_decoder(decoder).map_err(|e| undecodable(what, e.to_string()))?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn encoded(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| Rgb([x as u8, y as u8, 90]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    #[test]
    fn whole_jpeg_png_and_webp_pass() {
        for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP] {
            let bytes = encoded(format, 64, 48);
            assert!(decodes(&bytes, 1 << 20).is_ok(), "{format:?}");
        }
        let mut padded = encoded(ImageFormat::Jpeg, 64, 48);
        padded.extend([0; 16]);
        assert!(
            decodes(&padded, 1 << 20).is_ok(),
            "zero padding after the JPEG"
        );
    }

    #[test]
    fn truncated_or_garbled_images_are_refused_naming_the_field_and_the_fix() {
        let jpeg = encoded(ImageFormat::Jpeg, 64, 48);
        let png = encoded(ImageFormat::Png, 64, 48);
        let mut garbled = jpeg[..20].to_vec();
        garbled.extend(std::iter::repeat_n(0x5a, 500));
        for bytes in [
            &jpeg[..jpeg.len() - 40],
            &png[..png.len() / 2],
            &garbled[..],
        ] {
            let e = decodes(bytes, 1 << 20).unwrap_err().to_string();
            assert!(
                e.contains("`image`") && e.contains("cannot be decoded") && e.contains(FIX),
                "{e}"
            );
        }
    }

    #[test]
    fn an_image_over_the_pixel_limit_is_refused_before_decoding() {
        let e = decodes(&encoded(ImageFormat::Png, 64, 48), 1000)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("64x48") && e.contains("at most 1000 pixels"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn the_check_answers_from_its_threads() {
        let check = PhotoCheck::new(2, 1 << 20).unwrap();
        let good = Bytes::from(encoded(ImageFormat::Jpeg, 32, 32));
        assert!(check.check(good.clone()).await.is_ok());
        assert!(check.check(good.slice(..good.len() / 2)).await.is_err());
    }
}

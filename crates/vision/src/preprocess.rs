//! Turns an RGB image into the backbone's input tensor exactly as the
//! network was evaluated: central crop of `side / (side + 32)` of the short
//! side (87.5 % for Lite0's 224), bicubic (Catmull-Rom) resize to side×side,
//! `(x − 127) / 128`, NCHW float32.

use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer, images::Image};
use image::RgbImage;

/// Side of the square network input of EfficientNet-Lite0 (Lite1: 240, Lite2: 260).
pub const INPUT_SIDE: u32 = 224;
/// Floats per preprocessed Lite0 image (3 × 224 × 224).
pub const INPUT_LEN: usize = input_len(INPUT_SIDE);
/// Fraction of the short side kept by Lite0's central crop.
pub const CROP_FRACTION: f64 = 0.875;

/// Floats per preprocessed image of a `side`×`side` network.
pub const fn input_len(side: u32) -> usize {
    3 * (side as usize) * (side as usize)
}

/// Central-crop fraction of the EfficientNet evaluation pipeline: `side / (side + 32)`.
pub fn crop_fraction(side: u32) -> f64 {
    f64::from(side) / f64::from(side + 32)
}

/// Crops, resizes and normalises `img` into `out` (length [`input_len`]`(side)`, CHW).
pub fn preprocess_into(img: &RgbImage, side: u32, out: &mut [f32]) {
    debug_assert_eq!(out.len(), input_len(side));
    let resized = crop_resize_fraction(img, side, crop_fraction(side));
    let plane = (side * side) as usize;
    for (i, px) in resized.chunks_exact(3).enumerate() {
        for c in 0..3 {
            out[c * plane + i] = (f32::from(px[c]) - 127.0) / 128.0;
        }
    }
}

/// Convenience: a freshly allocated Lite0 input tensor for one image.
pub fn preprocess(img: &RgbImage) -> Vec<f32> {
    let mut out = vec![0.0; INPUT_LEN];
    preprocess_into(img, INPUT_SIDE, &mut out);
    out
}

/// Central square crop (87.5 % of the short side), bicubic-resized to
/// `side`×`side`; returns interleaved RGB bytes.
pub fn crop_resize(img: &RgbImage, side: u32) -> Vec<u8> {
    crop_resize_fraction(img, side, CROP_FRACTION)
}

fn crop_resize_fraction(img: &RgbImage, side: u32, fraction: f64) -> Vec<u8> {
    let (w, h) = img.dimensions();
    let crop = f64::from(w.min(h)) * fraction;
    let left = (f64::from(w) - crop) / 2.0;
    let top = (f64::from(h) - crop) / 2.0;
    let mut dst = Image::new(side, side, PixelType::U8x3);
    let options = ResizeOptions::new()
        .crop(left, top, crop, crop)
        .resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    // Both images are U8x3 and the crop lies inside the source, so resizing
    // cannot fail; fall back to a grey frame rather than panic if it ever does.
    if Resizer::new().resize(img, &mut dst, &options).is_err() {
        return vec![127; (side * side * 3) as usize];
    }
    dst.into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lite0_crop_is_the_classic_87_5_percent() {
        assert_eq!(crop_fraction(INPUT_SIDE), CROP_FRACTION);
        assert!((crop_fraction(260) - 260.0 / 292.0).abs() < 1e-12);
    }

    #[test]
    fn uniform_grey_127_maps_to_zero() {
        let img = RgbImage::from_pixel(300, 200, image::Rgb([127, 127, 127]));
        let t = preprocess(&img);
        assert_eq!(t.len(), INPUT_LEN);
        assert!(t.iter().all(|v| v.abs() < 1e-6));
    }

    #[test]
    fn channels_are_planar_in_rgb_order() {
        let img = RgbImage::from_pixel(64, 64, image::Rgb([255, 127, 0]));
        let t = preprocess(&img);
        let plane = INPUT_LEN / 3;
        assert!((t[0] - 1.0).abs() < 1e-6);
        assert!(t[plane].abs() < 1e-6);
        assert!((t[2 * plane] + 127.0 / 128.0).abs() < 1e-6);
    }

    #[test]
    fn crop_keeps_the_centre_and_drops_the_margins() {
        // A white frame 5 % wide around a black centre disappears after the crop.
        let mut img = RgbImage::from_pixel(400, 400, image::Rgb([0, 0, 0]));
        for (x, y, p) in img.enumerate_pixels_mut() {
            if x < 20 || y < 20 || x >= 380 || y >= 380 {
                *p = image::Rgb([255, 255, 255]);
            }
        }
        let out = crop_resize(&img, 32);
        assert!(out.iter().all(|&v| v < 8), "margin leaked into the crop");
    }
}

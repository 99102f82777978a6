//! Request payloads for the load generator, the benchmark and the tests when
//! no photo folder is at hand: a crude lid-camera picture (grey bin, waste
//! rising from the bottom) with seeded noise, encoded as JPEG or PNG. They
//! exercise the same decode and inference path as camera uploads; they are
//! not meant to look real (the `lidcam` crate renders realistic scenes).

use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, Rgb, RgbImage};
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::io::Cursor;
use std::path::Path;

/// An RGB frame `side`×`side` whose lower `fill` fraction is "waste".
pub fn fill_frame(fill: f32, seed: u64, side: u32) -> RgbImage {
    let mut rng = StdRng::seed_from_u64(seed);
    let waste = [
        rng.random_range(90..160u8),
        rng.random_range(50..110u8),
        rng.random_range(20..70u8),
    ];
    let level = ((1.0 - fill.clamp(0.0, 1.0)) * side as f32) as u32;
    RgbImage::from_fn(side, side, |x, y| {
        let noise: i16 = rng.random_range(-12..=12);
        let base = if y >= level {
            // Stripes give the heap some texture the network can see.
            let stripe = if (x / 7 + y / 5) % 3 == 0 { 30 } else { 0 };
            [waste[0].saturating_add(stripe), waste[1], waste[2]]
        } else {
            let g = 150 + ((x * 60) / side.max(1)) as u8;
            [g, g, g]
        };
        Rgb(base.map(|c| (i16::from(c) + noise).clamp(0, 255) as u8))
    })
}

/// `frame` as JPEG bytes (quality 90), like a camera upload.
pub fn jpeg(frame: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    // Encoding an in-memory RGB buffer cannot fail; an empty payload would be refused loudly anyway.
    let _ = JpegEncoder::new_with_quality(&mut out, 90).encode_image(frame);
    out
}

/// `frame` as PNG bytes.
pub fn png(frame: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = frame.write_to(&mut Cursor::new(&mut out), ImageFormat::Png);
    out
}

/// `n` JPEG payloads spread over fill levels, `side`×`side` pixels.
pub fn payloads(n: usize, side: u32) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| jpeg(&fill_frame((i % 6) as f32 / 5.0, i as u64, side)))
        .collect()
}

/// Every JPEG/PNG/WebP file under `dir` (recursively), read into memory.
pub fn folder_payloads(dir: &Path) -> std::io::Result<Vec<Vec<u8>>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(folder)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                ["jpg", "jpeg", "png", "webp"].contains(&e.to_ascii_lowercase().as_str())
            }) {
                files.push(path);
            }
        }
    }
    files.sort();
    files.iter().map(std::fs::read).collect()
}

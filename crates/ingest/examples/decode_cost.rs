//! What decoding an upload before accepting it costs: mean wall time of
//! `photo::decodes` on one thread, per image size, for camera-like JPEGs
//! (a smooth scene plus sensor noise, quality 85) and the synthetic lid
//! photos the tests use. `cargo run --release -p fillroute-ingest --example decode_cost`
#![allow(clippy::unwrap_used, missing_docs)]

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use std::time::Instant;

fn camera_jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut noise = 0x2545_f491_u32;
    let img = RgbImage::from_fn(width, height, |x, y| {
        noise ^= noise << 13;
        noise ^= noise >> 17;
        noise ^= noise << 5;
        let n = (noise % 24) as u8;
        let v = ((x * 255 / width + y * 255 / height) / 2) as u8;
        Rgb([v.saturating_add(n), v / 2 + n, 255 - v])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .unwrap();
    out
}

fn main() {
    let synthetic = fillroute_vision_server::synthetic::jpeg(
        &fillroute_vision_server::synthetic::fill_frame(0.5, 1, 320),
    );
    let cases = [
        ("synthetic lid photo 320x320", synthetic),
        ("camera-like 640x480", camera_jpeg(640, 480)),
        ("camera-like 1280x960", camera_jpeg(1280, 960)),
        ("camera-like 2592x1944 (5 MP)", camera_jpeg(2592, 1944)),
    ];
    println!("| image | bytes | decode, mean of 20 |");
    println!("| --- | --- | --- |");
    for (name, bytes) in cases {
        fillroute_ingest::photo::decodes(&bytes, 40_000_000).unwrap();
        let start = Instant::now();
        for _ in 0..20 {
            fillroute_ingest::photo::decodes(&bytes, 40_000_000).unwrap();
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / 20.0;
        println!("| {name} | {} | {ms:.2} ms |", bytes.len());
    }
}

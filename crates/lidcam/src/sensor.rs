//! The camera's side of the picture: lens faults, vignetting, defocus,
//! white balance, noise and quantisation.

use image::RgbImage;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::raster::{Canvas, hash, mix, smoothstep};
use crate::scene::CameraFault;

/// Approximately standard-normal noise from one hash (sum of four uniform
/// bytes): cheap enough for every pixel and channel, and a pure function of
/// position, so it cannot depend on evaluation order.
fn gaussian(seed: u32, i: usize, channel: i32) -> f32 {
    let h = hash(seed, i as i32, channel);
    let sum = (h & 0xff) + ((h >> 8) & 0xff) + ((h >> 16) & 0xff) + (h >> 24);
    (sum as f32 / 255.0 - 2.0) * 3f32.sqrt()
}

/// Turns scene radiance into an 8-bit image and picks the JPEG quality.
pub(crate) fn develop(
    mut cv: Canvas,
    fault: CameraFault,
    rng: &mut ChaCha8Rng,
    fault_rng: &mut ChaCha8Rng,
) -> (RgbImage, u8) {
    let (w, h) = (cv.w, cv.h);
    let vignette: f32 = rng.random_range(0.15..0.5);
    let sigma: f32 = rng.random_range(0.35..1.3);
    let mut gains = [
        rng.random_range(0.88..1.12),
        rng.random_range(0.95..1.05),
        rng.random_range(0.88..1.12),
    ];
    let read_noise: f32 = rng.random_range(0.004..0.02);
    let gamma: f32 = rng.random_range(0.85..1.15);
    let quality: u8 = rng.random_range(35..=90);
    let target: f32 = rng.random_range(0.3..0.5);
    let ae_strength: f32 = rng.random_range(0.5..0.9);
    let infrared = rng.random_bool(0.2);
    let noise_seed: u32 = rng.random();

    // Auto-exposure pulls the mean brightness part of the way to a target,
    // so brightness alone says little about how near the waste is.
    let mean = cv
        .px
        .iter()
        .map(|p| 0.3 * p[0] + 0.59 * p[1] + 0.11 * p[2])
        .sum::<f32>()
        / cv.px.len() as f32;
    let ae = (target / mean.max(1e-3)).powf(ae_strength).clamp(0.3, 4.0);
    cv.px.iter_mut().flatten().for_each(|v| *v *= ae);
    if infrared {
        gains = [1.0; 3];
        // Night mode: the IR-lit sensor sees in grey.
        for p in &mut cv.px {
            let l = 0.3 * p[0] + 0.59 * p[1] + 0.11 * p[2];
            *p = [l, l, l];
        }
    }

    let mut gain = 1.0;
    match fault {
        CameraFault::None => {}
        CameraFault::Dark => {
            // Almost no light; the sensor amplifies what little there is.
            let exposure = fault_rng.random_range(0.015..0.04);
            cv.px.iter_mut().flatten().for_each(|v| *v *= exposure);
            gain = fault_rng.random_range(2.0..3.0);
        }
        CameraFault::Blocked => block_lens(&mut cv, fault_rng),
    }

    cv.blur(sigma);
    let (cx, cy, r2) = (w as f32 / 2.0, h as f32 / 2.0, (w * w + h * h) as f32 / 4.0);
    let mut img = RgbImage::new(w as u32, h as u32);
    for (i, out) in img.pixels_mut().enumerate() {
        let (x, y) = ((i % w) as f32 + 0.5, (i / w) as f32 + 0.5);
        let fall = 1.0 - vignette * ((x - cx).powi(2) + (y - cy).powi(2)) / r2;
        let luma_noise = gaussian(noise_seed, i, 3) * read_noise;
        for (k, ((byte, radiance), wb)) in out.0.iter_mut().zip(cv.px[i]).zip(gains).enumerate() {
            let v = radiance * wb * fall;
            let shot = gaussian(noise_seed, i, k as i32) * 0.012 * v.max(0.0).sqrt();
            let v = tone((v + shot + luma_noise) * gain, gamma);
            *byte = (v * 255.0 + 0.5).clamp(0.0, 255.0) as u8;
        }
    }
    (img, quality)
}

/// Soft highlight roll-off and a gamma tweak (which, unlike a linear
/// contrast stretch, never crushes a dark frame to pure black).
fn tone(v: f32, gamma: f32) -> f32 {
    let v = v.max(0.0);
    let v = if v < 0.75 {
        v
    } else {
        0.75 + 0.25 * (1.0 - (-(v - 0.75) / 0.25).exp())
    };
    v.powf(gamma)
}

/// Something on the lens: a defocused, nearly uniform dark blob covering
/// most of the frame, faintly lit by the flash from the centre.
fn block_lens(cv: &mut Canvas, rng: &mut ChaCha8Rng) {
    let (w, h) = (cv.w as f32, cv.h as f32);
    let colours = [
        [0.05, 0.05, 0.05],
        [0.12, 0.09, 0.05],
        [0.16, 0.15, 0.13],
        [0.08, 0.1, 0.06],
    ];
    let colour = colours[rng.random_range(0..colours.len())];
    let (bx, by) = (
        w * rng.random_range(0.3..0.7),
        h * rng.random_range(0.3..0.7),
    );
    let radius = w * rng.random_range(0.75..1.15);
    let soft = w * 0.12;
    let phase: f32 = rng.random_range(0.0..std::f32::consts::TAU);
    cv.blur(6.0);
    for y in 0..cv.h {
        for x in 0..cv.w {
            let (dx, dy) = (x as f32 + 0.5 - bx, y as f32 + 0.5 - by);
            let r = dx.hypot(dy);
            let edge = radius * (1.0 + 0.08 * (3.0 * dy.atan2(dx) + phase).cos());
            let a = smoothstep(edge + soft, edge - soft, r);
            let glow = 1.0 + 0.25 * (1.0 - r / radius).max(0.0);
            let blob = [colour[0] * glow, colour[1] * glow, colour[2] * glow];
            let p = &mut cv.px[y * cv.w + x];
            *p = mix(*p, blob, a);
        }
    }
}

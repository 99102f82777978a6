//! What one lid-camera photo costs to render, split by stage: ray-cast
//! surfaces, items, sensor effects and JPEG encoding. Single-threaded, so
//! the figures are per core; the scenes mix fills, shapes and faults as a
//! replay does (one in ten dark, one in twenty blocked).
//!
//! `cargo run --release --locked -p fillroute-lidcam --example render_bench -- [PHOTOS] [SEED]`
//!
//! Prints ms per photo for each stage and in all, plus a hash of every JPEG
//! byte, which must not change when only speed was meant to.

use std::time::{Duration, Instant};

use fillroute_lidcam::{CameraFault, FillFraction, RenderTimings, Scene, render_jpeg_timed};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let photos: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(200);
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let scenes: Vec<Scene> = (0..photos)
        .map(|i| {
            let fill = FillFraction::saturating(rng.random_range(0.0..1.3));
            let fault = match i % 20 {
                0 | 10 => CameraFault::Dark,
                5 => CameraFault::Blocked,
                _ => CameraFault::None,
            };
            Scene::random(fill, &mut rng).with_fault(fault)
        })
        .collect();

    let mut sum = RenderTimings::default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let started = Instant::now();
    for scene in &scenes {
        let (jpeg, t) = render_jpeg_timed(scene)?;
        sum.surfaces += t.surfaces;
        sum.items += t.items;
        sum.sensor += t.sensor;
        sum.encode += t.encode;
        for b in jpeg {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let wall = started.elapsed();

    let ms = |d: Duration| d.as_secs_f64() * 1e3 / photos as f64;
    println!("{photos} photos, seed {seed}, one thread");
    println!("{:<24} {:>8}", "stage", "ms/photo");
    for (name, d) in [
        ("raster: surfaces", sum.surfaces),
        ("raster: items", sum.items),
        ("sensor effects", sum.sensor),
        ("JPEG encode", sum.encode),
    ] {
        println!("{name:<24} {:>8.2}", ms(d));
    }
    println!("{:<24} {:>8.2}", "total (wall)", ms(wall));
    println!("jpeg fnv1a {hash:#018x}");
    Ok(())
}

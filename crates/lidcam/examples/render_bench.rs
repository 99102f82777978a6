//! What one lid-camera photo costs to render, split by stage: ray-cast
//! surfaces, items, sensor effects and JPEG encoding. Single-threaded, so
//! the figures are per core; the scenes mix fills, shapes and faults as a
//! replay does (one in ten dark, one in twenty blocked). The set is rendered
//! `ROUNDS` times and each stage's best round is kept, which filters out
//! other load on a shared machine.
//!
//! `cargo run --release --locked -p fillroute-lidcam --example render_bench -- [PHOTOS] [SEED] [ROUNDS]`
//!
//! Prints ms per photo for each stage and in all, plus a hash of every JPEG
//! byte, which must not change when only speed was meant to.

use std::time::{Duration, Instant};

use fillroute_lidcam::{CameraFault, FillFraction, Scene, render_jpeg_timed};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let photos: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(100);
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1);
    let rounds: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(3);
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

    // Best round per stage: surfaces, items, sensor, encode, whole photo.
    let mut best = [Duration::MAX; 5];
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for _ in 0..rounds.max(1) {
        let mut round = [Duration::ZERO; 5];
        hash = 0xcbf2_9ce4_8422_2325;
        for scene in &scenes {
            let started = Instant::now();
            let (jpeg, t) = render_jpeg_timed(scene)?;
            for (sum, d) in
                round
                    .iter_mut()
                    .zip([t.surfaces, t.items, t.sensor, t.encode, started.elapsed()])
            {
                *sum += d;
            }
            for b in jpeg {
                hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        for (b, r) in best.iter_mut().zip(round) {
            *b = (*b).min(r);
        }
    }

    let ms = |d: Duration| d.as_secs_f64() * 1e3 / photos as f64;
    println!("{photos} photos, seed {seed}, one thread, best of {rounds} rounds");
    println!("{:<24} {:>8}", "stage", "ms/photo");
    let names = [
        "raster: surfaces",
        "raster: items",
        "sensor effects",
        "JPEG encode",
        "total",
    ];
    for (name, d) in names.iter().zip(best) {
        println!("{name:<24} {:>8.2}", ms(d));
    }
    println!("jpeg fnv1a {hash:#018x}");
    Ok(())
}

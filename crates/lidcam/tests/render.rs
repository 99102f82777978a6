//! Behaviour of single renders: determinism, fill coverage and lens faults.

use fillroute_lidcam::{
    CLASS_MIDPOINTS, CameraFault, ContainerShape, ContainerStyle, FillFraction, IMAGE_SIZE,
    LidcamError, Scene, render, render_jpeg,
};
use image::RgbImage;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn fill(f: f32) -> FillFraction {
    FillFraction::new(f).expect("test fills are in range")
}

fn green_wheelie_bin() -> ContainerStyle {
    ContainerStyle {
        shape: ContainerShape::Rectangular,
        wall_colour: [38, 74, 44],
    }
}

fn luma(img: &RgbImage) -> Vec<f32> {
    img.pixels()
        .map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]))
        .collect()
}

fn mean_and_std(img: &RgbImage) -> (f32, f32) {
    let l = luma(img);
    let mean = l.iter().sum::<f32>() / l.len() as f32;
    let var = l.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / l.len() as f32;
    (mean, var.sqrt())
}

/// Share of pixels that clearly changed between two renders.
fn changed_fraction(a: &RgbImage, b: &RgbImage) -> f32 {
    let changed = a
        .pixels()
        .zip(b.pixels())
        .filter(|(p, q)| {
            (0..3)
                .map(|k| (i32::from(p[k]) - i32::from(q[k])).abs())
                .sum::<i32>()
                > 60
        })
        .count();
    changed as f32 / (a.width() * a.height()) as f32
}

#[test]
fn renders_square_images_of_the_documented_size() {
    let img = render(&Scene::new(fill(0.5), green_wheelie_bin(), 3));
    assert_eq!(img.dimensions(), (IMAGE_SIZE, IMAGE_SIZE));
}

#[test]
fn same_seed_renders_byte_identical_images() {
    let scene = Scene::new(fill(0.6), green_wheelie_bin(), 42);
    assert_eq!(render(&scene).as_raw(), render(&scene).as_raw());
    assert_eq!(
        render_jpeg(&scene).expect("encodes"),
        render_jpeg(&scene).expect("encodes")
    );
}

#[test]
fn different_seeds_render_different_images() {
    let a = render(&Scene::new(fill(0.6), green_wheelie_bin(), 1));
    let b = render(&Scene::new(fill(0.6), green_wheelie_bin(), 2));
    assert!(
        changed_fraction(&a, &b) > 0.2,
        "two seeds should give visibly different photos"
    );
}

#[test]
fn random_scenes_follow_the_rng() {
    let draw = |s| Scene::random(fill(0.3), &mut ChaCha8Rng::seed_from_u64(s));
    assert_eq!(draw(7), draw(7));
    assert_ne!(draw(7).seed, draw(8).seed);
}

#[test]
fn more_fill_covers_more_of_the_container() {
    // Same seed and container, so camera, light and noise stay put and only
    // the waste changes; averaged over a few containers.
    let seeds = [11u64, 12, 13];
    let mut mean_coverage = [0.0f32; CLASS_MIDPOINTS.len()];
    for &seed in &seeds {
        let base = Scene::random(fill(0.0), &mut ChaCha8Rng::seed_from_u64(seed));
        let empty = render(&base);
        for (c, &m) in CLASS_MIDPOINTS.iter().enumerate() {
            let full = render(&Scene {
                fill: fill(m),
                ..base
            });
            mean_coverage[c] += changed_fraction(&empty, &full) / seeds.len() as f32;
        }
    }
    for pair in mean_coverage.windows(2) {
        assert!(
            pair[1] > pair[0] + 0.03,
            "coverage by class midpoint should rise clearly: {mean_coverage:?}"
        );
    }
    assert!(
        mean_coverage[0] < 0.15,
        "an empty bin shows mostly bare container: {mean_coverage:?}"
    );
    assert!(
        mean_coverage[5] > 0.85,
        "an overflowing bin fills the frame: {mean_coverage:?}"
    );
}

#[test]
fn blocked_lens_renders_a_near_uniform_image() {
    for seed in 0..3 {
        let healthy = Scene::new(fill(0.7), green_wheelie_bin(), seed);
        let (_, healthy_std) = mean_and_std(&render(&healthy));
        let (_, blocked_std) = mean_and_std(&render(&healthy.with_fault(CameraFault::Blocked)));
        assert!(blocked_std < 12.0, "seed {seed}: blocked std {blocked_std}");
        assert!(
            healthy_std > 2.0 * blocked_std,
            "seed {seed}: healthy std {healthy_std} vs blocked {blocked_std}"
        );
    }
}

#[test]
fn dark_lens_renders_a_very_dark_image() {
    let scene = Scene::new(fill(0.7), green_wheelie_bin(), 5);
    let (healthy_mean, _) = mean_and_std(&render(&scene));
    let (dark_mean, _) = mean_and_std(&render(&scene.with_fault(CameraFault::Dark)));
    assert!(
        dark_mean < 25.0 && dark_mean < healthy_mean / 3.0,
        "dark {dark_mean} vs healthy {healthy_mean}"
    );
}

#[test]
fn fill_outside_the_visible_range_is_rejected_with_its_value() {
    for bad in [-0.1, 1.31, f32::NAN, f32::INFINITY] {
        let err = FillFraction::new(bad).expect_err("out of range");
        assert!(matches!(err, LidcamError::InvalidFill { .. }));
        assert!(err.to_string().contains("0.0..=1.3"));
    }
    assert_eq!(fill(1.3).get(), 1.3);
}

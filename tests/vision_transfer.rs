//! End to end through the `fillroute` binary: transfer learning reads real
//! material photos and synthetic fill levels far better than raw pixels, and
//! `vision eval --format json` keeps the shape later checks rely on.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fillroute(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_fillroute"))
        .args(args)
        .output()
        .expect("fillroute runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "fillroute {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn test_accuracies(model: &Path) -> (f64, f64) {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model).expect("model written")).expect("json");
    let deep = json["metrics"]["test"]["accuracy"]
        .as_f64()
        .expect("deep test accuracy");
    let pixels = json["metrics"]["pixel_baseline_test"]["accuracy"]
        .as_f64()
        .expect("pixel test accuracy");
    (deep, pixels)
}

#[test]
fn deep_features_beat_raw_pixels_on_real_trashnet_photos() {
    let data = shared().join("datasets/trashnet-dev");
    assert!(
        data.is_dir(),
        "{} missing: tests read the shared datasets beside the repository",
        data.display()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("material.json");
    let data = data.to_str().expect("utf-8 path");
    fillroute(&[
        "vision",
        "train",
        "--data",
        data,
        "--out",
        model.to_str().expect("utf-8"),
        "--seed",
        "0",
    ]);
    let (deep, pixels) = test_accuracies(&model);
    eprintln!("TrashNet test accuracy: deep {deep:.3}, raw pixels {pixels:.3}");
    assert!(deep >= 0.70, "deep-feature accuracy {deep:.3} below 0.70");
    assert!(
        deep - pixels >= 0.20,
        "deep {deep:.3} does not beat pixels {pixels:.3} by 20 points"
    );

    let eval = fillroute(&[
        "vision",
        "eval",
        "--model",
        model.to_str().expect("utf-8"),
        "--data",
        data,
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(eval.trim()).expect("one JSON object");
    assert_eq!(json["n"], 480);
    assert!(json["accuracy"].as_f64().is_some_and(|a| a > deep - 0.05));
    assert!(json["macro_f1"].is_number());
    assert_eq!(json["per_class"].as_array().map(Vec::len), Some(6));
}

#[test]
fn deep_features_read_synthetic_fill_levels_better_than_raw_pixels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("lidcam");
    fillroute_lidcam::render_dataset(
        &data,
        60,
        11,
        &fillroute_lidcam::FillClasses::default(),
        |_, _| {},
    )
    .expect("renders");
    let model = dir.path().join("fill.json");
    let out = fillroute(&[
        "vision",
        "train",
        "--data",
        data.to_str().expect("utf-8"),
        "--out",
        model.to_str().expect("utf-8"),
        "--seed",
        "1",
    ]);
    assert!(
        out.contains("confusion") || out.contains("truth"),
        "report printed:\n{out}"
    );
    let (deep, pixels) = test_accuracies(&model);
    eprintln!("lid-camera fill test accuracy: deep {deep:.3}, raw pixels {pixels:.3}");
    assert!(
        deep >= 0.55,
        "deep-feature accuracy {deep:.3} below 0.55 (chance is 0.17)"
    );
    assert!(
        deep - pixels >= 0.08,
        "deep {deep:.3} does not beat pixels {pixels:.3} by 8 points"
    );

    let fresh = dir.path().join("fresh.jpg");
    let scene = fillroute_lidcam::Scene::new(
        fillroute_lidcam::FillFraction::saturating(1.2),
        fillroute_lidcam::ContainerStyle {
            shape: fillroute_lidcam::ContainerShape::Rectangular,
            wall_colour: [40, 90, 50],
        },
        99,
    );
    std::fs::write(&fresh, fillroute_lidcam::render_jpeg(&scene).expect("jpeg")).expect("write");
    let read = fillroute(&[
        "vision",
        "classify",
        "--model",
        model.to_str().expect("utf-8"),
        fresh.to_str().expect("utf-8"),
    ]);
    assert!(
        read.contains("full") || read.contains("overflowing"),
        "an overflowing bin read as: {read}"
    );
}

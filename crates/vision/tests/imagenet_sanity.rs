//! The converted backbone still recognises ImageNet photos: a wrongly
//! converted network (scrambled strides, wrong padding) fails here. Runs on
//! whichever variant `FILLROUTE_BACKBONE` names (Lite0 224 px, Lite1 240, Lite2 260).

use fillroute_vision::backbone::{Backbone, BackboneConfig, default_cache_dir};
use fillroute_vision::extract::prepare_batch_for;
use fillroute_vision::{DecodeLimits, FEATURE_DIM, imagenet};
use std::path::PathBuf;

fn samples() -> PathBuf {
    std::env::var_os("FILLROUTE_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| default_cache_dir().join("samples"))
}

fn top5(backbone: &mut Backbone, name: &str) -> Vec<(usize, f32)> {
    let path = samples().join(name);
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/setup.sh", path.display()));
    let side = backbone.input_side();
    let (tensor, slots) = prepare_batch_for(&[&bytes], &DecodeLimits::default(), side);
    assert!(slots[0].is_ok());
    let out = backbone.run(&tensor).expect("inference runs");
    imagenet::top_k(&out.logits, 5)
}

#[test]
fn recognises_the_cat_and_the_espresso() {
    let mut backbone =
        Backbone::load(&BackboneConfig::from_env(2)).expect("backbone loads; run scripts/setup.sh");
    let cat = top5(&mut backbone, "chelsea.png");
    assert!((281..=285).contains(&cat[0].0), "chelsea top-5 {cat:?}");
    assert!(cat[0].1 > 0.3, "chelsea top-5 {cat:?}");
    let coffee = top5(&mut backbone, "coffee.png");
    assert_eq!(coffee[0].0, 967, "coffee top-5 {coffee:?}");
    assert!(coffee[0].1 > 0.85, "coffee top-5 {coffee:?}");
}

#[test]
fn batch_results_match_single_image_results() {
    let mut backbone = Backbone::load(&BackboneConfig::from_env(1)).expect("backbone loads");
    let a = std::fs::read(samples().join("chelsea.png")).expect("sample");
    let b = std::fs::read(samples().join("coffee.png")).expect("sample");
    let side = backbone.input_side();
    let (single, _) = prepare_batch_for(&[&b], &DecodeLimits::default(), side);
    let (pair, _) = prepare_batch_for(&[&a, &b], &DecodeLimits::default(), side);
    let one = backbone.run(&single).expect("runs");
    let two = backbone.run(&pair).expect("runs");
    let diff = one
        .features
        .iter()
        .zip(&two.features[FEATURE_DIM..])
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    assert!(diff < 1e-3, "batching changed features by {diff}");
}

#[test]
fn missing_runtime_library_says_how_to_run_setup() {
    let config = BackboneConfig {
        model_path: PathBuf::from("/nonexistent/model.onnx"),
        runtime_path: Some(PathBuf::from("/nonexistent/libonnxruntime.so")),
        intra_threads: 1,
    };
    // The runtime is loaded once per process; either error must point at setup.
    let err = Backbone::load(&config).err().expect("fails").to_string();
    assert!(err.contains("scripts/setup.sh"), "{err}");
}

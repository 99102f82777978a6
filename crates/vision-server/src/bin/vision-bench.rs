//! In-process benchmark of what the server does per batch: end-to-end
//! (decode + preprocess + camera-health + ONNX inference + classifier, i.e.
//! `FillReader::read_batch`) against raw ONNX Runtime inference on tensors
//! preprocessed beforehand, at several batch sizes and thread counts. The gap
//! is the preprocessing overhead the service pays on top of the model.

use clap::Parser;
use fillroute_vision::backbone::{Backbone, BackboneConfig};
use fillroute_vision::classifier::{ARTIFACT_FORMAT, ArtifactMetrics, TrainingSummary};
use fillroute_vision::extract::prepare_batch;
use fillroute_vision::{Classifier, DEFAULT_FILL_CLASSES, DecodeLimits, FEATURE_DIM, FillReader};
use fillroute_vision_server::synthetic;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Compare end-to-end reading with raw ORT inference.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Folder of JPEG/PNG/WebP images; generated 480×480 JPEGs when absent.
    #[arg(long)]
    images: Option<PathBuf>,
    /// Batch sizes to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    batches: Vec<usize>,
    /// Thread counts to measure (ORT intra-op and decode pool alike).
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Measured seconds per cell and per mode.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
}

/// A classifier of the right shape whose output does not matter here.
fn placeholder_classifier(backbone_sha256: &str) -> Classifier {
    let k = DEFAULT_FILL_CLASSES.len();
    Classifier {
        format: ARTIFACT_FORMAT,
        version: "bench".into(),
        classes: DEFAULT_FILL_CLASSES.map(String::from).to_vec(),
        midpoints: None,
        backbone_sha256: backbone_sha256.into(),
        mean: vec![0.0; FEATURE_DIM],
        scale: vec![1.0; FEATURE_DIM],
        weights: (0..k * FEATURE_DIM).map(|i| ((i % 17) as f32 - 8.0) * 1e-3).collect(),
        intercept: vec![0.0; k],
        l2: 1.0,
        training: TrainingSummary::default(),
        metrics: ArtifactMetrics::default(),
    }
}

/// Runs `step` (which handles one batch) repeatedly for `seconds`; returns images/s.
fn rate(seconds: f64, batch: usize, mut step: impl FnMut(usize) -> bool) -> Option<f64> {
    for i in 0..2 {
        if !step(i) {
            return None;
        }
    }
    let started = Instant::now();
    let mut batches = 0usize;
    while started.elapsed() < Duration::from_secs_f64(seconds) || batches < 3 {
        if !step(batches) {
            return None;
        }
        batches += 1;
    }
    Some((batches * batch) as f64 / started.elapsed().as_secs_f64())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let images = match &args.images {
        Some(dir) => match synthetic::folder_payloads(dir) {
            Ok(v) if !v.is_empty() => v,
            other => {
                eprintln!("error: no readable images under {}: {:?}", dir.display(), other.err());
                return ExitCode::FAILURE;
            }
        },
        None => synthetic::payloads(64, 480),
    };
    let limits = DecodeLimits::default();
    println!("images: {} (mean {} bytes)", images.len(), images.iter().map(Vec::len).sum::<usize>() / images.len());
    println!("| threads | batch | raw ORT img/s | end-to-end img/s | raw ms/img | e2e ms/img | overhead % |");
    println!("|---|---|---|---|---|---|---|");
    for &threads in &args.threads {
        let backbone = match Backbone::load(&BackboneConfig::from_env(threads)) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let classifier = placeholder_classifier(backbone.sha256());
        let mut reader = FillReader { backbone, classifier, limits };
        let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: thread pool: {e}");
                return ExitCode::FAILURE;
            }
        };
        for &batch in &args.batches {
            let batch = batch.max(1);
            let groups: Vec<Vec<&[u8]>> =
                (0..images.len()).map(|s| (0..batch).map(|j| images[(s + j) % images.len()].as_slice()).collect()).collect();
            let tensors: Vec<Vec<f32>> = groups.iter().take(8).map(|g| prepare_batch(g, &limits).0).collect();
            let raw = rate(args.seconds, batch, |i| reader.backbone.run(&tensors[i % tensors.len()]).is_ok());
            let e2e = pool.install(|| {
                rate(args.seconds, batch, |i| {
                    reader.read_batch(&groups[i % groups.len()]).is_ok_and(|r| r.iter().all(Result::is_ok))
                })
            });
            let (Some(raw), Some(e2e)) = (raw, e2e) else {
                eprintln!("error: inference failed at threads={threads} batch={batch}");
                return ExitCode::FAILURE;
            };
            println!(
                "| {threads} | {batch} | {raw:.1} | {e2e:.1} | {:.2} | {:.2} | {:.1} |",
                1000.0 / raw,
                1000.0 / e2e,
                (raw / e2e - 1.0) * 100.0
            );
        }
    }
    ExitCode::SUCCESS
}

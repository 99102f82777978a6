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
        weights: (0..k * FEATURE_DIM)
            .map(|i| ((i % 17) as f32 - 8.0) * 1e-3)
            .collect(),
        intercept: vec![0.0; k],
        l2: 1.0,
        training: TrainingSummary::default(),
        metrics: ArtifactMetrics::default(),
    }
}

/// CPU time (user + system) this process has used so far, from /proc (Linux).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel reports clock ticks; 100 per second on every Linux we run.
    Some(Duration::from_millis(ticks * 10))
}

/// Wall and CPU time spent in one mode.
#[derive(Default, Clone, Copy)]
struct Spent {
    wall: Duration,
    cpu: Duration,
    images: usize,
}

impl Spent {
    fn add(&mut self, other: Spent) {
        self.wall += other.wall;
        self.cpu += other.cpu;
        self.images += other.images;
    }
    fn per_second(&self) -> f64 {
        self.images as f64 / self.wall.as_secs_f64().max(1e-9)
    }
    fn cpu_ms_per_image(&self) -> f64 {
        self.cpu.as_secs_f64() * 1000.0 / self.images.max(1) as f64
    }
}

/// Runs `step` (one batch) for about `seconds`; returns what it cost.
fn block(
    seconds: f64,
    batch: usize,
    step: &mut impl FnMut(usize) -> bool,
    counter: &mut usize,
) -> Option<Spent> {
    let (wall0, cpu0) = (Instant::now(), cpu_time().unwrap_or_default());
    let mut images = 0;
    while wall0.elapsed() < Duration::from_secs_f64(seconds) || images == 0 {
        if !step(*counter) {
            return None;
        }
        *counter += 1;
        images += batch;
    }
    Some(Spent {
        wall: wall0.elapsed(),
        cpu: cpu_time().unwrap_or_default().saturating_sub(cpu0),
        images,
    })
}

/// Alternates half-second blocks of raw and end-to-end work for `seconds`
/// each, so load from other processes hits both modes alike.
fn compare(
    seconds: f64,
    batch: usize,
    mut raw: impl FnMut(usize) -> bool,
    mut e2e: impl FnMut(usize) -> bool,
) -> Option<(Spent, Spent)> {
    let (mut r, mut e) = (Spent::default(), Spent::default());
    let (mut rc, mut ec) = (0, 0);
    // Warm-up: first runs allocate and tune.
    block(0.0, batch, &mut raw, &mut rc)?;
    block(0.0, batch, &mut e2e, &mut ec)?;
    let rounds = (seconds / 0.5).ceil().max(1.0) as usize;
    for _ in 0..rounds {
        r.add(block(0.5, batch, &mut raw, &mut rc)?);
        e.add(block(0.5, batch, &mut e2e, &mut ec)?);
    }
    Some((r, e))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let images = match &args.images {
        Some(dir) => match synthetic::folder_payloads(dir) {
            Ok(v) if !v.is_empty() => v,
            other => {
                eprintln!(
                    "error: no readable images under {}: {:?}",
                    dir.display(),
                    other.err()
                );
                return ExitCode::FAILURE;
            }
        },
        None => synthetic::payloads(64, 480),
    };
    let limits = DecodeLimits::default();
    println!(
        "images: {} (mean {} bytes)",
        images.len(),
        images.iter().map(Vec::len).sum::<usize>() / images.len()
    );
    println!(
        "| threads | batch | raw ORT img/s | end-to-end img/s | raw wall ms/img | e2e wall ms/img | overhead % (wall) | raw CPU ms/img | e2e CPU ms/img | overhead % (CPU) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for &threads in &args.threads {
        let backbone = match Backbone::load(&BackboneConfig::from_env(threads)) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let classifier = placeholder_classifier(backbone.sha256());
        let mut reader = FillReader {
            backbone,
            classifier,
            limits,
        };
        let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: thread pool: {e}");
                return ExitCode::FAILURE;
            }
        };
        for &batch in &args.batches {
            let batch = batch.max(1);
            let groups: Vec<Vec<&[u8]>> = (0..images.len())
                .map(|s| {
                    (0..batch)
                        .map(|j| images[(s + j) % images.len()].as_slice())
                        .collect()
                })
                .collect();
            let tensors: Vec<Vec<f32>> = groups
                .iter()
                .take(8)
                .map(|g| prepare_batch(g, &limits).0)
                .collect();
            let outcome = pool.install(|| {
                // Both closures need the reader; they never run at the same time.
                let reader = std::cell::RefCell::new(&mut reader);
                compare(
                    args.seconds,
                    batch,
                    |i| {
                        reader
                            .borrow_mut()
                            .backbone
                            .run(&tensors[i % tensors.len()])
                            .is_ok()
                    },
                    |i| {
                        reader
                            .borrow_mut()
                            .read_batch(&groups[i % groups.len()])
                            .is_ok_and(|r| r.iter().all(Result::is_ok))
                    },
                )
            });
            let Some((raw, e2e)) = outcome else {
                eprintln!("error: inference failed at threads={threads} batch={batch}");
                return ExitCode::FAILURE;
            };
            println!(
                "| {threads} | {batch} | {:.1} | {:.1} | {:.2} | {:.2} | {:.1} | {:.2} | {:.2} | {:.1} |",
                raw.per_second(),
                e2e.per_second(),
                1000.0 / raw.per_second(),
                1000.0 / e2e.per_second(),
                (raw.per_second() / e2e.per_second() - 1.0) * 100.0,
                raw.cpu_ms_per_image(),
                e2e.cpu_ms_per_image(),
                (e2e.cpu_ms_per_image() / raw.cpu_ms_per_image() - 1.0) * 100.0
            );
        }
    }
    ExitCode::SUCCESS
}

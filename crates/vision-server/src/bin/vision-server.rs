//! Runs the vision gRPC service from the command line, for deployment and
//! for benchmarking; `fillroute vision serve` calls the same library.

use clap::Parser;
use fillroute_vision::DecodeLimits;
use fillroute_vision::backbone::BackboneConfig;
use fillroute_vision_server::{ServerConfig, serve};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Serve fillroute.vision.v1.VisionService.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:50051", env = "FILLROUTE_VISION_LISTEN")]
    listen: SocketAddr,
    /// Trained classifier artifact (JSON).
    #[arg(long)]
    model: PathBuf,
    /// Backbone ONNX file; defaults to FILLROUTE_BACKBONE or the setup cache.
    #[arg(long)]
    backbone: Option<PathBuf>,
    /// Folder of images to index for FindSimilar.
    #[arg(long)]
    index: Option<PathBuf>,
    /// Images per inference batch, at most.
    #[arg(long, default_value_t = 16)]
    max_batch: usize,
    /// Milliseconds to wait for more images after the first.
    #[arg(long, default_value_t = 3.0)]
    max_wait_ms: f64,
    /// Requests that may wait for inference.
    #[arg(long, default_value_t = 64)]
    queue: usize,
    /// ONNX Runtime intra-op threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Inference threads, each with its own model session.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Threads that decode and preprocess images.
    #[arg(long, default_value_t = 2)]
    decode_threads: usize,
    /// Largest gRPC message, bytes.
    #[arg(long, default_value_t = 20 << 20)]
    max_message_bytes: usize,
    /// Largest encoded image, bytes.
    #[arg(long, default_value_t = DecodeLimits::default().max_bytes)]
    max_image_bytes: usize,
    /// Largest image, in pixels declared by its header.
    #[arg(long, default_value_t = DecodeLimits::default().max_pixels)]
    max_pixels: u64,
}

fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmHWM")).map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_env_filter(
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
    ).init();
    let args = Args::parse();
    let mut backbone = BackboneConfig::from_env(args.threads);
    if let Some(path) = args.backbone {
        backbone.model_path = path;
    }
    let config = ServerConfig {
        listen: args.listen,
        max_batch: args.max_batch,
        max_batch_wait: Duration::from_secs_f64(args.max_wait_ms.max(0.0) / 1000.0),
        queue_capacity: args.queue,
        max_message_bytes: args.max_message_bytes,
        backbone,
        decode_threads: args.decode_threads,
        inference_workers: args.workers,
        classifier_path: args.model,
        similarity_index: args.index,
        decode_limits: DecodeLimits { max_bytes: args.max_image_bytes, max_pixels: args.max_pixels },
    };
    let result = serve(config).await;
    if let Some(rss) = peak_rss() {
        eprintln!("peak RSS (VmHWM): {rss}");
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

//! Command-line options of the service, shared by `fillroute vision serve`
//! and the benchmarks, so there is one definition of every flag and default.

use crate::config::ServerConfig;
use fillroute_vision::DecodeLimits;
use fillroute_vision::backbone::BackboneConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Serve fillroute.vision.v1.VisionService.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        default_value = "127.0.0.1:50051",
        env = "FILLROUTE_VISION_LISTEN"
    )]
    pub listen: SocketAddr,
    /// Trained classifier artifact (JSON).
    #[arg(long)]
    pub model: PathBuf,
    /// Backbone ONNX file; defaults to FILLROUTE_BACKBONE or the setup cache.
    #[arg(long)]
    pub backbone: Option<PathBuf>,
    /// Folder of images to index for FindSimilar.
    #[arg(long)]
    pub index: Option<PathBuf>,
    /// Images per inference batch, at most.
    #[arg(long, default_value_t = 16)]
    pub max_batch: usize,
    /// Milliseconds to wait for more images after the first.
    #[arg(long, default_value_t = 3.0)]
    pub max_wait_ms: f64,
    /// Requests that may wait for inference.
    #[arg(long, default_value_t = 64)]
    pub queue: usize,
    /// ONNX Runtime intra-op threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Inference threads, each with its own model session.
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// Threads that decode and preprocess images.
    #[arg(long, default_value_t = 2)]
    pub decode_threads: usize,
    /// Largest gRPC message, bytes.
    #[arg(long, default_value_t = 20 << 20)]
    pub max_message_bytes: usize,
    /// Largest encoded image, bytes.
    #[arg(long, default_value_t = DecodeLimits::default().max_bytes)]
    pub max_image_bytes: usize,
    /// Largest image, in pixels declared by its header.
    #[arg(long, default_value_t = DecodeLimits::default().max_pixels)]
    pub max_pixels: u64,
}

impl ServeArgs {
    /// The server configuration these flags describe (validated by `run`).
    pub fn into_config(self) -> ServerConfig {
        let mut backbone = BackboneConfig::from_env(self.threads);
        if let Some(path) = self.backbone {
            backbone.model_path = path;
        }
        ServerConfig {
            listen: self.listen,
            max_batch: self.max_batch,
            max_batch_wait: Duration::from_secs_f64(self.max_wait_ms.max(0.0) / 1000.0),
            queue_capacity: self.queue,
            max_message_bytes: self.max_message_bytes,
            backbone,
            decode_threads: self.decode_threads,
            inference_workers: self.workers,
            classifier_path: self.model,
            similarity_index: self.index,
            decode_limits: DecodeLimits {
                max_bytes: self.max_image_bytes,
                max_pixels: self.max_pixels,
            },
        }
    }
}

/// Peak resident memory of this process (VmHWM), for the benchmarks.
pub fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
}

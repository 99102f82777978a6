//! Server settings, validated once at start so a bad value fails loudly with
//! the field, the value and the fix, instead of surfacing as odd latency or
//! refused images later.

use fillroute_vision::DecodeLimits;
use fillroute_vision::backbone::BackboneConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Largest batch we accept; EfficientNet-Lite0 gains nothing past this on CPU.
pub const MAX_BATCH_LIMIT: usize = 256;
/// Most inference threads (each holds a model session, tens of MB).
pub const MAX_WORKERS: usize = 16;
/// Longest gather window; beyond this the batcher only adds latency.
pub const MAX_WAIT_LIMIT: Duration = Duration::from_millis(1000);

/// Everything the vision service needs to start.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address [`crate::serve`] binds (ignored by [`crate::run`], which takes a listener).
    pub listen: SocketAddr,
    /// Images per backbone call, at most.
    pub max_batch: usize,
    /// How long the batcher waits for more images after the first one arrives.
    pub max_batch_wait: Duration,
    /// Requests that may wait for inference; one more gets `RESOURCE_EXHAUSTED`.
    pub queue_capacity: usize,
    /// Largest gRPC message in either direction, in bytes.
    pub max_message_bytes: usize,
    /// The backbone model, runtime library and ONNX Runtime intra-op threads.
    pub backbone: BackboneConfig,
    /// Inference threads, each with its own ONNX Runtime session: while one
    /// runs a batch the next gathers one. 2 with 1 intra-op thread each can
    /// keep 2 cores busy where a single 2-thread session cannot.
    pub inference_workers: usize,
    /// Threads that decode and preprocess a batch's images (a pool owned by
    /// the inference thread, so nothing else in the process competes for it).
    pub decode_threads: usize,
    /// The trained classifier artifact (JSON).
    pub classifier_path: PathBuf,
    /// Folder of images indexed for `FindSimilar` at start; `None` leaves the index empty.
    pub similarity_index: Option<PathBuf>,
    /// Byte and pixel limits applied to every uploaded image.
    pub decode_limits: DecodeLimits,
}

impl ServerConfig {
    /// Defaults: batches of 16 gathered for at most 3 ms, a queue of 64, 20 MiB
    /// messages with 16 MiB images, 2 intra-op and 2 decode threads, and the backbone from
    /// `FILLROUTE_BACKBONE` / `ORT_DYLIB_PATH`.
    pub fn new(classifier_path: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            max_batch: 16,
            max_batch_wait: Duration::from_millis(3),
            queue_capacity: 64,
            max_message_bytes: 20 << 20,
            backbone: BackboneConfig::from_env(2),
            decode_threads: 2,
            inference_workers: 1,
            classifier_path: classifier_path.into(),
            similarity_index: None,
            decode_limits: DecodeLimits::default(),
        }
    }

    /// Checks every field; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: &'static str, value: String, fix: String| {
            Err(ConfigError { field, value, fix })
        };
        if !(1..=MAX_BATCH_LIMIT).contains(&self.max_batch) {
            return bad(
                "max_batch",
                self.max_batch.to_string(),
                format!("use 1 to {MAX_BATCH_LIMIT} images"),
            );
        }
        if self.max_batch_wait > MAX_WAIT_LIMIT {
            return bad(
                "max_batch_wait",
                format!("{:?}", self.max_batch_wait),
                format!("use at most {MAX_WAIT_LIMIT:?}; a few milliseconds is typical"),
            );
        }
        if self.queue_capacity == 0 {
            return bad(
                "queue_capacity",
                "0".into(),
                "use at least 1 (a few times max_batch is typical)".into(),
            );
        }
        if self.backbone.intra_threads == 0 {
            return bad(
                "intra_threads",
                "0".into(),
                "use at least 1 (the number of cores is typical)".into(),
            );
        }
        if !(1..=MAX_WORKERS).contains(&self.inference_workers) {
            return bad(
                "inference_workers",
                self.inference_workers.to_string(),
                format!("use 1 to {MAX_WORKERS}; each loads its own copy of the model"),
            );
        }
        if self.decode_threads == 0 {
            return bad(
                "decode_threads",
                "0".into(),
                "use at least 1 (1 on a busy machine, the number of cores otherwise)".into(),
            );
        }
        if self.decode_limits.max_bytes == 0 || self.decode_limits.max_pixels == 0 {
            return bad(
                "decode_limits",
                format!("{:?}", self.decode_limits),
                "set both max_bytes and max_pixels above zero".into(),
            );
        }
        // An image just under the decode limit must still fit in one message,
        // so oversized images get the library's named error, not a transport one.
        let needed = self
            .decode_limits
            .max_bytes
            .saturating_add(MESSAGE_OVERHEAD);
        if self.max_message_bytes < needed {
            return bad(
                "max_message_bytes",
                self.max_message_bytes.to_string(),
                format!(
                    "use at least {needed} (decode_limits.max_bytes plus {MESSAGE_OVERHEAD} bytes of framing)"
                ),
            );
        }
        if !self.classifier_path.is_file() {
            return bad(
                "classifier_path",
                self.classifier_path.display().to_string(),
                "point it at a model trained with `fillroute vision train`".into(),
            );
        }
        if let Some(dir) = self.similarity_index.as_ref().filter(|d| !d.is_dir()) {
            return bad(
                "similarity_index",
                dir.display().to_string(),
                "point it at a folder of JPEG/PNG/WebP images, or leave it unset".into(),
            );
        }
        Ok(())
    }
}

/// Room for the request id and protobuf framing around the image bytes.
pub const MESSAGE_OVERHEAD: usize = 64 << 10;

/// A configuration value that cannot work, with what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid server setting `{field}` = {value}: {fix}")]
pub struct ConfigError {
    /// The setting's name.
    pub field: &'static str,
    /// The rejected value.
    pub value: String,
    /// How to fix it.
    pub fix: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> (tempfile::NamedTempFile, ServerConfig) {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        let config = ServerConfig::new(file.path());
        (file, config)
    }

    #[test]
    fn defaults_are_valid() {
        let (_file, config) = valid();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.max_batch, 16);
    }

    #[test]
    fn zero_batch_is_refused_naming_the_field() {
        let (_file, mut config) = valid();
        config.max_batch = 0;
        let err = config.validate().expect_err("refused");
        assert_eq!(err.field, "max_batch");
        assert!(err.to_string().contains("use 1 to 256"), "{err}");
    }

    #[test]
    fn message_limit_below_image_limit_is_refused() {
        let (_file, mut config) = valid();
        config.max_message_bytes = config.decode_limits.max_bytes;
        assert_eq!(
            config.validate().expect_err("refused").field,
            "max_message_bytes"
        );
    }

    #[test]
    fn missing_classifier_is_refused() {
        let config = ServerConfig::new("/nonexistent/model.json");
        assert_eq!(
            config.validate().expect_err("refused").field,
            "classifier_path"
        );
    }
}

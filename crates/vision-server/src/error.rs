//! The service's two error types: [`ServerError`] stops the server from
//! starting; [`ServiceError`] fails one request. The gRPC code of every
//! request failure is decided in exactly one place, `From<ServiceError> for Status`.

use crate::config::ConfigError;
use fillroute_vision::VisionError;
use std::path::PathBuf;
use tonic::{Code, Status};

/// Why the server could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A setting cannot work.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The backbone (ONNX Runtime or the model file) did not load.
    #[error("backbone: {0}")]
    Backbone(VisionError),
    /// The classifier artifact was trained on features of another backbone.
    #[error(
        "classifier {path} was trained on backbone {artifact_sha256} but this server runs {backbone_sha256}: retrain it with `fillroute vision train` against this backbone"
    )]
    BackboneMismatch {
        /// The artifact file.
        path: PathBuf,
        /// Backbone sha256 recorded in the artifact.
        artifact_sha256: String,
        /// sha256 of the loaded backbone.
        backbone_sha256: String,
    },
    /// The classifier artifact is missing, malformed or has the wrong shape.
    #[error("classifier: {0}")]
    Classifier(VisionError),
    /// The similarity index folder could not be read or embedded.
    #[error("similarity index: {0}")]
    SimilarityIndex(VisionError),
    /// The reflection service could not be built from the descriptor set.
    #[error("reflection: {0}")]
    Reflection(String),
    /// The listener or the HTTP/2 server failed.
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// Binding the listen address failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A start-up task died unexpectedly.
    #[error("start-up task failed: {0}")]
    Startup(String),
}

/// Why one request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    /// The image is empty, too large, corrupt, truncated, unsupported or a pixel bomb.
    #[error("{0}")]
    BadImage(String),
    /// A request field other than the image is invalid.
    #[error("`{field}` = {value}: {fix}")]
    BadField {
        /// The field.
        field: &'static str,
        /// The rejected value.
        value: String,
        /// How to fix it.
        fix: String,
    },
    /// The inference queue is full.
    #[error("inference queue is full ({capacity} requests waiting): retry with backoff")]
    QueueFull {
        /// Configured queue capacity.
        capacity: usize,
    },
    /// The caller's deadline passed before its image was read.
    #[error(
        "deadline passed after {waited_ms} ms waiting for inference: allow more time or retry later"
    )]
    DeadlineExceeded {
        /// Time the request had waited.
        waited_ms: u64,
    },
    /// The server is shutting down or its inference worker stopped.
    #[error("inference worker is not running: {0}")]
    Unavailable(String),
    /// A fault on our side; the message is for operators.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<VisionError> for ServiceError {
    fn from(e: VisionError) -> Self {
        if e.is_bad_input() {
            Self::BadImage(e.to_string())
        } else {
            Self::Internal(e.to_string())
        }
    }
}

impl From<ServiceError> for Status {
    /// The whole table of gRPC codes for request failures.
    fn from(e: ServiceError) -> Self {
        let code = match &e {
            ServiceError::BadImage(_) | ServiceError::BadField { .. } => Code::InvalidArgument,
            ServiceError::QueueFull { .. } => Code::ResourceExhausted,
            ServiceError::DeadlineExceeded { .. } => Code::DeadlineExceeded,
            ServiceError::Unavailable(_) => Code::Unavailable,
            ServiceError::Internal(_) => {
                tracing::error!(error = %e, "request failed internally");
                Code::Internal
            }
        };
        Status::new(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_images_are_invalid_argument_with_the_librarys_message() {
        let status = Status::from(ServiceError::from(VisionError::EmptyImage));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            status.message().contains("image is empty"),
            "{}",
            status.message()
        );
    }

    #[test]
    fn runtime_faults_are_internal() {
        let status = Status::from(ServiceError::from(VisionError::Inference("boom".into())));
        assert_eq!(status.code(), Code::Internal);
    }

    #[test]
    fn full_queue_is_resource_exhausted() {
        assert_eq!(
            Status::from(ServiceError::QueueFull { capacity: 4 }).code(),
            Code::ResourceExhausted
        );
    }
}

//! The only place that knows both the proto types and the vision library's
//! types, so neither leaks into the other and handlers stay a few lines long.

use crate::batcher::Served;
use crate::engine::ModelSummary;
use crate::error::ServiceError;
use fillroute_proto::vision::v1 as pb;
use fillroute_vision::health::HealthFlag;
use fillroute_vision::similar::l2_normalise;
use std::time::{Duration, Instant};
use tonic::metadata::MetadataMap;

/// Answer the caller just before tonic's own `grpc-timeout` timer fires
/// (which would report `CANCELLED`), so an expired request reads `DEADLINE_EXCEEDED`.
const DEADLINE_MARGIN: Duration = Duration::from_millis(1);

/// The caller's deadline, fixed when the request arrived (see [`stamp_deadline`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(pub Instant);

/// Interceptor: turns the `grpc-timeout` header into a [`Deadline`] the
/// moment the call arrives, before the body is read, so time spent receiving
/// and queueing counts against it.
pub fn stamp_deadline(
    mut request: tonic::Request<()>,
) -> Result<tonic::Request<()>, tonic::Status> {
    if let Some(at) = deadline(request.metadata()) {
        request.extensions_mut().insert(Deadline(at));
    }
    Ok(request)
}

/// The deadline [`stamp_deadline`] recorded, if the caller sent one.
pub fn deadline_of<T>(request: &tonic::Request<T>) -> Option<Instant> {
    request.extensions().get::<Deadline>().map(|d| d.0)
}

/// The caller's deadline from the `grpc-timeout` header, if it sent one.
pub fn deadline(metadata: &MetadataMap) -> Option<Instant> {
    let value = metadata.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    // The gRPC spec allows at most 8 digits.
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let timeout = match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    };
    Some(Instant::now() + timeout.saturating_sub(DEADLINE_MARGIN))
}

/// A fill reading as the API's response.
pub fn classify_response(
    request_id: String,
    served: Served,
    model: &ModelSummary,
) -> pb::ClassifyFillResponse {
    let Served { reading, queue_us } = served;
    let prediction = reading.prediction;
    pb::ClassifyFillResponse {
        request_id,
        fill_class: model
            .classes
            .get(prediction.class)
            .cloned()
            .unwrap_or_default(),
        // 0 when the classifier's classes are not fill levels (no midpoints).
        fill_fraction: prediction.fill_fraction.unwrap_or(0.0),
        probabilities: prediction.probabilities,
        model_version: model.version.clone(),
        timings: Some(pb::Timings {
            decode_us: reading.decode_us,
            queue_us,
            inference_us: reading.inference_us,
            batch_size: reading.batch_size,
        }),
        health_flags: reading
            .health
            .iter()
            .map(|f| f.name().to_string())
            .collect(),
        blind: reading.health.iter().any(HealthFlag::is_blind),
        error: String::new(),
    }
}

/// One rejected image on a stream: the stream goes on, the error is in-band,
/// spelled like the status the unary call would have returned.
pub fn stream_error_response(request_id: String, error: ServiceError) -> pb::ClassifyFillResponse {
    let status = tonic::Status::from(error);
    pb::ClassifyFillResponse {
        request_id,
        error: format!("{:?}: {}", status.code(), status.message()),
        ..Default::default()
    }
}

/// Deep features, unit-length when asked.
pub fn features_response(
    mut features: Vec<f32>,
    normalise: bool,
    model: &ModelSummary,
) -> pb::ExtractFeaturesResponse {
    if normalise {
        l2_normalise(&mut features);
    }
    pb::ExtractFeaturesResponse {
        features,
        backbone_sha256: model.backbone_sha256.clone(),
    }
}

/// Default neighbour count when the request leaves `k` at 0.
pub const DEFAULT_K: usize = 5;
/// Most neighbours one request may ask for.
pub const MAX_K: usize = 1000;

/// Validates `FindSimilarRequest.k` (0 means [`DEFAULT_K`]).
pub fn neighbour_count(k: u32) -> Result<usize, ServiceError> {
    match k as usize {
        0 => Ok(DEFAULT_K),
        k if k <= MAX_K => Ok(k),
        k => Err(ServiceError::BadField {
            field: "k",
            value: k.to_string(),
            fix: format!("ask for 1 to {MAX_K} neighbours (0 means {DEFAULT_K})"),
        }),
    }
}

/// Neighbours, best first.
pub fn similar_response(hits: Vec<(String, f32)>) -> pb::FindSimilarResponse {
    pb::FindSimilarResponse {
        neighbours: hits
            .into_iter()
            .map(|(id, similarity)| pb::Neighbour { id, similarity })
            .collect(),
    }
}

impl From<&ModelSummary> for pb::ModelInfo {
    fn from(m: &ModelSummary) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            model_version: m.version.clone(),
            backbone_name: m.backbone_name.clone(),
            backbone_sha256: m.backbone_sha256.clone(),
            classes: m.classes.clone(),
            feature_dim: count(m.feature_dim),
            max_batch: count(m.max_batch),
            indexed_images: count(m.indexed_images),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_timeout(value: &str) -> MetadataMap {
        let mut m = MetadataMap::new();
        m.insert("grpc-timeout", value.parse().expect("ascii"));
        m
    }

    #[test]
    fn reads_grpc_timeout_units() {
        let now = Instant::now();
        let d = deadline(&with_timeout("500m")).expect("parsed");
        assert!(d > now + Duration::from_millis(490) && d < now + Duration::from_millis(510));
        assert!(deadline(&with_timeout("2S")).expect("parsed") > now + Duration::from_secs(1));
    }

    #[test]
    fn ignores_malformed_grpc_timeout() {
        assert_eq!(deadline(&with_timeout("12x")), None);
        assert_eq!(deadline(&with_timeout("m")), None);
        assert_eq!(deadline(&with_timeout("123456789m")), None);
        assert_eq!(deadline(&MetadataMap::new()), None);
    }

    #[test]
    fn k_zero_means_default_and_huge_k_is_refused() {
        assert_eq!(neighbour_count(0).expect("ok"), DEFAULT_K);
        assert_eq!(neighbour_count(3).expect("ok"), 3);
        assert!(matches!(
            neighbour_count(5000),
            Err(ServiceError::BadField { field: "k", .. })
        ));
    }
}

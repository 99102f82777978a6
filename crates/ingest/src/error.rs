//! The ingestion errors, and their single mapping to gRPC status codes.

use fillroute_store::StoreError;
use tonic::{Code, Status};

/// Why an ingestion request or start-up failed.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A request field is out of range; names the field, the value and the fix.
    #[error("invalid `{field}` = {value}: {fix}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// The value received.
        value: String,
        /// What to send instead.
        fix: String,
    },
    /// A bin's location lies outside every planning region, so the nightly
    /// job would never plan it; refused until a region covers it.
    #[error(
        "location (`lon`, `lat`) = ({lon}, {lat}) is outside every planning region, so the bin would never be planned: add a region that covers it (`fillroute fleet region add --name NAME --bbox MIN_LON,MIN_LAT,MAX_LON,MAX_LAT --depot DEPOT --network NETWORK`; see `fillroute fleet region list`) or correct lon/lat"
    )]
    OutsideRegions {
        /// Longitude sent.
        lon: f64,
        /// Latitude sent.
        lat: f64,
    },
    /// A referenced bin, device or image does not exist.
    #[error("{what} {id} not found")]
    NotFound {
        /// The kind of thing.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// Missing, wrong or revoked credentials. Deliberately carries no detail.
    #[error("unauthenticated")]
    Unauthenticated,
    /// The caller is authenticated but may not touch this resource.
    #[error("device may not act on {0}")]
    PermissionDenied(String),
    /// The device exceeded its upload rate.
    #[error("rate limit of {per_minute} uploads per minute exceeded; retry later")]
    RateLimited {
        /// The device's limit.
        per_minute: i32,
    },
    /// The image is larger than allowed.
    #[error("image of {size} bytes exceeds the limit of {limit} bytes; {fix}")]
    TooLarge {
        /// Bytes received or announced.
        size: u64,
        /// The limit.
        limit: u64,
        /// What to do instead.
        fix: &'static str,
    },
    /// A backing service (PostgreSQL, NATS, object storage) is down; retry later.
    #[error("{service} unavailable: {detail}")]
    Unavailable {
        /// Which one.
        service: &'static str,
        /// What happened (logged; not a secret).
        detail: String,
    },
    /// A bug or an unexpected state.
    #[error("internal error: {0}")]
    Internal(String),
}

impl IngestError {
    pub(crate) fn invalid(
        field: &'static str,
        value: impl ToString,
        fix: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            field,
            value: value.to_string(),
            fix: fix.into(),
        }
    }

    /// Whether retrying later may succeed.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

impl From<StoreError> for IngestError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(source) => Self::Unavailable {
                service: "database",
                detail: source.to_string(),
            },
            StoreError::NotFound { what, id } => Self::NotFound { what, id },
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<IngestError> for Status {
    fn from(e: IngestError) -> Self {
        let code = match &e {
            IngestError::Invalid { .. } => Code::InvalidArgument,
            IngestError::OutsideRegions { .. } => Code::FailedPrecondition,
            IngestError::NotFound { .. } => Code::NotFound,
            IngestError::Unauthenticated => Code::Unauthenticated,
            IngestError::PermissionDenied(_) => Code::PermissionDenied,
            IngestError::RateLimited { .. } => Code::ResourceExhausted,
            IngestError::TooLarge { .. } => Code::InvalidArgument,
            IngestError::Unavailable { .. } => Code::Unavailable,
            IngestError::Internal(_) => Code::Internal,
        };
        match &e {
            // Outage and bug details go to the log, not to devices.
            IngestError::Unavailable { service, .. } => {
                tracing::warn!(error = %e, "request failed: backend unavailable");
                Status::new(code, format!("{service} unavailable; retry later"))
            }
            IngestError::Internal(_) => {
                tracing::error!(error = %e, "request failed");
                Status::new(code, "internal error")
            }
            _ => Status::new(code, e.to_string()),
        }
    }
}

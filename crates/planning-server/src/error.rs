//! The adapter's errors and their one mapping to gRPC status codes.

use fillroute_planning::PlanningError;
use tonic::{Code, Status};

/// Why a request failed: a domain error, or the caller's credentials.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// From the planning domain.
    #[error(transparent)]
    Planning(#[from] PlanningError),
    /// Missing or wrong token. Deliberately carries no detail.
    #[error("unauthenticated")]
    Unauthenticated,
    /// A dashboard token on a planning call.
    #[error("the dashboard role may not {0}; use a planner token")]
    PermissionDenied(&'static str),
}

impl From<fillroute_store::StoreError> for ApiError {
    fn from(e: fillroute_store::StoreError) -> Self {
        Self::Planning(e.into())
    }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Self {
        let code = match &e {
            ApiError::Unauthenticated => Code::Unauthenticated,
            ApiError::PermissionDenied(_) => Code::PermissionDenied,
            ApiError::Planning(p) => match p {
                PlanningError::Invalid { .. } => Code::InvalidArgument,
                PlanningError::NotFound { .. } => Code::NotFound,
                PlanningError::Conflict(_) => Code::FailedPrecondition,
                PlanningError::Busy(_) => Code::Aborted,
                PlanningError::Roads(_) => Code::FailedPrecondition,
                PlanningError::Unavailable(_) => Code::Unavailable,
                PlanningError::Checker(_) | PlanningError::Internal(_) => Code::Internal,
            },
        };
        match code {
            // Outage and bug details go to the log, not to clients.
            Code::Unavailable => {
                tracing::warn!(error = %e, "request failed: database unavailable");
                Status::new(code, "database unavailable; retry later")
            }
            Code::Internal => {
                tracing::error!(error = %e, "request failed");
                Status::new(code, "internal error")
            }
            _ => Status::new(code, e.to_string()),
        }
    }
}

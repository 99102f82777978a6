//! Roles from bearer tokens, read and compared the way every fillroute
//! server does (`fillroute_serving::auth`: constant-time comparison of
//! `authorization: Bearer ...`).

use crate::error::ApiError;
use fillroute_serving::auth::{bearer, constant_time_eq};
use tonic::metadata::MetadataMap;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Read bins and plans.
    Dashboard,
    /// Also plan, re-plan and commit.
    Planner,
}

/// The two tokens (each at least 16 characters; never logged).
#[derive(Clone)]
pub struct Tokens {
    /// Read-only token.
    pub dashboard: String,
    /// Planning token.
    pub planner: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens { .. }")
    }
}

impl Tokens {
    /// The caller's role, if its token is one of ours.
    pub fn role(&self, metadata: &MetadataMap) -> Result<Role, ApiError> {
        let token = bearer(metadata)
            .ok_or(ApiError::Unauthenticated)?
            .as_bytes();
        if constant_time_eq(token, self.planner.as_bytes()) {
            Ok(Role::Planner)
        } else if constant_time_eq(token, self.dashboard.as_bytes()) {
            Ok(Role::Dashboard)
        } else {
            Err(ApiError::Unauthenticated)
        }
    }

    /// Requires the planner role for `action`.
    pub fn planner(&self, metadata: &MetadataMap, action: &'static str) -> Result<(), ApiError> {
        match self.role(metadata)? {
            Role::Planner => Ok(()),
            Role::Dashboard => Err(ApiError::PermissionDenied(action)),
        }
    }
}

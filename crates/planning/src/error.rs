//! The planning errors. Each names what was wrong and how to fix it; the CLI
//! turns them into exit codes and the gRPC adapter into status codes, each in
//! one place.

use fillroute_roads::RoadsError;
use fillroute_store::StoreError;

/// Why a planning request, an import or a plan change failed.
#[derive(Debug, thiserror::Error)]
pub enum PlanningError {
    /// A request field is out of range.
    #[error("invalid `{field}` = {value}: {fix}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// The value given.
        value: String,
        /// What to give instead.
        fix: String,
    },
    /// A region, plan, bin or network that does not exist.
    #[error("{what} {id} not found{hint}")]
    NotFound {
        /// The kind of thing.
        what: &'static str,
        /// Its name or id.
        id: String,
        /// Extra help, starting with `; ` (e.g. the known names), or empty.
        hint: String,
    },
    /// The request contradicts stored state (e.g. a committed plan).
    #[error("{0}")]
    Conflict(String),
    /// Another job is planning the same region and date; retry when it is done.
    #[error("{0}")]
    Busy(String),
    /// A road file could not be read or holds no usable roads (the message names the file).
    #[error(transparent)]
    Roads(#[from] RoadsError),
    /// The independent checker refused the planner's routes: a bug, never stored.
    #[error("the route checker refused the plan: {0}")]
    Checker(String),
    /// The database is down; retrying later may succeed.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected state.
    #[error("internal error: {0}")]
    Internal(String),
}

impl PlanningError {
    /// An [`PlanningError::Invalid`] for `field`.
    pub fn invalid(field: &'static str, value: impl ToString, fix: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            value: value.to_string(),
            fix: fix.into(),
        }
    }

    /// A [`PlanningError::NotFound`] without a hint.
    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            what,
            id: id.to_string(),
            hint: String::new(),
        }
    }
}

impl From<StoreError> for PlanningError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(source) => Self::Unavailable(source.to_string()),
            StoreError::NotFound { what, id } => Self::not_found(what, id),
            StoreError::Conflict(message) => Self::Conflict(message),
            StoreError::NoDatabase { name } => Self::NotFound {
                what: "database",
                id: format!("\"{name}\""),
                hint: "; create it and its tables with `fillroute db create` (same --database-url / DATABASE_URL)".into(),
            },
            StoreError::Constraint { message, .. } if message.contains("committed") => {
                Self::Conflict(message)
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = PlanningError> = std::result::Result<T, E>;

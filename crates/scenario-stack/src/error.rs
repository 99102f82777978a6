//! What can stop a `--stack` replay. Problems a user can fix (a database or
//! broker that does not answer, a scenario the services cannot take) name
//! the option and the fix; the rest say which service failed on which day.

/// Everything that can stop a stack replay.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// A bad option or a scenario the services cannot run; names the field and the fix.
    #[error("`{field}` is {value}: {fix}")]
    Invalid {
        /// The option or scenario field.
        field: String,
        /// The rejected value.
        value: String,
        /// What to do instead.
        fix: String,
    },
    /// A backing service (PostgreSQL, NATS) did not answer.
    #[error("{service} at {url} did not answer ({detail}); {fix}")]
    Unreachable {
        /// `PostgreSQL` or `NATS JetStream`.
        service: &'static str,
        /// The URL tried (credentials removed).
        url: String,
        /// The driver's message.
        detail: String,
        /// How to fix it, naming the option.
        fix: &'static str,
    },
    /// One of the in-process services failed to start or answered with an error.
    #[error("{service}: {detail}")]
    Service {
        /// Which service.
        service: &'static str,
        /// What happened.
        detail: String,
    },
    /// A gRPC call failed.
    #[error("{call} on day {day}: {status}")]
    Call {
        /// The RPC.
        call: &'static str,
        /// Simulated day (0 = set-up).
        day: usize,
        /// The service's status.
        status: Box<tonic::Status>,
    },
    /// The planner service's independent checker did not accept every route.
    #[error("day {day}: the checker accepted {checked} of {routes} routes of plan {plan}")]
    Checker {
        /// Simulated day.
        day: usize,
        /// Plan id.
        plan: i64,
        /// Routes in the plan.
        routes: u32,
        /// Routes the checker accepted.
        checked: u32,
    },
    /// The vision workers did not turn every upload into a reading in time.
    #[error("day {day}: {waiting} of {uploaded} images still unread after {seconds} s ({counts})")]
    Backlog {
        /// Simulated day.
        day: usize,
        /// Images without a reading.
        waiting: i64,
        /// Images uploaded so far.
        uploaded: usize,
        /// How long we waited.
        seconds: u64,
        /// Pipeline counts when giving up.
        counts: String,
    },
    /// The scenario itself (world, vision head, rendering).
    #[error(transparent)]
    Scenario(#[from] fillroute_scenario::ScenarioError),
    /// A store query.
    #[error("PostgreSQL: {0}")]
    Store(#[from] fillroute_store::StoreError),
    /// The planning crate (road import).
    #[error("planning: {0}")]
    Planning(#[from] fillroute_planning::PlanningError),
    /// Rendering a camera image.
    #[error("lid camera: {0}")]
    Camera(#[from] fillroute_lidcam::LidcamError),
}

/// Shorthand.
pub type Result<T, E = StackError> = std::result::Result<T, E>;

pub(crate) fn invalid(
    field: impl Into<String>,
    value: impl std::fmt::Display,
    fix: impl Into<String>,
) -> StackError {
    StackError::Invalid {
        field: field.into(),
        value: value.to_string(),
        fix: fix.into(),
    }
}

pub(crate) fn call(call: &'static str, day: usize) -> impl FnOnce(tonic::Status) -> StackError {
    move |status| StackError::Call {
        call,
        day,
        status: Box::new(status),
    }
}

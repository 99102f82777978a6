//! The scenario crate's one error enum: what a user of `fillroute scenario`
//! can get wrong (the file) is kept apart from what can fail underneath
//! (roads, camera, vision, forecast, planner).

use std::path::PathBuf;

/// Everything that can stop a scenario run.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// A scenario file that does not parse as TOML or has an unknown or mistyped key.
    #[error("{path}: {message}")]
    Parse {
        /// The scenario file.
        path: PathBuf,
        /// The TOML parser's message (it names the key and the line).
        message: String,
    },
    /// A value that parses but makes no sense; names the field, the value and the fix.
    #[error("scenario field `{field}` is {value}: {fix}")]
    Invalid {
        /// Dotted path of the field, e.g. `bins.zones[1].share`.
        field: String,
        /// The offending value as written.
        value: String,
        /// What to write instead.
        fix: String,
    },
    /// A file could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Road network build, snapping or routing failed.
    #[error("road network: {0}")]
    Roads(#[from] fillroute_roads::RoadsError),
    /// Rendering a camera image failed.
    #[error("lid camera: {0}")]
    Camera(#[from] fillroute_lidcam::LidcamError),
    /// The vision model could not be loaded, trained or run.
    #[error("vision: {0}; run scripts/setup.sh and `source ~/.cache/fillroute/env.sh`")]
    Vision(#[from] fillroute_vision::VisionError),
    /// A forecast or decision rejected its input.
    #[error("forecast: {0}")]
    Forecast(#[from] fillroute_forecast::ForecastError),
    /// The day's routing instance was rejected by the planner's model.
    #[error("planner model on day {day} ({policy}): {source}")]
    Model {
        /// Simulated day (1-based).
        day: usize,
        /// Policy name.
        policy: String,
        /// The planner's validation error.
        #[source]
        source: fillroute_planner::ModelError,
    },
    /// The planner's independent checker rejected a plan: a bug, never an input problem.
    #[error("checker rejected the plan of day {day} ({policy}): {violations}")]
    Checker {
        /// Simulated day (1-based).
        day: usize,
        /// Policy name.
        policy: String,
        /// The checker's violations, joined.
        violations: String,
    },
    /// Writing a plot failed.
    #[error("plot {path}: {message}")]
    Plot {
        /// Output file.
        path: PathBuf,
        /// Backend message.
        message: String,
    },
}

/// Shorthand.
pub type Result<T, E = ScenarioError> = std::result::Result<T, E>;

pub(crate) fn invalid(
    field: impl Into<String>,
    value: impl std::fmt::Display,
    fix: impl Into<String>,
) -> ScenarioError {
    ScenarioError::Invalid {
        field: field.into(),
        value: value.to_string(),
        fix: fix.into(),
    }
}

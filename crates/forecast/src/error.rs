//! The crate's one error type: every variant names the field, the value and the fix.

use thiserror::Error;

/// Why input to the forecaster was rejected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ForecastError {
    /// A fill fraction was NaN, infinite or negative.
    #[error(
        "fill fraction `{field}` = {value} is invalid: pass a finite value >= 0 (1.0 = full, above 1 = overflowing)"
    )]
    InvalidFill {
        /// Which field held the value (e.g. `readings[3].fill`).
        field: String,
        /// The rejected value.
        value: f64,
    },
    /// Class probabilities had the wrong length, a bad entry or did not sum to 1.
    #[error(
        "class probabilities `{field}` are invalid ({reason}): pass {expected} finite non-negative values summing to 1, or None"
    )]
    InvalidProbabilities {
        /// Which field held the probabilities.
        field: String,
        /// What is wrong with them.
        reason: String,
        /// How many classes are expected.
        expected: usize,
    },
    /// A timestamp outside the range the forecaster handles (1970 to 2200).
    #[error("timestamp `{field}` = {value} is out of range: pass unix seconds between 0 (1970) and {max} (2200)", max = crate::time::Timestamp::MAX.0)]
    InvalidTimestamp {
        /// Which field held it.
        field: String,
        /// The rejected unix seconds.
        value: i64,
    },
    /// A configuration or policy parameter is outside its meaningful range.
    #[error("parameter `{field}` = {value} is invalid: {fix}")]
    InvalidParameter {
        /// The parameter's name.
        field: &'static str,
        /// The rejected value.
        value: f64,
        /// What range to use instead.
        fix: &'static str,
    },
}

/// Shorthand for this crate's results.
pub type Result<T> = std::result::Result<T, ForecastError>;

/// Rejects a non-finite value or one outside `range`, naming the field and the fix.
pub(crate) fn check_param(
    field: &'static str,
    value: f64,
    range: std::ops::RangeInclusive<f64>,
    fix: &'static str,
) -> Result<()> {
    if value.is_finite() && range.contains(&value) {
        Ok(())
    } else {
        Err(ForecastError::InvalidParameter { field, value, fix })
    }
}

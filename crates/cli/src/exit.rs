//! Exit codes of the planning commands (`fillroute roads ...`, `fillroute plan ...`),
//! so cron and CI can tell "retry later" from "fix the input":
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | internal failure (a bug, or the route checker refused the plan; nothing was stored) |
//! | 2 | bad usage or an invalid argument (the message names the field and the fix) |
//! | 3 | not found: unknown region, plan, bin or road network |
//! | 4 | conflict: the date already has a committed plan, or the plan is committed |
//! | 5 | road file unreadable, corrupt or without car roads (the message names the file) |
//! | 6 | database unavailable: retry later |
//! | 7 | plan written, but some must-collect bins are unserved (each stored with its reason) |
//! | 8 | busy: another job is planning the same region and date; retry when it is done |

use fillroute_planning::PlanningError;
use std::process::ExitCode;

/// Plan stored, but must-collect bins left out.
pub const UNSERVED_MUST: u8 = 7;

/// The exit code for `e`, after printing it.
pub fn failure(e: &PlanningError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(match e {
        PlanningError::Internal(_) | PlanningError::Checker(_) => 1,
        PlanningError::Invalid { .. } => 2,
        PlanningError::NotFound { .. } => 3,
        PlanningError::Conflict(_) => 4,
        PlanningError::Roads(_) => 5,
        PlanningError::Unavailable(_) => 6,
        PlanningError::Busy(_) => 8,
    })
}

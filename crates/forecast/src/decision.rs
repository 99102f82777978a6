//! Collect, may collect, or skip: one bin, one planning date, with the reason and the numbers.

use serde::{Deserialize, Serialize};

use crate::error::{Result, check_param};
use crate::forecast::Forecast;
use crate::time::Timestamp;

/// Who asked for a collection outside the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// The customer asked.
    Customer,
    /// A driver reported it (e.g. overflowing when passing).
    Driver,
}

/// What the decision needs about a bin beyond its forecast.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct BinState {
    /// Last service known from plans or drivers (the forecast's detected services also count).
    pub last_service: Option<Timestamp>,
    /// An open collection request.
    pub request: Option<Request>,
    /// Contractual maximum days between services.
    pub max_interval_days: Option<f64>,
    /// Cost of a separate future visit to this bin (its detour, service and share of a
    /// truckload's driving). Collecting it now, while a truck passes anyway, saves that
    /// visit; the saving counts in proportion to the bin's fill, because an early pickup
    /// only carries what is in the bin. 0 if unknown. Under a collection calendar
    /// ([`BinState::sweep`]) it is the cost of the special trip an overflow forces.
    pub detour_saving: f64,
    /// Where the bin stands in its region's collection calendar, if it has one.
    /// The forecast-and-risk policy then looks ahead to the area's next sweep.
    pub sweep: Option<Sweep>,
}

/// A bin's place in the collection calendar on the planning date.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// Its area is swept on the planning date.
    pub today: bool,
    /// Days from the planning date to the area's next sweep after it.
    pub next_sweep_days: f64,
    /// Days from the planning date to the next working day.
    pub next_working_days: f64,
}

/// Rule used to decide which bins to collect; scenario replay compares the three.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Policy {
    /// Collect on fixed local weekdays regardless of fill (today's common practice).
    FixedSchedule {
        /// Collection weekdays, Monday first.
        weekdays: [bool; 7],
        /// Zone offset from UTC, seconds.
        utc_offset_secs: i32,
    },
    /// Collect whenever the expected fill on the date reaches a threshold.
    Threshold {
        /// Fill that triggers a collection (e.g. 0.75).
        fill_threshold: f64,
        /// Days until the next chance to collect (1 for daily planning).
        next_opportunity_days: f64,
    },
    /// Collect when overflow before the next opportunity is likely; offer fullish bins as optional.
    ForecastRisk(RiskPolicy),
}

/// Parameters of the forecast-and-risk policy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RiskPolicy {
    /// Must collect when P(overflow before the next opportunity) exceeds this (e.g. 0.1).
    pub risk_level: f64,
    /// Above this expected fill a bin becomes an optional stop (e.g. 0.6).
    pub may_fill_threshold: f64,
    /// Days until the next chance to collect (1 for daily planning).
    pub next_opportunity_days: f64,
    /// Cost of one overflow (litter, complaint, penalty), in the planner's cost units.
    pub overflow_cost: f64,
    /// Under a calendar: outside today's area, an emergency pickup when
    /// P(overflow before the next working day) exceeds this (e.g. 0.5).
    #[serde(default = "default_emergency_risk")]
    pub emergency_risk: f64,
}

fn default_emergency_risk() -> f64 {
    0.5
}

impl Default for RiskPolicy {
    fn default() -> Self {
        Self {
            risk_level: 0.1,
            may_fill_threshold: 0.6,
            next_opportunity_days: 1.0,
            overflow_cost: 100.0,
            emergency_risk: default_emergency_risk(),
        }
    }
}

impl Policy {
    /// Fixed schedule with `k` collections a week spread evenly from Monday (k in 1..=7).
    pub fn fixed_per_week(k: u8, utc_offset_secs: i32) -> Result<Self> {
        check_param("k", f64::from(k), 1.0..=7.0, "use 1..=7 collections a week")?;
        let mut weekdays = [false; 7];
        for i in 0..usize::from(k) {
            weekdays[i * 7 / usize::from(k)] = true;
        }
        Ok(Policy::FixedSchedule {
            weekdays,
            utc_offset_secs,
        })
    }

    /// Checks every parameter, naming the first one out of range and the fix.
    /// [`decide`] calls it too; callers that take a policy from a client call
    /// it up front, so a bad rule fails the request instead of every bin.
    pub fn validate(&self) -> Result<()> {
        match self {
            Policy::FixedSchedule { weekdays, .. } => {
                let n = weekdays.iter().filter(|d| **d).count();
                check_param(
                    "weekdays",
                    n as f64,
                    1.0..=7.0,
                    "mark at least one collection weekday",
                )
            }
            Policy::Threshold {
                fill_threshold,
                next_opportunity_days,
            } => {
                check_param(
                    "fill_threshold",
                    *fill_threshold,
                    0.0..=2.0,
                    "use a fill in 0..=2 (e.g. 0.75)",
                )?;
                check_param(
                    "next_opportunity_days",
                    *next_opportunity_days,
                    0.01..=60.0,
                    "use 0.01..=60 days (1 for daily planning)",
                )
            }
            Policy::ForecastRisk(p) => {
                check_param(
                    "risk_level",
                    p.risk_level,
                    0.0..=1.0,
                    "use a probability in 0..=1 (e.g. 0.1)",
                )?;
                check_param(
                    "may_fill_threshold",
                    p.may_fill_threshold,
                    0.0..=2.0,
                    "use a fill in 0..=2 (e.g. 0.6)",
                )?;
                check_param(
                    "next_opportunity_days",
                    p.next_opportunity_days,
                    0.01..=60.0,
                    "use 0.01..=60 days (1 for daily planning)",
                )?;
                check_param(
                    "emergency_risk",
                    p.emergency_risk,
                    0.0..=1.0,
                    "use a probability in 0..=1 (e.g. 0.5)",
                )?;
                check_param(
                    "overflow_cost",
                    p.overflow_cost,
                    0.0..=1e12,
                    "use a non-negative cost",
                )
            }
        }
    }
}

/// What to do with the bin on the date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A mandatory stop.
    Must,
    /// An optional stop with a prize.
    May,
    /// Not on the plan.
    Skip,
}

impl Action {
    /// Every action, in the order above.
    pub const ALL: [Self; 3] = [Self::Must, Self::May, Self::Skip];

    /// The stored and serialised spelling: `must`, `may` or `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "must",
            Self::May => "may",
            Self::Skip => "skip",
        }
    }

    /// The action spelled `s` ([`Self::as_str`]), if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Overflow before the next opportunity is more likely than the risk level.
    OverflowRisk,
    /// The contractual interval runs out before the next opportunity.
    ContractInterval,
    /// The customer asked.
    CustomerRequest,
    /// A driver asked.
    DriverRequest,
    /// Today is a scheduled day (fixed-schedule policy).
    Scheduled,
    /// Expected fill reached the threshold (threshold policy).
    FillThreshold,
    /// Fullish but not urgent: an optional stop.
    FullishNotUrgent,
    /// Below the fill threshold and not at risk.
    NotFullEnough,
    /// Not a scheduled day (fixed-schedule policy).
    NotScheduled,
    /// Outside today's area, but it would overflow before the next working day:
    /// an emergency pickup (calendar policy).
    Emergency,
    /// Outside today's area and expected to last until the next working day.
    NotTodaysArea,
    /// Its area is swept today because another bin there must be collected,
    /// and it is full enough to take along (area-sweep policy).
    AreaSweep,
}

/// The numbers behind a decision, stored with it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DecisionNumbers {
    /// Expected fill at the planning date.
    pub fill_now: f64,
    /// Expected fill at the next opportunity if skipped.
    pub expected_fill_at_horizon: f64,
    /// The next opportunity.
    pub horizon: Timestamp,
    /// P(overflow before the next opportunity) if skipped.
    pub p_overflow: f64,
    /// Days from the last known service to the planning date.
    pub days_since_service: Option<f64>,
    /// Risk level in force (risk policy).
    pub risk_level: Option<f64>,
    /// Fill threshold in force.
    pub fill_threshold: Option<f64>,
    /// Contractual maximum interval.
    pub max_interval_days: Option<f64>,
}

/// A decision with everything needed to explain it later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Planning date (the moment trucks would collect).
    pub date: Timestamp,
    /// Must, may or skip.
    pub action: Action,
    /// The deciding reason.
    pub reason: Reason,
    /// For optional stops: value of collecting now (avoided overflow cost + the fill-weighted
    /// saving of a separate future visit).
    pub prize: Option<f64>,
    /// The numbers behind it.
    pub numbers: DecisionNumbers,
    /// One sentence for a dispatcher.
    pub explanation: String,
}

/// Decides one bin for one planning date.
///
/// Requests and contractual intervals make any policy's decision "must"; then the policy rules.
/// The contract counts as run out when skipping today would exceed it before the next
/// opportunity.
pub fn decide(
    bin: &BinState,
    forecast: &Forecast,
    policy: &Policy,
    date: Timestamp,
) -> Result<Decision> {
    policy.validate()?;
    Timestamp::checked(date.0, "date")?;
    if let Some(s) = bin.last_service {
        Timestamp::checked(s.0, "bin.last_service")?;
    }
    check_param(
        "detour_saving",
        bin.detour_saving,
        0.0..=1e12,
        "use a non-negative cost saving (0 if no truck passes)",
    )?;
    if let Some(w) = &bin.sweep {
        check_param(
            "sweep.next_sweep_days",
            w.next_sweep_days,
            0.01..=60.0,
            "use 0.01..=60 days to the area's next sweep",
        )?;
        check_param(
            "sweep.next_working_days",
            w.next_working_days,
            0.01..=60.0,
            "use 0.01..=60 days to the next working day",
        )?;
    }
    if let Some(m) = bin.max_interval_days {
        check_param(
            "max_interval_days",
            m,
            0.01..=3650.0,
            "use a positive number of days, or None",
        )?;
    }
    let next_days = match policy {
        Policy::FixedSchedule {
            weekdays,
            utc_offset_secs,
        } => (1..=7)
            .find(|d| weekdays[date.plus_days(f64::from(*d)).weekday(*utc_offset_secs)])
            .map_or(7.0, f64::from),
        Policy::Threshold {
            next_opportunity_days,
            ..
        } => *next_opportunity_days,
        Policy::ForecastRisk(p) => match bin.sweep {
            Some(w) if w.today => w.next_sweep_days,
            Some(w) => w.next_working_days,
            None => p.next_opportunity_days,
        },
    };
    let horizon = date.plus_days(next_days);
    let last = match (bin.last_service, forecast.last_service.map(|s| s.at)) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let mut numbers = DecisionNumbers {
        fill_now: forecast.expected_fill(date),
        expected_fill_at_horizon: forecast.expected_fill(horizon),
        horizon,
        p_overflow: forecast.p_overflow_before(horizon),
        days_since_service: last.map(|s| date.days_since(s)),
        risk_level: None,
        fill_threshold: None,
        max_interval_days: bin.max_interval_days,
    };
    let pct = |x: f64| format!("{:.0}%", 100.0 * x);
    let facts = format!(
        "expected fill {} now, {} at the next opportunity in {:.1} d; P(overflow before then) {}",
        pct(numbers.fill_now),
        pct(numbers.expected_fill_at_horizon),
        next_days,
        pct(numbers.p_overflow)
    );
    let done = |action, reason, prize, numbers, why: String| Decision {
        date,
        action,
        reason,
        prize,
        numbers,
        explanation: format!(
            "{}: {why}; {facts}.",
            match action {
                Action::Must => "Must collect",
                Action::May => "May collect",
                Action::Skip => "Skip",
            }
        ),
    };

    if let Some(r) = bin.request {
        let reason = match r {
            Request::Customer => Reason::CustomerRequest,
            Request::Driver => Reason::DriverRequest,
        };
        return Ok(done(
            Action::Must,
            reason,
            None,
            numbers,
            format!("{r:?} requested a collection").to_lowercase(),
        ));
    }
    if let (Some(max), Some(since)) = (bin.max_interval_days, numbers.days_since_service)
        && since + next_days > max
    {
        return Ok(done(
            Action::Must,
            Reason::ContractInterval,
            None,
            numbers,
            format!(
                "{since:.1} days since service, and the contract allows {max:.1} (next chance in {next_days:.1} d)"
            ),
        ));
    }
    Ok(match policy {
        Policy::FixedSchedule {
            weekdays,
            utc_offset_secs,
        } => {
            if weekdays[date.weekday(*utc_offset_secs)] {
                done(
                    Action::Must,
                    Reason::Scheduled,
                    None,
                    numbers,
                    "scheduled collection day".into(),
                )
            } else {
                done(
                    Action::Skip,
                    Reason::NotScheduled,
                    None,
                    numbers,
                    "not a scheduled day".into(),
                )
            }
        }
        Policy::Threshold { fill_threshold, .. } => {
            numbers.fill_threshold = Some(*fill_threshold);
            if numbers.fill_now >= *fill_threshold {
                done(
                    Action::Must,
                    Reason::FillThreshold,
                    None,
                    numbers,
                    format!("fill reached the {} threshold", pct(*fill_threshold)),
                )
            } else {
                done(
                    Action::Skip,
                    Reason::NotFullEnough,
                    None,
                    numbers,
                    format!("below the {} threshold", pct(*fill_threshold)),
                )
            }
        }
        Policy::ForecastRisk(p) if bin.sweep.is_some_and(|w| !w.today) => {
            numbers.risk_level = Some(p.emergency_risk);
            if numbers.p_overflow > p.emergency_risk {
                let why = format!(
                    "not its area's day, but overflow risk {} before the next working day exceeds the {} emergency level",
                    pct(numbers.p_overflow),
                    pct(p.emergency_risk)
                );
                done(Action::Must, Reason::Emergency, None, numbers, why)
            } else {
                let why = "not its area's day, and it lasts until the next working day".into();
                done(Action::Skip, Reason::NotTodaysArea, None, numbers, why)
            }
        }
        Policy::ForecastRisk(p) => {
            numbers.risk_level = Some(p.risk_level);
            numbers.fill_threshold = Some(p.may_fill_threshold);
            // Under a calendar the horizon is the area's next sweep (the bin is in
            // today's area here: the emergency arm above took the others).
            let until = if bin.sweep.is_some() {
                " before its area's next sweep"
            } else {
                ""
            };
            if numbers.p_overflow > p.risk_level {
                let why = format!(
                    "overflow risk {}{until} exceeds the {} risk level",
                    pct(numbers.p_overflow),
                    pct(p.risk_level)
                );
                done(Action::Must, Reason::OverflowRisk, None, numbers, why)
            } else if numbers.fill_now >= p.may_fill_threshold {
                let (prize, why) = if bin.sweep.is_some() {
                    // Left today, it waits for the area's next sweep: what that
                    // risks is an overflow plus the special trip it forces.
                    let prize = numbers.p_overflow * (p.overflow_cost + bin.detour_saving);
                    let why = format!(
                        "above the {} fill threshold in today's area; prize {prize:.2} = P(overflow before the next sweep) {} x (overflow {:.2} + special trip {:.2})",
                        pct(p.may_fill_threshold),
                        pct(numbers.p_overflow),
                        p.overflow_cost,
                        bin.detour_saving
                    );
                    (prize, why)
                } else {
                    let avoided = numbers.p_overflow * p.overflow_cost;
                    let saving = numbers.fill_now.clamp(0.0, 1.0) * bin.detour_saving;
                    let prize = avoided + saving;
                    let why = format!(
                        "above the {} fill threshold but not urgent; prize {prize:.2} = avoided overflow {avoided:.2} + saved future visit {saving:.2} ({} of {:.2})",
                        pct(p.may_fill_threshold),
                        pct(numbers.fill_now.clamp(0.0, 1.0)),
                        bin.detour_saving
                    );
                    (prize, why)
                };
                done(
                    Action::May,
                    Reason::FullishNotUrgent,
                    Some(prize),
                    numbers,
                    why,
                )
            } else {
                let why = format!(
                    "below the {} fill threshold and overflow risk{until} within the {} level",
                    pct(p.may_fill_threshold),
                    pct(p.risk_level)
                );
                done(Action::Skip, Reason::NotFullEnough, None, numbers, why)
            }
        }
    })
}

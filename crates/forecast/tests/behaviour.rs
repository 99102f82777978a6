//! Behaviour of the forecaster and the service decision, one small history per behaviour.
#![allow(clippy::unwrap_used)]

use fillroute_forecast::{
    Action, BinState, Detection, ForecastError, History, ModelConfig, Policy, RateBasis, Reading,
    Reason, Request, RiskPolicy, ServiceEvent, Source, Sweep, Timestamp, decide, fit,
};

/// Monday 2026-11-30 00:00 UTC.
const MONDAY: Timestamp = Timestamp(1_795_996_800);

fn at(days: f64) -> Timestamp {
    MONDAY.plus_days(days)
}

/// Sensor readings three times a day (08, 14, 20) of `fill(day)` for `days` days.
fn readings(days: usize, fill: impl Fn(f64) -> f64) -> Vec<Reading> {
    (0..days)
        .flat_map(|d| [8.0, 14.0, 20.0].map(|h| d as f64 + h / 24.0))
        .map(|t| Reading::new(at(t), fill(t), Source::Sensor))
        .collect()
}

fn fitted(rs: &[Reading], as_of: f64) -> fillroute_forecast::Forecast {
    let config = ModelConfig::default();
    let h = History::new(rs, &config.noise).expect("valid readings");
    fit(&h, &[], at(as_of), &config).expect("fit")
}

#[test]
fn rate_recovers_a_steady_fill() {
    let f = fitted(&readings(4, |t| 0.05 + 0.15 * t), 3.84);
    assert!(
        (f.rate_per_day - 0.15).abs() < 0.01,
        "rate {}",
        f.rate_per_day
    );
    assert!((f.expected_fill(at(4.84)) - (0.05 + 0.15 * 4.84)).abs() < 0.03);
}

#[test]
fn rate_ignores_a_single_misread_outlier() {
    let mut rs = readings(4, |t| 0.05 + 0.15 * t);
    rs[5].fill = 1.2; // a wild misread mid-history
    let f = fitted(&rs, 3.84);
    assert!(
        (f.rate_per_day - 0.15).abs() < 0.015,
        "rate {}",
        f.rate_per_day
    );
    assert!(
        (f.level_now - (0.05 + 0.15 * 3.84)).abs() < 0.03,
        "level {}",
        f.level_now
    );
}

#[test]
fn detects_service_from_a_sharp_fall() {
    // Fills to ~0.9 over 6 days, emptied on day 6 at 11:00.
    let rs = readings(9, |t| {
        if t < 6.45 {
            0.02 + 0.15 * t
        } else {
            0.02 + 0.15 * (t - 6.45)
        }
    });
    let f = fitted(&rs, 8.84);
    assert_eq!(f.services.len(), 1, "{:?}", f.services);
    let s = f.services[0];
    assert_eq!(s.at, at(6.0 + 14.0 / 24.0), "the first low reading");
    assert!(
        matches!(s.detection, Detection::FillDrop { confirmed: true, previous_at, .. } if previous_at == at(6.0 + 8.0 / 24.0))
    );
    assert!(
        f.level_after_service < 0.1,
        "level after service {}",
        f.level_after_service
    );
    assert!((f.level_now - (0.02 + 0.15 * (8.84 - 6.45))).abs() < 0.04);
}

#[test]
fn confirms_a_planned_stop_emptied_the_bin() {
    let rs = readings(9, |t| {
        if t < 6.45 {
            0.02 + 0.15 * t
        } else {
            0.02 + 0.15 * (t - 6.45)
        }
    });
    let f = fitted(&rs, 8.84);
    let emptied = fillroute_forecast::confirming_service(&f.services, at(6.0 + 11.0 / 24.0), 1800);
    assert_eq!(emptied.map(|s| s.at), Some(at(6.0 + 14.0 / 24.0)));
    assert_eq!(
        fillroute_forecast::confirming_service(&f.services, at(5.45), 1800),
        None,
        "a stop a day earlier emptied nothing"
    );
}

#[test]
fn a_single_low_misread_is_not_a_service() {
    let mut rs = readings(5, |t| 0.1 + 0.15 * t);
    rs[10].fill = 0.05; // one reading says empty; the next says full again
    let f = fitted(&rs, 4.84);
    assert!(f.services.is_empty(), "{:?}", f.services);
}

#[test]
fn a_single_high_misread_does_not_fake_a_service() {
    let mut rs = readings(3, |t| 0.05 + 0.05 * t);
    rs[4].fill = 0.95; // 0.1 → 0.95 (misread) → 0.1 looks like a fall, but the level before was low
    let f = fitted(&rs, 2.84);
    assert!(f.services.is_empty(), "{:?}", f.services);
}

#[test]
fn reported_service_starts_a_new_cycle() {
    let rs = readings(4, |t| {
        if t < 2.0 {
            0.2 + 0.1 * t
        } else {
            0.05 + 0.1 * (t - 2.0)
        }
    });
    let config = ModelConfig::default();
    let h = History::new(&rs, &config.noise).expect("valid");
    let f = fit(&h, &[ServiceEvent::reported(at(2.0))], at(3.84), &config).expect("fit");
    assert_eq!(f.last_service, Some(ServiceEvent::reported(at(2.0))));
    assert!(
        (f.level_now - (0.05 + 0.1 * 1.84)).abs() < 0.03,
        "level {}",
        f.level_now
    );
}

#[test]
fn pools_rate_across_past_cycles_when_the_current_cycle_is_young() {
    // Three 5-day cycles at 0.16/day, then a fresh cycle with a single reading.
    let rs = readings(16, |t| {
        0.02 + 0.16 * (t - 5.0 * (t / 5.0 - 0.45 / 5.0).floor() - 0.45).rem_euclid(5.0)
    });
    let f = fitted(&rs[..rs.len() - 2], 15.4);
    assert!(
        matches!(f.basis, RateBasis::Data { cycles, .. } if cycles >= 3),
        "{:?}",
        f.basis
    );
    assert!(
        (f.rate_per_day - 0.16).abs() < 0.02,
        "rate {}",
        f.rate_per_day
    );
}

#[test]
fn new_bin_uses_the_prior_rate() {
    let config = ModelConfig {
        prior_rate_per_day: 0.2,
        ..ModelConfig::default()
    };
    let h =
        History::new(&[Reading::new(at(0.3), 0.1, Source::Camera)], &config.noise).expect("valid");
    let f = fit(&h, &[], at(0.5), &config).expect("fit");
    assert_eq!(f.basis, RateBasis::Prior);
    assert!((f.rate_per_day - 0.2).abs() < 1e-9);
    assert!(
        (f.level_now - (0.1 + 0.2 * 0.2)).abs() < 1e-9,
        "the reading, carried forward at the prior rate"
    );
}

#[test]
fn empty_history_forecasts_from_the_prior_without_panicking() {
    let config = ModelConfig::default();
    let f = fit(&History::default(), &[], at(0.0), &config).expect("fit");
    assert_eq!(f.basis, RateBasis::Prior);
    let p = f.p_overflow_before(at(3.0));
    assert!((0.0..=1.0).contains(&p));
    let full = f.time_until_full(0.8).expect("valid coverage");
    assert!(full.lower <= full.median && full.median <= full.upper.or(Some(at(1e4))));
}

#[test]
fn rejects_nan_fill_naming_the_reading() {
    let rs = vec![
        Reading::new(at(0.0), 0.2, Source::Camera),
        Reading::new(at(0.5), f64::NAN, Source::Camera),
    ];
    let err = History::new(&rs, &Default::default()).expect_err("NaN is rejected");
    assert!(
        matches!(&err, ForecastError::InvalidFill { field, .. } if field == "readings[1].fill")
    );
    assert!(err.to_string().contains("finite value >= 0"), "{err}");
}

#[test]
fn rejects_probabilities_that_do_not_sum_to_one() {
    let r = Reading {
        at: at(0.0),
        fill: 0.5,
        probabilities: Some(vec![0.5, 0.5, 0.5, 0.0, 0.0, 0.0]),
        source: Source::Camera,
    };
    let err = History::new(&[r], &Default::default()).expect_err("sum 1.5 is rejected");
    assert!(
        err.to_string().contains("readings[0].probabilities"),
        "{err}"
    );
}

#[test]
fn sorts_readings_out_of_order() {
    let mut rs = readings(3, |t| 0.1 + 0.1 * t);
    rs.reverse();
    let sorted = fitted(&readings(3, |t| 0.1 + 0.1 * t), 2.84);
    assert_eq!(fitted(&rs, 2.84), sorted);
}

#[test]
fn ignores_readings_after_as_of() {
    let mut rs = readings(3, |t| 0.1 + 0.1 * t);
    let before = fitted(&rs, 1.9);
    rs.push(Reading::new(at(2.95), 1.3, Source::Camera));
    assert_eq!(fitted(&rs, 1.9), before);
}

#[test]
fn uncertain_classifier_readings_count_less() {
    // Camera readings without probabilities, then the last three disagree with the trend.
    let base: Vec<Reading> = readings(3, |t| 0.1 + 0.1 * t)
        .into_iter()
        .map(|r| Reading {
            source: Source::Camera,
            ..r
        })
        .collect();
    let with_last_three = |p: Vec<f64>| {
        let mut rs = base.clone();
        let n = rs.len();
        for r in &mut rs[n - 3..] {
            r.fill = 0.8;
            r.probabilities = Some(p.clone());
        }
        fitted(&rs, 2.84)
    };
    let confident = with_last_three(vec![0.0, 0.0, 0.0, 0.98, 0.02, 0.0]);
    let diffuse = with_last_three(vec![0.2, 0.15, 0.15, 0.15, 0.2, 0.15]);
    assert!(
        confident.level_now > 0.7,
        "confident readings move the level: {}",
        confident.level_now
    );
    assert!(
        (diffuse.level_now - (0.1 + 0.1 * 2.84)).abs() < 0.1,
        "diffuse ones barely do: {}",
        diffuse.level_now
    );
}

/// Strongly weekday-dependent bin (weekends triple the rate), read by a sensor.
fn weekly_pattern_history(days: usize) -> Vec<Reading> {
    let factors = [0.7, 0.7, 0.7, 0.7, 0.7, 1.75, 1.75];
    let fill_at = |t: f64| {
        // Integrate rate 0.1 × factor(day) hour by hour; empty every Monday and Thursday 06:00.
        let mut fill = 0.0;
        let mut s = 0.0;
        while s < t {
            let day = s.floor() as usize;
            let hour = ((s - s.floor()) * 24.0).round() as usize;
            if hour == 6 && matches!(day % 7, 0 | 3) {
                fill = 0.02;
            }
            fill += 0.1 * factors[day % 7] / 24.0;
            s += 1.0 / 24.0;
        }
        fill
    };
    readings(days, fill_at)
}

#[test]
fn weekday_pattern_learned_after_three_weeks() {
    let rs = weekly_pattern_history(22);
    let f = fitted(&rs, 21.9);
    assert!(f.weekday_learned);
    let w = f.weekday.factors;
    let weekend = (w[5] + w[6]) / 2.0;
    let weekday = w[..5].iter().sum::<f64>() / 5.0;
    assert!(weekend > 1.5 * weekday, "factors {w:?}");
}

#[test]
fn weekday_pattern_not_learned_before_three_weeks() {
    let f = fitted(&weekly_pattern_history(14), 13.9);
    assert!(!f.weekday_learned);
    assert!(f.weekday.is_flat());
}

#[test]
fn time_until_full_interval_brackets_the_median() {
    let f = fitted(&readings(3, |t| 0.1 + 0.1 * t), 2.84);
    let full = f.time_until_full(0.8).expect("valid");
    let (lo, med, hi) = (
        full.lower.expect("lower"),
        full.median.expect("median"),
        full.upper.expect("upper"),
    );
    assert!(lo < med && med < hi, "{full:?}");
    // About (1 - 0.384) / 0.1 ≈ 6.2 days from as-of.
    assert!((med.days_since(at(2.84)) - 6.2).abs() < 0.6, "{full:?}");
    assert!((f.p_above(med, 1.0) - 0.5).abs() < 0.02);
}

#[test]
fn overflow_probability_rises_with_time() {
    let f = fitted(&readings(3, |t| 0.3 + 0.1 * t), 2.84);
    let ps: Vec<f64> = (0..10)
        .map(|d| f.p_overflow_before(at(2.84 + d as f64)))
        .collect();
    assert!(ps.windows(2).all(|w| w[0] <= w[1] + 1e-9), "{ps:?}");
    assert!(ps[0] < 0.01 && ps[9] > 0.9, "{ps:?}");
}

#[test]
fn curve_has_bands_around_the_expectation() {
    let f = fitted(&readings(3, |t| 0.1 + 0.1 * t), 2.84);
    let curve = f.curve(at(5.84), 6 * 3600, 0.8).expect("valid");
    assert_eq!(curve.len(), 13);
    assert!(
        curve
            .iter()
            .all(|p| p.lower <= p.expected && p.expected <= p.upper)
    );
    assert!(
        curve.last().expect("points").upper - curve.last().expect("points").lower
            > curve[0].upper - curve[0].lower
    );
}

fn risk() -> Policy {
    Policy::ForecastRisk(RiskPolicy::default())
}

#[test]
fn must_collect_when_overflow_is_likely_before_next_opportunity() {
    let f = fitted(&readings(5, |t| 0.05 + 0.16 * t), 4.84);
    let d = decide(&BinState::default(), &f, &risk(), at(5.25)).expect("decide");
    assert_eq!(
        (d.action, d.reason),
        (Action::Must, Reason::OverflowRisk),
        "{}",
        d.explanation
    );
    assert!(d.numbers.p_overflow > 0.1);
    assert!(
        d.explanation.starts_with("Must collect: overflow risk"),
        "{}",
        d.explanation
    );
}

#[test]
fn skips_a_half_empty_bin_with_slow_fill() {
    let f = fitted(&readings(5, |t| 0.2 + 0.05 * t), 4.84);
    let d = decide(&BinState::default(), &f, &risk(), at(5.25)).expect("decide");
    assert_eq!(
        (d.action, d.reason),
        (Action::Skip, Reason::NotFullEnough),
        "{}",
        d.explanation
    );
    assert!(d.numbers.p_overflow < 0.01);
}

#[test]
fn may_collect_a_fullish_bin_with_a_prize() {
    let f = fitted(&readings(5, |t| 0.4 + 0.05 * t), 4.84);
    let bin = BinState {
        detour_saving: 3.0,
        ..BinState::default()
    };
    let d = decide(&bin, &f, &risk(), at(5.25)).expect("decide");
    assert_eq!(
        (d.action, d.reason),
        (Action::May, Reason::FullishNotUrgent),
        "{}",
        d.explanation
    );
    let prize = d.prize.expect("optional stops carry a prize");
    let saved_visit = d.numbers.fill_now * 3.0;
    assert!((prize - (d.numbers.p_overflow * 100.0 + saved_visit)).abs() < 1e-9);
}

#[test]
fn a_fuller_bin_saves_more_of_its_future_visit() {
    let bin = BinState {
        detour_saving: 3.0,
        ..BinState::default()
    };
    let prize_at = |start: f64| {
        let f = fitted(&readings(5, |t| start + 0.01 * t), 4.84);
        decide(&bin, &f, &risk(), at(5.25))
            .expect("decide")
            .prize
            .expect("may collect")
    };
    assert!(prize_at(0.8) > prize_at(0.65));
}

#[test]
fn must_collect_when_contract_interval_runs_out() {
    let f = fitted(&readings(5, |t| 0.05 + 0.02 * t), 4.84);
    let bin = BinState {
        last_service: Some(at(-9.0)),
        max_interval_days: Some(14.0),
        ..BinState::default()
    };
    let d = decide(&bin, &f, &risk(), at(5.25)).expect("decide");
    assert_eq!(
        (d.action, d.reason),
        (Action::Must, Reason::ContractInterval),
        "{}",
        d.explanation
    );
    assert!((d.numbers.days_since_service.expect("known") - 14.25).abs() < 1e-9);
}

#[test]
fn must_collect_on_customer_request() {
    let f = fitted(&readings(2, |_| 0.1), 1.84);
    let bin = BinState {
        request: Some(Request::Customer),
        ..BinState::default()
    };
    let d = decide(&bin, &f, &risk(), at(2.25)).expect("decide");
    assert_eq!(
        (d.action, d.reason),
        (Action::Must, Reason::CustomerRequest)
    );
}

#[test]
fn fixed_schedule_collects_only_on_its_days() {
    let f = fitted(&readings(2, |_| 0.1), 1.84);
    let policy = Policy::fixed_per_week(2, 0).expect("valid"); // Monday and Thursday
    let on = |day: f64| decide(&BinState::default(), &f, &policy, at(day)).expect("decide");
    assert_eq!(on(7.25).reason, Reason::Scheduled);
    assert_eq!(on(3.25).reason, Reason::Scheduled);
    assert_eq!(on(2.25).reason, Reason::NotScheduled);
    assert!(
        (on(2.25).numbers.horizon.days_since(at(2.25)) - 1.0).abs() < 1e-9,
        "next chance is Thursday"
    );
}

#[test]
fn threshold_policy_collects_above_threshold() {
    let f = fitted(&readings(5, |t| 0.05 + 0.15 * t), 4.84);
    let policy = Policy::Threshold {
        fill_threshold: 0.75,
        next_opportunity_days: 1.0,
    };
    let d = decide(&BinState::default(), &f, &policy, at(5.25)).expect("decide");
    assert_eq!((d.action, d.reason), (Action::Must, Reason::FillThreshold));
    let low = fitted(&readings(5, |t| 0.05 + 0.05 * t), 4.84);
    assert_eq!(
        decide(&BinState::default(), &low, &policy, at(5.25))
            .expect("decide")
            .action,
        Action::Skip
    );
}

#[test]
fn decision_serialises_with_reason_and_numbers() {
    let f = fitted(&readings(5, |t| 0.05 + 0.16 * t), 4.84);
    let d = decide(&BinState::default(), &f, &risk(), at(5.25)).expect("decide");
    let json = serde_json::to_value(&d).expect("serialise");
    assert_eq!(json["reason"], "overflow_risk");
    assert_eq!(json["action"], "must");
    assert!(json["numbers"]["p_overflow"].as_f64().expect("number") > 0.1);
    let back: fillroute_forecast::Decision = serde_json::from_value(json).expect("round trip");
    assert_eq!(back, d);
    let fj = serde_json::to_string(&f).expect("forecast serialises");
    assert_eq!(
        serde_json::from_str::<fillroute_forecast::Forecast>(&fj).expect("round trip"),
        f
    );
}

#[test]
fn rejects_invalid_policy_naming_the_field() {
    let f = fitted(&readings(2, |_| 0.1), 1.84);
    let policy = Policy::ForecastRisk(RiskPolicy {
        risk_level: f64::NAN,
        ..RiskPolicy::default()
    });
    let err = decide(&BinState::default(), &f, &policy, at(2.25)).expect_err("NaN risk level");
    assert!(
        matches!(
            err,
            ForecastError::InvalidParameter {
                field: "risk_level",
                ..
            }
        ),
        "{err}"
    );
    let bad = ModelConfig {
        prior_rate_per_day: -1.0,
        ..ModelConfig::default()
    };
    let err = fit(&History::default(), &[], at(0.0), &bad).expect_err("negative prior");
    assert!(err.to_string().contains("prior_rate_per_day"), "{err}");
}

fn sweep(today: bool, next_sweep_days: f64) -> Sweep {
    Sweep {
        today,
        next_sweep_days,
        next_working_days: 1.0,
    }
}

#[test]
fn in_its_areas_sweep_a_bin_that_would_overflow_before_the_next_sweep_is_must_collect() {
    // 0.62 at planning, 8 % a day: fine tomorrow, over 100 % within a week.
    let f = fitted(&readings(5, |t| 0.2 + 0.08 * t), 4.84);
    let one_day = decide(&BinState::default(), &f, &risk(), at(5.25)).expect("decide");
    assert_ne!(one_day.action, Action::Must, "{}", one_day.explanation);
    let bin = BinState {
        sweep: Some(sweep(true, 7.0)),
        ..BinState::default()
    };
    let d = decide(&bin, &f, &risk(), at(5.25)).expect("decide");
    assert_eq!(
        (d.action, d.reason),
        (Action::Must, Reason::OverflowRisk),
        "{}",
        d.explanation
    );
    assert_eq!(d.numbers.horizon, at(12.25));
}

#[test]
fn outside_its_area_only_an_overflow_before_the_next_working_day_is_collected_as_an_emergency() {
    let slow = fitted(&readings(5, |t| 0.2 + 0.05 * t), 4.84);
    let bin = BinState {
        sweep: Some(sweep(false, 4.0)),
        ..BinState::default()
    };
    let d = decide(&bin, &slow, &risk(), at(5.25)).expect("decide");
    assert_eq!(
        (d.action, d.reason),
        (Action::Skip, Reason::NotTodaysArea),
        "{}",
        d.explanation
    );
    let urgent = fitted(&readings(5, |t| 0.05 + 0.17 * t), 4.84);
    let d = decide(&bin, &urgent, &risk(), at(5.25)).expect("decide");
    assert_eq!(
        (d.action, d.reason),
        (Action::Must, Reason::Emergency),
        "{}",
        d.explanation
    );
}

#[test]
fn a_fullish_bin_in_todays_area_is_priced_by_what_waiting_for_the_next_sweep_risks() {
    let f = fitted(&readings(5, |t| 0.5 + 0.04 * t), 4.84);
    let bin = BinState {
        detour_saving: 3.0,
        sweep: Some(sweep(true, 7.0)),
        ..BinState::default()
    };
    let policy = Policy::ForecastRisk(RiskPolicy {
        risk_level: 0.9,
        ..RiskPolicy::default()
    });
    let d = decide(&bin, &f, &policy, at(5.25)).expect("decide");
    assert_eq!(
        (d.action, d.reason),
        (Action::May, Reason::FullishNotUrgent),
        "{}",
        d.explanation
    );
    let prize = d.prize.expect("optional stops carry a prize");
    assert!(d.numbers.p_overflow > 0.05, "{}", d.explanation);
    assert!(
        (prize - d.numbers.p_overflow * (100.0 + 3.0)).abs() < 1e-9,
        "{prize}"
    );
}

#[test]
fn a_sweep_a_year_away_is_refused_by_name() {
    let f = fitted(&readings(2, |_| 0.1), 1.84);
    let bin = BinState {
        sweep: Some(sweep(true, 365.0)),
        ..BinState::default()
    };
    let e = decide(&bin, &f, &risk(), at(2.25)).unwrap_err();
    assert!(e.to_string().contains("sweep.next_sweep_days"), "{e}");
}

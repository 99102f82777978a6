//! Property tests on random histories: whatever arrives, the forecaster answers sensibly or
//! returns a typed error, and never panics.

use fillroute_forecast::{
    BinState, History, ModelConfig, Policy, Reading, RiskPolicy, Source, Timestamp, decide, fit,
};
use proptest::prelude::*;

const T0: i64 = 1_795_996_800;

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        Just(Source::Camera),
        Just(Source::Sensor),
        Just(Source::Driver)
    ]
}

fn probabilities() -> impl Strategy<Value = Option<Vec<f64>>> {
    proptest::option::of(proptest::collection::vec(1e-3f64..1.0, 6).prop_map(|v| {
        let s: f64 = v.iter().sum::<f64>().max(1e-9);
        v.into_iter().map(|x| x / s).collect()
    }))
}

/// Random (unsorted) valid readings over up to 60 days, fills in 0..1.4.
fn history() -> impl Strategy<Value = Vec<Reading>> {
    proptest::collection::vec(
        (0i64..60 * 86_400, 0.0f64..1.4, probabilities(), source()).prop_map(
            |(dt, fill, probabilities, source)| Reading {
                at: Timestamp(T0 + dt),
                fill,
                probabilities,
                source,
            },
        ),
        0..120,
    )
}

/// A sawtooth bin (fill and empty) with noise, sorted, so cycles and services really occur.
fn sawtooth() -> impl Strategy<Value = Vec<Reading>> {
    (
        0.02f64..0.4,
        proptest::collection::vec(-0.08f64..0.08, 90..200),
    )
        .prop_map(|(rate, noise)| {
            noise
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let t = i as f64 / 3.0;
                    let fill = (rate * t).rem_euclid(0.9) + 0.02 + e;
                    Reading::new(
                        Timestamp(T0 + (t * 86_400.0) as i64),
                        fill.max(0.0),
                        Source::Camera,
                    )
                })
                .collect()
        })
}

fn check_forecast(rs: &[Reading], as_of_days: f64) -> Result<(), TestCaseError> {
    let config = ModelConfig::default();
    let h = History::new(rs, &config.noise).expect("valid by construction");
    let as_of = Timestamp(T0).plus_days(as_of_days);
    let f = fit(&h, &[], as_of, &config).expect("fit never fails on valid input");
    prop_assert!(f.level_now.is_finite() && f.level_sd > 0.0);
    prop_assert!(f.rate_per_day.is_finite() && f.rate_per_day > 0.0);
    let mut last_p = 0.0;
    for d in [0.0, 0.5, 1.0, 3.0, 10.0] {
        let t = as_of.plus_days(d);
        let p = f.p_overflow_before(t);
        prop_assert!((0.0..=1.0).contains(&p), "p {p}");
        prop_assert!(
            p + 1e-3 >= last_p,
            "overflow probability fell: {last_p} -> {p}"
        );
        last_p = p;
        let (lo, hi) = f.fill_interval(t, 0.8).expect("valid coverage");
        let med = f.median_fill(t);
        prop_assert!(lo <= med + 1e-4 && med <= hi + 1e-4, "{lo} {med} {hi}");
        prop_assert!(f.expected_fill(t) + 1e-9 >= f.level_now);
    }
    let full = f.time_until_full(0.8).expect("valid coverage");
    if let (Some(lo), Some(med)) = (full.lower, full.median) {
        prop_assert!(lo <= med);
    }
    if let (Some(med), Some(hi)) = (full.median, full.upper) {
        prop_assert!(med <= hi);
    }
    for policy in [
        Policy::ForecastRisk(RiskPolicy::default()),
        Policy::fixed_per_week(3, 0).expect("valid"),
        Policy::Threshold {
            fill_threshold: 0.75,
            next_opportunity_days: 1.0,
        },
    ] {
        let d =
            decide(&BinState::default(), &f, &policy, as_of.plus_days(0.4)).expect("valid policy");
        prop_assert!(!d.explanation.is_empty());
        prop_assert!(d.prize.is_none_or(|p| p.is_finite() && p >= 0.0));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_histories_give_sane_forecasts(rs in history(), as_of in 0.0f64..70.0) {
        check_forecast(&rs, as_of)?;
    }

    #[test]
    fn sawtooth_histories_give_sane_forecasts(rs in sawtooth(), as_of in 20.0f64..70.0) {
        check_forecast(&rs, as_of)?;
    }

    #[test]
    fn reading_order_does_not_matter(mut rs in history(), as_of in 0.0f64..70.0) {
        let config = ModelConfig::default();
        let at = Timestamp(T0).plus_days(as_of);
        // Equal timestamps keep arrival order, so make them distinct first.
        rs.sort_by_key(|r| r.at);
        rs.dedup_by_key(|r| r.at);
        let sorted = fit(&History::new(&rs, &config.noise).expect("valid"), &[], at, &config).expect("fit");
        rs.reverse();
        let reversed = fit(&History::new(&rs, &config.noise).expect("valid"), &[], at, &config).expect("fit");
        prop_assert_eq!(sorted, reversed);
    }

    #[test]
    fn every_clean_emptying_is_detected_and_nothing_else(rate in 0.08f64..0.3, top in 0.6f64..1.2, days in 20usize..50) {
        // Noise-free sawtooth: fill from 0.02 up to `top`, emptied, repeat.
        let period = (top - 0.02) / rate;
        let rs: Vec<Reading> = (0..days * 3)
            .map(|i| {
                let t = i as f64 / 3.0 + 0.3;
                Reading::new(Timestamp(T0).plus_days(t), 0.02 + rate * t.rem_euclid(period), Source::Camera)
            })
            .collect();
        let expected = rs.windows(2).filter(|w| w[1].fill < w[0].fill).count();
        let config = ModelConfig::default();
        let h = History::new(&rs, &config.noise).expect("valid");
        let f = fit(&h, &[], Timestamp(T0).plus_days(days as f64 + 1.0), &ModelConfig { max_history_days: 100.0, ..config }).expect("fit");
        // A fall counts only if it is at least `min_drop` (0.35): tiny sawtooths are not services.
        let big = rs.windows(2).filter(|w| w[0].fill - w[1].fill >= 0.35 && w[1].fill <= 0.3).count();
        prop_assert_eq!(f.services.len(), big, "falls {} (big {})", expected, big);
    }

    #[test]
    fn out_of_range_timestamps_are_rejected(secs in prop_oneof![i64::MIN..0, Timestamp::MAX.0 + 1..i64::MAX]) {
        let rs = [Reading::new(Timestamp(secs), 0.2, Source::Camera)];
        prop_assert!(History::new(&rs, &Default::default()).is_err());
        let config = ModelConfig::default();
        prop_assert!(fit(&History::default(), &[], Timestamp(secs), &config).is_err());
    }

    #[test]
    fn bad_fills_are_rejected_not_panicked_on(fill in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), -10.0f64..-1e-9]) {
        let rs = [Reading::new(Timestamp(T0), 0.2, Source::Camera), Reading::new(Timestamp(T0 + 3600), fill, Source::Camera)];
        prop_assert!(History::new(&rs, &Default::default()).is_err());
    }
}

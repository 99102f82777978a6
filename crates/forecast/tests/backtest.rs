//! The forecast against simulated ground truth. Figures and the command that prints them are in
//! BENCHMARKS-forecast.md; the bounds here leave room for other seeds, not for regressions.

use fillroute_forecast::backtest::{BacktestConfig, run};

#[test]
fn next_day_forecast_beats_bounds_on_simulated_bins() {
    let report = run(&BacktestConfig {
        bins: 20,
        ..BacktestConfig::default()
    })
    .expect("valid config");
    eprintln!("{report:#?}");
    assert!(report.evaluations > 500, "{report:?}");
    assert!(
        report.mae < 0.055,
        "next-day MAE {:.4}: {report:?}",
        report.mae
    );
    assert!(
        report.mae < 0.4 * report.mae_last_reading,
        "must beat 'tomorrow = last reading': {report:?}"
    );
    assert!(report.bias.abs() < 0.02, "{report:?}");
    assert!(
        (0.75..=0.92).contains(&report.coverage),
        "80% interval coverage {:.3}: {report:?}",
        report.coverage
    );
    let calibration = report.mean_p_above_threshold - report.observed_above_threshold;
    assert!(
        calibration.abs() < 0.05,
        "P(fill >= 0.8 tomorrow) miscalibrated by {calibration:+.3}: {report:?}"
    );
    assert!(report.brier_above_threshold < 0.06, "{report:?}");
    let recall = report.services_detected as f64 / report.services_true as f64;
    assert!(recall > 0.95, "service recall {recall:.3}: {report:?}");
    assert!(
        report.services_false as f64 <= 0.01 * report.services_true as f64,
        "{report:?}"
    );
}

#[test]
fn backtest_is_deterministic_per_seed() {
    let config = BacktestConfig {
        bins: 3,
        days: 35,
        ..BacktestConfig::default()
    };
    assert_eq!(run(&config).expect("valid"), run(&config).expect("valid"));
}

//! Prints the backtest figures:
//! `cargo run --release -p fillroute-forecast --example backtest [seed]`.
//!
//! Rows: the default simulation (mild weekday pattern) with and without weekday learning; a
//! strong weekday pattern with and without it; a flat week (nothing to learn); and clean readings.

use fillroute_forecast::ModelConfig;
use fillroute_forecast::backtest::{BacktestConfig, BacktestReport, run};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(7);
    let base = BacktestConfig {
        seed,
        ..BacktestConfig::default()
    };
    let no_weekday = ModelConfig {
        weekday_min_days: 3650.0,
        ..base.model
    };
    let strong = [2.0, 0.8, 0.8, 0.8, 0.8, 1.5, 0.5];
    let rows = [
        ("default", base),
        (
            "default, no weekday learning",
            BacktestConfig {
                model: no_weekday,
                ..base
            },
        ),
        (
            "strong weekday pattern",
            BacktestConfig {
                weekday_pattern: strong,
                ..base
            },
        ),
        (
            "strong pattern, no weekday learning",
            BacktestConfig {
                weekday_pattern: strong,
                model: no_weekday,
                ..base
            },
        ),
        (
            "flat-week simulation",
            BacktestConfig {
                weekday_pattern: [1.0; 7],
                weekday_jitter: 0.0,
                ..base
            },
        ),
        (
            "no misreads, low noise",
            BacktestConfig {
                daily_log_sd: 0.05,
                reading_sd: 0.02,
                misread_prob: 0.0,
                ..base
            },
        ),
    ];
    println!(
        "| run | evals | MAE | MAE (median) | bias | MAE last reading | 80% coverage | width | services found / true (false) | P(≥0.8) mean / observed / Brier | time |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, config) in rows {
        let started = std::time::Instant::now();
        let r: BacktestReport = run(&config)?;
        println!(
            "| {name} | {} | {:.4} | {:.4} | {:+.4} | {:.4} | {:.3} | {:.3} | {} / {} ({}) | {:.3} / {:.3} / {:.3} | {:.2?} |",
            r.evaluations,
            r.mae,
            r.mae_median,
            r.bias,
            r.mae_last_reading,
            r.coverage,
            r.mean_interval_width,
            r.services_detected,
            r.services_true,
            r.services_false,
            r.mean_p_above_threshold,
            r.observed_above_threshold,
            r.brier_above_threshold,
            started.elapsed()
        );
    }
    Ok(())
}

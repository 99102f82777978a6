//! Prints the backtest figures:
//! `cargo run --release -p fillroute-forecast --example backtest [seed]`.
//!
//! Rows: the default model; the same with weekday learning switched off; and a simulation with
//! no weekday pattern at all (what the model does when there is nothing to learn).

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
    let rows = [
        ("default", base),
        (
            "no weekday learning",
            BacktestConfig {
                model: ModelConfig {
                    weekday_min_days: 3650.0,
                    ..base.model
                },
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
    ];
    println!(
        "| run | evals | MAE | MAE (median) | bias | MAE last reading | 80% coverage | width | services found / true (false) | time |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (name, config) in rows {
        let started = std::time::Instant::now();
        let r: BacktestReport = run(&config)?;
        println!(
            "| {name} | {} | {:.4} | {:.4} | {:+.4} | {:.4} | {:.3} | {:.3} | {} / {} ({}) | {:.2?} |",
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
            started.elapsed()
        );
    }
    Ok(())
}

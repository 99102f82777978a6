//! Policies compared over several seeds of one scenario: the truck-km against
//! overflow frontier, and the claim that matters. A sensor policy is compared
//! with the cheapest fixed schedule whose mean overflow bin-days are no higher
//! than its own, seed by seed (the seeds are common random numbers: the same
//! city, fill and luck for every policy), with a 95 % confidence interval of
//! the paired relative change.

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::sim::{PolicyKpis, RunResult};

/// One policy's means over the seeds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PolicySummary {
    /// Policy name.
    pub policy: String,
    /// A fixed schedule (no sensors).
    pub fixed: bool,
    /// Seeds averaged.
    pub seeds: usize,
    /// Mean truck-km.
    pub truck_km: f64,
    /// Mean collection-km (truck-km less haul).
    pub collection_km: f64,
    /// Mean truck-hours.
    pub truck_hours: f64,
    /// Mean pickups.
    pub pickups: f64,
    /// Mean overflow bin-days.
    pub overflow_bin_days: f64,
    /// Mean emergency pickups.
    pub emergency_pickups: f64,
    /// Mean missed must-collect bins.
    pub missed_must_collect: f64,
    /// Mean routes per working day.
    pub routes_per_day: f64,
    /// Mean running cost, euro.
    pub cost_eur: f64,
}

/// A mean with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Interval {
    /// Mean.
    pub mean: f64,
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

/// A sensor policy against its fixed baseline.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Claim {
    /// The sensor policy.
    pub policy: String,
    /// The cheapest fixed schedule with no more overflow, or the fixed schedule
    /// with least overflow when none is that good.
    pub baseline: String,
    /// Whether the baseline has no more overflow bin-days than the policy.
    pub baseline_no_more_overflow: bool,
    /// Paired relative change in truck-km (−0.3 = 30 % fewer).
    pub km_change: Interval,
    /// Paired relative change in pickups.
    pub pickups_change: Interval,
    /// Emergency pickups as a share of the policy's pickups.
    pub emergency_share: f64,
}

/// The comparison over seeds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    /// Scenario name.
    pub scenario: String,
    /// Seeds compared.
    pub seeds: Vec<u64>,
    /// Per-policy means.
    pub policies: Vec<PolicySummary>,
    /// One claim per sensor policy.
    pub claims: Vec<Claim>,
}

/// Compares the runs (same scenario, one per seed).
pub fn compare(runs: &[RunResult]) -> Comparison {
    let names: Vec<&PolicyKpis> = runs
        .first()
        .map(|r| r.kpis.iter().collect())
        .unwrap_or_default();
    let of = |name: &str| -> Vec<&PolicyKpis> {
        runs.iter()
            .filter_map(|r| r.kpis.iter().find(|k| k.policy == name))
            .collect()
    };
    let mean = |xs: &[&PolicyKpis], f: &dyn Fn(&PolicyKpis) -> f64| {
        xs.iter().map(|k| f(k)).sum::<f64>() / xs.len().max(1) as f64
    };
    let policies: Vec<PolicySummary> = names
        .iter()
        .map(|k| {
            let xs = of(&k.policy);
            PolicySummary {
                policy: k.policy.clone(),
                fixed: k.fixed,
                seeds: xs.len(),
                truck_km: mean(&xs, &|k| k.truck_km),
                collection_km: mean(&xs, &|k| k.collection_km),
                truck_hours: mean(&xs, &|k| k.truck_hours),
                pickups: mean(&xs, &|k| k.pickups as f64),
                overflow_bin_days: mean(&xs, &|k| k.overflow_bin_days as f64),
                emergency_pickups: mean(&xs, &|k| k.emergency_pickups as f64),
                missed_must_collect: mean(&xs, &|k| k.missed_must_collect as f64),
                routes_per_day: mean(&xs, &|k| k.routes_per_day),
                cost_eur: mean(&xs, &|k| k.cost_eur),
            }
        })
        .collect();
    let mut claims = Vec::new();
    for p in policies.iter().filter(|p| !p.fixed) {
        let fixed: Vec<&PolicySummary> = policies.iter().filter(|b| b.fixed).collect();
        let good: Option<&PolicySummary> = fixed
            .iter()
            .copied()
            .filter(|b| b.overflow_bin_days <= p.overflow_bin_days)
            .min_by(|a, b| a.truck_km.total_cmp(&b.truck_km));
        let (baseline, no_more) = match good {
            Some(b) => (b, true),
            None => match fixed
                .iter()
                .copied()
                .min_by(|a, b| a.overflow_bin_days.total_cmp(&b.overflow_bin_days))
            {
                Some(b) => (b, false),
                None => continue,
            },
        };
        let paired = |f: &dyn Fn(&PolicyKpis) -> f64| -> Interval {
            let d: Vec<f64> = runs
                .iter()
                .filter_map(|r| {
                    let a = r.kpis.iter().find(|k| k.policy == p.policy)?;
                    let b = r.kpis.iter().find(|k| k.policy == baseline.policy)?;
                    (f(b) > 0.0).then(|| f(a) / f(b) - 1.0)
                })
                .collect();
            interval(&d)
        };
        claims.push(Claim {
            policy: p.policy.clone(),
            baseline: baseline.policy.clone(),
            baseline_no_more_overflow: no_more,
            km_change: paired(&|k| k.truck_km),
            pickups_change: paired(&|k| k.pickups as f64),
            emergency_share: if p.pickups > 0.0 {
                p.emergency_pickups / p.pickups
            } else {
                0.0
            },
        });
    }
    Comparison {
        scenario: runs.first().map(|r| r.scenario.clone()).unwrap_or_default(),
        seeds: runs.iter().map(|r| r.seed).collect(),
        policies,
        claims,
    }
}

/// Mean and 95 % Student-t interval; a single value has a zero-width interval.
fn interval(d: &[f64]) -> Interval {
    let n = d.len();
    if n == 0 {
        return Interval {
            mean: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
        };
    }
    let mean = d.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Interval {
            mean,
            lo: mean,
            hi: mean,
        };
    }
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .map(|s| s.inverse_cdf(0.975))
        .unwrap_or(f64::NAN);
    let half = t * (var / n as f64).sqrt();
    Interval {
        mean,
        lo: mean - half,
        hi: mean + half,
    }
}

/// The comparison as Markdown: the means table and the claims.
pub fn comparison_table(c: &Comparison) -> String {
    let mut t = String::new();
    let seeds: Vec<String> = c.seeds.iter().map(u64::to_string).collect();
    let _ = writeln!(
        t,
        "{} · seeds {} · means over seeds\n",
        c.scenario,
        seeds.join(", ")
    );
    let _ = writeln!(
        t,
        "| policy | truck-km | coll-km | truck-h | pickups | overflow bin-days | emergency | missed must | routes/day | cost EUR |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for p in &c.policies {
        let _ = writeln!(
            t,
            "| {}{} | {:.1} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.1} | {:.2} | {:.0} |",
            p.policy,
            if p.fixed { " (fixed)" } else { "" },
            p.truck_km,
            p.collection_km,
            p.truck_hours,
            p.pickups,
            p.overflow_bin_days,
            p.emergency_pickups,
            p.missed_must_collect,
            p.routes_per_day,
            p.cost_eur
        );
    }
    let pct = |i: &Interval| {
        format!(
            "{:+.1} % [{:+.1}, {:+.1}]",
            100.0 * i.mean,
            100.0 * i.lo,
            100.0 * i.hi
        )
    };
    let _ = writeln!(t);
    for cl in &c.claims {
        let _ = writeln!(
            t,
            "- {} against {} ({}): truck-km {}, pickups {} (paired over seeds, 95 % CI); emergency pickups {:.1} % of pickups",
            cl.policy,
            cl.baseline,
            if cl.baseline_no_more_overflow {
                "the cheapest fixed schedule with no more overflow"
            } else {
                "no fixed schedule has this little overflow; the one with least"
            },
            pct(&cl.km_change),
            pct(&cl.pickups_change),
            100.0 * cl.emergency_share
        );
    }
    t
}

/// Plots truck-km against overflow bin-days, one small point per policy and
/// seed and one large point per policy mean.
pub fn plot_frontier(path: &Path, runs: &[RunResult]) -> std::result::Result<(), String> {
    if path.extension().is_some_and(|e| e == "svg") {
        draw(SVGBackend::new(path, (900, 650)).into_drawing_area(), runs)
    } else {
        draw(
            BitMapBackend::new(path, (900, 650)).into_drawing_area(),
            runs,
        )
    }
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    runs: &[RunResult],
) -> std::result::Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let text = crate::output::register_font();
    root.fill(&WHITE).map_err(e)?;
    let c = compare(runs);
    let all = runs.iter().flat_map(|r| r.kpis.iter());
    let xmax = all
        .clone()
        .map(|k| k.overflow_bin_days as f64)
        .fold(1.0, f64::max)
        * 1.1;
    let ymax = all.map(|k| k.truck_km).fold(1.0, f64::max) * 1.1;
    let mut b = ChartBuilder::on(&root);
    b.margin(14).x_label_area_size(40).y_label_area_size(60);
    if text {
        b.caption(
            format!(
                "{} — truck-km against overflow ({} seed{})",
                c.scenario,
                runs.len(),
                if runs.len() == 1 { "" } else { "s" }
            ),
            ("sans-serif", 20),
        );
    }
    let mut chart = b.build_cartesian_2d(0.0..xmax, 0.0..ymax).map_err(e)?;
    let mut mesh = chart.configure_mesh();
    if text {
        mesh.x_desc("overflow bin-days").y_desc("truck-km");
    } else {
        mesh.disable_x_mesh()
            .disable_y_mesh()
            .x_labels(0)
            .y_labels(0);
    }
    mesh.draw().map_err(e)?;
    for (i, p) in c.policies.iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        let pts: Vec<(f64, f64)> = runs
            .iter()
            .filter_map(|r| r.kpis.iter().find(|k| k.policy == p.policy))
            .map(|k| (k.overflow_bin_days as f64, k.truck_km))
            .collect();
        chart
            .draw_series(pts.iter().map(|&xy| Circle::new(xy, 3, colour.filled())))
            .map_err(e)?;
        let mean = (p.overflow_bin_days, p.truck_km);
        let s = if p.fixed {
            chart.draw_series(std::iter::once(TriangleMarker::new(
                mean,
                9,
                colour.filled(),
            )))
        } else {
            chart.draw_series(std::iter::once(Circle::new(mean, 9, colour.filled())))
        }
        .map_err(e)?;
        if text {
            let label = format!("{}{}", p.policy, if p.fixed { " (fixed)" } else { "" });
            s.label(label)
                .legend(move |(x, y)| Circle::new((x + 8, y), 5, colour.filled()));
        }
    }
    if text {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(e)?;
    }
    root.present().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(policy: &str, fixed: bool, km: f64, overflow: usize, pickups: usize) -> PolicyKpis {
        PolicyKpis {
            policy: policy.into(),
            fixed,
            truck_km: km,
            overflow_bin_days: overflow,
            pickups,
            ..PolicyKpis::default()
        }
    }

    fn run(seed: u64, kpis: Vec<PolicyKpis>) -> RunResult {
        RunResult {
            scenario: "t".into(),
            seed,
            days: 7,
            bins: 10,
            trucks: 1,
            kpis,
            daily: Vec::new(),
            head_training_accuracy: None,
            maps: Vec::new(),
            phases: Vec::new(),
            reader: crate::ReaderMode::Model,
            reader_confusion: None,
        }
    }

    #[test]
    fn the_baseline_is_the_cheapest_fixed_schedule_with_no_more_overflow() {
        let runs: Vec<RunResult> = (0..3)
            .map(|s| {
                run(
                    s,
                    vec![
                        k("weekly", true, 50.0, 40, 100),
                        k("twice", true, 100.0, 5, 200),
                        k("thrice", true, 140.0, 1, 300),
                        k("fill", false, 70.0 + s as f64, 4, 110),
                    ],
                )
            })
            .collect();
        let c = compare(&runs);
        let claim = &c.claims[0];
        assert_eq!(claim.baseline, "thrice");
        assert!(claim.baseline_no_more_overflow);
        assert!((claim.km_change.mean - (71.0 / 140.0 - 1.0)).abs() < 1e-9);
        assert!(
            claim.km_change.lo < claim.km_change.mean && claim.km_change.mean < claim.km_change.hi
        );
        assert!(comparison_table(&c).contains("thrice"));
    }

    #[test]
    fn without_a_fixed_schedule_that_good_the_least_overflowing_one_is_named_as_such() {
        let runs = vec![run(
            1,
            vec![
                k("weekly", true, 50.0, 40, 100),
                k("fill", false, 70.0, 4, 110),
            ],
        )];
        let c = compare(&runs);
        assert_eq!(c.claims[0].baseline, "weekly");
        assert!(!c.claims[0].baseline_no_more_overflow);
        assert!(comparison_table(&c).contains("no fixed schedule has this little overflow"));
    }
}

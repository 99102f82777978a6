//! Calibrated class probabilities. A logistic head fitted with L2 on a few
//! hundred labels is usually over- or under-confident, and the forecast turns
//! those probabilities into a fill uncertainty, so confidence must mean what it
//! says. Temperature scaling divides the logits by one number `T`, fitted by
//! maximum likelihood on predictions for rows the head did not see (the
//! cross-validation folds); it never changes which class wins. Expected
//! calibration error and a reliability diagram show the effect on a held-out set.

use crate::curve::register_font;
use crate::error::{Result, VisionError};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Equal-width confidence bins of the reliability diagram and ECE.
pub const RELIABILITY_BINS: usize = 10;

/// Softmax of `logits / temperature`.
pub fn softmax(logits: &[f32], temperature: f64) -> Vec<f32> {
    let t = temperature as f32;
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| ((l - max) / t).exp()).collect();
    let total: f32 = exp.iter().sum();
    exp.iter().map(|e| e / total).collect()
}

/// Mean negative log-likelihood of `labels` under `softmax(logits / t)`, in
/// log space (log-sum-exp), so that it stays convex however confident the logits.
pub fn mean_nll(logits: &[Vec<f32>], labels: &[usize], temperature: f64) -> f64 {
    let total: f64 = logits
        .iter()
        .zip(labels)
        .map(|(l, &y)| {
            let z: Vec<f64> = l.iter().map(|&v| f64::from(v) / temperature).collect();
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = max + z.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
            lse - z[y]
        })
        .sum();
    total / logits.len().max(1) as f64
}

/// The temperature that minimises the NLL of held-out logits. The NLL is
/// convex in `1/T`, so a golden-section search over `1/T ∈ [0.05, 20]` finds
/// it; with no rows the answer is 1 (no change).
pub fn fit_temperature(logits: &[Vec<f32>], labels: &[usize]) -> f64 {
    if logits.is_empty() {
        return 1.0;
    }
    let nll = |beta: f64| mean_nll(logits, labels, 1.0 / beta);
    let golden = (5f64.sqrt() - 1.0) / 2.0;
    let (mut lo, mut hi) = (0.05f64, 20.0f64);
    let mut a = hi - golden * (hi - lo);
    let mut b = lo + golden * (hi - lo);
    let (mut fa, mut fb) = (nll(a), nll(b));
    for _ in 0..60 {
        if fa < fb {
            hi = b;
            b = a;
            fb = fa;
            a = hi - golden * (hi - lo);
            fa = nll(a);
        } else {
            lo = a;
            a = b;
            fa = fb;
            b = lo + golden * (hi - lo);
            fb = nll(b);
        }
    }
    2.0 / (lo + hi)
}

/// One confidence bin: predictions whose top probability fell in `[lo, hi)`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReliabilityBin {
    /// Lower edge of the bin.
    pub lo: f64,
    /// Upper edge of the bin.
    pub hi: f64,
    /// Predictions in the bin.
    pub count: usize,
    /// Mean top-class probability in the bin.
    pub confidence: f64,
    /// Fraction of the bin's predictions that were right.
    pub accuracy: f64,
}

/// Calibration of a set of predictions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Reliability {
    /// Expected calibration error: bin-weighted |accuracy − confidence|.
    pub ece: f64,
    /// Mean negative log-likelihood of the true class.
    pub nll: f64,
    /// The bins, low confidence first.
    pub bins: Vec<ReliabilityBin>,
}

impl Reliability {
    /// Bins `probabilities` (one row per prediction) against the true `labels`.
    pub fn compute(probabilities: &[Vec<f32>], labels: &[usize]) -> Self {
        let mut bins: Vec<ReliabilityBin> = (0..RELIABILITY_BINS)
            .map(|i| ReliabilityBin {
                lo: i as f64 / RELIABILITY_BINS as f64,
                hi: (i + 1) as f64 / RELIABILITY_BINS as f64,
                count: 0,
                confidence: 0.0,
                accuracy: 0.0,
            })
            .collect();
        let mut nll = 0.0;
        for (p, &y) in probabilities.iter().zip(labels) {
            let (top, conf) = p
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or((0, 0.0), |(i, &c)| (i, f64::from(c)));
            let bin = ((conf * RELIABILITY_BINS as f64) as usize).min(RELIABILITY_BINS - 1);
            bins[bin].count += 1;
            bins[bin].confidence += conf;
            bins[bin].accuracy += f64::from(u8::from(top == y));
            nll -= f64::from(p.get(y).copied().unwrap_or(0.0).max(1e-12)).ln();
        }
        let n = probabilities.len().max(1) as f64;
        let mut ece = 0.0;
        for b in &mut bins {
            if b.count > 0 {
                b.confidence /= b.count as f64;
                b.accuracy /= b.count as f64;
                ece += b.count as f64 / n * (b.accuracy - b.confidence).abs();
            }
        }
        Self {
            ece,
            nll: nll / n,
            bins,
        }
    }
}

/// Temperature and held-out calibration before and after it, kept in the artifact.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CalibrationReport {
    /// The fitted temperature (already folded into the artifact's weights).
    pub temperature: f64,
    /// Rows the temperature was fitted on (cross-validation predictions).
    pub fitted_on: usize,
    /// Test split with the raw head.
    pub before: Reliability,
    /// Test split with the temperature applied.
    pub after: Reliability,
}

/// Draws a reliability diagram (accuracy against confidence per bin, with the
/// diagonal of perfect calibration) for each `(label, reliability)` to `out`.
pub fn draw_reliability(out: &Path, title: &str, series: &[(String, &Reliability)]) -> Result<()> {
    let err = |e: String| VisionError::io(out, std::io::Error::other(e));
    let has_font = register_font();
    let root = BitMapBackend::new(out, (640, 600)).into_drawing_area();
    (|| -> std::result::Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut builder = ChartBuilder::on(&root);
        builder
            .margin(20)
            .x_label_area_size(40)
            .y_label_area_size(50);
        if has_font {
            builder.caption(title, ("sans-serif", 20));
        }
        let mut chart = builder
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)
            .map_err(|e| e.to_string())?;
        let mut mesh = chart.configure_mesh();
        if has_font {
            mesh.x_desc("confidence (top-class probability)")
                .y_desc("accuracy");
        }
        mesh.draw().map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, 0.0), (1.0, 1.0)],
                BLACK.mix(0.4).stroke_width(1),
            ))
            .map_err(|e| e.to_string())?;
        let palette = [RGBColor(214, 39, 40), RGBColor(31, 119, 180)];
        for (i, (label, rel)) in series.iter().enumerate() {
            let colour = palette[i % palette.len()];
            let points: Vec<(f64, f64)> = rel
                .bins
                .iter()
                .filter(|b| b.count > 0)
                .map(|b| (b.confidence, b.accuracy))
                .collect();
            let line = chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(3)))
                .map_err(|e| e.to_string())?;
            if has_font {
                let text = format!("{label} (ECE {:.3})", rel.ece);
                line.label(text).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                });
            }
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))
                .map_err(|e| e.to_string())?;
        }
        if has_font {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())
    })()
    .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_cools_an_overconfident_head() {
        // Logits say 99 % but only 3 in 4 are right: T must exceed 1.
        let logits: Vec<Vec<f32>> = (0..40).map(|_| vec![5.0, 0.0]).collect();
        let labels: Vec<usize> = (0..40).map(|i| usize::from(i % 4 == 0)).collect();
        let t = fit_temperature(&logits, &labels);
        let p = softmax(&logits[0], t)[0];
        assert!(t > 1.0 && (p - 0.75).abs() < 0.01, "T = {t}, p = {p}");
        assert!(mean_nll(&logits, &labels, t) < mean_nll(&logits, &labels, 1.0));
    }

    #[test]
    fn a_calibrated_set_has_zero_ece_and_a_confident_wrong_one_does_not() {
        let right = Reliability::compute(&[vec![0.95, 0.05], vec![0.95, 0.05]], &[0, 0]);
        assert!(right.ece < 0.051, "{}", right.ece);
        let wrong = Reliability::compute(&[vec![0.95, 0.05], vec![0.95, 0.05]], &[1, 1]);
        assert!((wrong.ece - 0.95).abs() < 1e-6, "{}", wrong.ece);
        assert_eq!(wrong.bins[9].count, 2);
    }
}

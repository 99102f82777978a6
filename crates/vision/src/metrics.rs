//! Classification metrics: accuracy, macro-F1, per-class recall and the
//! confusion matrix, computed the same way for training reports and `eval`.

use serde::{Deserialize, Serialize};

/// Scores of a classifier on one labelled set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Metrics {
    /// Number of scored images.
    pub n: usize,
    /// Fraction classified correctly.
    pub accuracy: f64,
    /// Unweighted mean of per-class F1.
    pub macro_f1: f64,
    /// Recall per class, in class order.
    pub per_class: Vec<ClassScore>,
    /// `confusion[truth][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
    /// Expected calibration error of the class probabilities (10 bins), when known.
    #[serde(default)]
    pub ece: Option<f64>,
}

/// One class's scores.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClassScore {
    /// Class name.
    pub class: String,
    /// Images of this class.
    pub support: usize,
    /// Fraction of this class's images predicted as it.
    pub recall: f64,
    /// Fraction of predictions of this class that were right.
    pub precision: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

impl Metrics {
    /// Scores `predicted` against `truth` (class indices into `classes`).
    pub fn compute(classes: &[String], truth: &[usize], predicted: &[usize]) -> Self {
        let k = classes.len();
        let mut confusion = vec![vec![0usize; k]; k];
        for (&t, &p) in truth.iter().zip(predicted) {
            confusion[t][p] += 1;
        }
        let n = truth.len();
        let correct: usize = (0..k).map(|i| confusion[i][i]).sum();
        let per_class: Vec<ClassScore> = (0..k)
            .map(|c| {
                let support: usize = confusion[c].iter().sum();
                let predicted_as: usize = (0..k).map(|t| confusion[t][c]).sum();
                let tp = confusion[c][c] as f64;
                let recall = if support > 0 {
                    tp / support as f64
                } else {
                    0.0
                };
                let precision = if predicted_as > 0 {
                    tp / predicted_as as f64
                } else {
                    0.0
                };
                let f1 = if recall + precision > 0.0 {
                    2.0 * recall * precision / (recall + precision)
                } else {
                    0.0
                };
                ClassScore {
                    class: classes[c].clone(),
                    support,
                    recall,
                    precision,
                    f1,
                }
            })
            .collect();
        let present: Vec<&ClassScore> = per_class.iter().filter(|s| s.support > 0).collect();
        let macro_f1 = if present.is_empty() {
            0.0
        } else {
            present.iter().map(|s| s.f1).sum::<f64>() / present.len() as f64
        };
        Self {
            n,
            accuracy: if n > 0 {
                correct as f64 / n as f64
            } else {
                0.0
            },
            macro_f1,
            per_class,
            confusion,
            ece: None,
        }
    }

    /// A plain-text report: accuracy, macro-F1, recalls and the confusion matrix.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "n = {}   accuracy = {:.3}   macro-F1 = {:.3}",
            self.n, self.accuracy, self.macro_f1
        );
        if let Some(ece) = self.ece {
            let _ = writeln!(s, "expected calibration error = {ece:.3}");
        }
        let width = self
            .per_class
            .iter()
            .map(|c| c.class.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = write!(s, "{:>width$} | recall |", "class");
        for c in &self.per_class {
            let _ = write!(s, " {:>6.6}", c.class);
        }
        let _ = writeln!(s, "   (rows: truth, columns: predicted)");
        for (c, row) in self.per_class.iter().zip(&self.confusion) {
            let _ = write!(s, "{:>width$} | {:>6.3} |", c.class, c.recall);
            for v in row {
                let _ = write!(s, " {v:>6}");
            }
            let _ = writeln!(s);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_predictions_score_one() {
        let classes = vec!["a".to_string(), "b".to_string()];
        let m = Metrics::compute(&classes, &[0, 1, 1], &[0, 1, 1]);
        assert_eq!(m.accuracy, 1.0);
        assert_eq!(m.macro_f1, 1.0);
        assert_eq!(m.confusion, vec![vec![1, 0], vec![0, 2]]);
    }

    #[test]
    fn macro_f1_weights_classes_equally() {
        let classes = vec!["a".to_string(), "b".to_string()];
        // Everything predicted as `a`: recall(a)=1, precision(a)=0.5; b has F1 0.
        let m = Metrics::compute(&classes, &[0, 1], &[0, 0]);
        assert!((m.accuracy - 0.5).abs() < 1e-12);
        assert!((m.macro_f1 - (2.0 / 3.0) / 2.0).abs() < 1e-12);
    }
}

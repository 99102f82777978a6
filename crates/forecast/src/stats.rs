//! Small numerical helpers: the normal distribution and weighted robust statistics.

/// Standard normal CDF (erfc approximation, |error| < 1.2e-7).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Weighted median of `(value, weight)` pairs; `None` when there is no positive weight.
/// Sorts `items` in place.
pub fn weighted_median(items: &mut [(f64, f64)]) -> Option<f64> {
    items.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = items.iter().map(|x| x.1.max(0.0)).sum();
    if !total.is_finite() || total <= 0.0 {
        return None;
    }
    let mut acc = 0.0;
    for (i, &(v, w)) in items.iter().enumerate() {
        acc += w.max(0.0);
        if acc >= total / 2.0 {
            // Exactly half: average with the next value so symmetric data gives the middle.
            if (acc - total / 2.0).abs() < 1e-12 * total
                && let Some(&(next, _)) = items[i + 1..].iter().find(|x| x.1 > 0.0)
            {
                return Some((v + next) / 2.0);
            }
            return Some(v);
        }
    }
    items.last().map(|x| x.0)
}

/// Robust scale: 1.4826 × weighted median absolute deviation from `center`.
pub fn weighted_mad(items: &[(f64, f64)], center: f64) -> Option<f64> {
    let mut dev: Vec<(f64, f64)> = items
        .iter()
        .map(|&(v, w)| ((v - center).abs(), w))
        .collect();
    weighted_median(&mut dev).map(|m| 1.4826 * m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantile_inverts_cdf() {
        for p in [0.001, 0.05, 0.1, 0.5, 0.8, 0.9, 0.999] {
            assert!((normal_cdf(normal_quantile(p)) - p).abs() < 1e-6, "p={p}");
        }
        assert!((normal_quantile(0.9) - 1.281_551_6).abs() < 1e-6);
    }

    #[test]
    fn weighted_median_respects_weights() {
        let mut v = vec![(1.0, 1.0), (2.0, 1.0), (100.0, 0.5)];
        assert_eq!(weighted_median(&mut v), Some(2.0));
        let mut v = vec![(1.0, 1.0), (3.0, 1.0)];
        assert_eq!(weighted_median(&mut v), Some(2.0));
        assert_eq!(weighted_median(&mut []), None);
    }
}

//! Drift statistics on plain numbers: no I/O, no column names, nothing that can fail on data.
//!
//! Every function here documents its convention (log base, bins, ε, ddof) so the report can record it,
//! and the exact variants agree with scipy to 1e-9 relative (see `crates/drift/tests/fixtures/`).

pub mod categorical;
pub mod ks;
pub mod numeric;
pub mod special;

/// ε that replaces an empty bin's proportion in PSI, so ln(q/p) stays finite (the common convention
/// used by Evidently and NannyML). Documented in the report as `psi_epsilon`.
pub const PSI_EPSILON: f64 = 1e-4;

/// Population stability index Σ (q − p)·ln(q / p) over matching bins of two count vectors, natural log,
/// proportions below [`PSI_EPSILON`] raised to it. Empty inputs give 0.
pub fn psi(baseline: &[u64], target: &[u64]) -> f64 {
    let (p, q) = (proportions(baseline), proportions(target));
    p.iter()
        .zip(&q)
        .map(|(&p, &q)| {
            let (p, q) = (p.max(PSI_EPSILON), q.max(PSI_EPSILON));
            (q - p) * (q / p).ln()
        })
        .sum()
}

/// Jensen–Shannon distance in base 2 (the square root of the divergence, in [0, 1]), as
/// `scipy.spatial.distance.jensenshannon(p, q, base=2)`. No smoothing: 0·ln 0 = 0.
pub fn js_distance(baseline: &[u64], target: &[u64]) -> f64 {
    let (p, q) = (proportions(baseline), proportions(target));
    let rel_entr = |x: f64, y: f64| if x > 0.0 { x * (x / y).ln() } else { 0.0 };
    let mut sum = 0.0;
    for (&p, &q) in p.iter().zip(&q) {
        let m = (p + q) / 2.0;
        sum += rel_entr(p, m) + rel_entr(q, m);
    }
    (sum / 2.0 / std::f64::consts::LN_2).max(0.0).sqrt()
}

fn proportions(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return vec![0.0; counts.len()];
    }
    counts.iter().map(|&c| c as f64 / total as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_distributions_have_zero_psi_and_js() {
        let c = [5, 0, 10, 3];
        assert_eq!(psi(&c, &c), 0.0);
        assert_eq!(js_distance(&c, &c), 0.0);
    }

    #[test]
    fn disjoint_distributions_have_js_distance_one() {
        assert!((js_distance(&[4, 0], &[0, 9]) - 1.0).abs() < 1e-12);
        assert!(psi(&[4, 0], &[0, 9]) > 10.0);
    }
}

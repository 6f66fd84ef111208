//! Categorical-feature statistics: Pearson's χ² test of homogeneity on the 2×K table of category counts
//! (as `scipy.stats.chi2_contingency(table, correction=False)`), which stays finite when a category is
//! new in the target — the goodness-of-fit form would divide by a zero expected count.

use super::special::gamma_q;

#[derive(Debug, Clone, Copy, PartialEq)]
/// The χ² test of homogeneity on a 2×K table.
pub struct Chi2Result {
    /// The χ² statistic.
    pub statistic: f64,
    /// Its p-value (upper tail of χ² with `dof` degrees of freedom).
    pub p_value: f64,
    /// Degrees of freedom, K − 1 over the categories present on either side.
    pub dof: u64,
}

/// χ² homogeneity test over aligned baseline and target counts (one entry per category in the union;
/// categories absent from both must not be listed). One category or an empty row gives χ² = 0, p = 1.
pub fn chi2_homogeneity(baseline: &[u64], target: &[u64]) -> Chi2Result {
    let (rb, rt): (u64, u64) = (baseline.iter().sum(), target.iter().sum());
    let k = baseline.len();
    if k < 2 || rb == 0 || rt == 0 {
        return Chi2Result { statistic: 0.0, p_value: 1.0, dof: k.saturating_sub(1) as u64 };
    }
    let total = (rb + rt) as f64;
    let mut stat = 0.0;
    for (&b, &t) in baseline.iter().zip(target) {
        let col = (b + t) as f64;
        for (obs, row) in [(b, rb), (t, rt)] {
            let expected = row as f64 * col / total;
            let d = obs as f64 - expected;
            stat += d * d / expected;
        }
    }
    let dof = (k - 1) as u64;
    Chi2Result { statistic: stat, p_value: gamma_q(dof as f64 / 2.0, stat / 2.0), dof }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_rows_give_zero_statistic() {
        let r = chi2_homogeneity(&[10, 20, 30], &[1, 2, 3]);
        assert!(r.statistic.abs() < 1e-12);
        assert!((r.p_value - 1.0).abs() < 1e-12);
        assert_eq!(r.dof, 2);
    }

    #[test]
    fn a_new_category_keeps_the_statistic_finite() {
        let r = chi2_homogeneity(&[50, 50, 0], &[40, 40, 20]);
        assert!(r.statistic.is_finite() && r.statistic > 10.0);
        assert!(r.p_value < 0.01);
    }
}

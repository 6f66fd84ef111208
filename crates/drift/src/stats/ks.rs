//! Two-sample Kolmogorov–Smirnov test, agreeing with `scipy.stats.ks_2samp(method="auto")`.
//!
//! The statistic is computed from sorted samples in one merge pass. The p-value follows scipy's
//! choice: the exact lattice-path probability when both samples have at most 10,000 values, otherwise
//! `kstwo.sf(D, round(n1·n2 / (n1 + n2)))`. Neither path iterates without bound, so D = 0 is harmless
//! (it gives p = 1), unlike asymptotic series that loop until convergence.

use serde::{Deserialize, Serialize};

use super::special::kolmogorov_sf;

/// Samples up to this size get the exact p-value (scipy's `MAX_AUTO_N`).
pub const MAX_EXACT_N: usize = 10_000;

/// How a KS p-value was computed; recorded in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KsPValueMethod {
    /// Exact probability over lattice paths (n1, n2 ≤ 10,000).
    Exact,
    /// Distribution of D_n with n = round(n1·n2/(n1+n2)), Simard–L'Ecuyer selection.
    Asymptotic,
}

#[derive(Debug, Clone, Copy, PartialEq)]
/// A two-sample Kolmogorov–Smirnov test.
pub struct KsResult {
    /// D, the largest distance between the empirical CDFs.
    pub statistic: f64,
    /// The two-sided p-value.
    pub p_value: f64,
    /// How the p-value was computed.
    pub method: KsPValueMethod,
}

/// The largest distance between the two empirical CDFs. Both slices must be sorted ascending and free
/// of NaN; either may be empty (D = 0 then).
pub fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut max_plus, mut max_minus) = (0.0f64, 0.0f64);
    for (_, i, j) in super::numeric::ecdf_steps(a, b) {
        let diff = i as f64 / n1 - j as f64 / n2;
        max_plus = max_plus.max(diff);
        max_minus = max_minus.max(-diff);
    }
    max_plus.max(max_minus.clamp(0.0, 1.0))
}

/// KS statistic and two-sided p-value of two sorted, NaN-free, non-empty samples.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> KsResult {
    let d = ks_statistic(a, b);
    p_value(a.len() as u64, b.len() as u64, d)
}

/// The two-sided p-value for statistic `d` between samples of sizes `n1` and `n2`.
pub fn p_value(n1: u64, n2: u64, d: f64) -> KsResult {
    if n1 == 0 || n2 == 0 {
        return KsResult { statistic: d, p_value: 1.0, method: KsPValueMethod::Exact };
    }
    if n1.max(n2) as usize <= MAX_EXACT_N {
        let g = gcd(n1, n2);
        let lcm = (n1 / g) * n2;
        let h = (d * lcm as f64).round_ties_even() as u64;
        let d = h as f64 / lcm as f64;
        let p = if h == 0 {
            1.0
        } else if n1 == n2 {
            prob_outside_square(n1, h)
        } else {
            1.0 - prob_inside(n1, n2, g, h)
        };
        if (0.0..=1.0).contains(&p) {
            return KsResult { statistic: d, p_value: p, method: KsPValueMethod::Exact };
        }
    }
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = (m * n / (m + n)).round_ties_even() as u64;
    KsResult { statistic: d, p_value: kolmogorov_sf(en.max(1), d).clamp(0.0, 1.0), method: KsPValueMethod::Asymptotic }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// P(D ≥ h/n) for equal sample sizes: scipy's `_compute_prob_outside_square`, a Horner-like form of
/// the alternating reflection sum that avoids subtractive cancellation.
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let mut p = 0.0;
    let mut k = (n / h) as i64;
    while k >= 0 {
        let kh = k as u64 * h;
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = (n as f64 - kh as f64 - j as f64) * p1 / (n as f64 + kh as f64 + j as f64 + 1.0);
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// Share of monotone lattice paths from (0,0) to (m,n) that stay strictly inside |x·n − y·m| < h·g,
/// i.e. P(D < h/lcm). Each cell holds count / binom(i+j, i), so values stay in [0, 1].
fn prob_inside(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = (m.max(n) as i64, m.min(n) as i64);
    let bound = (h * g) as i64;
    let inside = |i: i64, j: i64| (i * n - j * m).abs() < bound;
    let mut col = vec![0.0f64; n as usize + 1];
    // Column i = 0: only cells reachable straight up from the origin.
    for j in 0..=n {
        if !inside(0, j) {
            break;
        }
        col[j as usize] = 1.0;
    }
    let mut lo = 0i64;
    for i in 1..=m {
        // Cells with j < new_lo fell out of the band and must not feed the next column.
        let new_lo = ((i * n - bound).div_euclid(m) + 1).max(0);
        let hi = ((i * n + bound - 1).div_euclid(m)).min(n);
        for j in lo..new_lo.min(n + 1) {
            col[j as usize] = 0.0;
        }
        lo = new_lo;
        if lo > hi {
            return 0.0;
        }
        for j in lo..=hi {
            let left = col[j as usize];
            let below = if j > 0 { col[j as usize - 1] } else { 0.0 };
            col[j as usize] = (left * i as f64 + below * j as f64) / (i + j) as f64;
        }
    }
    col[n as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_samples_have_zero_statistic_and_unit_p_value() {
        let a: Vec<f64> = (0..100).map(f64::from).collect();
        let r = ks_2samp(&a, &a);
        assert_eq!(r.statistic, 0.0);
        assert_eq!(r.p_value, 1.0);
        let big: Vec<f64> = (0..20_000).map(f64::from).collect();
        let r = ks_2samp(&big, &big);
        assert_eq!((r.statistic, r.p_value, r.method), (0.0, 1.0, KsPValueMethod::Asymptotic));
    }

    #[test]
    fn disjoint_samples_have_statistic_one() {
        let a = [1.0, 2.0, 3.0];
        let b = [10.0, 11.0];
        let r = ks_2samp(&a, &b);
        assert_eq!(r.statistic, 1.0);
        // Only 2 of the binom(5, 2) = 10 orderings separate the samples completely.
        assert!((r.p_value - 0.2).abs() < 1e-12, "{}", r.p_value);
    }

    #[test]
    fn unequal_and_equal_size_paths_agree_with_brute_force() {
        // n1 = n2 = 3, D = 1: 2 / binom(6, 3) = 0.1.
        let r = ks_2samp(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]);
        assert!((r.p_value - 0.1).abs() < 1e-12);
    }

    /// D for the arrangement where the ranks in `mask` belong to the first sample.
    fn d_of_mask(mask: u32, total: u32, n1: u32) -> f64 {
        let (a, b): (Vec<f64>, Vec<f64>) = (0..total).map(f64::from).partition(|&r| mask & (1 << r as u32) != 0);
        assert_eq!(a.len() as u32, n1);
        ks_statistic(&a, &b)
    }

    #[test]
    fn exact_p_values_equal_full_enumeration_for_small_samples() {
        // Under H0 every assignment of ranks to the samples is equally likely, so P(D >= d) is the share
        // of assignments whose statistic reaches d.
        for n1 in 1..=6u32 {
            for n2 in 1..=6u32 {
                let total = n1 + n2;
                let masks: Vec<u32> = (0..1u32 << total).filter(|m| m.count_ones() == n1).collect();
                let ds: Vec<f64> = masks.iter().map(|&m| d_of_mask(m, total, n1)).collect();
                for &d in &ds {
                    let expected = ds.iter().filter(|&&x| x >= d - 1e-12).count() as f64 / ds.len() as f64;
                    let got = p_value(u64::from(n1), u64::from(n2), d).p_value;
                    assert!((got - expected).abs() < 1e-12, "n1={n1} n2={n2} d={d}: {got} vs {expected}");
                }
            }
        }
    }
}

//! Numerical-feature statistics over sorted, finite samples: Wasserstein-1, quantiles (numpy's
//! "linear" method), baseline-quantile bin edges and binning.

/// The distinct values of two sorted samples in ascending order, each with how many values of each
/// sample are ≤ it: the steps of both empirical CDFs, which KS and Wasserstein-1 both walk.
pub fn ecdf_steps<'a>(a: &'a [f64], b: &'a [f64]) -> impl Iterator<Item = (f64, usize, usize)> + 'a {
    let (mut i, mut j) = (0usize, 0usize);
    std::iter::from_fn(move || {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => return None,
        };
        while i < a.len() && a[i] <= v {
            i += 1;
        }
        while j < b.len() && b[j] <= v {
            j += 1;
        }
        Some((v, i, j))
    })
}

/// Wasserstein-1 distance between two sorted finite samples, ∫|F_a − F_b| — the same integral
/// `scipy.stats.wasserstein_distance` evaluates. Returns 0 if either sample is empty.
pub fn wasserstein(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let mut total = 0.0;
    let mut prev: Option<(f64, usize, usize)> = None;
    for (v, i, j) in ecdf_steps(a, b) {
        if let Some((p, ip, jp)) = prev {
            // The CDFs are constant on [p, v), at their values at p.
            total += (ip as f64 / n1 - jp as f64 / n2).abs() * (v - p);
        }
        prev = Some((v, i, j));
    }
    total
}

/// Floor for the baseline standard deviation in normalised W1: a constant baseline column would
/// otherwise divide by zero. With the floor, any shift of a constant column by more than 1e-4 units is
/// flagged at the default 0.1 threshold (DESIGN §5, Evidently's convention).
pub const MIN_STD_FOR_NORMALISATION: f64 = 1e-3;

/// W1 / max(σ_baseline, 1e-3), with σ the population standard deviation (ddof = 0).
pub fn normalised_wasserstein(w1: f64, baseline_std: f64) -> f64 {
    w1 / baseline_std.max(MIN_STD_FOR_NORMALISATION)
}

/// Quantile `q` ∈ [0, 1] of a sorted non-empty sample, numpy's default "linear" method including its
/// two-sided lerp (so results match `numpy.quantile` bit for bit).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let pos = (sorted.len() - 1) as f64 * q;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let t = pos - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    if t >= 0.5 { b - diff * (1.0 - t) } else { a + diff * t }
}

/// Interior edges of `bins` equal-mass bins of the baseline (its quantiles at k/bins), with duplicates
/// removed so tied data never produces empty zero-width bins.
pub fn quantile_edges(sorted_baseline: &[f64], bins: usize) -> Vec<f64> {
    let mut edges: Vec<f64> = (1..bins).map(|k| quantile_sorted(sorted_baseline, k as f64 / bins as f64)).collect();
    edges.dedup();
    edges
}

/// Counts per bin for a sorted sample; bin k is `(edge[k−1], edge[k]]`, the first and last bins open
/// (`numpy.searchsorted(edges, x, side="left")` gives the same index).
pub fn bin_counts_sorted(sorted: &[f64], edges: &[f64]) -> Vec<u64> {
    let mut counts = Vec::with_capacity(edges.len() + 1);
    let mut start = 0usize;
    for &e in edges {
        let end = start + sorted[start..].partition_point(|&x| x <= e);
        counts.push((end - start) as u64);
        start = end;
    }
    counts.push((sorted.len() - start) as u64);
    counts
}

/// Index of the bin holding `x` under the same convention as [`bin_counts_sorted`].
pub fn bin_index(edges: &[f64], x: f64) -> usize {
    edges.partition_point(|&e| e < x)
}

/// Wasserstein-1 between two weighted point sets given in ascending position order — the histogram
/// analogue of [`wasserstein`], used in profile mode.
pub fn wasserstein_weighted(a: &[(f64, u64)], b: &[(f64, u64)]) -> f64 {
    let (n1, n2) = (a.iter().map(|p| p.1).sum::<u64>() as f64, b.iter().map(|p| p.1).sum::<u64>() as f64);
    if n1 == 0.0 || n2 == 0.0 {
        return 0.0;
    }
    let (mut i, mut j) = (0usize, 0usize);
    let (mut ca, mut cb) = (0u64, 0u64);
    let mut prev: Option<f64> = None;
    let mut total = 0.0;
    while i < a.len() || j < b.len() {
        let v = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.0.min(y.0),
            (Some(x), None) => x.0,
            (None, Some(y)) => y.0,
            (None, None) => break,
        };
        if let Some(p) = prev {
            total += (ca as f64 / n1 - cb as f64 / n2).abs() * (v - p);
        }
        while i < a.len() && a[i].0 <= v {
            ca += a[i].1;
            i += 1;
        }
        while j < b.len() && b[j].0 <= v {
            cb += b[j].1;
            j += 1;
        }
        prev = Some(v);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasserstein_of_a_shift_is_the_shift() {
        let a: Vec<f64> = (0..10).map(f64::from).collect();
        let b: Vec<f64> = a.iter().map(|x| x + 2.5).collect();
        assert!((wasserstein(&a, &b) - 2.5).abs() < 1e-12);
        assert_eq!(wasserstein(&a, &a), 0.0);
    }

    #[test]
    fn binning_puts_edge_values_in_the_lower_bin() {
        let sorted = [1.0, 2.0, 2.0, 3.0, 4.0];
        assert_eq!(bin_counts_sorted(&sorted, &[2.0, 3.5]), vec![3, 1, 1]);
        assert_eq!(bin_index(&[2.0, 3.5], 2.0), 0);
        assert_eq!(bin_index(&[2.0, 3.5], 2.1), 1);
        assert_eq!(bin_index(&[2.0, 3.5], 9.0), 2);
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let sorted = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(quantile_sorted(&sorted, 0.5), 3.0);
        assert_eq!(quantile_sorted(&sorted, 0.0), 1.0);
        assert_eq!(quantile_sorted(&sorted, 1.0), 8.0);
    }

    proptest::proptest! {
        #[test]
        fn wasserstein_of_equal_sizes_is_the_mean_gap_of_order_statistics(
            pairs in proptest::collection::vec((-50i32..50, -50i32..50), 1..60),
        ) {
            let mut a: Vec<f64> = pairs.iter().map(|p| f64::from(p.0)).collect();
            let mut b: Vec<f64> = pairs.iter().map(|p| f64::from(p.1)).collect();
            a.sort_by(f64::total_cmp);
            b.sort_by(f64::total_cmp);
            let expected = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64;
            proptest::prop_assert!((wasserstein(&a, &b) - expected).abs() < 1e-9);
        }

        #[test]
        fn ks_statistic_is_the_largest_ecdf_gap(
            a in proptest::collection::vec(-20i32..20, 1..40),
            b in proptest::collection::vec(-20i32..20, 1..40),
        ) {
            let mut a: Vec<f64> = a.into_iter().map(f64::from).collect();
            let mut b: Vec<f64> = b.into_iter().map(f64::from).collect();
            a.sort_by(f64::total_cmp);
            b.sort_by(f64::total_cmp);
            let ecdf = |s: &[f64], v: f64| s.iter().filter(|&&x| x <= v).count() as f64 / s.len() as f64;
            let expected = a.iter().chain(&b).map(|&v| (ecdf(&a, v) - ecdf(&b, v)).abs()).fold(0.0, f64::max);
            proptest::prop_assert!((super::super::ks::ks_statistic(&a, &b) - expected).abs() < 1e-12);
        }
    }
}

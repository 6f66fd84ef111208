//! Per-feature comparison: turns two sides of one column (exact values or profile summaries) into a
//! [`FeatureReport`]. The decision is one metric against one threshold; the other metrics are reported
//! beside it. p-values are never allowed to flag when a sample exceeds `p_value_max_n` (DESIGN §5).

use std::collections::BTreeMap;

use super::config::{DriftConfig, MetricName};
use super::dataset::Counts;
use super::error::DriftError;
use super::histogram::Histogram;
use super::report::{Bins, FeatureReport, FeatureStatus, MetricValue, Quality, finite};
use super::schema::ColumnKind;
use super::sketch::Quantiles;
use super::stats::{categorical, js_distance, ks, numeric, psi};

/// Name of the bucket that stands for categories a profile's top-k cap folded away.
pub const OTHER_CATEGORY: &str = "<other>";

/// One side of a numerical column.
pub enum NumericSide<'a> {
    /// Sorted finite values.
    Exact(&'a [f64]),
    Profile {
        histogram: &'a Histogram,
        min: Option<f64>,
        max: Option<f64>,
        std: Option<f64>,
        /// From the profile's sketch; reported, never used to decide.
        quantiles: Option<Quantiles>,
    },
}

impl NumericSide<'_> {
    fn quantiles(&self) -> Option<Quantiles> {
        match self {
            NumericSide::Exact([]) => None,
            NumericSide::Exact(sorted) => Quantiles::from_fn(|q| Some(numeric::quantile_sorted(sorted, q))),
            NumericSide::Profile { quantiles, .. } => *quantiles,
        }
    }
}

struct Builder<'a> {
    name: &'a str,
    config: &'a DriftConfig,
    decision: MetricName,
    n_small: bool,
    metrics: Vec<MetricValue>,
}

impl Builder<'_> {
    fn push(&mut self, metric: MetricName, value: f64, exact: bool) {
        let reported_only =
            matches!(metric, MetricName::Wasserstein | MetricName::Chi2Statistic) && metric != self.decision;
        let threshold = (!reported_only).then(|| self.config.threshold(self.name, metric));
        let value = finite(value);
        let flagged = match (value, threshold) {
            (Some(v), Some(t)) if metric.flags_below() => self.n_small && v < t,
            (Some(v), Some(t)) => v > t,
            _ => false,
        };
        self.metrics.push(MetricValue { metric, value, threshold, flagged, exact });
    }

    fn finish(self, kind: ColumnKind, quality: Quality, bins: Option<Bins>) -> FeatureReport {
        let decided = self.metrics.iter().find(|m| m.metric == self.decision);
        let drifted = decided.is_some_and(|m| m.flagged);
        let score = decided.and_then(|m| {
            let (v, t) = (m.value?, m.threshold?);
            let s = if m.metric.flags_below() {
                t / v.max(1e-300)
            } else if t > 0.0 {
                v / t
            } else {
                v
            };
            finite(s)
        });
        FeatureReport {
            name: self.name.to_string(),
            kind,
            status: FeatureStatus::Compared,
            decision_metric: Some(self.decision),
            drifted,
            score,
            weight: self.config.weight(self.name),
            metrics: self.metrics,
            quality,
            bins,
            new_categories: Vec::new(),
            vanished_categories: Vec::new(),
            baseline_quantiles: None,
            target_quantiles: None,
        }
    }
}

fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

pub fn quality(base: &Counts, target: &Counts, out_of_range: Option<u64>, target_values: u64) -> Quality {
    Quality {
        baseline_rows: base.rows,
        target_rows: target.rows,
        baseline_null_rate: rate(base.nulls, base.rows),
        target_null_rate: rate(target.nulls, target.rows),
        target_non_finite_rate: rate(target.non_finite, target.rows),
        target_out_of_range_rate: out_of_range.and_then(|o| rate(o, target_values)),
        target_type_error_rate: rate(target.type_errors, target.rows),
    }
}

/// Compares a numerical column. Profile sides must share histogram edges.
pub fn compare_numeric(
    name: &str,
    kind: ColumnKind,
    counts: (&Counts, &Counts),
    base: NumericSide<'_>,
    target: NumericSide<'_>,
    config: &DriftConfig,
) -> Result<FeatureReport, DriftError> {
    let decision = config.decision_metric(name, true);
    let mut b = Builder { name, config, decision, n_small: false, metrics: Vec::new() };
    let quantiles = (base.quantiles(), target.quantiles());
    let (bins, out_of_range, n_target) = match (base, target) {
        (NumericSide::Exact(bv), NumericSide::Exact(tv)) => {
            b.n_small = (bv.len().max(tv.len()) as u64) <= config.p_value_max_n;
            if bv.is_empty() || tv.is_empty() {
                (None, None, tv.len() as u64)
            } else {
                let k = ks::ks_2samp(bv, tv);
                let w1 = numeric::wasserstein(bv, tv);
                let mean = bv.iter().sum::<f64>() / bv.len() as f64;
                let std = (bv.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / bv.len() as f64).sqrt();
                let edges = numeric::quantile_edges(bv, config.psi_bins);
                let (cb, ct) = (numeric::bin_counts_sorted(bv, &edges), numeric::bin_counts_sorted(tv, &edges));
                b.push(MetricName::NormalisedWasserstein, numeric::normalised_wasserstein(w1, std), true);
                b.push(MetricName::Wasserstein, w1, true);
                b.push(MetricName::KsStatistic, k.statistic, true);
                b.push(MetricName::KsPValue, k.p_value, true);
                b.push(MetricName::Psi, psi(&cb, &ct), true);
                b.push(MetricName::JsDistance, js_distance(&cb, &ct), true);
                let (lo, hi) = (bv[0], bv[bv.len() - 1]);
                let outside = tv.partition_point(|&x| x < lo) + (tv.len() - tv.partition_point(|&x| x <= hi));
                let bins = Bins { edges, labels: Vec::new(), baseline: cb, target: ct };
                (Some(bins), Some(outside as u64), tv.len() as u64)
            }
        }
        (base, target) => {
            let side = |s: NumericSide<'_>| match s {
                NumericSide::Profile { histogram, min, max, std, .. } => Ok((histogram.clone(), min, max, std)),
                NumericSide::Exact(values) => Err(DriftError::Config(format!(
                    "column {name:?}: exact values passed to profile comparison ({} values)",
                    values.len()
                ))),
            };
            let (hb, bmin, bmax, bstd) = side(base)?;
            let (ht, tmin, tmax, _) = side(target)?;
            if !hb.same_edges(&ht) {
                return Err(DriftError::Merge {
                    reason: format!(
                        "column {name:?}: the target profile was not made with the baseline's histogram edges; profile the target against the baseline profile"
                    ),
                });
            }
            let (nb, nt) = (hb.total(), ht.total());
            b.n_small = nb.max(nt) <= config.p_value_max_n;
            if let (Some(bmin), Some(bmax), Some(tmin), Some(tmax), true) = (bmin, bmax, tmin, tmax, nb > 0 && nt > 0) {
                let (mut fb, mut ft, mut d) = (0u64, 0u64, 0.0f64);
                for (cb, ct) in hb.counts.iter().zip(&ht.counts) {
                    (fb, ft) = (fb + cb, ft + ct);
                    d = d.max((fb as f64 / nb as f64 - ft as f64 / nt as f64).abs());
                }
                let w1 = numeric::wasserstein_weighted(&hb.point_masses(bmin, bmax), &ht.point_masses(tmin, tmax));
                let starts = hb.equal_mass_groups(config.psi_bins);
                let (cb, ct) = (hb.regroup(&starts), ht.regroup(&starts));
                let width = (hb.hi - hb.lo) / hb.bins as f64;
                let edges = starts
                    .iter()
                    .map(|&s| if s > hb.bins as usize { hb.hi } else { hb.lo + width * (s - 1) as f64 })
                    .collect();
                b.push(
                    MetricName::NormalisedWasserstein,
                    numeric::normalised_wasserstein(w1, bstd.unwrap_or(0.0)),
                    false,
                );
                b.push(MetricName::Wasserstein, w1, false);
                b.push(MetricName::KsStatistic, d, false);
                b.push(MetricName::KsPValue, ks::p_value(nb, nt, d).p_value, false);
                b.push(MetricName::Psi, psi(&cb, &ct), true);
                b.push(MetricName::JsDistance, js_distance(&cb, &ct), true);
                let outside = ht.counts[0] + ht.counts[ht.counts.len() - 1];
                (Some(Bins { edges, labels: Vec::new(), baseline: cb, target: ct }), Some(outside), nt)
            } else {
                (None, None, nt)
            }
        }
    };
    let q = quality(counts.0, counts.1, out_of_range, n_target);
    let mut report = b.finish(kind, q, bins);
    (report.baseline_quantiles, report.target_quantiles) = quantiles;
    Ok(report)
}

/// Compares a categorical or boolean column from category counts (`other` is a profile's folded tail).
pub fn compare_categorical(
    name: &str,
    kind: ColumnKind,
    counts: (&Counts, &Counts),
    base: (&BTreeMap<String, u64>, u64),
    target: (&BTreeMap<String, u64>, u64),
    exact: bool,
    config: &DriftConfig,
) -> FeatureReport {
    let decision = config.decision_metric(name, false);
    let mut union: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (k, &v) in base.0 {
        union.entry(k).or_default().0 += v;
    }
    for (k, &v) in target.0 {
        union.entry(k).or_default().1 += v;
    }
    if base.1 > 0 || target.1 > 0 {
        let e = union.entry(OTHER_CATEGORY).or_default();
        (e.0, e.1) = (e.0 + base.1, e.1 + target.1);
    }
    let labels: Vec<String> = union.keys().map(|k| k.to_string()).collect();
    let cb: Vec<u64> = union.values().map(|v| v.0).collect();
    let ct: Vec<u64> = union.values().map(|v| v.1).collect();
    let (nb, nt) = (cb.iter().sum::<u64>(), ct.iter().sum::<u64>());
    let n_small = nb.max(nt) <= config.p_value_max_n;
    let mut b = Builder { name, config, decision, n_small, metrics: Vec::new() };
    if nb > 0 && nt > 0 {
        let chi = categorical::chi2_homogeneity(&cb, &ct);
        b.push(MetricName::JsDistance, js_distance(&cb, &ct), exact);
        b.push(MetricName::Psi, psi(&cb, &ct), exact);
        b.push(MetricName::Chi2Statistic, chi.statistic, exact);
        b.push(MetricName::Chi2PValue, chi.p_value, exact);
    }
    let new_categories =
        union.iter().filter(|(k, v)| v.0 == 0 && **k != OTHER_CATEGORY).map(|(k, _)| k.to_string()).collect();
    let vanished =
        union.iter().filter(|(k, v)| v.1 == 0 && **k != OTHER_CATEGORY).map(|(k, _)| k.to_string()).collect();
    let q = quality(counts.0, counts.1, None, nt);
    let mut report = b.finish(kind, q, Some(Bins { edges: Vec::new(), labels, baseline: cb, target: ct }));
    report.new_categories = new_categories;
    report.vanished_categories = vanished;
    report
}

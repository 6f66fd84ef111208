//! What a drift run decides with: the metric and threshold per feature kind, per-feature overrides and
//! importance weights, and the overall verdict rule. Deserialisable so it can live in `modelreg.toml`
//! under `[drift]`; every default follows DESIGN §5.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::DriftError;

/// A metric that can decide whether a feature drifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricName {
    /// W1 / max(σ_baseline, 1e-3); numerical only. Flags above the threshold.
    NormalisedWasserstein,
    /// W1 in the column's units; reported beside the normalised form, decides only when chosen.
    Wasserstein,
    /// Flags above the threshold.
    Psi,
    /// Jensen–Shannon distance, base 2. Flags above the threshold.
    JsDistance,
    /// KS statistic D. Flags above the threshold.
    KsStatistic,
    /// KS p-value; flags *below* the threshold, and only when both samples have at most
    /// `p_value_max_n` values.
    KsPValue,
    /// χ² statistic; categorical only, reported but never flags.
    Chi2Statistic,
    /// χ² p-value; flags below the threshold under the same sample-size guard as the KS p-value.
    Chi2PValue,
}

impl MetricName {
    /// The name as written in configuration and reports (snake_case).
    pub fn as_str(self) -> &'static str {
        match self {
            MetricName::NormalisedWasserstein => "normalised_wasserstein",
            MetricName::Wasserstein => "wasserstein",
            MetricName::Psi => "psi",
            MetricName::JsDistance => "js_distance",
            MetricName::KsStatistic => "ks_statistic",
            MetricName::KsPValue => "ks_p_value",
            MetricName::Chi2Statistic => "chi2_statistic",
            MetricName::Chi2PValue => "chi2_p_value",
        }
    }

    /// p-values flag when small; every other metric when large.
    pub fn flags_below(self) -> bool {
        matches!(self, MetricName::KsPValue | MetricName::Chi2PValue)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// Per-feature settings that override the defaults of [`DriftConfig`].
pub struct FeatureOverride {
    /// The metric deciding this feature instead of the kind's default.
    pub metric: Option<MetricName>,
    /// The threshold for this feature's metric instead of the metric's default.
    pub threshold: Option<f64>,
    /// Importance weight; a drifted feature with weight > 0 makes the verdict `drift` by default.
    pub weight: Option<f64>,
}

/// The default [`DriftConfig::min_rows`]: 30 rows a side, the usual floor for the large-sample
/// approximations behind the KS and chi-squared p-values (and below which one row moves a PSI bin).
pub const DEFAULT_MIN_ROWS: u64 = 30;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
/// How a drift run decides: metrics, thresholds, overrides and the verdict rule (DESIGN §5 defaults).
pub struct DriftConfig {
    /// Metric deciding drift for numerical (and datetime) features.
    pub numerical_metric: MetricName,
    /// Metric deciding drift for categorical and boolean features.
    pub categorical_metric: MetricName,
    /// Default threshold per metric.
    pub thresholds: BTreeMap<MetricName, f64>,
    /// Baseline-quantile bins for PSI and JS on numerical features.
    pub psi_bins: usize,
    /// p-values are not allowed to flag when either sample is larger than this (at 1M rows a 0.01σ
    /// shift has p ≈ 1e-13).
    pub p_value_max_n: u64,
    /// The verdict is drift when at least this share of compared features drifted.
    pub drift_share: f64,
    /// How many top contributors the summary lists.
    pub top_contributors: usize,
    /// Fewer rows than this in the baseline or the target give no verdict: a registry records none (a
    /// handful of rows would pass or fail a `no_drift_within` gate by chance).
    pub min_rows: u64,
    /// Overrides by feature (column) name.
    pub features: BTreeMap<String, FeatureOverride>,
    /// Label and prediction columns: when set, the report carries the model's performance on the
    /// target (which must then be data, not a profile).
    pub performance: Option<PerformanceSpec>,
}

impl Default for DriftConfig {
    fn default() -> Self {
        let thresholds = BTreeMap::from([
            (MetricName::NormalisedWasserstein, 0.1),
            (MetricName::Wasserstein, 0.1),
            (MetricName::Psi, 0.2),
            (MetricName::JsDistance, 0.1),
            (MetricName::KsStatistic, 0.1),
            (MetricName::KsPValue, 0.05),
            (MetricName::Chi2Statistic, f64::MAX),
            (MetricName::Chi2PValue, 0.05),
        ]);
        DriftConfig {
            numerical_metric: MetricName::NormalisedWasserstein,
            categorical_metric: MetricName::JsDistance,
            thresholds,
            psi_bins: 10,
            p_value_max_n: 10_000,
            drift_share: 0.5,
            top_contributors: 5,
            min_rows: DEFAULT_MIN_ROWS,
            features: BTreeMap::new(),
            performance: None,
        }
    }
}

impl DriftConfig {
    /// Checks the settings a run depends on: bin count, share, finite non-negative thresholds and weights.
    pub fn validate(&self) -> Result<(), DriftError> {
        if self.psi_bins < 2 {
            return Err(DriftError::Config("psi_bins must be at least 2".into()));
        }
        if !(0.0..=1.0).contains(&self.drift_share) {
            return Err(DriftError::Config("drift_share must be between 0 and 1".into()));
        }
        let all = self.thresholds.values().chain(self.features.values().filter_map(|f| f.threshold.as_ref()));
        if all.into_iter().any(|t| !t.is_finite() || *t < 0.0) {
            return Err(DriftError::Config("thresholds must be finite and non-negative".into()));
        }
        if self.features.values().filter_map(|f| f.weight).any(|w| !w.is_finite() || w < 0.0) {
            return Err(DriftError::Config("weights must be finite and non-negative".into()));
        }
        Ok(())
    }

    /// The threshold of `metric` for `feature`: its override when that names this metric (or none), else the metric's default.
    pub fn threshold(&self, feature: &str, metric: MetricName) -> f64 {
        let per_feature = self.features.get(feature).filter(|f| f.metric.is_none_or(|m| m == metric));
        per_feature.and_then(|f| f.threshold).or_else(|| self.thresholds.get(&metric).copied()).unwrap_or(f64::MAX)
    }

    /// The metric that decides `feature`: its override, else the numerical or categorical default.
    pub fn decision_metric(&self, feature: &str, numeric: bool) -> MetricName {
        self.features.get(feature).and_then(|f| f.metric).unwrap_or(if numeric {
            self.numerical_metric
        } else {
            self.categorical_metric
        })
    }

    /// The feature's importance weight, when configured.
    pub fn weight(&self, feature: &str) -> Option<f64> {
        self.features.get(feature).and_then(|f| f.weight)
    }
}

/// What the model predicts; inferred from the label column when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Class labels: accuracy, precision, recall, F1 and (for scores) ROC AUC.
    Classification,
    /// Numerical targets: MAE, MSE, RMSE and R².
    Regression,
}

impl Task {
    /// The task's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// Which target columns hold the true label and the model's prediction.
pub struct PerformanceSpec {
    /// The column holding the true label.
    pub label: String,
    /// The column holding the model's prediction (a class label or a score).
    pub prediction: String,
    /// The positive class for precision, recall, F1 and AUC (binary classification).
    pub positive: Option<String>,
    /// `None`: inferred from the label column (see the module docs).
    #[serde(default)]
    pub task: Option<Task>,
}

//! The drift report: everything a signed drift record needs — inputs by URI and digest, the settings
//! used, per-feature metrics, baseline and target bin counts, and the verdict — as a serde struct that
//! embeds in TOML. Non-finite numbers never reach it: a value that could be NaN is an `Option`.

use serde::{Deserialize, Serialize};

use super::config::MetricName;
use super::dataset::SourceRef;
use super::schema::ColumnKind;
use super::sketch::Quantiles;

pub const REPORT_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
/// Which kind of comparison produced a report.
pub enum Mode {
    /// Both inputs raw data: KS, W1 and quantiles computed exactly.
    Exact,
    /// At least one side is a profile: metrics from fixed-edge histograms.
    Profile,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// One side of a comparison as the report records it.
pub struct InputRef {
    /// "data" or "profile".
    pub kind: String,
    /// The files behind it (several for a merged profile).
    pub sources: Vec<SourceRef>,
    /// Rows compared.
    pub rows: u64,
}

/// Every choice that changes a number, so a report can be reproduced and compared with other tools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Always `modelreg`.
    pub tool: String,
    /// The version that computed the report.
    pub tool_version: String,
    /// Bins for PSI and JS on numerical features.
    pub psi_bins: usize,
    /// How those bins are placed.
    pub psi_binning: String,
    /// ε added to empty bins before PSI's logarithm.
    pub psi_epsilon: f64,
    /// PSI's logarithm base.
    pub psi_log_base: String,
    /// The Jensen–Shannon distance's logarithm base (2).
    pub js_log_base: u32,
    /// Delta degrees of freedom of σ (0: population).
    pub std_ddof: u32,
    /// The floor under σ_baseline when normalising W1.
    pub normalisation_floor: f64,
    /// How KS p-values are computed.
    pub ks_p_value: String,
    /// Which χ² test.
    pub chi2: String,
    /// p-values flag only when both samples have at most this many values.
    pub p_value_max_n: u64,
    /// How NaN and ±infinity are treated.
    pub non_finite: String,
    /// Which cell texts are nulls, and how they are treated.
    pub nulls: String,
    /// How categories present on one side only are treated.
    pub unseen_categories: String,
    /// Whether KS and W1 are exact or from histograms.
    pub histograms: String,
    /// How the per-feature quantiles were computed, and their error bound.
    #[serde(default)]
    pub quantiles: String,
    /// When the verdict is drift.
    pub drift_rule: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
/// Whether a feature was compared, and why not.
pub enum FeatureStatus {
    /// Present on both sides with the same kind: metrics computed.
    Compared,
    /// In the baseline, not in the target.
    MissingInTarget,
    /// Present on both sides with different kinds.
    TypeMismatch {
        /// The kind the target's column has.
        target_kind: ColumnKind,
    },
    /// Present in the target but not in the baseline (reported, never compared).
    NewInTarget,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// One metric's value for a feature.
pub struct MetricValue {
    /// Which metric.
    pub metric: MetricName,
    /// Its value; absent when undefined (an empty side).
    pub value: Option<f64>,
    /// The threshold it is held to; absent for metrics only reported.
    pub threshold: Option<f64>,
    /// Whether this metric alone would flag the feature (p-values never flag above `p_value_max_n`).
    pub flagged: bool,
    /// Whether the value is exact or approximated from histograms.
    pub exact: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// Data-quality numbers beside the drift metrics.
pub struct Quality {
    /// Baseline rows.
    pub baseline_rows: u64,
    /// Target rows.
    pub target_rows: u64,
    /// Share of baseline rows that are null.
    pub baseline_null_rate: Option<f64>,
    /// Share of target rows that are null.
    pub target_null_rate: Option<f64>,
    /// Share of target rows that are NaN or infinite.
    pub target_non_finite_rate: Option<f64>,
    /// Share of target values below the baseline minimum or above its maximum (numerical only).
    pub target_out_of_range_rate: Option<f64>,
    /// Share of target rows that did not parse as the column's kind.
    pub target_type_error_rate: Option<f64>,
}

/// Bin counts for drawing: numerical features on the baseline-quantile bins (`edges` are the interior
/// edges, bins open at both ends); categorical features by category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bins {
    /// Interior bin edges (numerical); empty for categories.
    pub edges: Vec<f64>,
    /// Category labels (categorical); empty for numbers.
    pub labels: Vec<String>,
    /// Baseline count per bin or category.
    pub baseline: Vec<u64>,
    /// Target count per bin or category.
    pub target: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// One feature's comparison.
pub struct FeatureReport {
    /// The feature (column) name.
    pub name: String,
    /// Its kind in the baseline.
    pub kind: ColumnKind,
    #[serde(flatten)]
    /// Compared, or why not.
    pub status: FeatureStatus,
    /// The metric that decides `drifted`.
    pub decision_metric: Option<MetricName>,
    /// Whether the decision metric flagged the feature.
    pub drifted: bool,
    /// Decision value divided by its threshold (> 1 means flagged for "above" metrics).
    pub score: Option<f64>,
    /// The configured importance weight.
    pub weight: Option<f64>,
    /// Every metric computed, the decision metric among them.
    pub metrics: Vec<MetricValue>,
    /// Null, non-finite, out-of-range and type-error rates.
    pub quality: Quality,
    /// Bin counts for drawing.
    pub bins: Option<Bins>,
    /// Categories seen only in the target.
    pub new_categories: Vec<String>,
    /// Categories seen only in the baseline.
    pub vanished_categories: Vec<String>,
    /// p1 … p99 of the baseline and target (numerical features; see `settings.quantiles`). A summary
    /// for readers: never used to decide drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_quantiles: Option<Quantiles>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// p1 … p99 of the target (see `baseline_quantiles`).
    pub target_quantiles: Option<Quantiles>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// A feature ranked by its score in the summary.
pub struct Contributor {
    /// The feature's name.
    pub name: String,
    /// Its decision value over its threshold.
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// The verdict and the numbers behind it.
pub struct Summary {
    /// Features compared (present on both sides with the same kind).
    pub features_compared: usize,
    /// Compared features that drifted.
    pub features_drifted: usize,
    /// `features_drifted / features_compared`.
    pub share_drifted: Option<f64>,
    /// Σ weight·drifted / Σ weight, weight 1 for features without one.
    pub weighted_score: Option<f64>,
    /// The highest-scoring features, at most `top_contributors`.
    pub top_contributors: Vec<Contributor>,
    /// Baseline features absent from the target.
    pub missing_in_target: Vec<String>,
    /// Features whose kinds differ.
    pub type_mismatches: Vec<String>,
    /// The verdict.
    pub drift: bool,
    /// Why, in one sentence.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// A drift report: inputs, settings, per-feature results and the verdict (see the module docs).
pub struct DriftReport {
    /// The report format's version (1; raised when a field changes meaning).
    pub schema_version: u32,
    /// Exact or profile mode.
    pub mode: Mode,
    /// The baseline.
    pub baseline: InputRef,
    /// The target.
    pub target: InputRef,
    /// Every choice that shapes a number.
    pub settings: Settings,
    /// The verdict.
    pub summary: Summary,
    /// Per-feature results, baseline order then features new in the target.
    pub features: Vec<FeatureReport>,
    /// Model performance on the target, when label and prediction columns were given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance: Option<Performance>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// The model's performance on the target (see [`crate::performance()`]).
pub struct Performance {
    /// "classification" or "regression".
    pub task: String,
    /// The label column.
    pub label: String,
    /// The prediction column.
    pub prediction: String,
    /// Rows with a usable label and prediction.
    pub rows_used: u64,
    /// Rows skipped (a missing, non-finite or unparseable label or prediction).
    pub rows_skipped: u64,
    /// Distinct true classes (classification).
    #[serde(default)]
    pub classes: Option<u64>,
    /// How precision, recall and F1 are averaged: "binary" (for `positive`) or "macro".
    #[serde(default)]
    pub average: Option<String>,
    /// The positive class (binary classification).
    pub positive: Option<String>,
    /// Share of rows predicted correctly (classification).
    pub accuracy: Option<f64>,
    /// Precision (binary: of `positive`; multiclass: macro average).
    pub precision: Option<f64>,
    /// Recall (binary: of `positive`; multiclass: macro average).
    pub recall: Option<f64>,
    /// F1 (binary: of `positive`; multiclass: macro average).
    pub f1: Option<f64>,
    /// ROC AUC, when the prediction is a score (binary classification).
    pub auc: Option<f64>,
    /// Mean absolute error (regression).
    pub mae: Option<f64>,
    /// Mean squared error (regression).
    pub mse: Option<f64>,
    /// Root mean squared error (regression).
    pub rmse: Option<f64>,
    #[serde(default)]
    /// Coefficient of determination (regression).
    pub r2: Option<f64>,
    /// The prediction column's drift between baseline and target.
    #[serde(default)]
    pub prediction_drift: Option<PredictionDrift>,
}

/// The prediction column's row in the feature table, restated next to the performance it explains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictionDrift {
    /// The prediction column.
    pub column: String,
    /// "compared", or why it was not: "missing-in-target", "new-in-target" (the baseline has no
    /// prediction column), "type-mismatch".
    pub status: String,
    /// Its decision metric.
    pub metric: Option<MetricName>,
    /// The metric's value.
    pub value: Option<f64>,
    /// The threshold it was held to.
    pub threshold: Option<f64>,
    /// Whether the prediction drifted.
    pub drifted: bool,
}

/// `Some(x)` for finite x, else `None`: the one gate through which floats enter a report.
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

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
pub enum Mode {
    /// Both inputs raw data: KS, W1 and quantiles computed exactly.
    Exact,
    /// At least one side is a profile: metrics from fixed-edge histograms.
    Profile,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputRef {
    /// "data" or "profile".
    pub kind: String,
    /// The files behind it (several for a merged profile).
    pub sources: Vec<SourceRef>,
    pub rows: u64,
}

/// Every choice that changes a number, so a report can be reproduced and compared with other tools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub tool: String,
    pub tool_version: String,
    pub psi_bins: usize,
    pub psi_binning: String,
    pub psi_epsilon: f64,
    pub psi_log_base: String,
    pub js_log_base: u32,
    pub std_ddof: u32,
    pub normalisation_floor: f64,
    pub ks_p_value: String,
    pub chi2: String,
    pub p_value_max_n: u64,
    pub non_finite: String,
    pub nulls: String,
    pub unseen_categories: String,
    pub histograms: String,
    /// How the per-feature quantiles were computed, and their error bound.
    #[serde(default)]
    pub quantiles: String,
    pub drift_rule: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum FeatureStatus {
    Compared,
    MissingInTarget,
    TypeMismatch {
        target_kind: ColumnKind,
    },
    /// Present in the target but not in the baseline (reported, never compared).
    NewInTarget,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricValue {
    pub metric: MetricName,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    /// Whether this metric alone would flag the feature (p-values never flag above `p_value_max_n`).
    pub flagged: bool,
    /// Whether the value is exact or approximated from histograms.
    pub exact: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quality {
    pub baseline_rows: u64,
    pub target_rows: u64,
    pub baseline_null_rate: Option<f64>,
    pub target_null_rate: Option<f64>,
    pub target_non_finite_rate: Option<f64>,
    /// Share of target values below the baseline minimum or above its maximum (numerical only).
    pub target_out_of_range_rate: Option<f64>,
    pub target_type_error_rate: Option<f64>,
}

/// Bin counts for drawing: numerical features on the baseline-quantile bins (`edges` are the interior
/// edges, bins open at both ends); categorical features by category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bins {
    pub edges: Vec<f64>,
    pub labels: Vec<String>,
    pub baseline: Vec<u64>,
    pub target: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureReport {
    pub name: String,
    pub kind: ColumnKind,
    #[serde(flatten)]
    pub status: FeatureStatus,
    /// The metric that decides `drifted`.
    pub decision_metric: Option<MetricName>,
    pub drifted: bool,
    /// Decision value divided by its threshold (> 1 means flagged for "above" metrics).
    pub score: Option<f64>,
    pub weight: Option<f64>,
    pub metrics: Vec<MetricValue>,
    pub quality: Quality,
    pub bins: Option<Bins>,
    pub new_categories: Vec<String>,
    pub vanished_categories: Vec<String>,
    /// p1 … p99 of the baseline and target (numerical features; see `settings.quantiles`). A summary
    /// for readers: never used to decide drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_quantiles: Option<Quantiles>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_quantiles: Option<Quantiles>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contributor {
    pub name: String,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub features_compared: usize,
    pub features_drifted: usize,
    pub share_drifted: Option<f64>,
    /// Σ weight·drifted / Σ weight, weight 1 for features without one.
    pub weighted_score: Option<f64>,
    pub top_contributors: Vec<Contributor>,
    pub missing_in_target: Vec<String>,
    pub type_mismatches: Vec<String>,
    pub drift: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftReport {
    pub schema_version: u32,
    pub mode: Mode,
    pub baseline: InputRef,
    pub target: InputRef,
    pub settings: Settings,
    pub summary: Summary,
    pub features: Vec<FeatureReport>,
    /// Model performance on the target, when label and prediction columns were given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance: Option<Performance>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Performance {
    /// "classification" or "regression".
    pub task: String,
    pub label: String,
    pub prediction: String,
    pub rows_used: u64,
    pub rows_skipped: u64,
    /// Distinct true classes (classification).
    #[serde(default)]
    pub classes: Option<u64>,
    /// How precision, recall and F1 are averaged: "binary" (for `positive`) or "macro".
    #[serde(default)]
    pub average: Option<String>,
    pub positive: Option<String>,
    pub accuracy: Option<f64>,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub auc: Option<f64>,
    pub mae: Option<f64>,
    pub mse: Option<f64>,
    pub rmse: Option<f64>,
    #[serde(default)]
    pub r2: Option<f64>,
    /// The prediction column's drift between baseline and target.
    #[serde(default)]
    pub prediction_drift: Option<PredictionDrift>,
}

/// The prediction column's row in the feature table, restated next to the performance it explains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictionDrift {
    pub column: String,
    /// "compared", or why it was not: "missing-in-target", "new-in-target" (the baseline has no
    /// prediction column), "type-mismatch".
    pub status: String,
    pub metric: Option<MetricName>,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub drifted: bool,
}

/// `Some(x)` for finite x, else `None`: the one gate through which floats enter a report.
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

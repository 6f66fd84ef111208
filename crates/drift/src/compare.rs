//! Orchestration of a drift run: pick exact or profile mode from the inputs, line up the columns,
//! compare each feature in parallel (rayon), and derive the verdict.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::config::DriftConfig;
use super::dataset::{ExactDataset, ExactValues, load_exact};
use super::error::DriftError;
use super::feature::{NumericSide, compare_categorical, compare_numeric};
use super::histogram::DEFAULT_FINE_BINS;
use super::performance::performance;
use super::profile::{NumericSummary, Profile, ProfileOptions, profile_file};
use super::read::{ReadOptions, is_parquet, open};
use super::report::{
    Contributor, DriftReport, FeatureReport, FeatureStatus, InputRef, Mode, PredictionDrift, Quality,
    REPORT_SCHEMA_VERSION, Settings, Summary, finite,
};
use super::schema::ColumnKind;
use super::sketch::{DEFAULT_SKETCH_K, KllSketch};
use super::stats::PSI_EPSILON;
use super::stats::numeric::MIN_STD_FOR_NORMALISATION;

/// One side of a comparison.
#[derive(Debug, Clone)]
pub enum Input {
    /// A CSV or Parquet file.
    Data(PathBuf),
    /// A profile already loaded (see [`Profile::read`]).
    Profile(Profile),
}

/// Compares `target` with `baseline`. Exact mode when both are data; otherwise profile mode, where a
/// data side is profiled (the target against the baseline profile's edges).
pub fn compare(
    baseline: &Input,
    target: &Input,
    read: &ReadOptions,
    config: &DriftConfig,
) -> Result<DriftReport, DriftError> {
    config.validate()?;
    let mut report = compare_features(baseline, target, read, config)?;
    if let Some(spec) = &config.performance {
        let Input::Data(path) = target else {
            return Err(DriftError::Config("performance metrics need the target as data, not a profile".into()));
        };
        let mut measured = performance(path, read, spec)?;
        measured.prediction_drift = report.features.iter().find(|f| f.name == spec.prediction).map(prediction_drift);
        report.performance = Some(measured);
    }
    Ok(report)
}

fn prediction_drift(f: &FeatureReport) -> PredictionDrift {
    let decided = f.decision_metric.and_then(|m| f.metrics.iter().find(|v| v.metric == m));
    let status = match f.status {
        FeatureStatus::Compared => "compared",
        FeatureStatus::MissingInTarget => "missing-in-target",
        FeatureStatus::TypeMismatch { .. } => "type-mismatch",
        FeatureStatus::NewInTarget => "new-in-target",
    };
    PredictionDrift {
        column: f.name.clone(),
        status: status.into(),
        metric: f.decision_metric,
        value: decided.and_then(|m| m.value),
        threshold: decided.and_then(|m| m.threshold),
        drifted: f.drifted,
    }
}

fn compare_features(
    baseline: &Input,
    target: &Input,
    read: &ReadOptions,
    config: &DriftConfig,
) -> Result<DriftReport, DriftError> {
    let base_read = ReadOptions { strict: true, ..read.clone() };
    match (baseline, target) {
        (Input::Data(b), Input::Data(t)) => {
            let expected: HashMap<String, ColumnKind> =
                open(b, &base_read)?.schema().iter().map(|c| (c.name.clone(), c.kind)).collect();
            let mut target_read = ReadOptions { strict: false, expected, ..read.clone() };
            let unread = new_columns_left_unread(t, &mut target_read)?;
            let (bd, td) = rayon::join(|| load_exact(b, &base_read), || load_exact(t, &target_read));
            compare_exact(&bd?, &td?, &unread, config)
        }
        _ => {
            let options = ProfileOptions { read: base_read, ..ProfileOptions::default() };
            let bp = match baseline {
                Input::Profile(p) => p.clone(),
                Input::Data(path) => profile_file(path, &options, None)?,
            };
            let mut unread = Vec::new();
            let tp = match target {
                Input::Profile(p) => p.clone(),
                Input::Data(path) => {
                    let expected = bp.columns.iter().map(|c| (c.name.clone(), c.kind)).collect();
                    let mut read = ReadOptions { strict: false, expected, ..read.clone() };
                    unread = new_columns_left_unread(path, &mut read)?;
                    profile_file(path, &ProfileOptions { read, ..options.clone() }, Some(&bp))?
                }
            };
            compare_profiles(&bp, &tp, (kind_of(baseline), kind_of(target)), &unread, config)
        }
    }
}

/// A Parquet target's columns that the baseline lacks are only reported (new in the target), never
/// compared, so they are not read at all: they join `read.ignore` and are returned with their kinds,
/// from the footer. CSV targets read every column, since a bad cell anywhere in a row is an error.
fn new_columns_left_unread(target: &Path, read: &mut ReadOptions) -> Result<Vec<(String, ColumnKind)>, DriftError> {
    if !is_parquet(target) {
        return Ok(Vec::new());
    }
    // The sequential reader reads the footer only; the parallel one would start decoding.
    let schema = open(target, &ReadOptions { threads: 1, ..read.clone() })?.schema().to_vec();
    let (new, known): (Vec<_>, Vec<_>) = schema.into_iter().partition(|c| !read.expected.contains_key(&c.name));
    if new.is_empty() || known.is_empty() {
        return Ok(Vec::new());
    }
    read.ignore.extend(new.iter().map(|c| c.name.clone()));
    Ok(new.into_iter().map(|c| (c.name, c.kind)).collect())
}

fn kind_of(input: &Input) -> &'static str {
    match input {
        Input::Data(_) => "data",
        Input::Profile(_) => "profile",
    }
}

fn unmatched(name: &str, kind: ColumnKind, status: FeatureStatus) -> FeatureReport {
    FeatureReport {
        name: name.to_string(),
        kind,
        status,
        decision_metric: None,
        drifted: false,
        score: None,
        weight: None,
        metrics: Vec::new(),
        quality: Quality::default(),
        bins: None,
        new_categories: Vec::new(),
        vanished_categories: Vec::new(),
        baseline_quantiles: None,
        target_quantiles: None,
    }
}

/// Pairs baseline columns with target columns by name; `None` means compare, `Some` a status to report.
fn pair<'a>(
    baseline: &[(&'a str, ColumnKind)],
    target: &[(&'a str, ColumnKind)],
) -> Vec<(&'a str, ColumnKind, Option<FeatureStatus>)> {
    let target_kinds: HashMap<&str, ColumnKind> = target.iter().copied().collect();
    let mut out: Vec<_> = baseline
        .iter()
        .map(|&(name, kind)| match target_kinds.get(name) {
            None => (name, kind, Some(FeatureStatus::MissingInTarget)),
            Some(&tk) if tk != kind => (name, kind, Some(FeatureStatus::TypeMismatch { target_kind: tk })),
            Some(_) => (name, kind, None),
        })
        .collect();
    for &(name, kind) in target {
        if !baseline.iter().any(|(b, _)| *b == name) {
            out.push((name, kind, Some(FeatureStatus::NewInTarget)));
        }
    }
    out
}

fn compare_exact(
    b: &ExactDataset,
    t: &ExactDataset,
    unread: &[(String, ColumnKind)],
    config: &DriftConfig,
) -> Result<DriftReport, DriftError> {
    let bcols: Vec<_> = b.columns.iter().map(|c| (c.name.as_str(), c.kind)).collect();
    let tcols: Vec<_> = t.columns.iter().map(|c| (c.name.as_str(), c.kind)).chain(unread_columns(unread)).collect();
    // One feature per rayon task: a spilled column is read back and sorted inside its task and freed
    // at its end, so at most one baseline + target pair per thread is in memory.
    let features: Vec<FeatureReport> = pair(&bcols, &tcols)
        .into_par_iter()
        .map(|(name, kind, status)| {
            let (Some(bc), Some(tc), None) = (b.column(name), t.column(name), &status) else {
                return Ok(unmatched(name, kind, status.unwrap_or(FeatureStatus::MissingInTarget)));
            };
            let counts = (&bc.counts, &tc.counts);
            let mismatch = || unmatched(name, kind, FeatureStatus::TypeMismatch { target_kind: tc.kind });
            Ok(match (&bc.values, &tc.values) {
                (ExactValues::Labels(bl), ExactValues::Labels(tl)) => {
                    compare_categorical(name, kind, counts, (bl, 0), (tl, 0), true, config)
                }
                _ => match (bc.sorted()?, tc.sorted()?) {
                    (Some(bv), Some(tv)) => {
                        compare_numeric(name, kind, counts, NumericSide::Exact(&bv), NumericSide::Exact(&tv), config)
                            .unwrap_or_else(|_| mismatch())
                    }
                    _ => mismatch(),
                },
            })
        })
        .collect::<Result<_, DriftError>>()?;
    let input = |d: &ExactDataset| InputRef { kind: "data".into(), sources: vec![d.source.clone()], rows: d.rows };
    Ok(finish(Mode::Exact, input(b), input(t), features, config))
}

/// The unread new columns as [`pair`] takes them: after the read ones, which keeps the target's order
/// among the new columns (the only ones `pair` lists from the target).
fn unread_columns(unread: &[(String, ColumnKind)]) -> impl Iterator<Item = (&str, ColumnKind)> {
    unread.iter().map(|(name, kind)| (name.as_str(), *kind))
}

fn compare_profiles(
    b: &Profile,
    t: &Profile,
    (bkind, tkind): (&str, &str),
    unread: &[(String, ColumnKind)],
    config: &DriftConfig,
) -> Result<DriftReport, DriftError> {
    let bcols: Vec<_> = b.columns.iter().map(|c| (c.name.as_str(), c.kind)).collect();
    let tcols: Vec<_> = t.columns.iter().map(|c| (c.name.as_str(), c.kind)).chain(unread_columns(unread)).collect();
    let features: Vec<FeatureReport> = pair(&bcols, &tcols)
        .into_par_iter()
        .map(|(name, kind, status)| {
            let (Some(bc), Some(tc), None) = (b.column(name), t.column(name), &status) else {
                return Ok(unmatched(name, kind, status.unwrap_or(FeatureStatus::MissingInTarget)));
            };
            let counts = (&bc.counts, &tc.counts);
            match (&bc.numeric, &tc.numeric, &bc.categories, &tc.categories) {
                (Some(bn), Some(tn), _, _) => {
                    compare_numeric(name, kind, counts, profile_side(bn), profile_side(tn), config)
                }
                (_, _, Some(bc), Some(tc)) => Ok(compare_categorical(
                    name,
                    kind,
                    counts,
                    (&bc.counts, bc.other),
                    (&tc.counts, tc.other),
                    bc.other == 0 && tc.other == 0,
                    config,
                )),
                _ => Ok(unmatched(name, kind, FeatureStatus::TypeMismatch { target_kind: tc.kind })),
            }
        })
        .collect::<Result<_, _>>()?;
    let input = |p: &Profile, kind: &str| InputRef { kind: kind.into(), sources: p.sources.clone(), rows: p.rows };
    Ok(finish(Mode::Profile, input(b, bkind), input(t, tkind), features, config))
}

fn profile_side(n: &NumericSummary) -> NumericSide<'_> {
    NumericSide::Profile { histogram: &n.histogram, min: n.min, max: n.max, std: n.std(), quantiles: n.quantiles }
}

fn settings(mode: Mode, config: &DriftConfig) -> Settings {
    Settings {
        tool: "modelreg".into(),
        tool_version: super::TOOL_VERSION.into(),
        psi_bins: config.psi_bins,
        psi_binning: match mode {
            Mode::Exact => "baseline quantiles (numpy linear), duplicate edges removed, bins (e[k-1], e[k]]".into(),
            Mode::Profile => format!("baseline equal-mass groups of {DEFAULT_FINE_BINS} fixed-width fine bins over [min, max] plus under/overflow"),
        },
        psi_epsilon: PSI_EPSILON,
        psi_log_base: "e".into(),
        js_log_base: 2,
        std_ddof: 0,
        normalisation_floor: MIN_STD_FOR_NORMALISATION,
        ks_p_value: "scipy ks_2samp auto: exact lattice paths when n1, n2 <= 10000, else kstwo.sf(D, round(n1*n2/(n1+n2))) (Simard-L'Ecuyer)".into(),
        chi2: "homogeneity on the 2xK table, no Yates correction".into(),
        p_value_max_n: config.p_value_max_n,
        non_finite: "NaN and +/-inf excluded from metrics, counted in target_non_finite_rate".into(),
        nulls: "null tokens (empty, NA, N/A, null, NULL, None) excluded from metrics, counted in null rates".into(),
        unseen_categories: "union of categories; unseen side counts 0 (JS, chi2 exact; PSI uses epsilon)".into(),
        histograms: match mode {
            Mode::Exact => "exact".into(),
            Mode::Profile => "KS and W1 from fixed-edge histograms (error <= one fine bin)".into(),
        },
        quantiles: match mode {
            Mode::Exact => "exact, numpy linear interpolation".into(),
            Mode::Profile => format!(
                "KLL sketch (k = {DEFAULT_SKETCH_K}): rank error <= {:.2}% of n per quantile with 99% confidence; summary only, never used for drift decisions",
                KllSketch::rank_error_for(DEFAULT_SKETCH_K) * 100.0
            ),
        },
        drift_rule: format!(
            "drift if any drifted feature has weight > 0, or at least {:.0}% of compared features drifted",
            config.drift_share * 100.0
        ),
    }
}

fn finish(
    mode: Mode,
    baseline: InputRef,
    target: InputRef,
    features: Vec<FeatureReport>,
    config: &DriftConfig,
) -> DriftReport {
    let compared: Vec<&FeatureReport> = features.iter().filter(|f| f.status == FeatureStatus::Compared).collect();
    let drifted: Vec<&FeatureReport> = compared.iter().copied().filter(|f| f.drifted).collect();
    let share = (!compared.is_empty()).then(|| drifted.len() as f64 / compared.len() as f64);
    let total_weight: f64 = compared.iter().map(|f| f.weight.unwrap_or(1.0)).sum();
    let weighted = (total_weight > 0.0)
        .then(|| drifted.iter().map(|f| f.weight.unwrap_or(1.0)).sum::<f64>() / total_weight)
        .and_then(finite);
    let mut ranked: Vec<Contributor> =
        compared.iter().filter_map(|f| Some(Contributor { name: f.name.clone(), score: f.score? })).collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.name.cmp(&b.name)));
    ranked.truncate(config.top_contributors);
    let weighted_hit = drifted.iter().find(|f| f.weight.is_some_and(|w| w > 0.0));
    let (drift, reason) = if let Some(f) = weighted_hit {
        (true, format!("feature {:?} (weight {}) drifted", f.name, f.weight.unwrap_or(0.0)))
    } else if share.is_some_and(|s| s >= config.drift_share) {
        (true, format!("{} of {} features drifted", drifted.len(), compared.len()))
    } else {
        (false, format!("{} of {} features drifted", drifted.len(), compared.len()))
    };
    let by_status = |want: fn(&FeatureStatus) -> bool| -> Vec<String> {
        features.iter().filter(|f| want(&f.status)).map(|f| f.name.clone()).collect()
    };
    let summary = Summary {
        features_compared: compared.len(),
        features_drifted: drifted.len(),
        share_drifted: share,
        weighted_score: weighted,
        top_contributors: ranked,
        missing_in_target: by_status(|s| *s == FeatureStatus::MissingInTarget),
        type_mismatches: by_status(|s| matches!(s, FeatureStatus::TypeMismatch { .. })),
        drift,
        reason,
    };
    DriftReport {
        schema_version: REPORT_SCHEMA_VERSION,
        mode,
        baseline,
        target,
        settings: settings(mode, config),
        summary,
        features,
        performance: None,
    }
}

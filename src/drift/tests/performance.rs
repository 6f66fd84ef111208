//! Performance metrics on the target: hand-computed expectations for classification with scores and
//! with labels, regression, skipped rows, and the report of a drift run that asks for them.

use std::path::{Path, PathBuf};

use crate::drift::{DriftConfig, DriftError, Input, PerformanceSpec, ReadOptions, compare, performance};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
}

fn spec(label: &str, prediction: &str, positive: Option<&str>) -> PerformanceSpec {
    PerformanceSpec { label: label.into(), prediction: prediction.into(), positive: positive.map(String::from) }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-12)
}

#[test]
fn binary_classification_with_scores() {
    let dir = tempfile::tempdir().expect("tempdir");
    // TP (0.9), TN (0.2), FN (0.4), FP (0.6); the last row has no score and is skipped.
    let path = write(dir.path(), "t.csv", "y,score\n1,0.9\n0,0.2\n1,0.4\n0,0.6\n1,\n");
    let p = performance(&path, &ReadOptions::default(), &spec("y", "score", None)).expect("performance");
    assert_eq!(
        (p.task.as_str(), p.positive.as_deref(), p.rows_used, p.rows_skipped),
        ("classification", Some("1"), 4, 1)
    );
    assert!(close(p.accuracy, 0.5) && close(p.precision, 0.5) && close(p.recall, 0.5) && close(p.f1, 0.5));
    // Positive scores {0.9, 0.4} beat negative {0.2, 0.6} in 3 of 4 pairs.
    assert!(close(p.auc, 0.75), "{:?}", p.auc);
}

#[test]
fn classification_with_predicted_labels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "t.csv", "y,pred\ncat,cat\ndog,cat\ndog,dog\n");
    let p = performance(&path, &ReadOptions::default(), &spec("y", "pred", Some("dog"))).expect("performance");
    assert!(close(p.accuracy, 2.0 / 3.0) && close(p.precision, 1.0) && close(p.recall, 0.5));
    assert!(close(p.f1, 2.0 / 3.0));
    assert_eq!(p.auc, None);
}

#[test]
fn regression_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "t.csv", "y,p\n1.5,1\n2.5,3\n10,7\n");
    let p = performance(&path, &ReadOptions::default(), &spec("y", "p", None)).expect("performance");
    assert_eq!(p.task, "regression");
    assert!(close(p.mae, 4.0 / 3.0) && close(p.mse, 9.5 / 3.0) && close(p.rmse, (9.5f64 / 3.0).sqrt()));
}

#[test]
fn a_missing_label_column_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "t.csv", "y,p\n1,1\n");
    let err = performance(&path, &ReadOptions::default(), &spec("label", "p", None)).expect_err("no such column");
    assert!(matches!(err, DriftError::UnknownColumn { ref column, .. } if column == "label"), "{err}");
}

#[test]
fn drift_report_carries_performance_and_prediction_drift() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = write(dir.path(), "b.csv", "y,score\n1,0.9\n0,0.1\n1,0.8\n0,0.2\n");
    let t = write(dir.path(), "t.csv", "y,score\n1,0.9\n0,0.2\n1,0.4\n0,0.6\n");
    let config = DriftConfig { performance: Some(spec("y", "score", None)), ..DriftConfig::default() };
    let report = compare(&Input::Data(b), &Input::Data(t), &ReadOptions::default(), &config).expect("compare");
    assert!(close(report.performance.as_ref().and_then(|p| p.auc), 0.75));
    // The prediction column is compared like any feature: that is prediction drift.
    assert!(report.features.iter().any(|f| f.name == "score" && f.drifted));
    toml::to_string(&report).expect("report with performance serialises to TOML");
}

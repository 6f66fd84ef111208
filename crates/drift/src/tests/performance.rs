//! Performance metrics on the target: hand-computed expectations (worked in the comments, following
//! scikit-learn's definitions: `average="macro"`, `zero_division=0`, `r2_score`) for binary and
//! multiclass classification, regression, an explicit task, skipped rows, and the report of a drift
//! run that asks for them, with its prediction drift.

use std::path::{Path, PathBuf};

use crate::{DriftConfig, DriftError, Input, MetricName, PerformanceSpec, ReadOptions, Task, compare, performance};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
}

fn spec(label: &str, prediction: &str, positive: Option<&str>) -> PerformanceSpec {
    PerformanceSpec {
        label: label.into(),
        prediction: prediction.into(),
        positive: positive.map(String::from),
        task: None,
    }
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
    // ȳ = 14/3, deviations −19/6, −13/6, 32/6: SS_tot = 1554/36; SS_res = 9.5; R² = 1 − 342/1554.
    assert!(close(p.r2, 1.0 - 342.0 / 1554.0), "{:?}", p.r2);
    assert_eq!((p.accuracy, p.classes, p.average.as_deref()), (None, None, None));
}

#[test]
fn r2_with_a_constant_label_follows_scikit_learn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let regression = |s: PerformanceSpec| PerformanceSpec { task: Some(Task::Regression), ..s };
    let exact = write(dir.path(), "exact.csv", "y,p\n2,2\n2,2\n2,2\n");
    let p = performance(&exact, &ReadOptions::default(), &regression(spec("y", "p", None))).expect("exact");
    assert_eq!((p.task.as_str(), p.r2, p.mae), ("regression", Some(1.0), Some(0.0)));
    let off = write(dir.path(), "off.csv", "y,p\n2,2\n2,2\n2,3\n");
    let p = performance(&off, &ReadOptions::default(), &regression(spec("y", "p", None))).expect("off");
    assert_eq!(p.r2, Some(0.0));
}

#[test]
fn multiclass_labels_get_macro_averages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "t.csv", "y,pred\ncat,cat\ncat,dog\ncat,cat\ndog,dog\ndog,bird\nbird,bird\n");
    let p = performance(&path, &ReadOptions::default(), &spec("y", "pred", None)).expect("performance");
    // cat: TP 2 of 2 predicted, 3 true → P 1, R 2/3, F1 0.8; dog: P 1/2, R 1/2, F1 1/2;
    // bird: P 1/2, R 1, F1 2/3. Macro: P 2/3, R 13/18, F1 59/90; accuracy 4/6.
    assert_eq!((p.task.as_str(), p.classes, p.average.as_deref()), ("classification", Some(3), Some("macro")));
    assert!(close(p.accuracy, 4.0 / 6.0) && close(p.precision, 2.0 / 3.0), "{p:?}");
    assert!(close(p.recall, 13.0 / 18.0) && close(p.f1, 59.0 / 90.0), "{p:?}");
    assert_eq!((p.positive, p.auc), (None, None));
}

#[test]
fn numeric_classes_need_the_task_and_count_never_predicted_classes_as_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "t.csv", "y,p\n0,0\n1,2\n2,2\n2,3\n");
    // Three distinct numbers: regression unless told otherwise.
    let inferred = performance(&path, &ReadOptions::default(), &spec("y", "p", None)).expect("inferred");
    assert_eq!(inferred.task, "regression");
    let told = PerformanceSpec { task: Some(Task::Classification), ..spec("y", "p", None) };
    let p = performance(&path, &ReadOptions::default(), &told).expect("classification");
    // Classes {0,1,2,3}: 0 → P R F1 = 1; 1 (never predicted) → 0, 0, 0; 2 → 1/2, 1/2, 1/2;
    // 3 (never true) → 0, 0, 0. Macro 1.5/4 each; accuracy 2/4.
    assert_eq!((p.task.as_str(), p.classes, p.average.as_deref()), ("classification", Some(3), Some("macro")));
    assert!(close(p.accuracy, 0.5) && close(p.precision, 0.375) && close(p.recall, 0.375) && close(p.f1, 0.375));
}

#[test]
fn hard_numeric_predictions_of_two_classes_are_labels_not_scores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "t.csv", "y,p\n1,1\n2,2\n2,1\n1,1\n");
    let p = performance(&path, &ReadOptions::default(), &spec("y", "p", None)).expect("performance");
    // Positive class 1: predicted for rows 1, 3, 4, of which 1 and 4 are true → P 2/3, R 1, F1 0.8.
    assert_eq!((p.positive.as_deref(), p.average.as_deref()), (Some("1"), Some("binary")));
    assert!(close(p.accuracy, 0.75) && close(p.precision, 2.0 / 3.0) && close(p.recall, 1.0) && close(p.f1, 0.8));
}

#[test]
fn regression_on_text_labels_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "t.csv", "y,p\ncat,1\ndog,2\n");
    let told = PerformanceSpec { task: Some(Task::Regression), ..spec("y", "p", None) };
    let err = performance(&path, &ReadOptions::default(), &told).expect_err("text label");
    assert!(err.to_string().contains("--task classification"), "{err}");
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
    // The prediction column is compared like any feature: that is prediction drift, restated beside
    // the performance it explains.
    assert!(report.features.iter().any(|f| f.name == "score" && f.drifted));
    let drift = report.performance.as_ref().and_then(|p| p.prediction_drift.as_ref()).expect("prediction drift");
    assert_eq!((drift.column.as_str(), drift.status.as_str(), drift.drifted), ("score", "compared", true));
    assert_eq!(drift.metric, Some(MetricName::NormalisedWasserstein));
    assert!(drift.value.zip(drift.threshold).is_some_and(|(v, t)| v > t), "{drift:?}");
    toml::to_string(&report).expect("report with performance serialises to TOML");
}

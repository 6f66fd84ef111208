//! Model performance on the target, when it carries the true label and the model's prediction.
//!
//! The two columns are read row-aligned; a row where either is missing, non-finite or unparseable is
//! skipped and counted. The task is given ([`Task`]) or inferred: classification when the label column
//! is categorical or boolean, or numerical with at most two distinct values; otherwise regression.
//!
//! - **Binary classification** (at most two label classes): metrics for one *positive* class (given,
//!   else `1`/`true` when present, else the largest label): accuracy, precision, recall, F1, and ROC AUC
//!   when the prediction is a numeric score (hard prediction = score ≥ 0.5, unless every prediction is
//!   itself one of the label's classes; AUC by the Mann–Whitney rank sum with average ranks for ties).
//! - **Multiclass** (more than two label classes): accuracy, and macro-averaged precision, recall and
//!   F1 over the union of true and predicted classes, a class with no predicted (or no true) rows
//!   counting 0 — scikit-learn's `average="macro", zero_division=0`. A numeric prediction is read as a
//!   class label (`2.0` is class `2`). No AUC: it needs a score per class.
//! - **Regression**: MAE, MSE, RMSE and R² (1 − SS_res/SS_tot; with a constant label, 1 when every
//!   prediction is exact, else 0, as scikit-learn's `r2_score`).
//!
//! Prediction drift is the prediction column compared like any feature; [`super::compare`] copies that
//! feature's verdict into [`Performance::prediction_drift`].

use std::collections::BTreeSet;
use std::path::Path;

use super::config::{PerformanceSpec, Task};
use super::error::DriftError;
use super::read::{ColumnChunk, ReadOptions, open};
use super::report::{Performance, finite};

/// A number as a class label: integers without a fractional part (`1.0` → `"1"`).
fn number_label(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

enum Side {
    Numbers(Vec<f64>),
    Labels(Vec<String>),
}

fn read_pair(path: &Path, read: &ReadOptions, spec: &PerformanceSpec) -> Result<(Side, Side, u64), DriftError> {
    let schema = open(path, read)?.schema().to_vec();
    for name in [&spec.label, &spec.prediction] {
        if !schema.iter().any(|c| &c.name == name) {
            return Err(DriftError::UnknownColumn { file: path.to_path_buf(), column: name.clone() });
        }
    }
    let ignore = schema.iter().map(|c| c.name.clone()).filter(|n| n != &spec.label && n != &spec.prediction);
    let options = ReadOptions { aligned: true, strict: false, ignore: ignore.collect(), ..read.clone() };
    let mut reader = open(path, &options)?;
    let position = |name: &str| reader.schema().iter().position(|c| c.name == name).unwrap_or(0);
    let (li, pi) = (position(&spec.label), position(&spec.prediction));
    let side = |chunk: &ColumnChunk| match chunk {
        ColumnChunk::Numbers { .. } => Side::Numbers(Vec::new()),
        ColumnChunk::Labels { .. } => Side::Labels(Vec::new()),
    };
    let (mut label, mut prediction, mut rows) = (None, None, 0);
    while let Some(batch) = reader.next_batch()? {
        rows += batch.rows;
        for (index, slot) in [(li, &mut label), (pi, &mut prediction)] {
            let chunk = &batch.columns[index];
            let side = slot.get_or_insert_with(|| side(chunk));
            match (side, chunk) {
                (Side::Numbers(all), ColumnChunk::Numbers { values, .. }) => all.extend(values),
                (Side::Labels(all), ColumnChunk::Labels { values, .. }) => all.extend(values.iter().cloned()),
                _ => {}
            }
        }
    }
    match (label, prediction) {
        (Some(l), Some(p)) => Ok((l, p, rows)),
        _ => Err(DriftError::NoRows { file: path.to_path_buf() }),
    }
}

/// Computes performance metrics from the label and prediction columns of a data file.
pub fn performance(path: &Path, read: &ReadOptions, spec: &PerformanceSpec) -> Result<Performance, DriftError> {
    let (label, prediction, rows) = read_pair(path, read, spec)?;
    let mut out = Performance {
        task: String::new(),
        label: spec.label.clone(),
        prediction: spec.prediction.clone(),
        rows_used: 0,
        rows_skipped: 0,
        classes: None,
        average: None,
        positive: None,
        accuracy: None,
        precision: None,
        recall: None,
        f1: None,
        auc: None,
        mae: None,
        mse: None,
        rmse: None,
        r2: None,
        prediction_drift: None,
    };
    let as_labels = |v: &[f64]| {
        v.iter().map(|&x| if x.is_finite() { number_label(x) } else { String::new() }).collect::<Vec<String>>()
    };
    let task = spec.task.unwrap_or(match &label {
        Side::Labels(_) => Task::Classification,
        Side::Numbers(v) => {
            let distinct: BTreeSet<u64> = v.iter().filter(|x| x.is_finite()).map(|x| x.to_bits()).collect();
            if distinct.len() <= 2 { Task::Classification } else { Task::Regression }
        }
    });
    match (task, &label, &prediction) {
        (Task::Classification, Side::Labels(labels), prediction) => classification(&mut out, labels, prediction, spec),
        (Task::Classification, Side::Numbers(y), prediction) => {
            classification(&mut out, &as_labels(y), prediction, spec)
        }
        (Task::Regression, Side::Numbers(y), Side::Numbers(p)) => regression(&mut out, y, p),
        (Task::Regression, _, _) => {
            return Err(DriftError::Config(format!(
                "regression needs numerical label and prediction columns ({:?}, {:?}); use --task classification for class labels",
                spec.label, spec.prediction
            )));
        }
    }
    out.rows_skipped = rows - out.rows_used;
    Ok(out)
}

fn regression(out: &mut Performance, y: &[f64], p: &[f64]) {
    out.task = Task::Regression.as_str().into();
    let pairs: Vec<(f64, f64)> =
        y.iter().zip(p).filter(|(a, b)| a.is_finite() && b.is_finite()).map(|(&a, &b)| (a, b)).collect();
    out.rows_used = pairs.len() as u64;
    if pairs.is_empty() {
        return;
    }
    let n = pairs.len() as f64;
    let mae = pairs.iter().map(|(a, b)| (a - b).abs()).sum::<f64>() / n;
    let ss_res = pairs.iter().map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
    let mean = pairs.iter().map(|(a, _)| a).sum::<f64>() / n;
    let ss_tot = pairs.iter().map(|(a, _)| (a - mean) * (a - mean)).sum::<f64>();
    let mse = ss_res / n;
    let r2 = if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    };
    (out.mae, out.mse, out.rmse, out.r2) = (finite(mae), finite(mse), finite(mse.sqrt()), finite(r2));
}

/// One usable row: the true class, the predicted class, and the score when the prediction is one.
struct Outcome<'a> {
    actual: &'a str,
    predicted: String,
    score: Option<f64>,
}

fn classification(out: &mut Performance, labels: &[String], prediction: &Side, spec: &PerformanceSpec) {
    out.task = Task::Classification.as_str().into();
    let classes: BTreeSet<&str> = labels.iter().map(String::as_str).filter(|l| !l.is_empty()).collect();
    out.classes = Some(classes.len() as u64);
    if classes.len() > 2 {
        return multiclass(out, labels, prediction);
    }
    let positive = spec
        .positive
        .clone()
        .or_else(|| ["1", "true"].iter().find(|p| classes.contains(*p)).map(|p| p.to_string()))
        .or_else(|| classes.last().map(|l| l.to_string()));
    let Some(positive) = positive else { return };
    let negative =
        classes.iter().find(|c| **c != positive).map_or_else(|| format!("not {positive}"), |c| c.to_string());
    // Numbers that are all class labels are hard predictions; anything else is a score.
    let hard = match prediction {
        Side::Numbers(p) => p.iter().filter(|x| x.is_finite()).all(|&x| classes.contains(number_label(x).as_str())),
        Side::Labels(_) => true,
    };
    let rows = outcomes(labels, prediction, |s| {
        if hard {
            number_label(s)
        } else if s >= 0.5 {
            positive.clone()
        } else {
            negative.clone()
        }
    });
    out.rows_used = rows.len() as u64;
    out.average = Some("binary".into());
    out.positive = Some(positive.clone());
    if rows.is_empty() {
        return;
    }
    out.accuracy = finite(rows.iter().filter(|r| r.actual == r.predicted).count() as f64 / rows.len() as f64);
    let (precision, recall, f1) = class_scores(&rows, &positive);
    (out.precision, out.recall, out.f1) = (precision, recall, f1);
    let scores: Option<Vec<(f64, bool)>> = rows.iter().map(|r| Some((r.score?, r.actual == positive))).collect();
    out.auc = scores.and_then(|s| auc(&s));
}

fn outcomes<'a>(labels: &'a [String], prediction: &Side, class_of: impl Fn(f64) -> String) -> Vec<Outcome<'a>> {
    let mut rows = Vec::new();
    for (i, l) in labels.iter().enumerate().filter(|(_, l)| !l.is_empty()) {
        match prediction {
            Side::Numbers(p) => {
                if let Some(&s) = p.get(i).filter(|s| s.is_finite()) {
                    rows.push(Outcome { actual: l, predicted: class_of(s), score: Some(s) });
                }
            }
            Side::Labels(p) => {
                if let Some(q) = p.get(i).filter(|q| !q.is_empty()) {
                    rows.push(Outcome { actual: l, predicted: q.clone(), score: None });
                }
            }
        }
    }
    rows
}

/// Precision, recall and F1 of one class; `None` where the denominator is 0 (binary reporting).
fn class_scores(rows: &[Outcome<'_>], class: &str) -> (Option<f64>, Option<f64>, Option<f64>) {
    let count = |f: &dyn Fn(&Outcome<'_>) -> bool| rows.iter().filter(|r| f(r)).count() as f64;
    let tp = count(&|r| r.actual == class && r.predicted == class);
    let predicted = count(&|r| r.predicted == class);
    let actual = count(&|r| r.actual == class);
    let precision = (predicted > 0.0).then(|| tp / predicted);
    let recall = (actual > 0.0).then(|| tp / actual);
    let f1 = match (precision, recall) {
        (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
        (Some(_), Some(_)) => Some(0.0),
        _ => None,
    };
    (precision, recall, f1)
}

/// Macro averages over every class seen as a label or a prediction, 0 for an undefined score.
fn multiclass(out: &mut Performance, labels: &[String], prediction: &Side) {
    let rows = outcomes(labels, prediction, number_label);
    out.rows_used = rows.len() as u64;
    out.average = Some("macro".into());
    if rows.is_empty() {
        return;
    }
    out.accuracy = finite(rows.iter().filter(|r| r.actual == r.predicted).count() as f64 / rows.len() as f64);
    let classes: BTreeSet<&str> = rows.iter().flat_map(|r| [r.actual, r.predicted.as_str()]).collect();
    let k = classes.len() as f64;
    let (mut p, mut r, mut f) = (0.0, 0.0, 0.0);
    for class in classes {
        let (cp, cr, cf) = class_scores(&rows, class);
        (p, r, f) = (p + cp.unwrap_or(0.0), r + cr.unwrap_or(0.0), f + cf.unwrap_or(0.0));
    }
    (out.precision, out.recall, out.f1) = (finite(p / k), finite(r / k), finite(f / k));
}

/// ROC AUC = (rank sum of positives − n_pos(n_pos+1)/2) / (n_pos·n_neg), average ranks for ties.
fn auc(scored: &[(f64, bool)]) -> Option<f64> {
    let mut sorted = scored.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < sorted.len() {
        let j = sorted[i..].iter().position(|s| s.0 != sorted[i].0).map_or(sorted.len(), |k| i + k);
        let average_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += average_rank * sorted[i..j].iter().filter(|s| s.1).count() as f64;
        i = j;
    }
    let n_pos = scored.iter().filter(|s| s.1).count() as f64;
    let n_neg = scored.len() as f64 - n_pos;
    (n_pos > 0.0 && n_neg > 0.0).then(|| (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg))
}

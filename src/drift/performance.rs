//! Model performance on the target, when it carries the true label and the model's prediction.
//!
//! The two columns are read row-aligned; a row where either is missing, non-finite or unparseable is
//! skipped and counted. The task is classification when the label column is categorical or boolean, or
//! numerical with at most two distinct values; otherwise regression. For classification the metrics
//! are for one *positive* class (given, else `1`/`true` when present, else the largest label): accuracy
//! over all classes, precision, recall and F1 for the positive class, and ROC AUC when the prediction
//! is a numeric score (hard prediction = score ≥ 0.5; AUC by the Mann–Whitney rank sum with average
//! ranks for ties). Regression gives MAE, MSE and RMSE.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::DriftError;
use super::read::{ColumnChunk, ReadOptions, open};
use super::report::finite;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerformanceSpec {
    pub label: String,
    pub prediction: String,
    /// The positive class for precision, recall, F1 and AUC.
    pub positive: Option<String>,
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
    pub positive: Option<String>,
    pub accuracy: Option<f64>,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub auc: Option<f64>,
    pub mae: Option<f64>,
    pub mse: Option<f64>,
    pub rmse: Option<f64>,
}

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
        positive: None,
        accuracy: None,
        precision: None,
        recall: None,
        f1: None,
        auc: None,
        mae: None,
        mse: None,
        rmse: None,
    };
    let labels: Option<Vec<String>> = match &label {
        Side::Labels(v) => Some(v.clone()),
        Side::Numbers(v) => {
            let distinct: BTreeSet<u64> = v.iter().filter(|x| x.is_finite()).map(|x| x.to_bits()).collect();
            (distinct.len() <= 2)
                .then(|| v.iter().map(|&x| if x.is_finite() { number_label(x) } else { String::new() }).collect())
        }
    };
    match (labels, &label, &prediction) {
        (Some(labels), _, prediction) => classification(&mut out, &labels, prediction, spec),
        (None, Side::Numbers(y), Side::Numbers(p)) => {
            out.task = "regression".into();
            let pairs: Vec<(f64, f64)> =
                y.iter().zip(p).filter(|(a, b)| a.is_finite() && b.is_finite()).map(|(&a, &b)| (a, b)).collect();
            out.rows_used = pairs.len() as u64;
            if !pairs.is_empty() {
                let n = pairs.len() as f64;
                let mae = pairs.iter().map(|(a, b)| (a - b).abs()).sum::<f64>() / n;
                let mse = pairs.iter().map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / n;
                (out.mae, out.mse, out.rmse) = (finite(mae), finite(mse), finite(mse.sqrt()));
            }
        }
        (None, _, _) => {
            return Err(DriftError::Config(format!(
                "prediction column {:?} must be numerical for a regression label {:?}",
                spec.prediction, spec.label
            )));
        }
    }
    out.rows_skipped = rows - out.rows_used;
    Ok(out)
}

/// One usable row of a classification: whether it is of the positive class, whether it was predicted
/// so, the score when the prediction is numeric, and whether the predicted class is the true one.
struct Outcome {
    actual: bool,
    predicted: bool,
    score: Option<f64>,
    correct: bool,
}

fn classification(out: &mut Performance, labels: &[String], prediction: &Side, spec: &PerformanceSpec) {
    out.task = "classification".into();
    let classes: BTreeSet<&str> = labels.iter().map(String::as_str).filter(|l| !l.is_empty()).collect();
    let positive = spec
        .positive
        .clone()
        .or_else(|| ["1", "true"].iter().find(|p| classes.contains(*p)).map(|p| p.to_string()))
        .or_else(|| classes.last().map(|l| l.to_string()));
    let Some(positive) = positive else { return };
    let mut rows: Vec<Outcome> = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        if l.is_empty() {
            continue;
        }
        let actual = *l == positive;
        match prediction {
            Side::Numbers(p) => match p.get(i) {
                Some(&s) if s.is_finite() => {
                    rows.push(Outcome { actual, predicted: s >= 0.5, score: Some(s), correct: (s >= 0.5) == actual })
                }
                _ => {}
            },
            Side::Labels(p) => match p.get(i) {
                Some(q) if !q.is_empty() => {
                    rows.push(Outcome { actual, predicted: *q == positive, score: None, correct: q == l })
                }
                _ => {}
            },
        }
    }
    out.rows_used = rows.len() as u64;
    out.positive = Some(positive);
    if rows.is_empty() {
        return;
    }
    let count = |f: fn(&Outcome) -> bool| rows.iter().filter(|r| f(r)).count() as f64;
    let tp = count(|r| r.actual && r.predicted);
    let (fp, fn_) = (count(|r| !r.actual && r.predicted), count(|r| r.actual && !r.predicted));
    out.accuracy = finite(count(|r| r.correct) / rows.len() as f64);
    let precision = (tp + fp > 0.0).then(|| tp / (tp + fp));
    let recall = (tp + fn_ > 0.0).then(|| tp / (tp + fn_));
    out.precision = precision;
    out.recall = recall;
    out.f1 = match (precision, recall) {
        (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
        (Some(_), Some(_)) => Some(0.0),
        _ => None,
    };
    let scores: Option<Vec<(f64, bool)>> = rows.iter().map(|r| Some((r.score?, r.actual))).collect();
    out.auc = scores.and_then(|s| auc(&s));
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

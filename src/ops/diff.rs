//! `diff`: two model versions side by side — metrics with deltas, parameters, tags, lineage and
//! artifacts (by digest) — as a report the CLI renders as tables or JSON.
//!
//! The versions may belong to different models. Each is loaded with its signatures verified, as
//! `show` does: a diff is something people act on.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::show::{load_state, select};
use super::{Error, ModelRef};
use crate::record::{Digest, ModelName, RegisterRecord, Timestamp, Version};
use crate::repo::Registry;

/// How one row differs between the two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// The same on both sides.
    Unchanged,
    /// On both sides, with different values.
    Changed,
    /// Only in the `to` version.
    Added,
    /// Only in the `from` version.
    Removed,
}

impl Change {
    fn of<T: PartialEq>(from: Option<&T>, to: Option<&T>) -> Change {
        match (from, to) {
            (Some(a), Some(b)) if a == b => Change::Unchanged,
            (Some(_), Some(_)) => Change::Changed,
            (None, Some(_)) => Change::Added,
            // Absent on both sides cannot happen: rows come from the union of keys.
            (Some(_), None) | (None, None) => Change::Removed,
        }
    }
}

/// Which version one side of the diff is.
#[derive(Debug, Serialize)]
pub struct Side {
    /// The model.
    pub name: ModelName,
    /// The version number.
    pub version: Version,
    /// Its register record's digest.
    pub record_digest: Digest,
    /// When it was registered.
    pub created_at: Timestamp,
    /// Who registered it, `Name <email>`.
    pub author: String,
}

/// One metric compared.
#[derive(Debug, Serialize)]
pub struct MetricRow {
    /// The metric's name.
    pub key: String,
    /// Its value in the `from` version.
    pub from: Option<f64>,
    /// Its value in the `to` version.
    pub to: Option<f64>,
    /// `to - from`, when both sides have the metric.
    pub delta: Option<f64>,
    /// How it differs.
    pub change: Change,
}

/// One text value compared (a field, parameter, tag or lineage entry).
#[derive(Debug, Serialize)]
pub struct ValueRow {
    /// What the value is: the field, parameter or tag name, or the lineage row's name.
    pub key: String,
    /// The value in the `from` version.
    pub from: Option<String>,
    /// The value in the `to` version.
    pub to: Option<String>,
    /// How it differs.
    pub change: Change,
}

/// One side of an artifact row: what the file at that path is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArtifactSide {
    /// The blake3 digest of its bytes.
    pub digest: Digest,
    /// Size in bytes.
    pub size: u64,
    /// Its format, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// One artifact path compared by digest.
#[derive(Debug, Serialize)]
pub struct ArtifactRow {
    /// The artifact's path inside the version.
    pub path: String,
    /// The file in the `from` version.
    pub from: Option<ArtifactSide>,
    /// The file in the `to` version.
    pub to: Option<ArtifactSide>,
    /// How it differs (`changed` when the digest, size or format differ).
    pub change: Change,
}

/// What `diff` returns: every row, changed or not, so a renderer may hide the unchanged ones.
#[derive(Debug, Serialize)]
pub struct DiffReport {
    /// The version compared from.
    pub from: Side,
    /// The version compared to.
    pub to: Side,
    /// framework and description.
    pub fields: Vec<ValueRow>,
    /// Metrics, by name.
    pub metrics: Vec<MetricRow>,
    /// Training parameters, by name.
    pub params: Vec<ValueRow>,
    /// Tags as they are now (tag records applied), by key.
    pub tags: Vec<ValueRow>,
    /// `code`, `dataset.<name>` and `parent.<model>` rows.
    pub lineage: Vec<ValueRow>,
    /// Artifacts, by path.
    pub artifacts: Vec<ArtifactRow>,
}

impl DiffReport {
    /// Does anything differ besides the version's identity?
    pub fn has_changes(&self) -> bool {
        let values = |rows: &[ValueRow]| rows.iter().any(|r| r.change != Change::Unchanged);
        values(&self.fields)
            || values(&self.params)
            || values(&self.tags)
            || values(&self.lineage)
            || self.metrics.iter().any(|r| r.change != Change::Unchanged)
            || self.artifacts.iter().any(|r| r.change != Change::Unchanged)
    }
}

/// `diff FROM TO`: loads both models with signatures verified and compares the versions selected.
pub fn diff(registry: &Registry, from: &ModelRef, to: &ModelRef) -> Result<DiffReport, Error> {
    let from_state = load_state(registry, &from.name)?;
    let to_state = if to.name == from.name { None } else { Some(load_state(registry, &to.name)?) };
    let a = select(&from_state, from)?;
    let b = select(to_state.as_ref().unwrap_or(&from_state), to)?;
    let side = |v: &crate::state::VersionState| Side {
        name: v.register.model.clone(),
        version: v.version,
        record_digest: v.record_digest,
        created_at: v.register.created_at,
        author: v.register.author.clone(),
    };
    // Tags as they are now (tag records applied), like `show` and `search`; the rest as registered.
    // A description is written once and holds for later versions until another is given.
    let now = |state: &crate::state::ModelState, v: &crate::state::VersionState| RegisterRecord {
        tags: v.tags.clone(),
        description: state.versions.range(..=v.version).rev().find_map(|(_, e)| e.register.description.clone()),
        ..v.register.clone()
    };
    let b_state = to_state.as_ref().unwrap_or(&from_state);
    Ok(compare(side(a), &now(&from_state, a), side(b), &now(b_state, b)))
}

/// The report for two register records (pure: everything but loading).
pub fn compare(from: Side, a: &RegisterRecord, to: Side, b: &RegisterRecord) -> DiffReport {
    let fields = [
        ("framework", a.framework.clone(), b.framework.clone()),
        ("description", a.description.clone(), b.description.clone()),
    ]
    .into_iter()
    .filter(|(_, x, y)| x.is_some() || y.is_some())
    .map(|(key, x, y)| ValueRow { key: key.into(), change: Change::of(x.as_ref(), y.as_ref()), from: x, to: y })
    .collect();
    let metrics = union(
        a.metrics.iter().map(|(k, m)| (k.to_string(), m.get())).collect(),
        b.metrics.iter().map(|(k, m)| (k.to_string(), m.get())).collect(),
    )
    .into_iter()
    .map(|(key, from, to)| MetricRow {
        key,
        delta: from.zip(to).map(|(x, y)| y - x),
        change: Change::of(from.as_ref(), to.as_ref()),
        from,
        to,
    })
    .collect();
    let strings =
        |m: &BTreeMap<crate::record::MetaKey, String>| m.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let artifacts = |r: &RegisterRecord| {
        r.artifacts
            .iter()
            .map(|x| (x.path.to_string(), ArtifactSide { digest: x.digest, size: x.size, format: x.format.clone() }))
            .collect()
    };
    DiffReport {
        from,
        to,
        fields,
        metrics,
        params: value_rows(union(strings(&a.params), strings(&b.params))),
        tags: value_rows(union(strings(&a.tags), strings(&b.tags))),
        lineage: value_rows(union(lineage(a), lineage(b))),
        artifacts: union(artifacts(a), artifacts(b))
            .into_iter()
            .map(|(path, from, to)| ArtifactRow { path, change: Change::of(from.as_ref(), to.as_ref()), from, to })
            .collect(),
    }
}

fn value_rows(rows: Vec<(String, Option<String>, Option<String>)>) -> Vec<ValueRow> {
    rows.into_iter()
        .map(|(key, from, to)| ValueRow { key, change: Change::of(from.as_ref(), to.as_ref()), from, to })
        .collect()
}

/// Every key of either side, sorted, with each side's value.
fn union<V: Clone>(a: BTreeMap<String, V>, b: BTreeMap<String, V>) -> Vec<(String, Option<V>, Option<V>)> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter().map(|k| (k.clone(), a.get(k).cloned(), b.get(k).cloned())).collect()
}

/// Lineage flattened to comparable rows.
fn lineage(r: &RegisterRecord) -> BTreeMap<String, String> {
    let mut rows = BTreeMap::new();
    if let Some(code) = &r.lineage.code {
        let repo = code.repo.as_deref().map(|repo| format!("{repo} @ ")).unwrap_or_default();
        let dirty = if code.dirty { " (uncommitted changes)" } else { "" };
        rows.insert("code".to_owned(), format!("{repo}{}{dirty}", code.commit));
    }
    for dataset in &r.lineage.datasets {
        let digest = dataset.digest.map(|d| format!(" {}", d.short())).unwrap_or_default();
        rows.insert(format!("dataset.{}", dataset.name), format!("{}{digest}", dataset.uri));
    }
    for parent in &r.lineage.parents {
        // Two parents of one model (an ensemble of its versions) share a row.
        let text = format!("v{} ({})", parent.version, parent.record.short());
        rows.entry(format!("parent.{}", parent.model))
            .and_modify(|row: &mut String| *row = format!("{row}, {text}"))
            .or_insert(text);
    }
    rows
}

//! The data a card template sees: [`CardContext`], assembled in one place ([`CardContext::build`]) from
//! a model's replayed state, its `card.toml` and the trust file's owner names.
//!
//! Everything here is already formatted text (metric values, dates, digests), so a template cannot
//! make output depend on float formatting or locale, and the same records give byte-identical cards.
//! Only the model's own records are read: registering or changing another model never makes this
//! model's card stale (lineage shows upstream only; downstream is `modelreg lineage --downstream`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::fields::CardFields;
pub use super::lifecycle::{Approval, LifecycleView, PendingPromotion, Promotion, lifecycle_view};
use super::lineage::Graph;
use crate::record::{Metric, Version};
use crate::sign::Trust;
use crate::state::{ModelState, VersionState};

/// How many drift features the card's per-feature table shows (the highest scores first).
const DRIFT_FEATURE_ROWS: usize = 10;
/// How many versions' latest drift verdicts the card lists (newest versions first).
const DRIFT_VERDICT_ROWS: usize = 5;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CardContext {
    pub model: String,
    pub description: Option<String>,
    pub owners: Vec<String>,
    pub license: Option<String>,
    pub task: Option<String>,
    /// Hugging Face `tags`: `card.toml` tags, then `key:value` from the latest version's tags.
    pub tags: Vec<String>,
    pub library_name: Option<String>,
    pub intended_use: Option<String>,
    pub limitations: Option<String>,
    pub ethical_considerations: Option<String>,
    pub latest: Option<u64>,
    /// The version the card describes in detail: production if a version holds it, else the latest.
    pub focus: Option<Focus>,
    pub stages: Vec<StageRow>,
    pub key_metrics: Vec<String>,
    pub versions: Vec<VersionRow>,
    pub comparison: Option<Comparison>,
    pub drift: Vec<DriftVerdict>,
    pub drift_features: Option<DriftFeatures>,
    pub last_promotion: Option<Promotion>,
    pub pending: Vec<PendingPromotion>,
    /// `modelreg get` commands, most useful first.
    pub fetch: Vec<String>,
    /// When the whole model is archived: when, by whom and why.
    pub archived: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Focus {
    pub version: u64,
    /// Why this version: `production` or `latest`.
    pub reason: String,
    pub date: String,
    pub record: String,
    pub metrics: Vec<MetricCell>,
    pub artifacts: Vec<ArtifactRow>,
    pub lineage: LineageView,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricCell {
    pub name: String,
    pub value: String,
    /// The raw number, for the YAML front matter.
    pub number: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArtifactRow {
    pub path: String,
    pub size: u64,
    pub format: Option<String>,
    pub digest: String,
    /// A pickle-based format: loading it runs code.
    pub loads_code: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LineageView {
    pub code: Option<CodeView>,
    pub datasets: Vec<DatasetView>,
    pub parents: Vec<ParentView>,
    pub training_run: Option<String>,
    pub mermaid: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeView {
    pub repo: Option<String>,
    pub commit: String,
    pub dirty: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetView {
    pub name: String,
    pub uri: String,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParentView {
    pub model: String,
    pub version: u64,
    pub record: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageRow {
    pub stage: String,
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionRow {
    pub version: u64,
    pub date: String,
    pub author: String,
    /// One cell per key metric, in `key_metrics` order (`-` when the version lacks it).
    pub metrics: Vec<String>,
    pub stage: Option<String>,
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub current: u64,
    pub previous: u64,
    pub rows: Vec<ComparisonRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonRow {
    pub metric: String,
    pub current: String,
    pub previous: String,
    pub delta: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftVerdict {
    pub version: u64,
    pub date: String,
    pub drift: bool,
    pub features_drifted: usize,
    pub features_compared: usize,
    pub reason: String,
    pub reports: usize,
    pub record: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftFeatures {
    pub version: u64,
    pub date: String,
    pub rows: Vec<DriftFeatureRow>,
    /// Features compared but not shown (beyond the table's rows).
    pub more: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftFeatureRow {
    pub feature: String,
    pub kind: String,
    pub metric: String,
    pub value: String,
    pub threshold: String,
    pub drifted: bool,
}

impl CardContext {
    /// The one function that turns a model's state into what its card shows.
    pub fn build(state: &ModelState, fields: &CardFields, trust: &Trust) -> CardContext {
        let life = lifecycle_view(state, trust);
        let latest = state.latest();
        let production = life.stages.get("production").and_then(|v| state.versions.get(v));
        let focus_version = production.or(latest);

        let mut tags = fields.tags.clone();
        if let Some(latest) = latest {
            tags.extend(latest.tags.iter().map(|(k, v)| format!("{k}:{v}")));
        }
        let key_metrics = if fields.key_metrics.is_empty() {
            latest.map(|v| v.register.metrics.keys().map(|k| k.to_string()).collect()).unwrap_or_default()
        } else {
            fields.key_metrics.clone()
        };
        let stage_of: BTreeMap<Version, Vec<&str>> = life.stages.iter().fold(BTreeMap::new(), |mut map, (stage, v)| {
            map.entry(*v).or_default().push(stage.as_str());
            map
        });
        let versions = state
            .versions
            .values()
            .rev()
            .map(|v| VersionRow {
                version: v.version.get(),
                date: v.register.created_at.to_string(),
                author: v.register.author.clone(),
                metrics: key_metrics
                    .iter()
                    .map(|name| {
                        v.register
                            .metrics
                            .iter()
                            .find(|(k, _)| k.as_str() == name)
                            .map_or("-".into(), |(_, m)| number(*m))
                    })
                    .collect(),
                stage: stage_of.get(&v.version).map(|s| s.join(", ")),
                archived: life.archived.contains(&v.version),
            })
            .collect();

        let comparison = match (production, life.previous_production.and_then(|v| state.versions.get(&v))) {
            (Some(current), Some(previous)) => Some(compare(current, previous)),
            _ => None,
        };

        let mut fetch: Vec<String> = life
            .stages
            .keys()
            .map(|stage| format!("modelreg get {}@{stage} -o ./{}", state.name, state.name))
            .collect();
        if let Some(latest) = latest {
            fetch.push(format!("modelreg get {}@{} -o ./{}", state.name, latest.version, state.name));
        }

        let (drift, drift_features) = drift_views(state);
        CardContext {
            model: state.name.to_string(),
            description: fields.description.clone().or_else(|| state.description().map(str::to_owned)),
            owners: fields.owners.clone(),
            license: fields.license.clone(),
            task: fields.task.clone(),
            tags,
            library_name: latest.and_then(|v| v.register.framework.clone()),
            intended_use: fields.intended_use.clone(),
            limitations: fields.limitations.clone(),
            ethical_considerations: fields.ethical_considerations.clone(),
            latest: latest.map(|v| v.version.get()),
            focus: focus_version.map(|v| focus(v, production.is_some(), fields)),
            stages: life.stages.iter().map(|(stage, v)| StageRow { stage: stage.clone(), version: v.get() }).collect(),
            key_metrics,
            versions,
            comparison,
            drift,
            drift_features,
            last_promotion: life.last_promotion,
            pending: life.pending,
            fetch,
            archived: state.archived.as_ref().map(|a| format!("{} by {}: {}", a.at, a.author, a.message)),
        }
    }
}

fn focus(v: &VersionState, production: bool, fields: &CardFields) -> Focus {
    let r = &v.register;
    let lineage = LineageView {
        code: r.lineage.code.as_ref().map(|c| CodeView {
            repo: c.repo.clone(),
            commit: c.commit.clone(),
            dirty: c.dirty,
        }),
        datasets: r
            .lineage
            .datasets
            .iter()
            .map(|d| DatasetView {
                name: d.name.to_string(),
                uri: d.uri.clone(),
                digest: d.digest.map(|d| d.to_string()),
            })
            .collect(),
        parents: r
            .lineage
            .parents
            .iter()
            .map(|p| ParentView { model: p.model.to_string(), version: p.version.get(), record: p.record.to_string() })
            .collect(),
        training_run: fields.training_run.clone(),
        mermaid: Graph::of_version(r, v.record_digest).mermaid(),
    };
    Focus {
        version: v.version.get(),
        reason: if production { "production" } else { "latest" }.into(),
        date: r.created_at.to_string(),
        record: v.record_path.clone(),
        metrics: r
            .metrics
            .iter()
            .map(|(k, m)| MetricCell { name: k.to_string(), value: number(*m), number: m.get() })
            .collect(),
        artifacts: r
            .artifacts
            .iter()
            .map(|a| ArtifactRow {
                path: a.path.to_string(),
                size: a.size,
                format: a.format.clone(),
                digest: a.digest.to_string(),
                loads_code: a.loads_code(),
            })
            .collect(),
        lineage,
    }
}

fn compare(current: &VersionState, previous: &VersionState) -> Comparison {
    let names: BTreeSet<_> = current.register.metrics.keys().chain(previous.register.metrics.keys()).collect();
    let rows = names
        .into_iter()
        .map(|name| {
            let (now, before) = (current.register.metrics.get(name), previous.register.metrics.get(name));
            let delta = match (now, before) {
                (Some(a), Some(b)) => {
                    let d = a.get() - b.get();
                    if d > 0.0 { format!("+{}", float(d)) } else { float(d) }
                }
                _ => "-".into(),
            };
            ComparisonRow {
                metric: name.to_string(),
                current: now.map_or("-".into(), |m| number(*m)),
                previous: before.map_or("-".into(), |m| number(*m)),
                delta,
            }
        })
        .collect();
    Comparison { current: current.version.get(), previous: previous.version.get(), rows }
}

fn drift_views(state: &ModelState) -> (Vec<DriftVerdict>, Option<DriftFeatures>) {
    let verdicts: Vec<DriftVerdict> = state
        .versions
        .values()
        .rev()
        .filter_map(|v| {
            let latest = v.drift_reports.last()?;
            let s = &latest.record.report.summary;
            Some(DriftVerdict {
                version: v.version.get(),
                date: latest.record.created_at.to_string(),
                drift: s.drift,
                features_drifted: s.features_drifted,
                features_compared: s.features_compared,
                reason: s.reason.clone(),
                reports: v.drift_reports.len(),
                record: latest.record_path.clone(),
            })
        })
        .take(DRIFT_VERDICT_ROWS)
        .collect();
    // The per-feature table is for the most recent report of any version.
    let newest = state.versions.values().flat_map(|v| v.drift_reports.last()).max_by_key(|d| d.record.seq);
    let features = newest.map(|d| {
        let mut compared: Vec<_> = d.record.report.features.iter().filter(|f| f.score.is_some()).collect();
        // Highest score first; ties by name so the order never depends on the report's.
        compared.sort_by(|a, b| {
            b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal).then(a.name.cmp(&b.name))
        });
        let more = compared.len().saturating_sub(DRIFT_FEATURE_ROWS);
        let rows = compared
            .into_iter()
            .take(DRIFT_FEATURE_ROWS)
            .map(|f| {
                let decision = f.decision_metric.and_then(|m| f.metrics.iter().find(|v| v.metric == m));
                DriftFeatureRow {
                    feature: f.name.clone(),
                    kind: format!("{:?}", f.kind).to_lowercase(),
                    metric: f.decision_metric.map_or("-".into(), |m| m.as_str().to_owned()),
                    value: decision.and_then(|v| v.value).map_or("-".into(), float),
                    threshold: decision.and_then(|v| v.threshold).map_or("-".into(), float),
                    drifted: f.drifted,
                }
            })
            .collect();
        DriftFeatures { version: d.record.version.get(), date: d.record.created_at.to_string(), rows, more }
    });
    (verdicts, features)
}

/// A metric value without float noise: `0.94`, `12`, `0.000123`.
pub fn number(metric: Metric) -> String {
    float(metric.get())
}

fn float(value: f64) -> String {
    let rounded = (value * 1e6).round() / 1e6;
    let text = format!("{rounded}");
    if text == "-0" { "0".into() } else { text }
}

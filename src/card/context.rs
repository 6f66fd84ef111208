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

/// Everything a card template sees, already formatted; built only by [`CardContext::build`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CardContext {
    /// The model's name, as in `models/<name>/`.
    pub model: String,
    /// `card.toml`'s description, else that of the newest registration that has one.
    pub description: Option<String>,
    /// Owners as written in `card.toml`.
    pub owners: Vec<String>,
    /// `card.toml`'s license id, for the front matter.
    pub license: Option<String>,
    /// `card.toml`'s Hugging Face task id, for `model-index`.
    pub task: Option<String>,
    /// Hugging Face `tags`: `card.toml` tags, then `key:value` from the latest version's tags.
    pub tags: Vec<String>,
    /// The latest version's framework (`sklearn`, `pytorch`…), as Hugging Face's `library_name`.
    pub library_name: Option<String>,
    /// From `card.toml`, as written.
    pub intended_use: Option<String>,
    /// From `card.toml`, as written.
    pub limitations: Option<String>,
    /// From `card.toml`, as written.
    pub ethical_considerations: Option<String>,
    /// The highest registered version number; `None` before the first registration.
    pub latest: Option<u64>,
    /// The version the card describes in detail: production if a version holds it, else the latest.
    pub focus: Option<Focus>,
    /// Each stage held and its version, by stage name.
    pub stages: Vec<StageRow>,
    /// The metric names that are the versions table's columns: `card.toml`'s `key_metrics`, else every metric of the latest version.
    pub key_metrics: Vec<String>,
    /// Every version, newest first.
    pub versions: Vec<VersionRow>,
    /// Production's metrics against the version that held production before it, when both exist.
    pub comparison: Option<Comparison>,
    /// The latest drift verdict of the newest versions that have one (at most `DRIFT_VERDICT_ROWS`, newest version first).
    pub drift: Vec<DriftVerdict>,
    /// The per-feature table of the most recent drift report of any version.
    pub drift_features: Option<DriftFeatures>,
    /// The newest promotion not superseded, pending or effective.
    pub last_promotion: Option<Promotion>,
    /// Promotions waiting for approvals.
    pub pending: Vec<PendingPromotion>,
    /// `modelreg get` commands, most useful first.
    pub fetch: Vec<String>,
    /// When the whole model is archived: when, by whom and why.
    pub archived: Option<String>,
}

/// The version a card describes in detail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Focus {
    /// Its version number.
    pub version: u64,
    /// Why this version: `production` or `latest`.
    pub reason: String,
    /// When it was registered (RFC 3339).
    pub date: String,
    /// Its register record's path in the registry.
    pub record: String,
    /// Every metric it was registered with, by name.
    pub metrics: Vec<MetricCell>,
    /// Its artifacts, in the record's order.
    pub artifacts: Vec<ArtifactRow>,
    /// What it was made from.
    pub lineage: LineageView,
}

/// One metric of the focus version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricCell {
    /// The metric's name as registered.
    pub name: String,
    /// The value formatted without float noise (see [`number`]).
    pub value: String,
    /// The raw number, for the YAML front matter.
    pub number: f64,
}

/// One artifact of the focus version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArtifactRow {
    /// The artifact's path inside the version (as `modelreg get` writes it).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// The file format (`onnx`, `safetensors`, `pickle`…), when known.
    pub format: Option<String>,
    /// The blake3 digest of its bytes, as stored in the artifact store.
    pub digest: String,
    /// A pickle-based format: loading it runs code.
    pub loads_code: bool,
}

/// What the focus version was made from, as its register record says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LineageView {
    /// The commit it was built from.
    pub code: Option<CodeView>,
    /// The datasets it names, in the record's order.
    pub datasets: Vec<DatasetView>,
    /// The model versions it was derived from (fine-tuned, distilled…).
    pub parents: Vec<ParentView>,
    /// Where the training run is recorded, from `card.toml`.
    pub training_run: Option<String>,
    /// The version's lineage graph as a Mermaid flowchart.
    pub mermaid: String,
}

/// The code a version was built from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeView {
    /// The code repository's URL, when recorded.
    pub repo: Option<String>,
    /// The commit id, in full.
    pub commit: String,
    /// The working tree had uncommitted changes when the version was built.
    pub dirty: bool,
}

/// A dataset a version names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetView {
    /// Its role in the lineage (`train`, `eval`…).
    pub name: String,
    /// Where it lives, as recorded.
    pub uri: String,
    /// Its content digest, when pinned.
    pub digest: Option<String>,
}

/// A model version another was derived from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParentView {
    /// The parent model's name.
    pub model: String,
    /// The parent's version number.
    pub version: u64,
    /// The digest of the parent's register record, which pins it.
    pub record: String,
}

/// A stage and the version holding it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageRow {
    /// The stage name (`staging`, `production`…).
    pub stage: String,
    /// The version holding it.
    pub version: u64,
}

/// One row of the card's versions table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionRow {
    /// The version number.
    pub version: u64,
    /// When it was registered (RFC 3339).
    pub date: String,
    /// The register record's author.
    pub author: String,
    /// One cell per key metric, in `key_metrics` order (`-` when the version lacks it).
    pub metrics: Vec<String>,
    /// The stages it holds, comma-separated; `None` when it holds none.
    pub stage: Option<String>,
    /// Archived on its own or with the whole model.
    pub archived: bool,
}

/// Production's metrics against the previous production version's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The version holding production now.
    pub current: u64,
    /// The version that held production before it.
    pub previous: u64,
    /// One row per metric either version has, by name.
    pub rows: Vec<ComparisonRow>,
}

/// One metric in a [`Comparison`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonRow {
    /// The metric's name.
    pub metric: String,
    /// The current version's value, or `-` when it lacks the metric.
    pub current: String,
    /// The previous version's value, or `-`.
    pub previous: String,
    /// `current - previous`, signed (`+0.02`), or `-` when either is missing.
    pub delta: String,
}

/// The latest drift verdict recorded for one version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftVerdict {
    /// The version the drift report is about.
    pub version: u64,
    /// When the latest report was recorded (RFC 3339).
    pub date: String,
    /// That report's verdict: the data has drifted.
    pub drift: bool,
    /// Features judged to have drifted.
    pub features_drifted: usize,
    /// Features compared (those present on both sides).
    pub features_compared: usize,
    /// The report's one-line reason for its verdict.
    pub reason: String,
    /// How many drift reports the version has in all.
    pub reports: usize,
    /// The latest drift record's path in the registry.
    pub record: String,
}

/// The per-feature table of one drift report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftFeatures {
    /// The version the report is about.
    pub version: u64,
    /// When it was recorded (RFC 3339).
    pub date: String,
    /// The highest-scoring features, at most `DRIFT_FEATURE_ROWS`, ties broken by name.
    pub rows: Vec<DriftFeatureRow>,
    /// Features compared but not shown (beyond the table's rows).
    pub more: usize,
}

/// One feature of a drift report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftFeatureRow {
    /// The feature (column) name.
    pub feature: String,
    /// The column's kind, lowercased: `numerical`, `categorical`, `boolean` or `datetime`.
    pub kind: String,
    /// The metric that decided the verdict (`psi`, `js_distance`…), or `-`.
    pub metric: String,
    /// That metric's value, or `-`.
    pub value: String,
    /// The threshold it was judged against, or `-`.
    pub threshold: String,
    /// The feature was judged to have drifted.
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

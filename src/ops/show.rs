//! The read side: `list` and `show`.

use serde::Serialize;

use super::{Error, ModelRef, Selector};
use crate::index::{Index, Source};
use crate::ops::lifecycle::PromotionInfo;
use crate::policy::Problem;
use crate::policy::{Judge, load_model};
use crate::record::{Digest, ModelName, RegisterRecord, Timestamp, Version};
use crate::record::{MetaKey, Stage};
use crate::repo::Registry;
use crate::state::search::ModelDoc;
use crate::state::{Archival, Deployment, ModelState, VersionState};
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct ModelSummary {
    pub name: ModelName,
    pub latest_version: Option<Version>,
    pub versions: usize,
    pub records: usize,
    pub updated_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    /// The version holding each stage.
    pub stages: BTreeMap<Stage, Version>,
    pub archived: bool,
}

impl ModelSummary {
    fn of(doc: ModelDoc) -> ModelSummary {
        ModelSummary {
            name: doc.name,
            latest_version: doc.latest_version,
            versions: doc.versions,
            records: doc.records,
            updated_at: doc.updated_at,
            description: doc.description,
            framework: doc.framework,
            stages: doc.stages.into_iter().collect(),
            archived: doc.archived,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ListReport {
    pub models: Vec<ModelSummary>,
    /// Models left out because their records could not be read (run `check` for everything).
    pub unreadable: Vec<Problem>,
}

/// Every model, from the index (see [`crate::index`]: it reads the records of models that changed).
/// Signatures are not verified here (that is `check`'s job, and `show` and `get` verify the model they
/// act on), so listing stays fast on large registries — except on promotions, whose approvals decide
/// which version holds a stage. Models whose records directory is still empty (an interrupted first
/// registration) are not models yet.
pub fn list(registry: &Registry) -> Result<ListReport, Error> {
    let source = Source::of(registry);
    let index = Index::open(&source);
    let models = index.models().into_iter().map(ModelSummary::of).collect();
    Ok(ListReport { models, unreadable: index.unreadable })
}

#[derive(Debug, Serialize)]
pub struct VersionSummary {
    pub version: Version,
    pub created_at: Timestamp,
    pub author: String,
    pub files: usize,
    pub bytes: u64,
    pub metrics: Vec<(String, f64)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub stages: Vec<Stage>,
    pub archived: bool,
}

#[derive(Debug, Serialize)]
pub struct StageHolder {
    pub stage: Stage,
    pub version: Option<Version>,
}

#[derive(Debug, Serialize)]
pub struct ModelDetail {
    pub name: ModelName,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub latest_version: Option<Version>,
    pub records: usize,
    /// Every configured stage in order, with the version holding it (stages no longer configured but
    /// still held come last).
    pub stages: Vec<StageHolder>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<Archival>,
    /// Promotions waiting for approvals, with who can still approve.
    pub pending: Vec<PromotionInfo>,
    /// Where versions run now.
    pub deployments: Vec<ActiveDeployment>,
    pub versions: Vec<VersionSummary>,
}

#[derive(Debug, Serialize)]
pub struct ActiveDeployment {
    pub version: Version,
    #[serde(flatten)]
    pub deployment: Deployment,
}

#[derive(Debug, Serialize)]
pub struct Signer {
    pub key: String,
    pub owner: String,
}

/// The gist of one drift report (the record holds the rest).
#[derive(Debug, Serialize)]
pub struct DriftInfo {
    pub record_path: String,
    pub created_at: Timestamp,
    pub drift: bool,
    pub features_drifted: usize,
    pub features_compared: usize,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_end: Option<Timestamp>,
}

#[derive(Debug, Serialize)]
pub struct VersionDetail {
    pub record_path: String,
    pub record_digest: Digest,
    pub signed_by: Vec<Signer>,
    /// Artifacts whose format runs code when loaded (pickle and formats built on it).
    pub code_executing_artifacts: Vec<String>,
    /// Drift reports about this version, oldest first.
    pub drift_reports: Vec<DriftInfo>,
    /// Stages the version holds now.
    pub stages: Vec<Stage>,
    /// Tags now: the registered tags with every tag record since applied.
    pub current_tags: BTreeMap<MetaKey, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<Archival>,
    /// Where it runs now.
    pub deployments: Vec<Deployment>,
    /// Its promotions, oldest first: status and the approval trail.
    pub promotions: Vec<PromotionInfo>,
    #[serde(flatten)]
    pub register: RegisterRecord,
}

/// Loads one model with signatures verified.
pub fn load_state(registry: &Registry, name: &ModelName) -> Result<ModelState, Error> {
    Ok(ModelState::replay(load_model(&registry.worktree(), name, Judge::all(registry.trust()))?))
}

pub fn model(registry: &Registry, name: &ModelName) -> Result<ModelDetail, Error> {
    let state = load_state(registry, name)?;
    let versions = state
        .versions
        .values()
        .map(|v| VersionSummary {
            version: v.version,
            created_at: v.register.created_at,
            author: v.register.author.clone(),
            files: v.register.artifacts.len(),
            bytes: v.register.artifacts.iter().map(|a| a.size).sum(),
            metrics: v.register.metrics.iter().map(|(k, m)| (k.to_string(), m.get())).collect(),
            message: v.register.message.clone(),
            stages: v.stages().cloned().collect(),
            archived: state.is_archived(v.version),
        })
        .collect();
    let configured = &registry.config().lifecycle.stages;
    let mut stages: Vec<StageHolder> =
        configured.iter().map(|s| StageHolder { stage: s.clone(), version: state.stages.get(s).copied() }).collect();
    for (stage, version) in state.stages.iter().filter(|(s, _)| !configured.contains(s)) {
        stages.push(StageHolder { stage: stage.clone(), version: Some(*version) });
    }
    Ok(ModelDetail {
        name: state.name.clone(),
        description: state.description().map(str::to_owned),
        latest_version: state.latest().map(|v| v.version),
        records: state.records,
        stages,
        archived: state.archived.clone(),
        pending: state.pending().map(|p| PromotionInfo::of(p, registry.trust(), registry.now())).collect(),
        deployments: state
            .versions
            .values()
            .flat_map(|v| {
                v.active_deployments().map(|d| ActiveDeployment { version: v.version, deployment: d.clone() })
            })
            .collect(),
        versions,
    })
}

/// Picks the version a reference means (the latest when it names only the model).
pub fn select<'a>(state: &'a ModelState, reference: &ModelRef) -> Result<&'a VersionState, Error> {
    match &reference.selector {
        Some(Selector::Exact(v)) => {
            state.versions.get(v).ok_or_else(|| Error::UnknownVersion { model: state.name.clone(), version: *v })
        }
        Some(Selector::Latest) | None => state.latest().ok_or_else(|| Error::NoVersions(state.name.clone())),
        Some(Selector::Stage(stage)) => {
            state.holder(stage).ok_or_else(|| Error::StageEmpty { model: state.name.clone(), stage: stage.clone() })
        }
    }
}

pub fn version(registry: &Registry, reference: &ModelRef) -> Result<VersionDetail, Error> {
    let state = load_state(registry, &reference.name)?;
    let v = select(&state, reference)?;
    let signed_by = v
        .signers
        .iter()
        .map(|k| Signer {
            key: k.id().to_string(),
            owner: registry.trust().key(k.raw()).map(|t| t.owner.clone()).unwrap_or_default(),
        })
        .collect();
    Ok(VersionDetail {
        record_path: v.record_path.clone(),
        record_digest: v.record_digest,
        signed_by,
        code_executing_artifacts: v
            .register
            .artifacts
            .iter()
            .filter(|a| a.loads_code())
            .map(|a| a.path.to_string())
            .collect(),
        drift_reports: v
            .drift_reports
            .iter()
            .map(|d| DriftInfo {
                record_path: d.record_path.clone(),
                created_at: d.record.created_at,
                drift: d.record.report.summary.drift,
                features_drifted: d.record.report.summary.features_drifted,
                features_compared: d.record.report.summary.features_compared,
                reason: d.record.report.summary.reason.clone(),
                window_end: d.record.window_end,
            })
            .collect(),
        stages: v.stages().cloned().collect(),
        current_tags: v.tags.clone(),
        archived: v.archived.clone().or_else(|| state.archived.clone()),
        deployments: v.active_deployments().cloned().collect(),
        promotions: state
            .promotions
            .iter()
            .filter(|p| p.record.version == v.version)
            .map(|p| PromotionInfo::of(p, registry.trust(), registry.now()))
            .collect(),
        register: v.register.clone(),
    })
}

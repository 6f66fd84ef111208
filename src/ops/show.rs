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

/// One model as `list` shows it (JSON field names are stable).
#[derive(Debug, Serialize)]
pub struct ModelSummary {
    /// The model, as in `models/<name>/`.
    pub name: ModelName,
    /// The highest registered version.
    pub latest_version: Option<Version>,
    /// How many versions are registered.
    pub versions: usize,
    /// How many records its chain holds.
    pub records: usize,
    /// The last record's time.
    pub updated_at: Option<Timestamp>,
    /// The newest registration's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The latest version's framework.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    /// The version holding each stage.
    pub stages: BTreeMap<Stage, Version>,
    /// The whole model is archived.
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

/// What `list` returns.
#[derive(Debug, Serialize)]
pub struct ListReport {
    /// Every readable model, by name.
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

/// One version in `show MODEL`'s versions table.
#[derive(Debug, Serialize)]
pub struct VersionSummary {
    /// The version number.
    pub version: Version,
    /// When it was registered.
    pub created_at: Timestamp,
    /// Who registered it, `Name <email>`.
    pub author: String,
    /// How many artifacts it has.
    pub files: usize,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Its metrics as registered, by name.
    pub metrics: Vec<(String, f64)>,
    /// The registration's message, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The stages it holds now.
    pub stages: Vec<Stage>,
    /// Archived on its own or with the whole model.
    pub archived: bool,
}

/// A stage and the version holding it.
#[derive(Debug, Serialize)]
pub struct StageHolder {
    /// The stage.
    pub stage: Stage,
    /// The version holding it; `None` while it is empty.
    pub version: Option<Version>,
}

/// What `show MODEL` returns.
#[derive(Debug, Serialize)]
pub struct ModelDetail {
    /// The model, as in `models/<name>/`.
    pub name: ModelName,
    /// The newest registration's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The highest registered version.
    pub latest_version: Option<Version>,
    /// How many records its chain holds.
    pub records: usize,
    /// Every configured stage in order, with the version holding it (stages no longer configured but
    /// still held come last).
    pub stages: Vec<StageHolder>,
    /// When, by whom and why the whole model was archived, while it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<Archival>,
    /// Promotions waiting for approvals, with who can still approve.
    pub pending: Vec<PromotionInfo>,
    /// Where versions run now.
    pub deployments: Vec<ActiveDeployment>,
    /// Every version, oldest first.
    pub versions: Vec<VersionSummary>,
}

/// A deployment in force, with the version it serves.
#[derive(Debug, Serialize)]
pub struct ActiveDeployment {
    /// The version deployed.
    pub version: Version,
    /// Where, since when and by whom (flattened in JSON).
    #[serde(flatten)]
    pub deployment: Deployment,
}

/// A key whose signature on a record verified.
#[derive(Debug, Serialize)]
pub struct Signer {
    /// The key's id.
    pub key: String,
    /// Its owner in the trust file; empty when the key is no longer listed.
    pub owner: String,
}

/// The gist of one drift report (the record holds the rest).
#[derive(Debug, Serialize)]
pub struct DriftInfo {
    /// The drift record's path, relative to the repository root.
    pub record_path: String,
    /// When the report was recorded.
    pub created_at: Timestamp,
    /// The report's verdict: the data has drifted.
    pub drift: bool,
    /// Features judged to have drifted.
    pub features_drifted: usize,
    /// Features compared.
    pub features_compared: usize,
    /// The report's one-line reason for its verdict.
    pub reason: String,
    /// End of the production window the target data covers, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_end: Option<Timestamp>,
}

/// What `show MODEL@VERSION` returns: the register record and what has happened to the version since.
#[derive(Debug, Serialize)]
pub struct VersionDetail {
    /// The register record's path, relative to the repository root.
    pub record_path: String,
    /// The register record's digest.
    pub record_digest: Digest,
    /// The trusted keys whose signatures on the register record verified.
    pub signed_by: Vec<Signer>,
    /// Artifacts whose format runs code when loaded (pickle and formats built on it).
    pub code_executing_artifacts: Vec<String>,
    /// Drift reports about this version, oldest first.
    pub drift_reports: Vec<DriftInfo>,
    /// Stages the version holds now.
    pub stages: Vec<Stage>,
    /// Tags now: the registered tags with every tag record since applied.
    pub current_tags: BTreeMap<MetaKey, String>,
    /// Why the version is archived (its own archive, else the whole model's), while it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<Archival>,
    /// Where it runs now.
    pub deployments: Vec<Deployment>,
    /// Its promotions, oldest first: status and the approval trail.
    pub promotions: Vec<PromotionInfo>,
    /// The register record as written (flattened in JSON).
    #[serde(flatten)]
    pub register: RegisterRecord,
}

/// Loads one model with signatures verified.
pub fn load_state(registry: &Registry, name: &ModelName) -> Result<ModelState, Error> {
    Ok(ModelState::replay(load_model(&registry.worktree(), name, Judge::all(registry.trust()))?))
}

/// `show MODEL`: the model with signatures verified, its stages in configured order, pending
/// promotions, deployments and versions.
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

/// `show MODEL@VERSION`: one version with signatures verified; errors if the reference selects none.
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

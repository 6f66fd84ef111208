//! A model's current state: what replaying its records in order says is true now — versions with their
//! effective tags, which version holds each stage, pending promotions, archived versions, deployments.
//!
//! Replay assumes nothing about validity: the rule engine (`policy::lifecycle`) judges each record
//! against the state before it, and replay applies what a record says as best it can, so `check` can
//! list every problem and still describe the model.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{LoadedRecord, ModelHistory};
use crate::record::{
    ArchiveRecord, Digest, DriftRecord, MetaKey, ModelName, PromoteRecord, Record, RegisterRecord, Stage, Timestamp,
    Version,
};
use crate::sign::PublicKey;

/// One registered version, as the records say it is now.
#[derive(Debug, Clone)]
pub struct VersionState {
    /// The version number.
    pub version: Version,
    /// The seq of its register record in the model's chain.
    pub seq: u64,
    /// Its register record's path, relative to the repository root.
    pub record_path: String,
    /// Its register record's digest, which parents and lifecycle records pin it by.
    pub record_digest: Digest,
    /// The register record as written.
    pub register: RegisterRecord,
    /// Trusted keys whose signatures on the register record verified.
    pub signers: Vec<PublicKey>,
    /// The register record's tags with every tag record since applied.
    pub tags: BTreeMap<MetaKey, String>,
    /// Set while the version is archived.
    pub archived: Option<Archival>,
    /// Every time the version held a stage, oldest first; the open ones are the stages it holds now.
    pub stints: Vec<Stint>,
    /// Every deployment of the version, oldest first; the open ones are where it runs now.
    pub deployments: Vec<Deployment>,
    /// Drift reports judging this version, oldest first.
    pub drift_reports: Vec<DriftState>,
}

impl VersionState {
    /// The stages this version holds now.
    pub fn stages(&self) -> impl Iterator<Item = &Stage> {
        self.stints.iter().filter(|s| s.until.is_none()).map(|s| &s.stage)
    }

    /// The deployments still open: where this version serves now.
    pub fn active_deployments(&self) -> impl Iterator<Item = &Deployment> {
        self.deployments.iter().filter(|d| d.until.is_none())
    }

    /// Seconds spent in `stage` up to `at`, over every stint.
    pub fn seconds_in(&self, stage: &Stage, at: Timestamp) -> u64 {
        self.stints
            .iter()
            .filter(|s| &s.stage == stage && s.since <= at)
            .map(|s| s.until.unwrap_or(at).min(at).unix_seconds().saturating_sub(s.since.unix_seconds()))
            .sum()
    }
}

/// An archive record in force.
#[derive(Debug, Clone, Serialize)]
pub struct Archival {
    /// When the archive record was made.
    pub at: Timestamp,
    /// Who archived, `Name <email>`.
    pub author: String,
    /// Why, as the archive record says.
    pub message: String,
    /// The archive record's path, relative to the repository root.
    pub record_path: String,
}

/// A period during which a version held a stage.
#[derive(Debug, Clone, Serialize)]
pub struct Stint {
    /// The stage held.
    pub stage: Stage,
    /// The time of the promote record that gave it the stage.
    pub since: Timestamp,
    /// When another version took the stage or this one was demoted; `None` while it holds it.
    pub until: Option<Timestamp>,
    /// The promotion record that started it.
    pub record_path: String,
}

/// A period during which a version served an environment's target.
#[derive(Debug, Clone, Serialize)]
pub struct Deployment {
    /// The environment (`prod-eu`…).
    pub env: MetaKey,
    /// Where it served: the deploy record's URI.
    pub target: String,
    /// When the deploy record was made.
    pub since: Timestamp,
    /// When another version was deployed to the same env and target, or this one undeployed; `None` while it serves.
    pub until: Option<Timestamp>,
    /// Who deployed, `Name <email>`.
    pub author: String,
    /// The deploy record's path, relative to the repository root.
    pub record_path: String,
}

/// One drift report about a version.
#[derive(Debug, Clone)]
pub struct DriftState {
    /// The drift record's path, relative to the repository root.
    pub record_path: String,
    /// The drift record's digest.
    pub record_digest: Digest,
    /// The drift record as written.
    pub record: DriftRecord,
}

/// What came of a promotion record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PromotionStatus {
    /// Approved (or needing no approvals): the version took the stage.
    Effective,
    /// Waiting for approvals; takes effect when enough approvers co-sign.
    Pending,
    /// Never took effect, and never will: a later promotion or demotion for the stage, or an archive of
    /// the version, came first.
    Superseded,
}

/// A promotion record and what came of it.
#[derive(Debug, Clone)]
pub struct PromotionState {
    /// The promote record's seq in the chain.
    pub seq: u64,
    /// The promote record's path, relative to the repository root.
    pub record_path: String,
    /// The promote record's digest.
    pub record_digest: Digest,
    /// The promote record as written.
    pub record: PromoteRecord,
    /// Distinct `approver:<stage>` keys whose signatures verify, the proposer's own included.
    pub approvers: Vec<PublicKey>,
    /// Whether it took effect, is waiting, or was superseded.
    pub status: PromotionStatus,
    /// A later record closed the promotion (a promotion or demotion for its stage, an archive of its
    /// version or model), whether or not it had taken effect: approvals added after that cannot count.
    pub closed: bool,
}

impl PromotionState {
    /// Approvals that count towards the gate: the proposer's own only when self-approval is allowed.
    pub fn counted_approvals(&self) -> impl Iterator<Item = &PublicKey> {
        self.approvers.iter().filter(|k| self.record.gates.allow_self_approval || k.id() != &self.record.signer)
    }

    /// How many more counted approvals the gate needs; 0 for an emergency promotion or one fully approved.
    pub fn approvals_missing(&self) -> u32 {
        if self.record.emergency {
            return 0;
        }
        self.record.gates.approvals.saturating_sub(self.counted_approvals().count() as u32)
    }
}

/// A model's current state.
#[derive(Debug, Clone)]
pub struct ModelState {
    /// The model, as in `models/<name>/`.
    pub name: ModelName,
    /// Every registered version, by number.
    pub versions: BTreeMap<Version, VersionState>,
    /// How many records were replayed.
    pub records: usize,
    /// The last record's time; `None` before any record.
    pub updated_at: Option<Timestamp>,
    /// Set while the whole model is archived.
    pub archived: Option<Archival>,
    /// The version holding each stage now.
    pub stages: BTreeMap<Stage, Version>,
    /// Every promotion record, in chain order.
    pub promotions: Vec<PromotionState>,
    /// Per stage, the versions that held it, most recent last: a promotion pushes, a rollback or a
    /// demotion pops. What a rollback restores is the entry below the holder.
    pub stage_stack: BTreeMap<Stage, Vec<Version>>,
}

impl ModelState {
    /// The state of a model with no records yet.
    pub fn new(name: ModelName) -> ModelState {
        ModelState {
            name,
            versions: BTreeMap::new(),
            records: 0,
            updated_at: None,
            archived: None,
            stages: BTreeMap::new(),
            promotions: Vec::new(),
            stage_stack: BTreeMap::new(),
        }
    }

    /// Replays a model's records in chain order; see the module docs for why it never fails.
    pub fn replay(history: ModelHistory) -> ModelState {
        let mut state = ModelState::new(history.name);
        for loaded in history.records {
            state.apply(loaded);
        }
        state
    }

    /// Applies the next record of the chain.
    pub fn apply(&mut self, loaded: LoadedRecord) {
        self.records += 1;
        let at = loaded.record.created_at();
        self.updated_at = Some(at);
        let path = loaded.relative_path;
        match loaded.record {
            Record::Register(register) => {
                let version = VersionState {
                    version: register.version,
                    seq: loaded.file.seq,
                    record_path: path,
                    record_digest: loaded.digest,
                    tags: register.tags.clone(),
                    register: *register,
                    signers: loaded.signers,
                    archived: None,
                    stints: Vec::new(),
                    deployments: Vec::new(),
                    drift_reports: Vec::new(),
                };
                self.versions.insert(version.version, version);
            }
            Record::Drift(drift) => {
                if let Some(version) = self.versions.get_mut(&drift.version) {
                    version.drift_reports.push(DriftState {
                        record_path: path,
                        record_digest: loaded.digest,
                        record: *drift,
                    });
                }
            }
            Record::Promote(promote) => {
                self.close_promotions(|p| p.stage == promote.stage);
                let mut promotion = PromotionState {
                    seq: loaded.file.seq,
                    record_path: path,
                    record_digest: loaded.digest,
                    record: *promote,
                    approvers: loaded.approvers,
                    status: PromotionStatus::Pending,
                    closed: false,
                };
                if promotion.approvals_missing() == 0 {
                    promotion.status = PromotionStatus::Effective;
                    let record = &promotion.record;
                    self.leave_stage(&record.stage, at);
                    if let Some(version) = self.versions.get_mut(&record.version) {
                        version.stints.push(Stint {
                            stage: record.stage.clone(),
                            since: at,
                            until: None,
                            record_path: promotion.record_path.clone(),
                        });
                        self.stages.insert(record.stage.clone(), record.version);
                        let stack = self.stage_stack.entry(record.stage.clone()).or_default();
                        if record.rollback {
                            // Back to an earlier holder: what was above it is undone.
                            match stack.iter().rposition(|v| *v == record.version) {
                                Some(at) => stack.truncate(at + 1),
                                None => stack.push(record.version),
                            }
                        } else {
                            stack.push(record.version);
                        }
                    }
                }
                self.promotions.push(promotion);
            }
            Record::Demote(demote) => {
                self.close_promotions(|p| p.stage == demote.stage);
                if self.stages.get(&demote.stage) == Some(&demote.version) {
                    self.leave_stage(&demote.stage, at);
                    let stack = self.stage_stack.entry(demote.stage.clone()).or_default();
                    if stack.last() == Some(&demote.version) {
                        stack.pop();
                    }
                }
            }
            Record::Archive(archive) => {
                let archival = archival(&archive, at, path);
                match archive.version {
                    Some(v) => {
                        self.close_promotions(|p| p.version == v);
                        if let Some(version) = self.versions.get_mut(&v) {
                            version.archived = Some(archival);
                        }
                    }
                    None => {
                        self.close_promotions(|_| true);
                        self.archived = Some(archival);
                    }
                }
            }
            Record::Restore(restore) => match restore.version {
                Some(v) => {
                    if let Some(version) = self.versions.get_mut(&v) {
                        version.archived = None;
                    }
                }
                None => self.archived = None,
            },
            Record::Deploy(deploy) => {
                // One version serves an environment's target at a time: a new deployment replaces it.
                for version in self.versions.values_mut() {
                    for d in version.deployments.iter_mut().filter(|d| d.until.is_none()) {
                        if d.env == deploy.env && d.target == deploy.target {
                            d.until = Some(at);
                        }
                    }
                }
                if let Some(version) = self.versions.get_mut(&deploy.version) {
                    version.deployments.push(Deployment {
                        env: deploy.env.clone(),
                        target: deploy.target.clone(),
                        since: at,
                        until: None,
                        author: deploy.author.clone(),
                        record_path: path,
                    });
                }
            }
            Record::Undeploy(undeploy) => {
                if let Some(version) = self.versions.get_mut(&undeploy.version) {
                    for d in version.deployments.iter_mut().filter(|d| d.until.is_none()) {
                        if d.env == undeploy.env && d.target == undeploy.target {
                            d.until = Some(at);
                        }
                    }
                }
            }
            Record::Tag(tag) => {
                if let Some(version) = self.versions.get_mut(&tag.version) {
                    for key in &tag.unset {
                        version.tags.remove(key);
                    }
                    version.tags.extend(tag.set.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
    }

    /// The holder of `stage`, if any, leaves it at `at`.
    fn leave_stage(&mut self, stage: &Stage, at: Timestamp) {
        if let Some(holder) = self.stages.remove(stage)
            && let Some(version) = self.versions.get_mut(&holder)
        {
            for stint in version.stints.iter_mut().filter(|s| &s.stage == stage && s.until.is_none()) {
                stint.until = Some(at);
            }
        }
    }

    /// Closes the promotions `affected` selects; the pending ones among them are superseded.
    fn close_promotions(&mut self, affected: impl Fn(&PromoteRecord) -> bool) {
        for p in self.promotions.iter_mut().filter(|p| !p.closed && affected(&p.record)) {
            p.closed = true;
            if p.status == PromotionStatus::Pending {
                p.status = PromotionStatus::Superseded;
            }
        }
    }

    /// The highest-numbered version.
    pub fn latest(&self) -> Option<&VersionState> {
        self.versions.values().next_back()
    }

    /// The newest registration's description, skipping versions registered without one.
    pub fn description(&self) -> Option<&str> {
        self.versions.values().rev().find_map(|v| v.register.description.as_deref())
    }

    /// The version holding `stage`.
    pub fn holder(&self, stage: &Stage) -> Option<&VersionState> {
        self.stages.get(stage).and_then(|v| self.versions.get(v))
    }

    /// Promotions waiting for approvals.
    pub fn pending(&self) -> impl Iterator<Item = &PromotionState> {
        self.promotions.iter().filter(|p| p.status == PromotionStatus::Pending)
    }

    /// Whether `version` (or the whole model) is archived.
    pub fn is_archived(&self, version: Version) -> bool {
        self.archived.is_some() || self.versions.get(&version).is_some_and(|v| v.archived.is_some())
    }

    /// The version a rollback of `stage` restores: the one below the holder on the stage's stack (the
    /// top one when the stage was emptied by a demotion), skipping archived versions.
    pub fn previous_holder(&self, stage: &Stage) -> Option<&VersionState> {
        let stack = self.stage_stack.get(stage)?;
        let below = match self.stages.get(stage) {
            Some(holder) if stack.last() == Some(holder) => &stack[..stack.len() - 1],
            _ => &stack[..],
        };
        below
            .iter()
            .rev()
            .filter(|v| Some(*v) != self.stages.get(stage))
            .filter_map(|v| self.versions.get(v))
            .find(|v| v.archived.is_none() && self.archived.is_none())
    }
}

fn archival(record: &ArchiveRecord, at: Timestamp, record_path: String) -> Archival {
    Archival { at, author: record.author.clone(), message: record.message.clone(), record_path }
}

//! What the card shows of a model's lifecycle — stages, archive, promotions and their approvals —
//! gathered by [`lifecycle_view`], the one function that reads lifecycle records for the card.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::record::{KeyId, Stage, Version};
use crate::sign::Trust;
use crate::state::{ModelState, PromotionState, PromotionStatus};

/// What the lifecycle records (promotions, approvals, archive/restore) say about a model, as the card
/// shows it. Filled by [`lifecycle_view`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LifecycleView {
    /// Stage name → the version holding it.
    pub stages: BTreeMap<String, Version>,
    /// The versions currently archived, on their own or with the whole model.
    pub archived: BTreeSet<Version>,
    /// The newest promotion not superseded by a later one, pending or effective.
    pub last_promotion: Option<Promotion>,
    /// Promotions still waiting for approvals, oldest first.
    pub pending: Vec<PendingPromotion>,
    /// The version that held `production` before the current one (for the metrics comparison).
    pub previous_production: Option<Version>,
}

/// A promotion as the card shows it, with the approvals counted so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Promotion {
    /// The version proposed for the stage.
    pub version: u64,
    /// The stage it was proposed for.
    pub stage: String,
    /// When it was proposed (the promote record's RFC 3339 time).
    pub date: String,
    /// The owner name of the proposing key (from the trust file), or its key id when unknown.
    pub proposer: String,
    /// The approvals that count towards the gate (the proposer's own only when the gates allow self-approval).
    pub approvals: Vec<Approval>,
    /// Approvals the gate asks for (0 for an emergency promotion).
    pub required: usize,
    /// Still short of `required`: the stage has not moved yet.
    pub pending: bool,
}

/// One counted approval of a promotion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Approval {
    /// The approving key's id.
    pub key: String,
    /// The key's owner name from the trust file, or the key id when the key is not in it.
    pub owner: String,
}

/// A promotion waiting for approvals, for the card's "pending" list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingPromotion {
    /// The version proposed for the stage.
    pub version: u64,
    /// The stage it was proposed for.
    pub stage: String,
    /// The owner name of the proposing key, or its key id when unknown.
    pub proposer: String,
    /// Approvals counted so far.
    pub approvals: usize,
    /// Approvals the gate asks for.
    pub required: usize,
}

/// The one place the card learns about stages, promotions, approvals and archive: derived from the
/// model's replayed state (owner names come from the trust file).
pub fn lifecycle_view(state: &ModelState, trust: &Trust) -> LifecycleView {
    let owner = |key: &KeyId| {
        trust.keys().iter().find(|k| k.public.id() == key).map_or_else(|| key.to_string(), |k| k.owner.clone())
    };
    let required = |p: &PromotionState| if p.record.emergency { 0 } else { p.record.gates.approvals as usize };
    let promotion = |p: &PromotionState| Promotion {
        version: p.record.version.get(),
        stage: p.record.stage.to_string(),
        date: p.record.created_at.to_string(),
        proposer: owner(&p.record.signer),
        approvals: p.counted_approvals().map(|k| Approval { key: k.id().to_string(), owner: owner(k.id()) }).collect(),
        required: required(p),
        pending: p.status == PromotionStatus::Pending,
    };
    let production: Option<Stage> = "production".parse().ok();
    LifecycleView {
        stages: state.stages.iter().map(|(stage, v)| (stage.to_string(), *v)).collect(),
        archived: state.versions.keys().copied().filter(|v| state.is_archived(*v)).collect(),
        last_promotion: state.promotions.iter().rev().find(|p| p.status != PromotionStatus::Superseded).map(promotion),
        pending: state
            .pending()
            .map(|p| PendingPromotion {
                version: p.record.version.get(),
                stage: p.record.stage.to_string(),
                proposer: owner(&p.record.signer),
                approvals: p.counted_approvals().count(),
                required: required(p),
            })
            .collect(),
        previous_production: production.and_then(|stage| previous_in_time(state, &stage)),
    }
}

/// The version that held `stage` before its current holder, in time (after a rollback: the version
/// rolled back from).
fn previous_in_time(state: &ModelState, stage: &Stage) -> Option<Version> {
    let current = state.stages.get(stage)?;
    state
        .promotions
        .iter()
        .rev()
        .filter(|p| p.status == PromotionStatus::Effective && &p.record.stage == stage)
        .map(|p| p.record.version)
        .find(|v| v != current)
}

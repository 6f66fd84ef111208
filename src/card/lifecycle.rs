//! What the card shows of a model's lifecycle — stages, archive, promotions and their approvals —
//! gathered by [`lifecycle_view`], the one function that reads lifecycle records for the card.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::record::Version;
use crate::sign::Trust;
use crate::state::ModelState;

/// What the lifecycle records (promotions, approvals, archive/restore) say about a model, as the card
/// shows it. Filled by [`lifecycle_view`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LifecycleView {
    /// Stage name → the version holding it.
    pub stages: BTreeMap<String, Version>,
    pub archived: BTreeSet<Version>,
    pub last_promotion: Option<Promotion>,
    pub pending: Vec<PendingPromotion>,
    /// The version that held `production` before the current one (for the metrics comparison).
    pub previous_production: Option<Version>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Promotion {
    pub version: u64,
    pub stage: String,
    pub date: String,
    /// The owner name of the proposing key (from the trust file), or its key id when unknown.
    pub proposer: String,
    pub approvals: Vec<Approval>,
    pub required: usize,
    pub pending: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Approval {
    pub key: String,
    pub owner: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingPromotion {
    pub version: u64,
    pub stage: String,
    pub proposer: String,
    pub approvals: usize,
    pub required: usize,
}

/// LIFECYCLE HOOK: the one place the card learns about stages, promotions, approvals and archive.
///
/// Today a model's records are registrations and drift reports only: nothing is promoted, nothing
/// archived, so the view is empty and the card says "Not yet promoted to any stage.". When promotion,
/// approval and archive records exist, this body derives the view from them (owner names come from
/// `_trust`); the rest of the card code and the template already render every field.
pub fn lifecycle_view(_state: &ModelState, _trust: &Trust) -> LifecycleView {
    LifecycleView::default()
}

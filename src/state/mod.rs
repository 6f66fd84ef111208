//! Current state, derived by replaying a model's records in order.
//!
//! Pure replay: [`ModelState::replay`] folds a model's records (as read and judged by
//! `policy::scan_model`) into what they amount to — versions, stages, approvals, deployments, tags.
//! Nothing here reads a snapshot, judges a rule or writes; [`query`] and [`search`] evaluate the search
//! language over the replayed state.

mod model;
pub mod query;
pub mod search;

pub use model::{Archival, Deployment, DriftState, ModelState, PromotionState, PromotionStatus, Stint, VersionState};

use crate::record::{Digest, ModelName, Record};
use crate::repo::layout::RecordFileName;
use crate::sign::PublicKey;

/// One record as read from a snapshot.
#[derive(Debug, Clone)]
pub struct LoadedRecord {
    /// The parsed file name: its seq and kind.
    pub file: RecordFileName,
    /// Relative to the repository root, `/`-separated.
    pub relative_path: String,
    /// The blake3 digest of the file's exact bytes: the record's identity.
    pub digest: Digest,
    /// The record, parsed strictly.
    pub record: Record,
    /// Trusted keys whose signatures verified (empty when signatures were not judged).
    pub signers: Vec<PublicKey>,
    /// For a promotion: the verified signers holding `approver:<stage>` (the proposer's key included
    /// if it holds the role; whether it counts is the gate's business).
    pub approvers: Vec<PublicKey>,
}

/// A model's records in chain order. Records that could not be read or parsed are left out (and
/// reported); everything here parsed strictly.
#[derive(Debug, Clone)]
pub struct ModelHistory {
    /// The model, as in `models/<name>/`.
    pub name: ModelName,
    /// Its records that read and parsed, in chain order.
    pub records: Vec<LoadedRecord>,
}

impl ModelHistory {
    /// The last record's seq and digest: what the next record's `seq` and `previous` follow.
    pub fn tip(&self) -> Option<(u64, Digest)> {
        self.records.last().map(|r| (r.file.seq, r.digest))
    }
}

//! `modelreg/drift/v1`: a drift report judging one registered version, signed like every record.

use serde::{Deserialize, Serialize};

use super::{Digest, KeyId, ModelName, Timestamp, Version};
use crate::drift::DriftReport;

/// `modelreg/drift/v1`: a drift report judging one registered version.
///
/// The chain header (`schema` … `signer`) repeats the register record's: serde cannot flatten a shared
/// header into a struct that denies unknown fields, and strictness matters more here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftRecord {
    /// `modelreg/drift/v1`, the record's first line.
    pub schema: String,
    /// The model; equal to the directory the record lives in.
    pub model: ModelName,
    /// Position in the model's chain.
    pub seq: u64,
    /// Digest of the model's record `seq - 1`; absent exactly when `seq = 1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Digest>,
    /// When the record was written; the time a `no_drift_within` gate counts from.
    pub created_at: Timestamp,
    /// The git author who ran `modelreg drift`, `Name <email>`.
    pub author: String,
    /// The key that published the record (a hint: the signature decides).
    pub signer: KeyId,
    /// The version judged, pinned by the digest of its register record.
    pub version: Version,
    /// Digest of the judged version's register record (checked against the chain).
    pub version_record: Digest,
    /// The production window the target data covers, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_start: Option<Timestamp>,
    /// End of the production window the target data covers, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_end: Option<Timestamp>,
    /// The drift report itself (see `modelreg_drift::DriftReport`); `report.summary.drift` is what gates read.
    pub report: DriftReport,
}

impl DriftRecord {
    pub(super) fn validate(&self) -> Result<(), String> {
        if let (Some(start), Some(end)) = (self.window_start, self.window_end)
            && start > end
        {
            return Err(format!("window_start {start} is after window_end {end}"));
        }
        Ok(())
    }
}

//! `modelreg/drift/v1`: a drift report judging one registered version, signed like every record.

use serde::{Deserialize, Serialize};

use super::{Digest, KeyId, ModelName, Timestamp, Version};
use crate::drift::DriftReport;

/// The chain header (`schema` … `signer`) repeats the register record's: serde cannot flatten a shared
/// header into a struct that denies unknown fields, and strictness matters more here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftRecord {
    pub schema: String,
    pub model: ModelName,
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Digest>,
    pub created_at: Timestamp,
    pub author: String,
    pub signer: KeyId,
    /// The version judged, pinned by the digest of its register record.
    pub version: Version,
    pub version_record: Digest,
    /// The production window the target data covers, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_start: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_end: Option<Timestamp>,
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

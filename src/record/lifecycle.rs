//! Lifecycle records: how a registered version moves between stages, is archived and restored, is
//! deployed, and is tagged — each an append-only record in the model's chain, never an edit.
//!
//! Every lifecycle record names the version it is about by number *and* by the digest of its register
//! record (`version_record`), so a record cannot be replayed against another version. Whether the
//! action is allowed (gates, archived versions, stage holders) is the rule engine's business
//! (`policy::lifecycle`); this module only keeps each record well-formed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::gates::Gates;
use super::{Digest, KeyId, MetaKey, ModelName, Stage, Timestamp, Version};

/// A lifecycle record struct: the chain header every record carries (see [`super::RegisterRecord`] for
/// why it is repeated rather than flattened), then the fields of its kind.
macro_rules! lifecycle_record {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// The schema line's value, e.g. `modelreg/promote/v1`.
            pub schema: String,
            /// The model; equal to the directory the record lives in.
            pub model: ModelName,
            /// Position in the model's chain: 1, 2, 3… without gaps.
            pub seq: u64,
            /// Digest of the model's record `seq - 1` (never absent: a lifecycle record is never first).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub previous: Option<Digest>,
            /// When the record was written; soak times and drift windows count from it.
            pub created_at: Timestamp,
            /// The git author who ran the command, `Name <email>`.
            pub author: String,
            /// The key that wrote the record (a hint: the signature decides).
            pub signer: KeyId,
            $($(#[$fmeta])* pub $field: $ty,)*
        }
    };
}

lifecycle_record! {
    /// `modelreg/promote/v1`: a proposal that `version` hold `stage`. Co-signers holding
    /// `approver:<stage>` add detached signatures; it takes effect once `gates.approvals` distinct
    /// approvers have signed (at once when no approvals are required, or in an emergency).
    PromoteRecord {
        /// The version the record is about.
        version: Version,
        /// Digest of that version's register record (checked against the chain).
        version_record: Digest,
        /// The stage the version is proposed for.
        stage: Stage,
        /// Why, when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        /// The version holding the stage when this was written (what a rollback replaces).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replaces: Option<Version>,
        /// Written by `modelreg rollback`: the version that held the stage before takes it back.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        rollback: bool,
        /// Skips every gate; must be signed by an admin, and `review` flags it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        emergency: bool,
        /// The stage's gates from `modelreg.toml` when the promotion was proposed: what it was judged
        /// by, kept so a later change of configuration does not rewrite history.
        #[serde(default)]
        gates: Gates,
    }
}

lifecycle_record! {
    /// `modelreg/demote/v1`: `version` leaves `stage`, which is then empty.
    DemoteRecord {
        /// The version the record is about.
        version: Version,
        /// Digest of that version's register record (checked against the chain).
        version_record: Digest,
        /// The stage the version leaves.
        stage: Stage,
        /// Why, when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    }
}

lifecycle_record! {
    /// `modelreg/archive/v1` and `modelreg/restore/v1`: a version (or, without `version`, the whole
    /// model) is retired or brought back. Archived versions stay readable and fetchable; they cannot be
    /// promoted or deployed.
    ArchiveRecord {
        /// The version archived or restored; absent for the whole model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<Version>,
        /// Digest of that version's register record; present exactly when `version` is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version_record: Option<Digest>,
        /// Why: required, since retiring something is a decision worth explaining.
        message: String,
    }
}

lifecycle_record! {
    /// `modelreg/deploy/v1` and `modelreg/undeploy/v1`: `version` starts (or stops) serving in `env`
    /// at `target`.
    DeploymentRecord {
        /// The version the record is about.
        version: Version,
        /// Digest of that version's register record (checked against the chain).
        version_record: Digest,
        /// The environment (`prod-eu`…); one version serves in an environment at a time.
        env: MetaKey,
        /// Where it serves: a URI, non-empty, at most 2048 bytes, no control characters.
        target: String,
        /// Why, when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    }
}

lifecycle_record! {
    /// `modelreg/tag/v1`: tags of a version change; the register record itself never does.
    TagRecord {
        /// The version the record is about.
        version: Version,
        /// Digest of that version's register record (checked against the chain).
        version_record: Digest,
        /// Tags set (added or overwritten) on the version.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        set: BTreeMap<MetaKey, String>,
        /// Tags removed; only tags the version has.
        #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
        unset: BTreeSet<MetaKey>,
        /// Why, when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    }
}

impl PromoteRecord {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.replaces == Some(self.version) {
            return Err(format!("v{} cannot replace itself in `{}`", self.version, self.stage));
        }
        Ok(())
    }
}

impl ArchiveRecord {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.version.is_some() != self.version_record.is_some() {
            return Err("`version` and `version_record` go together (both absent: the whole model)".into());
        }
        if self.message.trim().is_empty() {
            return Err("`message` says why; it cannot be empty".into());
        }
        Ok(())
    }
}

impl DeploymentRecord {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.target.trim().is_empty() || self.target.len() > 2048 || self.target.chars().any(char::is_control) {
            return Err("`target` must be a URI of 1-2048 printable characters".into());
        }
        Ok(())
    }
}

impl TagRecord {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.set.is_empty() && self.unset.is_empty() {
            return Err("a tag record sets or unsets at least one tag".into());
        }
        if let Some(key) = self.set.keys().find(|k| self.unset.contains(*k)) {
            return Err(format!("tag `{key}` is both set and unset"));
        }
        Ok(())
    }
}

//! The registry's rules as pure functions. Every caller — `register`, the record loader behind `show`
//! and `get`, and `check` (and through it the hooks and CI) — uses these, so a rule exists once.

use std::collections::BTreeSet;

use crate::record::{Digest, KeyId, ModelName, Record, RecordKind, Timestamp, Version};
use crate::repo::layout::RecordFileName;
use crate::sign::{self, BadSignature, PublicKey, Role, Trust};

/// A broken link in a model's chain of records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainViolation {
    /// The file name (`<seq>-<kind>.toml`) disagrees with the record inside it.
    #[error("file name says seq {file_seq} ({file_kind}) but the record is seq {seq} ({kind})")]
    FileName {
        /// The seq in the file name.
        file_seq: u64,
        /// The kind in the file name.
        file_kind: RecordKind,
        /// The record's own `seq`.
        seq: u64,
        /// The kind its schema line names.
        kind: RecordKind,
    },
    /// The record names another model than the directory it is in.
    #[error("record belongs to model `{found}`, not `{expected}` (copied from another model?)")]
    WrongModel {
        /// The model whose directory holds the file.
        expected: ModelName,
        /// The model the record names.
        found: ModelName,
    },
    /// The seq does not follow the previous record's by one (the first record is seq 1).
    #[error("expected seq {expected} next, found seq {found} (a record is missing or out of order)")]
    Gap {
        /// The seq that should come next.
        expected: u64,
        /// The record's seq.
        found: u64,
    },
    /// `previous` is not the digest of the record before it.
    #[error("`previous` is {found}, but the record before it is {expected} (edited, replaced or reordered)")]
    Previous {
        /// The digest of the record before, as on disk.
        expected: Digest,
        /// The record's `previous`, or `missing`.
        found: String,
    },
}

/// Checks that `record`, stored as `file` in model `model`'s directory, follows `before` (the model's
/// previous record, with its digest), or starts the chain when `before` is `None`.
pub fn chain_link(
    model: &ModelName,
    before: Option<(u64, Digest)>,
    file: RecordFileName,
    record: &Record,
) -> Result<(), ChainViolation> {
    if file.seq != record.seq() || file.kind != record.kind() {
        return Err(ChainViolation::FileName {
            file_seq: file.seq,
            file_kind: file.kind,
            seq: record.seq(),
            kind: record.kind(),
        });
    }
    if record.model() != model {
        return Err(ChainViolation::WrongModel { expected: model.clone(), found: record.model().clone() });
    }
    let expected_seq = before.map_or(1, |(seq, _)| seq + 1);
    if record.seq() != expected_seq {
        return Err(ChainViolation::Gap { expected: expected_seq, found: record.seq() });
    }
    if let Some((_, digest)) = before
        && record.previous() != Some(&digest)
    {
        let found = record.previous().map_or_else(|| "missing".to_owned(), Digest::to_string);
        return Err(ChainViolation::Previous { expected: digest, found });
    }
    Ok(())
}

/// Why a new version number was refused ([`next_version`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionNotIncreasing {
    /// The version asked for is not above the latest.
    #[error("version {requested} is not greater than the latest version {latest}")]
    NotGreater {
        /// The version asked for.
        requested: Version,
        /// The model's latest version.
        latest: Version,
    },
    /// No version was asked for and the latest is already the maximum.
    #[error("the latest version {latest} is the largest version there can be")]
    Exhausted {
        /// The model's latest version.
        latest: Version,
    },
}

/// Versions only go up: an explicit version must exceed the latest; the default is latest + 1.
pub fn next_version(latest: Option<Version>, requested: Option<Version>) -> Result<Version, VersionNotIncreasing> {
    match (latest, requested) {
        (None, requested) => Ok(requested.unwrap_or(Version::FIRST)),
        (Some(latest), None) => latest.next().ok_or(VersionNotIncreasing::Exhausted { latest }),
        (Some(latest), Some(requested)) if requested > latest => Ok(requested),
        (Some(latest), Some(requested)) => Err(VersionNotIncreasing::NotGreater { requested, latest }),
    }
}

/// The role a key must hold to write a record of this kind (an emergency promotion needs `admin`).
pub fn required_role(kind: RecordKind) -> Role {
    match kind {
        RecordKind::Deploy | RecordKind::Undeploy => Role::Deployer,
        RecordKind::Register
        | RecordKind::Drift
        | RecordKind::Promote
        | RecordKind::Demote
        | RecordKind::Archive
        | RecordKind::Restore
        | RecordKind::Tag => Role::Publisher,
    }
}

/// The role the key named in `signer` must hold for this record.
pub fn publishing_role(record: &Record) -> Role {
    match record {
        Record::Promote(promote) if promote.emergency => Role::Admin,
        _ => required_role(record.kind()),
    }
}

/// Every role whose signatures a record may carry: its publisher's, and for a promotion the stage's
/// approvers (co-signers).
pub fn accepted_roles(record: &Record) -> Vec<Role> {
    let mut roles = vec![publishing_role(record)];
    if let Record::Promote(promote) = record {
        roles.push(Role::Approver(promote.stage.clone()));
    }
    roles
}

/// Why a key may not sign what it is asked to ([`may_sign`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerViolation {
    /// The key is not in the trust file at all.
    #[error("key {key} is not in the registry's trust file")]
    Untrusted {
        /// The key's id.
        key: KeyId,
    },
    /// The key is trusted, but not for this.
    #[error("key {key} ({owner}) does not hold the `{role}` role")]
    MissingRole {
        /// The key's id.
        key: KeyId,
        /// Its owner in the trust file.
        owner: String,
        /// The role the record needs.
        role: Role,
    },
    /// The key holds the role but has expired by the time it is judged at.
    #[error("key {key} ({owner}) expired at {expired}")]
    Expired {
        /// The key's id.
        key: KeyId,
        /// Its owner in the trust file.
        owner: String,
        /// When it expired.
        expired: Timestamp,
    },
}

/// May `key` sign something that needs `role`, at `now`? Used before anything is written.
pub fn may_sign(trust: &Trust, key: &PublicKey, role: &Role, now: Timestamp) -> Result<(), SignerViolation> {
    let trusted = trust.key(key.raw()).ok_or_else(|| SignerViolation::Untrusted { key: key.id().clone() })?;
    if !trusted.has_role(role) {
        return Err(SignerViolation::MissingRole {
            key: key.id().clone(),
            owner: trusted.owner.clone(),
            role: role.clone(),
        });
    }
    if let Some(expired) = trusted.expires.filter(|_| trusted.expired_at(now)) {
        return Err(SignerViolation::Expired { key: key.id().clone(), owner: trusted.owner.clone(), expired });
    }
    Ok(())
}

/// What the detached signatures of one file amount to.
#[derive(Debug, Default)]
pub struct SignatureJudgement {
    /// Distinct trusted keys with the required role whose signatures verify.
    pub valid: Vec<PublicKey>,
    /// Signature files that are bad, by index in the input, with the reason.
    pub problems: Vec<(usize, String)>,
}

/// Verifies every signature over `bytes` and counts distinct trusted keys holding one of `roles`.
///
/// Every signature file must verify (a forged or stale one is a finding even when others are fine);
/// the key id in a file name is never trusted, only the key inside the verified signature.
pub fn judge_signatures(bytes: &[u8], signatures: &[Vec<u8>], trust: &Trust, roles: &[Role]) -> SignatureJudgement {
    let mut judgement = SignatureJudgement::default();
    let mut counted = BTreeSet::new();
    for (i, armored) in signatures.iter().enumerate() {
        let signer = match sign::verify(armored, bytes) {
            Ok(signer) => signer,
            Err(BadSignature::Mismatch) => {
                judgement.problems.push((i, "signature does not match the file's bytes (file edited?)".into()));
                continue;
            }
            Err(other) => {
                judgement.problems.push((i, other.to_string()));
                continue;
            }
        };
        match trust.key(signer.raw()) {
            None => {
                judgement.problems.push((i, format!("signed by key {} which is not in the trust file", signer.id())))
            }
            Some(key) if !roles.iter().any(|role| key.has_role(role)) => {
                let wanted: Vec<String> = roles.iter().map(|r| format!("`{r}`")).collect();
                judgement.problems.push((
                    i,
                    format!(
                        "signed by {} ({}) which does not hold the {} role",
                        signer.id(),
                        key.owner,
                        wanted.join(" or ")
                    ),
                ))
            }
            Some(_) => {
                if counted.insert(*signer.raw()) {
                    judgement.valid.push(signer);
                }
            }
        }
    }
    judgement
}

/// Removes from `valid` the keys that had expired at `now` (a change is judged at the time it is
/// received, never by a time its signer wrote) and returns them with their expiry.
pub(crate) fn take_expired(valid: &mut Vec<PublicKey>, trust: &Trust, now: Timestamp) -> Vec<(PublicKey, Timestamp)> {
    let mut expired = Vec::new();
    valid.retain(|key| match trust.key(key.raw()).and_then(|k| k.expires.filter(|_| k.expired_at(now))) {
        Some(at) => {
            expired.push((key.clone(), at));
            false
        }
        None => true,
    });
    expired
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_only_go_up() {
        let v = |n: u64| Version::try_from(n).unwrap();
        assert_eq!(next_version(None, None), Ok(v(1)));
        assert_eq!(next_version(None, Some(v(5))), Ok(v(5)));
        assert_eq!(next_version(Some(v(3)), None), Ok(v(4)));
        assert_eq!(next_version(Some(v(3)), Some(v(10))), Ok(v(10)));
        assert!(next_version(Some(v(3)), Some(v(3))).is_err());
        assert!(next_version(Some(v(3)), Some(v(2))).is_err());
    }
}

//! `modelreg key`: generate keys and grant them roles in the trust file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Error;
use super::transaction::Transaction;
use crate::policy::rules::{SignerViolation, may_sign};
use crate::record::{KeyId, Timestamp};
use crate::repo::layout::{TRUST_FILE, signature_file_name};
use crate::repo::{Registry, admin_signature_files};
use crate::sign::{PublicKey, Role, SigningKey, Trust, TrustedKey};

#[derive(Debug, Serialize)]
pub struct GeneratedKey {
    pub path: PathBuf,
    pub public_key: String,
    pub id: String,
    pub fingerprint: String,
}

/// Writes a new ed25519 key pair (`path`, `path.pub`); never overwrites.
pub fn generate(path: &Path, comment: &str) -> Result<GeneratedKey, Error> {
    let key = SigningKey::generate(comment);
    key.write(path)?;
    Ok(GeneratedKey {
        path: path.to_owned(),
        public_key: key.public().openssh().to_owned(),
        id: key.id().to_string(),
        fingerprint: key.public().fingerprint(),
    })
}

#[derive(Debug, Serialize)]
pub struct KeyInfo {
    pub id: String,
    pub owner: String,
    pub roles: Vec<String>,
    pub added: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Timestamp>,
    pub expired: bool,
    pub fingerprint: String,
    pub public_key: String,
}

pub fn list(trust: &Trust, now: Timestamp) -> Vec<KeyInfo> {
    trust.keys().iter().map(|k| key_info(k, now)).collect()
}

fn key_info(key: &TrustedKey, now: Timestamp) -> KeyInfo {
    KeyInfo {
        id: key.public.id().to_string(),
        owner: key.owner.clone(),
        roles: key.roles.iter().map(ToString::to_string).collect(),
        added: key.added,
        expires: key.expires,
        expired: key.expired_at(now),
        fingerprint: key.public.fingerprint(),
        public_key: key.public.openssh().to_owned(),
    }
}

#[derive(Debug)]
pub struct AddKey {
    pub public: PublicKey,
    pub owner: String,
    pub roles: BTreeSet<Role>,
    pub expires: Option<Timestamp>,
    pub commit: bool,
    pub dry_run: bool,
}

#[derive(Debug, Serialize)]
pub struct AddKeyReport {
    pub key: KeyInfo,
    pub signed_by: String,
    pub commit: Option<String>,
    pub dry_run: bool,
    /// Admin signatures still needed before the new trust file takes effect.
    pub signatures_missing: u32,
}

/// Grants `request.roles` to a key (adding it if new), re-signing the trust file with `admin`.
///
/// The previous signatures cover the previous bytes, so they are removed (git history keeps them); with
/// an admin threshold above one, the other admins must co-sign before the registry opens again.
pub fn add(registry: &Registry, admin: &SigningKey, request: AddKey) -> Result<AddKeyReport, Error> {
    let now = registry.now();
    may_sign(registry.trust(), admin.public(), &Role::Admin, now)?;
    let mut trust = registry.trust().clone();
    trust.add(TrustedKey {
        public: request.public.clone(),
        owner: request.owner,
        roles: request.roles,
        added: now,
        expires: request.expires,
    });
    let added = trust.key(request.public.raw()).expect("just added");
    let report_key = key_info(added, now);
    let signatures_missing = trust.admin_threshold.saturating_sub(1);
    if request.dry_run {
        return Ok(AddKeyReport {
            key: report_key,
            signed_by: admin.id().to_string(),
            commit: None,
            dry_run: true,
            signatures_missing,
        });
    }

    let message =
        format!("modelreg: grant {} to {} ({})", report_key.roles.join(", "), report_key.id, report_key.owner);
    let commit = write_trust(registry, admin, &trust, request.commit.then_some(message.as_str()))?;
    Ok(AddKeyReport { key: report_key, signed_by: admin.id().to_string(), commit, dry_run: false, signatures_missing })
}

/// Replaces the trust file with `trust`, signed by `admin` alone, and commits it when `message` is given.
///
/// The previous signatures cover the previous bytes, so they are removed (git history keeps them); with
/// an admin threshold above one, the other admins co-sign before the registry opens again.
fn write_trust(
    registry: &Registry,
    admin: &SigningKey,
    trust: &Trust,
    message: Option<&str>,
) -> Result<Option<String>, Error> {
    let mut tx = Transaction::begin(registry)?;
    let root = registry.root();
    let trust_path = root.join(TRUST_FILE);
    let bytes = trust.to_bytes();
    for stale in admin_signature_files(&trust_path)? {
        tx.remove_file(stale.strip_prefix(root).unwrap_or(&stale))?;
    }
    let sig_rel = PathBuf::from(signature_file_name(TRUST_FILE, admin.id()));
    tx.write_file(&sig_rel, admin.sign(&bytes).as_bytes())?;
    tx.write_file(Path::new(TRUST_FILE), &bytes)?;
    tx.commit(message)
}

#[derive(Debug, Serialize)]
pub struct RevokeReport {
    pub key: KeyInfo,
    pub signed_by: String,
    pub commit: Option<String>,
}

/// Revokes a key: it expires now, so nothing it signs from now on is accepted (hooks judge expiry at
/// receive time), while what it signed before stays verifiable. Signed by an admin, like every trust
/// change.
pub fn revoke(registry: &Registry, admin: &SigningKey, id: &KeyId, commit: bool) -> Result<RevokeReport, Error> {
    let now = registry.now();
    may_sign(registry.trust(), admin.public(), &Role::Admin, now)?;
    let mut trust = registry.trust().clone();
    let raw = *trust
        .keys()
        .iter()
        .find(|k| k.public.id() == id)
        .ok_or_else(|| SignerViolation::Untrusted { key: id.clone() })?
        .public
        .raw();
    if trust.keys_with_role(&Role::Admin).filter(|k| !k.expired_at(now) && k.public.raw() != &raw).count()
        < trust.admin_threshold as usize
    {
        return Err(Error::LastAdmin(id.clone()));
    }
    trust.expire(&raw, now);
    let revoked = trust.key(&raw).expect("the key is listed");
    let info = key_info(revoked, now);
    let message = format!("modelreg: revoke key {} ({})", info.id, info.owner);
    let commit = write_trust(registry, admin, &trust, commit.then_some(message.as_str()))?;
    Ok(RevokeReport { key: info, signed_by: admin.id().to_string(), commit })
}

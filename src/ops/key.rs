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

/// What `key generate` returns: the new key pair's files and identity.
#[derive(Debug, Serialize)]
pub struct GeneratedKey {
    /// The private key file (the public half is `<path>.pub`).
    pub path: PathBuf,
    /// The `ssh-ed25519 AAAA… comment` line, to add to the trust file.
    pub public_key: String,
    /// The key's id, which names its signature files.
    pub id: String,
    /// The SHA-256 fingerprint as `ssh-keygen -l` prints it.
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

/// A trusted key as `key list` and the trust commands report it.
#[derive(Debug, Serialize)]
pub struct KeyInfo {
    /// The key's id.
    pub id: String,
    /// Its owner in the trust file.
    pub owner: String,
    /// Its roles, as written in the trust file (`admin`, `approver:production`…).
    pub roles: Vec<String>,
    /// When it was added.
    pub added: Timestamp,
    /// When it expires (or expired); `None`: never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Timestamp>,
    /// It has expired by the session's time.
    pub expired: bool,
    /// The SHA-256 fingerprint as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// The `ssh-ed25519 AAAA…` line.
    pub public_key: String,
}

/// Every key of `trust`, in file order, with expiry judged at `now`.
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

/// What `key add` asks for.
#[derive(Debug)]
pub struct AddKey {
    /// The key to trust (or to grant more roles, when already listed).
    pub public: PublicKey,
    /// Who holds it; replaces the owner of an already listed key.
    pub owner: String,
    /// Roles to grant, added to any it holds.
    pub roles: BTreeSet<Role>,
    /// When it should expire; `None` keeps an existing expiry, or none.
    pub expires: Option<Timestamp>,
    /// Commit the re-signed trust file (otherwise leave it in the working tree).
    pub commit: bool,
    /// Report what would change and write nothing.
    pub dry_run: bool,
}

/// What `key add` returns.
#[derive(Debug, Serialize)]
pub struct AddKeyReport {
    /// The key as the new trust file lists it.
    pub key: KeyInfo,
    /// The id of the admin key that signed the new trust file.
    pub signed_by: String,
    /// The commit made, when asked to commit.
    pub commit: Option<String>,
    /// Nothing was written.
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

/// What `key revoke` returns.
#[derive(Debug, Serialize)]
pub struct RevokeReport {
    /// The revoked key: expired as of the session's time (or earlier, if it already had).
    pub key: KeyInfo,
    /// The id of the admin key that signed the new trust file.
    pub signed_by: String,
    /// The commit made, when asked to commit.
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

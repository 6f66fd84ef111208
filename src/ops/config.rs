//! `modelreg config sign`: an admin signs `modelreg.toml` after editing it (stages, gates, drift
//! defaults, the store), or co-signs a trust or configuration change another admin made; with
//! `--files`, writes and signs `.modelreg/protected.toml` after `.gitattributes` or a template changed.
//!
//! The edit is validated first (a configuration the registry could not open is never signed), and the
//! signer must be an admin of the trust *committed* at HEAD: nobody signs their way in with a trust
//! file they just edited. Signatures that no longer match the file are removed; valid ones by other
//! admins stay, so with `admin_threshold` above one each admin adds theirs.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Error;
use super::transaction::Transaction;
use crate::policy::rules::{judge_signatures, may_sign};
use crate::record::{Digest, MAX_RECORD_BYTES, RecordError, Timestamp};
use crate::repo::layout::{CONFIG_FILE, TRUST_FILE, signature_file_name};
use crate::repo::protected::{PROTECTED_FILE, Protected, protected_files};
use crate::repo::{Config, Registry, RepoError, admin_signature_files};
use crate::sign::{Role, SigningKey, Trust};

/// A file only admins may change, signed by `config sign`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminFile {
    /// `modelreg.toml`.
    Config,
    /// `.modelreg/trust.toml`.
    Trust,
    /// `.modelreg/protected.toml`, written from the protected files in the working tree.
    Protected,
}

impl AdminFile {
    /// The file's path, relative to the registry root.
    pub fn path(self) -> &'static str {
        match self {
            AdminFile::Config => CONFIG_FILE,
            AdminFile::Trust => TRUST_FILE,
            AdminFile::Protected => PROTECTED_FILE,
        }
    }
}

/// What `config sign` returns.
#[derive(Debug, Serialize)]
pub struct SignReport {
    /// The file signed, relative to the registry root.
    pub file: &'static str,
    /// The id of the admin key that signed.
    pub signed_by: String,
    /// Distinct admin keys whose signatures now verify over the file.
    pub signatures: usize,
    /// How many the trust file's `admin_threshold` asks for.
    pub threshold: u32,
    /// Stale signatures removed (they covered the file's earlier bytes).
    pub removed: Vec<String>,
    /// The commit made, when asked to commit.
    pub commit: Option<String>,
}

/// `config sign`: validates the file at its path in the registry at `start`, signs its exact bytes with
/// `key` (an admin of the trust committed at HEAD) and drops signatures that no longer match.
pub fn sign(
    start: &Path,
    key: &SigningKey,
    file: AdminFile,
    commit: bool,
    now: Timestamp,
) -> Result<SignReport, Error> {
    let registry = Registry::open(start, now)?;
    let root = registry.root().to_owned();
    // Judged by the admins committed at HEAD (the rule the hooks apply when the change is pushed).
    let trust = match registry.git().head()? {
        Some(head) => crate::policy::load_trust(&registry.git().tree_snapshot(&head)?)
            .map_err(|p| Error::Untrusted(Box::new(p)))?,
        None => registry.trust().clone(),
    };
    may_sign(&trust, key.public(), &Role::Admin, now)?;
    let path = root.join(file.path());
    let mut tx = Transaction::begin(&registry)?;
    let (bytes, new_trust) = match file {
        AdminFile::Protected => (write_manifest(&registry, &mut tx)?, None),
        AdminFile::Config | AdminFile::Trust => {
            let bytes = std::fs::read(&path).map_err(super::io(&path))?;
            let new_trust = validate(file, &bytes)?;
            // The signed file itself is committed as the admin edited it.
            tx.include(Path::new(file.path()));
            (bytes, new_trust)
        }
    };

    // Bytes this file had before would carry the very signatures of that time: indistinguishable from
    // a replay, which the change rules refuse.
    if let Some(head) = registry.git().head()?
        && crate::policy::admin::replay_problems(registry.git(), &head, &registry.worktree())?
            .iter()
            .any(|p| p.path == file.path())
    {
        return Err(Error::Replayed(file.path()));
    }
    let mut removed = Vec::new();
    let ours = PathBuf::from(signature_file_name(file.path(), key.id()));
    for sig in admin_signature_files(&path)? {
        let armored = std::fs::read(&sig).map_err(super::io(&sig))?;
        if crate::sign::verify(&armored, &bytes).is_err() {
            let rel = sig.strip_prefix(&root).unwrap_or(&sig).to_owned();
            tx.remove_file(&rel)?;
            if rel != ours {
                removed.push(rel.display().to_string());
            }
        }
    }
    tx.write_file(&ours, key.sign(&bytes).as_bytes())?;

    let armored: Vec<Vec<u8>> = admin_signature_files(&path)?
        .iter()
        .map(|sig| std::fs::read(sig).map_err(super::io(sig)))
        .collect::<Result<_, _>>()?;
    let signatures = judge_signatures(&bytes, &armored, &trust, &[Role::Admin]).valid.len();
    // A change must satisfy both the admins before it and the trust it installs.
    let threshold = trust.admin_threshold.max(new_trust.as_ref().map_or(0, |t| t.admin_threshold));
    let mut report =
        SignReport { file: file.path(), signed_by: key.id().to_string(), signatures, threshold, removed, commit: None };
    // Below the threshold the files stay in the working tree for the other admins to co-sign.
    let message = format!("modelreg: sign {} ({signatures} of {threshold} admin signatures)", file.path());
    report.commit = tx.commit((commit && signatures >= threshold as usize).then_some(message.as_str()))?;
    Ok(report)
}

/// Refuses to sign a configuration or trust file the registry could not open; the trust it installs.
fn validate(file: AdminFile, bytes: &[u8]) -> Result<Option<Trust>, Error> {
    let invalid = |source: RecordError| match file {
        AdminFile::Trust => {
            RepoError::Trust { path: TRUST_FILE.into(), source: crate::sign::TrustError::Parse(source) }
        }
        _ => RepoError::Config { path: file.path().into(), source },
    };
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(invalid(RecordError::TooLarge { size: bytes.len() }).into());
    }
    match file {
        AdminFile::Trust => {
            Ok(Some(Trust::parse(bytes).map_err(|source| RepoError::Trust { path: TRUST_FILE.into(), source })?))
        }
        _ => {
            Config::parse(bytes).map_err(invalid)?;
            Ok(None)
        }
    }
}

/// Writes the manifest of the protected files as they are in the working tree, with those files (and
/// any the previous manifest listed that are gone) included in the commit; returns its bytes. Templates
/// must compile: a manifest is never signed over a card template that would fail every card.
fn write_manifest(registry: &Registry, tx: &mut Transaction<'_>) -> Result<Vec<u8>, Error> {
    let worktree = registry.worktree();
    let present = protected_files(&worktree).map_err(|e| RepoError::Io {
        path: registry.root().join(PROTECTED_FILE),
        source: std::io::Error::other(e.to_string()),
    })?;
    if let Some((path, why)) = present.refused.first() {
        let problem = crate::policy::Problem::error(path, crate::policy::RuleId::Trust, why.clone())
            .with_hint("replace it with a regular file, then sign again");
        return Err(Error::Untrusted(Box::new(problem)));
    }
    crate::card::Templates::for_snapshot(&worktree)?;
    let current = std::fs::read(registry.root().join(PROTECTED_FILE)).ok();
    let listed = current.as_deref().and_then(|bytes| Protected::parse(bytes).ok()).map(|m| m.files);
    for path in present.files.keys().chain(listed.iter().flat_map(|files| files.keys())) {
        tx.include(Path::new(path));
    }
    // Unchanged files keep the manifest as it is (a co-signature); otherwise the new one names the one
    // it replaces, so it never repeats earlier bytes.
    let bytes = match (&current, &listed) {
        (Some(bytes), Some(files)) if *files == present.files => bytes.clone(),
        _ => Protected::new(present.files, current.as_deref().map(Digest::of_bytes)).to_bytes(),
    };
    tx.write_file(Path::new(PROTECTED_FILE), &bytes)?;
    Ok(bytes)
}

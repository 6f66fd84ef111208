//! Current state, derived by replaying a model's records in order.
//!
//! [`scan_model`] reads one model's records directory, applying the chain, version and signature rules
//! from `policy::rules` to every record and reporting each finding; it keeps going so `check` can list
//! them all. [`load_model`] is the same scan for commands that act on a model: the first finding is an
//! error. Nothing here writes.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::policy::rules::{self, chain_link, judge_signatures, required_role};
use crate::policy::{Problem, RuleId};
use crate::record::{Digest, MAX_RECORD_BYTES, ModelName, Record, RegisterRecord, Timestamp, Version};
use crate::repo::layout::{self, RecordFileName, RecordsDir};
use crate::sign::{PublicKey, Trust};

/// One record as read from disk.
#[derive(Debug, Clone)]
pub struct LoadedRecord {
    pub file: RecordFileName,
    /// Relative to the repository root, `/`-separated.
    pub relative_path: String,
    pub digest: Digest,
    pub record: Record,
    /// Trusted keys whose signatures verified (empty when signatures were not checked).
    pub signers: Vec<PublicKey>,
}

/// A model's records in chain order. Records that could not be read or parsed are left out (and
/// reported); everything here parsed strictly.
#[derive(Debug, Clone)]
pub struct ModelHistory {
    pub name: ModelName,
    pub records: Vec<LoadedRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("model `{0}` is not registered")]
    UnknownModel(ModelName),
    #[error("{}: {}", .0.path, .0.message)]
    Invalid(Box<Problem>),
}

/// Reads a model and fails on the first finding (see the module docs). Pass `trust` to verify
/// signatures; `None` skips them (listing many models).
pub fn load_model(root: &Path, name: &ModelName, trust: Option<&Trust>) -> Result<ModelHistory, LoadError> {
    if !layout::records_dir(root, name).is_dir() {
        return Err(LoadError::UnknownModel(name.clone()));
    }
    let mut problems = Vec::new();
    let history = scan_model(root, name, trust, &mut problems);
    match problems.into_iter().find(|p| p.severity == crate::policy::Severity::Error) {
        Some(problem) => Err(LoadError::Invalid(Box::new(problem))),
        None => Ok(history),
    }
}

/// Reads and judges every record of one model, pushing findings into `problems`.
pub fn scan_model(root: &Path, name: &ModelName, trust: Option<&Trust>, problems: &mut Vec<Problem>) -> ModelHistory {
    let dir = layout::records_dir(root, name);
    let rel = |path: &Path| relative(root, path);
    let mut history = ModelHistory { name: name.clone(), records: Vec::new() };
    let listing = match RecordsDir::read(&dir) {
        Ok(listing) => listing,
        Err(e) => {
            problems.push(Problem::error(rel(&dir), RuleId::Layout, format!("cannot read: {e}")));
            return history;
        }
    };
    for stray in &listing.stray {
        problems.push(
            Problem::error(rel(stray), RuleId::Layout, "not a record or signature file")
                .with_hint("records are NNNNNN-<kind>.toml, signatures <record>.<keyid>.sig"),
        );
    }
    for leftover in &listing.interrupted {
        problems.push(
            Problem::warning(rel(leftover), RuleId::Layout, "temp file of an interrupted write").with_hint("delete it"),
        );
    }
    for signed in listing.signatures.keys() {
        if !listing.records.iter().any(|(file, _)| file.to_string() == *signed) {
            for (_, path) in listing.signatures_of(signed) {
                problems.push(
                    Problem::warning(rel(path), RuleId::Layout, "signature for a record that does not exist")
                        .with_hint("left by an interrupted write; delete it"),
                );
            }
        }
    }

    let mut before: Option<(u64, Digest)> = None;
    let mut latest_version: Option<Version> = None;
    for (file, path) in &listing.records {
        let relative_path = rel(path);
        let bytes = match read_capped(path) {
            Ok(bytes) => bytes,
            Err(message) => {
                problems.push(Problem::error(&relative_path, RuleId::Schema, message));
                continue;
            }
        };
        let digest = Digest::of_bytes(&bytes);
        let record = match Record::parse(&bytes) {
            Ok(record) => record,
            Err(e) => {
                problems.push(
                    Problem::error(&relative_path, RuleId::Schema, e.to_string())
                        .with_hint("records are never edited by hand; restore it with `git checkout -- <path>`"),
                );
                before = Some((file.seq, digest));
                continue;
            }
        };
        if let Err(violation) = chain_link(name, before, *file, &record) {
            problems.push(
                Problem::error(&relative_path, RuleId::Chain, violation.to_string())
                    .with_hint("records are append-only: restore the original files from git history"),
            );
        }
        before = Some((file.seq, digest));

        let Record::Register(register) = &record;
        if let Err(e) = rules::next_version(latest_version, Some(register.version)) {
            problems.push(Problem::error(&relative_path, RuleId::Version, e.to_string()));
        }
        latest_version = latest_version.max(Some(register.version));

        let mut signers = Vec::new();
        if let Some(trust) = trust {
            let sig_paths = listing.signatures_of(&file.to_string());
            let mut armored = Vec::with_capacity(sig_paths.len());
            let mut read_paths = Vec::with_capacity(sig_paths.len());
            for (_, sig_path) in sig_paths {
                match read_capped(sig_path) {
                    Ok(bytes) => {
                        armored.push(bytes);
                        read_paths.push(sig_path);
                    }
                    Err(message) => problems.push(Problem::error(rel(sig_path), RuleId::Signature, message)),
                }
            }
            let role = required_role(record.kind());
            let judgement = judge_signatures(&bytes, &armored, trust, &role);
            for (i, message) in judgement.problems {
                problems.push(Problem::error(rel(read_paths[i]), RuleId::Signature, message));
            }
            if judgement.valid.is_empty() {
                problems.push(
                    Problem::error(&relative_path, RuleId::Signature, format!("no valid signature by a `{role}` key"))
                        .with_hint("records are signed when written; a record without one was not made by modelreg"),
                );
            }
            signers = judgement.valid;
        }
        history.records.push(LoadedRecord { file: *file, relative_path, digest, record, signers });
    }
    history
}

fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_RECORD_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(format!("file is over the {MAX_RECORD_BYTES}-byte limit"));
    }
    Ok(bytes)
}

pub(crate) fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// One registered version, as the records say it is now.
#[derive(Debug, Clone)]
pub struct VersionState {
    pub version: Version,
    pub seq: u64,
    pub record_path: String,
    pub record_digest: Digest,
    pub register: RegisterRecord,
    pub signers: Vec<PublicKey>,
}

/// A model's current state.
#[derive(Debug, Clone)]
pub struct ModelState {
    pub name: ModelName,
    pub versions: BTreeMap<Version, VersionState>,
    pub records: usize,
    pub updated_at: Option<Timestamp>,
}

impl ModelState {
    pub fn replay(history: ModelHistory) -> ModelState {
        let mut state = ModelState {
            name: history.name,
            versions: BTreeMap::new(),
            records: history.records.len(),
            updated_at: None,
        };
        for loaded in history.records {
            state.updated_at = Some(loaded.record.created_at());
            match loaded.record {
                Record::Register(register) => {
                    state.versions.insert(
                        register.version,
                        VersionState {
                            version: register.version,
                            seq: loaded.file.seq,
                            record_path: loaded.relative_path,
                            record_digest: loaded.digest,
                            register: *register,
                            signers: loaded.signers,
                        },
                    );
                }
            }
        }
        state
    }

    pub fn latest(&self) -> Option<&VersionState> {
        self.versions.values().next_back()
    }

    pub fn description(&self) -> Option<&str> {
        self.versions.values().rev().find_map(|v| v.register.description.as_deref())
    }
}

impl ModelHistory {
    /// The last record's seq and digest: what the next record's `seq` and `previous` follow.
    pub fn tip(&self) -> Option<(u64, Digest)> {
        self.records.last().map(|r| (r.file.seq, r.digest))
    }
}

/// The root-relative paths of records, for messages.
pub fn record_path(root: &Path, name: &ModelName, file: RecordFileName) -> PathBuf {
    layout::records_dir(root, name).join(file.to_string())
}

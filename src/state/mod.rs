//! Current state, derived by replaying a model's records in order.
//!
//! [`scan_model`] reads one model's records directory from a [`Snapshot`] (working tree, commit or
//! index), applying the chain, version and signature rules from `policy::rules` to every record and
//! reporting each finding; it keeps going so `check` can list them all. [`load_model`] is the same scan
//! for commands that act on a model: the first finding is an error. Nothing here writes.

pub mod cache;
pub mod query;
pub mod search;

use std::collections::BTreeMap;

use crate::policy::rules::{self, chain_link, judge_signatures, required_role};
use crate::policy::{Problem, RuleId};
use crate::record::{Digest, DriftRecord, MAX_RECORD_BYTES, ModelName, Record, RegisterRecord, Timestamp, Version};
use crate::repo::layout::{self, RecordFileName, RecordsDir};
use crate::repo::snapshot::Snapshot;
use crate::sign::{PublicKey, Trust};

/// One record as read from a snapshot.
#[derive(Debug, Clone)]
pub struct LoadedRecord {
    pub file: RecordFileName,
    /// Relative to the repository root, `/`-separated.
    pub relative_path: String,
    pub digest: Digest,
    pub record: Record,
    /// Trusted keys whose signatures verified (empty when signatures were not judged).
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

/// How [`scan_model`] judges what it reads.
#[derive(Debug, Clone, Copy)]
pub struct Judge<'a> {
    /// Verify signatures against these keys and roles; `None` reads without judging signatures.
    pub trust: Option<&'a Trust>,
    /// Judge signatures only of records from this seq on: a change is judged by what it adds, by the
    /// trust in force before it; earlier records were judged when they were added.
    pub from_seq: u64,
    /// Refuse signatures by keys expired at this instant (the time a change is received).
    pub now: Option<Timestamp>,
}

impl<'a> Judge<'a> {
    /// Read without verifying signatures (listing many models).
    pub const READ_ONLY: Judge<'static> = Judge { trust: None, from_seq: 1, now: None };

    /// Verify every record's signatures against `trust`.
    pub fn all(trust: &'a Trust) -> Judge<'a> {
        Judge { trust: Some(trust), from_seq: 1, now: None }
    }
}

/// Reads a model and fails on the first finding (see the module docs).
pub fn load_model(snapshot: &dyn Snapshot, name: &ModelName, judge: Judge<'_>) -> Result<ModelHistory, LoadError> {
    if !matches!(snapshot.list(&layout::records_rel(name)), Ok(Some(_))) {
        return Err(LoadError::UnknownModel(name.clone()));
    }
    let mut problems = Vec::new();
    let history = scan_model(snapshot, name, judge, &mut problems);
    match problems.into_iter().find(|p| p.severity == crate::policy::Severity::Error) {
        Some(problem) => Err(LoadError::Invalid(Box::new(problem))),
        None => Ok(history),
    }
}

/// Reads and judges every record of one model, pushing findings into `problems`.
pub fn scan_model(
    snapshot: &dyn Snapshot,
    name: &ModelName,
    judge: Judge<'_>,
    problems: &mut Vec<Problem>,
) -> ModelHistory {
    let dir = layout::records_rel(name);
    let mut history = ModelHistory { name: name.clone(), records: Vec::new() };
    let listing = match snapshot.list(&dir) {
        Ok(Some(entries)) => RecordsDir::classify(&dir, entries),
        Ok(None) => return history,
        Err(e) => {
            problems.push(Problem::error(&dir, RuleId::Layout, e.to_string()));
            return history;
        }
    };
    for stray in &listing.stray {
        problems.push(Problem::error(stray, RuleId::Layout, "not a record or signature file").with_hint(
            "records are NNNNNN-<kind>.toml, signatures <record>.<keyid>.sig; move anything else out of models/",
        ));
    }
    for path in &listing.not_files {
        problems.push(
            Problem::error(path, RuleId::Layout, "not a regular file")
                .with_hint("symbolic links, directories and submodules are not allowed in records/"),
        );
    }
    for leftover in &listing.interrupted {
        problems.push(
            Problem::warning(leftover, RuleId::Layout, "temp file of an interrupted write").with_hint("delete it"),
        );
    }
    for (signed, sigs) in &listing.signatures {
        if !listing.records.iter().any(|(file, _)| file.to_string() == *signed) {
            for (_, path) in sigs {
                problems.push(
                    Problem::warning(path, RuleId::Layout, "signature for a record that does not exist")
                        .with_hint("left by an interrupted write; delete it"),
                );
            }
        }
    }

    let mut before: Option<(u64, Digest)> = None;
    let mut latest_version: Option<Version> = None;
    let mut registered: BTreeMap<Version, Digest> = BTreeMap::new();
    for (file, path) in &listing.records {
        let bytes = match snapshot.read(path, MAX_RECORD_BYTES) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => continue,
            Err(e) => {
                problems.push(Problem::error(path, RuleId::Schema, e.to_string()));
                continue;
            }
        };
        let digest = Digest::of_bytes(&bytes);
        let record = match Record::parse(&bytes) {
            Ok(record) => record,
            Err(e) => {
                problems.push(
                    Problem::error(path, RuleId::Schema, e.to_string())
                        .with_hint("records are never edited by hand; restore it with `git checkout -- <path>`"),
                );
                before = Some((file.seq, digest));
                continue;
            }
        };
        if let Err(violation) = chain_link(name, before, *file, &record) {
            problems.push(
                Problem::error(path, RuleId::Chain, violation.to_string())
                    .with_hint("records are append-only: restore the original files from git history"),
            );
        }
        before = Some((file.seq, digest));

        match &record {
            Record::Register(register) => {
                if let Err(e) = rules::next_version(latest_version, Some(register.version)) {
                    problems.push(Problem::error(path, RuleId::Version, e.to_string()));
                }
                latest_version = latest_version.max(Some(register.version));
                registered.insert(register.version, digest);
            }
            // A record about a version must name one registered before it, by its record's digest.
            Record::Drift(drift) => match registered.get(&drift.version) {
                Some(expected) if *expected == drift.version_record => {}
                Some(expected) => problems.push(Problem::error(
                    path,
                    RuleId::Chain,
                    format!(
                        "`version_record` is {}, but v{}'s record is {expected}",
                        drift.version_record, drift.version
                    ),
                )),
                None => problems.push(Problem::error(
                    path,
                    RuleId::Chain,
                    format!("judges v{}, which is not registered before it", drift.version),
                )),
            },
        }

        let mut signers = Vec::new();
        if let Some(trust) = judge.trust.filter(|_| file.seq >= judge.from_seq) {
            signers =
                judge_record_signatures(snapshot, &listing, *file, path, &bytes, &record, trust, judge.now, problems);
        }
        history.records.push(LoadedRecord { file: *file, relative_path: path.clone(), digest, record, signers });
    }
    history
}

/// The signature rule for one record: every signature file verifies, and at least one is by a trusted,
/// unexpired key holding the role the record's kind needs.
#[allow(clippy::too_many_arguments)]
fn judge_record_signatures(
    snapshot: &dyn Snapshot,
    listing: &RecordsDir,
    file: RecordFileName,
    path: &str,
    bytes: &[u8],
    record: &Record,
    trust: &Trust,
    now: Option<Timestamp>,
    problems: &mut Vec<Problem>,
) -> Vec<PublicKey> {
    let sig_paths = listing.signatures_of(&file.to_string());
    let mut armored = Vec::with_capacity(sig_paths.len());
    let mut read_paths = Vec::with_capacity(sig_paths.len());
    for (_, sig_path) in sig_paths {
        match snapshot.read(sig_path, MAX_RECORD_BYTES) {
            Ok(Some(sig)) => {
                armored.push(sig);
                read_paths.push(sig_path);
            }
            Ok(None) => {}
            Err(e) => problems.push(Problem::error(sig_path, RuleId::Signature, e.to_string())),
        }
    }
    let role = required_role(record.kind());
    let judgement = judge_signatures(bytes, &armored, trust, &role);
    for (i, message) in judgement.problems {
        problems.push(Problem::error(read_paths[i], RuleId::Signature, message));
    }
    let mut valid = judgement.valid;
    if let Some(now) = now {
        valid.retain(|key| match trust.key(key.raw()).and_then(|k| k.expires.filter(|_| k.expired_at(now))) {
            Some(expired) => {
                problems.push(Problem::error(
                    path,
                    RuleId::Signature,
                    format!("signed by {} which expired at {expired}", key.id()),
                ));
                false
            }
            None => true,
        });
    }
    if !valid.is_empty() && !valid.iter().any(|key| key.id() == record.signer()) {
        problems.push(Problem::error(
            path,
            RuleId::Signature,
            format!("`signer` names key {} but the record is signed by {}", record.signer(), valid[0].id()),
        ));
    }
    if valid.is_empty() {
        problems.push(
            Problem::error(path, RuleId::Signature, format!("no valid signature by a `{role}` key"))
                .with_hint("records are signed when written; a record without one was not made by modelreg"),
        );
    }
    valid
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
    /// Drift reports judging this version, oldest first.
    pub drift_reports: Vec<DriftState>,
}

/// One drift report about a version.
#[derive(Debug, Clone)]
pub struct DriftState {
    pub record_path: String,
    pub record_digest: Digest,
    pub record: DriftRecord,
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
                Record::Drift(drift) => {
                    if let Some(version) = state.versions.get_mut(&drift.version) {
                        version.drift_reports.push(DriftState {
                            record_path: loaded.relative_path,
                            record_digest: loaded.digest,
                            record: *drift,
                        });
                    }
                }
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
                            drift_reports: Vec::new(),
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

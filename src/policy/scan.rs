//! Reading a model under the rules: [`scan_model`] reads one model's records directory from a
//! [`Snapshot`] (working tree, commit or index), applying the layout, chain, version, signature and
//! lifecycle rules to every record and reporting each finding; it keeps going so `check` can list them
//! all. [`load_model`] is the same scan for commands that act on a model: the first error is returned.

use super::history::ConfigHistory;
use super::rules::{self, accepted_roles, chain_link, judge_signatures, publishing_role};
use super::{Problem, RuleId, Severity, lifecycle};
use crate::record::{Digest, MAX_RECORD_BYTES, ModelName, ParentRef, Record, RecordKind, Timestamp, Version};
use crate::repo::config::LifecycleConfig;
use crate::repo::layout::{self, RecordFileName, RecordsDir};
use crate::repo::snapshot::Snapshot;
use crate::sign::{PublicKey, Role, Trust};
use crate::state::{LoadedRecord, ModelHistory, ModelState};

/// How far in the future a record's `created_at` may be when a change is judged (clock skew): a record
/// dated later could claim a soak time that has not passed.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// Why [`load_model`] could not give a command a model to act on.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The snapshot has no `models/<name>/records/` directory.
    #[error("model `{0}` is not registered")]
    UnknownModel(ModelName),
    /// The first error-severity finding of the scan: the model breaks a rule and is not acted on.
    #[error("{}: {}", .0.path, .0.message)]
    Invalid(Box<Problem>),
}

/// How [`scan_model`] judges what it reads.
#[derive(Debug, Clone, Copy)]
pub struct Judge<'a> {
    /// Verify signatures against these keys and roles; `None` reads without judging signatures (and
    /// then no promotion that needs approvals takes effect).
    pub trust: Option<&'a Trust>,
    /// Report findings only about records from this seq on: a change is judged by what it adds, by the
    /// trust in force before it; earlier records were judged when they were added. Promotions'
    /// signatures are verified whatever the seq, since approvals decide the state.
    pub from_seq: u64,
    /// Refuse signatures by keys expired at this instant, and records dated after it (the time a
    /// change is received).
    pub now: Option<Timestamp>,
    /// Hold records from `from_seq` on to the registry's configured stages and gates.
    pub lifecycle: Lifecycles<'a>,
}

/// Which configured stages and gates records are held to.
#[derive(Debug, Clone, Copy)]
pub enum Lifecycles<'a> {
    /// None: records are held only to the gates they carry.
    Unjudged,
    /// One configuration for every judged record (a change: its base's, or the one it installs).
    One(&'a LifecycleConfig),
    /// Each record by the configuration in force when it was committed (a full check).
    History(&'a ConfigHistory),
}

impl<'a> Lifecycles<'a> {
    fn for_record(self, model: &ModelName, seq: u64) -> Option<&'a LifecycleConfig> {
        match self {
            Lifecycles::Unjudged => None,
            Lifecycles::One(config) => Some(config),
            Lifecycles::History(history) => history.for_record(model, seq),
        }
    }
}

impl<'a> Judge<'a> {
    /// Read without verifying signatures.
    pub const READ_ONLY: Judge<'static> =
        Judge { trust: None, from_seq: 1, now: None, lifecycle: Lifecycles::Unjudged };

    /// Verify every record's signatures against `trust`.
    pub fn all(trust: &'a Trust) -> Judge<'a> {
        Judge { trust: Some(trust), from_seq: 1, now: None, lifecycle: Lifecycles::Unjudged }
    }

    /// Read fast, reporting nothing: only promotions' signatures are verified, to count approvals.
    pub fn read(trust: &'a Trust) -> Judge<'a> {
        Judge { trust: Some(trust), from_seq: u64::MAX, now: None, lifecycle: Lifecycles::Unjudged }
    }
}

/// Reads a model and fails on the first finding (see the module docs).
pub fn load_model(snapshot: &dyn Snapshot, name: &ModelName, judge: Judge<'_>) -> Result<ModelHistory, LoadError> {
    if !matches!(snapshot.list(&layout::records_rel(name)), Ok(Some(_))) {
        return Err(LoadError::UnknownModel(name.clone()));
    }
    let mut problems = Vec::new();
    let history = scan_model(snapshot, name, judge, &mut problems);
    match problems.into_iter().find(|p| p.severity == Severity::Error) {
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
    let mut state = ModelState::new(name.clone());
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
        if let Record::Register(register) = &record {
            if let Err(e) = rules::next_version(latest_version, Some(register.version)) {
                problems.push(Problem::error(path, RuleId::Version, e.to_string()));
            }
            if file.seq >= judge.from_seq {
                for parent in &register.lineage.parents {
                    if let Some(message) = unresolved_parent(snapshot, &state, parent) {
                        problems.push(Problem::error(path, RuleId::Chain, message).with_hint(
                            "lineage parents are pinned by `modelreg register --parent MODEL@VERSION`, which reads the registry",
                        ));
                    }
                }
            }
            latest_version = latest_version.max(Some(register.version));
        }
        // Lifecycle and signature findings about records before `from_seq` were reported when they
        // were added (and by the trust and configuration in force then).
        let judged = file.seq >= judge.from_seq;
        let mut found = Vec::new();
        // Without trust, approvals are unknown, and so is which version holds a stage: the lifecycle
        // rules need the verified state.
        if judged && judge.trust.is_some() {
            for violation in lifecycle::judge(&state, &record, judge.lifecycle.for_record(name, file.seq)) {
                let mut problem = Problem::error(path, violation.rule, violation.message);
                problem.hint = violation.hint;
                found.push(problem);
            }
            if let Some(now) = judge.now
                && record.created_at().unix_seconds() > now.unix_seconds() + MAX_CLOCK_SKEW_SECS
            {
                found.push(Problem::error(
                    path,
                    RuleId::Chain,
                    format!("dated {}, after the time it is judged ({now})", record.created_at()),
                ));
            }
        }

        let (mut signers, mut approvers) = (Vec::new(), Vec::new());
        if let Some(trust) = judge.trust.filter(|_| judged || record.kind() == RecordKind::Promote) {
            let now = judge.now.filter(|_| judged);
            (signers, approvers) =
                judge_record_signatures(snapshot, &listing, *file, path, &bytes, &record, trust, now, &mut found);
        }
        if judged {
            problems.append(&mut found);
        }
        let loaded = LoadedRecord { file: *file, relative_path: path.clone(), digest, record, signers, approvers };
        state.apply(loaded.clone());
        history.records.push(loaded);
    }
    history
}

/// A lineage parent must be a version registered in this registry, pinned to that version's own
/// register record: a digest naming nothing would claim an ancestry that cannot be checked. A parent in
/// the same model is looked up in the state so far (it must come earlier in the chain).
fn unresolved_parent(snapshot: &dyn Snapshot, state: &ModelState, parent: &ParentRef) -> Option<String> {
    let found = if parent.model == state.name {
        state.versions.get(&parent.version).map(|v| v.record_digest)
    } else {
        let history = scan_model(snapshot, &parent.model, Judge::READ_ONLY, &mut Vec::new());
        ModelState::replay(history).versions.get(&parent.version).map(|v| v.record_digest)
    };
    let named = format!("{}@{}", parent.model, parent.version);
    match found {
        None => Some(format!("lineage parent {named} is not registered in this registry")),
        Some(digest) if digest != parent.record => Some(format!(
            "lineage parent {named} is pinned to {}, but that version's record is {digest}",
            parent.record
        )),
        Some(_) => None,
    }
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
) -> (Vec<PublicKey>, Vec<PublicKey>) {
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
    let role = publishing_role(record);
    let judgement = judge_signatures(bytes, &armored, trust, &accepted_roles(record));
    for (i, message) in judgement.problems {
        problems.push(Problem::error(read_paths[i], RuleId::Signature, message));
    }
    let mut valid = judgement.valid;
    if let Some(now) = now {
        for (key, expired) in rules::take_expired(&mut valid, trust, now) {
            let message = format!("signed by {} which expired at {expired}", key.id());
            problems.push(Problem::error(path, RuleId::Signature, message));
        }
    }
    let holds = |key: &PublicKey, role: &Role| trust.key(key.raw()).is_some_and(|k| k.has_role(role));
    let publishers: Vec<&PublicKey> = valid.iter().filter(|key| holds(key, &role)).collect();
    if !publishers.is_empty() && !publishers.iter().any(|key| key.id() == record.signer()) {
        problems.push(Problem::error(
            path,
            RuleId::Signature,
            format!("`signer` names key {} but the record is signed by {}", record.signer(), publishers[0].id()),
        ));
    }
    if publishers.is_empty() {
        problems.push(
            Problem::error(path, RuleId::Signature, format!("no valid signature by a `{role}` key"))
                .with_hint("records are signed when written; a record without one was not made by modelreg"),
        );
    }
    let approvers = match record {
        Record::Promote(promote) => {
            let approver = Role::Approver(promote.stage.clone());
            valid.iter().filter(|key| holds(key, &approver)).cloned().collect()
        }
        _ => Vec::new(),
    };
    (valid, approvers)
}

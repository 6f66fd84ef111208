//! The rule engine: findings about a registry, and the full check behind `modelreg check`.
//!
//! Findings are results, not errors: [`check_registry`] returns every [`Problem`] it finds (exit 1 at
//! the CLI), and only fails outright when it cannot read the registry at all. The rules themselves are
//! the pure functions in [`rules`]; this module walks the registry and applies them.

pub mod card;
mod change;
pub mod lifecycle;
pub mod rules;

pub use change::check_change;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::progress::Progress;
use crate::record::{Digest, ModelName, Record, Timestamp};
use crate::repo::Registry;
use crate::repo::layout::{self, CARD_FIELDS_FILE, CARD_FILE, CONFIG_FILE, MODELS_DIR, RECORDS_DIR, TRUST_FILE};
use crate::repo::snapshot::{EntryKind, Snapshot, join, split};
use crate::sign::{Role, Trust};
use crate::state::{self, Judge};
use crate::store::{ArtifactStore, ObjectState};
use rules::judge_signatures;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    /// A file does not parse against its schema, or is too large.
    Schema,
    /// The per-model hash chain is broken.
    Chain,
    /// Versions do not go up.
    Version,
    /// A signature is missing, forged, or by a key without the needed role.
    Signature,
    /// An artifact in the store does not match its digest.
    Artifact,
    /// A file or directory that does not belong in the registry layout.
    Layout,
    /// A committed record or signature was modified, renamed or deleted.
    #[serde(rename = "append-only")]
    AppendOnly,
    /// Trust or configuration is not signed by enough admins (as they were before the change).
    Trust,
    /// A promotion whose gates did not hold, or an approval that cannot count.
    Gate,
    /// A lifecycle record that does not fit the state before it (an archived version promoted, a
    /// version demoted from a stage it does not hold…).
    Lifecycle,
    /// A committed model card differs from what its records render, or cannot be rendered.
    Card,
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            RuleId::Schema => "schema",
            RuleId::Chain => "chain",
            RuleId::Version => "version",
            RuleId::Signature => "signature",
            RuleId::Artifact => "artifact",
            RuleId::Layout => "layout",
            RuleId::AppendOnly => "append-only",
            RuleId::Trust => "trust",
            RuleId::Gate => "gate",
            RuleId::Lifecycle => "lifecycle",
            RuleId::Card => "card",
        };
        f.write_str(name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    /// Worth knowing, but the registry is valid (e.g. a leftover from an interrupted write).
    Warning,
}

/// One finding: which file, which rule, why, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    pub rule: RuleId,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Problem {
    pub fn error(path: impl Into<String>, rule: RuleId, message: impl Into<String>) -> Problem {
        Problem { path: path.into(), rule, severity: Severity::Error, message: message.into(), hint: None }
    }

    pub fn warning(path: impl Into<String>, rule: RuleId, message: impl Into<String>) -> Problem {
        Problem { severity: Severity::Warning, ..Problem::error(path, rule, message) }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }
}

/// What `check` looked at and what it found.
#[derive(Debug, Default, Serialize)]
pub struct CheckReport {
    pub models: usize,
    pub records: usize,
    pub signatures: usize,
    pub artifacts_verified: usize,
    pub artifacts_missing: usize,
    pub problems: Vec<Problem>,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| p.severity == Severity::Error).count()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Re-hash every artifact present in the local store.
    pub verify_artifacts: bool,
}

/// Verifies the registry as it stands in the working tree (see [`check_snapshot`]).
pub fn check_registry(registry: &Registry, options: CheckOptions, progress: &dyn Progress) -> CheckReport {
    let store = registry.store();
    let store: Option<&dyn ArtifactStore> = if options.verify_artifacts { Some(&store) } else { None };
    let mut report = check_snapshot(&registry.worktree(), registry.trust(), store, progress);
    // A command interrupted between writing a record and rewriting the card leaves the card behind its
    // uncommitted records: worth a warning, not a broken registry (the next command, or `modelreg
    // card`, rewrites it; the hooks still refuse to commit or push a stale card).
    for problem in report.problems.iter_mut().filter(|p| p.rule == RuleId::Card && p.severity == Severity::Error) {
        let model = problem.path.strip_prefix(&format!("{MODELS_DIR}/")).and_then(|r| r.split('/').next());
        let interrupted = model
            .and_then(|m| m.parse::<ModelName>().ok())
            .is_some_and(|m| registry.uncommitted_records(&m).is_ok_and(|files| !files.is_empty()));
        if interrupted {
            problem.severity = Severity::Warning;
            problem.hint = Some(format!(
                "the model has uncommitted records (an interrupted command?): run `modelreg card {}`",
                model.unwrap_or_default()
            ));
        }
    }
    let history = registry.uncommitted_trust_problems().and_then(|mut problems| {
        problems.extend(trust_history_problems(registry.git(), None)?);
        Ok(problems)
    });
    match history {
        Ok(problems) => report.problems.extend(problems),
        Err(e) => report.problems.push(Problem::error(TRUST_FILE, RuleId::Trust, e.to_string())),
    }
    report.problems.sort_by(|a, b| (&a.path, a.rule, &a.message).cmp(&(&b.path, b.rule, &b.message)));
    report.problems.dedup();
    report
}

/// Every committed change to trust or configuration on HEAD's first-parent line, judged by the admins
/// before it (and by the trust it installs), as the hooks judge a push. Catches a self-granted admin
/// committed with `--no-verify` into a repository without a server hook. Changes are rare, and finding
/// them compares one root-tree entry per commit.
/// With `since`, only commits after that (already verified) commit are judged.
pub fn trust_history_problems(
    git: &crate::repo::GitRepo,
    since: Option<&str>,
) -> Result<Vec<Problem>, crate::repo::RepoError> {
    let admin_entry = |name: &str| name == ".modelreg" || name.starts_with(CONFIG_FILE);
    let mut problems = Vec::new();
    for (commit, parent) in git.first_parent_changes(admin_entry, since)? {
        let (new, old) = (git.tree_snapshot(&commit)?, git.tree_snapshot(&parent)?);
        // The commit that creates the registry has no admins before it.
        let Ok(before) = load_trust(&old) else { continue };
        let mut found = admin_file_problems(&new, &before, None);
        if let Ok(after) = load_trust(&new) {
            found.extend(admin_file_problems(&new, &after, None));
        }
        for mut problem in found.into_iter().filter(|p| p.severity == Severity::Error) {
            problem.message = format!("in commit {}: {}", &commit[..12], problem.message);
            problem.hint =
                Some("trust changes need the signatures of the admins before them; revert that commit".into());
            problems.push(problem);
        }
    }
    problems.dedup();
    Ok(problems)
}

/// The full check of one snapshot, judged by `trust` (the snapshot's own, for a full check): admin
/// signatures on trust and configuration, the layout under `models/`, every record's schema, chain,
/// version order and signatures, and (with a store) every artifact present in it.
pub fn check_snapshot(
    snapshot: &dyn Snapshot,
    trust: &Trust,
    store: Option<&dyn ArtifactStore>,
    progress: &dyn Progress,
) -> CheckReport {
    let mut report = CheckReport::default();
    report.problems.extend(admin_file_problems(snapshot, trust, None));
    let (names, layout_problems) = models_dir(snapshot);
    report.problems.extend(layout_problems);
    report.models = names.len();
    // Templates are compiled once for every card (overrides come from the snapshot itself).
    let templates = crate::card::Templates::for_snapshot(snapshot)
        .map_err(|e| report.problems.push(card::template_problem(&e)))
        .ok();

    let histories: Vec<_> = names
        .par_iter()
        .map(|name| {
            let mut problems = model_layout_problems(snapshot, name);
            let history = state::scan_model(snapshot, name, Judge::all(trust), &mut problems);
            // A card is judged against records that stand: otherwise the records' findings say it all.
            let records_stand = !problems.iter().any(|p| p.severity == Severity::Error);
            if let Some(templates) = templates.as_ref().filter(|_| records_stand) {
                problems.extend(card::card_problem(snapshot, &history, trust, templates));
            }
            (history, problems)
        })
        .collect();

    let mut artifacts: BTreeMap<Digest, (u64, String)> = BTreeMap::new();
    for (history, problems) in histories {
        report.records += history.records.len();
        report.signatures += history.records.iter().map(|r| r.signers.len()).sum::<usize>();
        report.problems.extend(problems);
        for loaded in &history.records {
            let Record::Register(register) = &loaded.record else { continue };
            for artifact in register.artifacts.iter().chain(&register.baseline_profile) {
                artifacts
                    .entry(artifact.digest)
                    .or_insert_with(|| (artifact.size, format!("{}: {}", loaded.relative_path, artifact.path)));
            }
        }
    }
    if let Some(store) = store {
        verify_artifacts(store, &artifacts, &mut report, progress);
    }
    report.problems.sort_by(|a, b| (&a.path, a.rule).cmp(&(&b.path, b.rule)));
    report
}

fn verify_artifacts(
    store: &dyn ArtifactStore,
    artifacts: &BTreeMap<Digest, (u64, String)>,
    report: &mut CheckReport,
    progress: &dyn Progress,
) {
    let total: u64 = artifacts.values().map(|(size, _)| size).sum();
    progress.start("verifying artifacts", total);
    let results: Vec<_> = artifacts
        .par_iter()
        .map(|(digest, (size, origin))| {
            let state = store.verify(digest);
            progress.advance(*size);
            (digest, origin, state)
        })
        .collect();
    progress.finish();
    for (digest, origin, state) in results {
        let path = format!("{}/{}", store.location(), digest.hex());
        match state {
            Ok(ObjectState::Missing) => report.artifacts_missing += 1,
            Ok(ObjectState::Intact) => report.artifacts_verified += 1,
            Ok(ObjectState::Corrupt { actual, .. }) => report.problems.push(
                Problem::error(
                    path,
                    RuleId::Artifact,
                    format!("stored object for {origin} is corrupted: expected {digest}, found {actual}"),
                )
                .with_hint("restore the object from another copy of the store, or register the file again"),
            ),
            Err(e) => report.problems.push(Problem::error(path, RuleId::Artifact, e.to_string())),
        }
    }
}

/// Reads and validates the trust file of a snapshot.
pub fn load_trust(snapshot: &dyn Snapshot) -> Result<Trust, Problem> {
    let bytes = snapshot
        .read(TRUST_FILE, crate::record::MAX_RECORD_BYTES)
        .map_err(|e| Problem::error(TRUST_FILE, RuleId::Trust, e.to_string()))?
        .ok_or_else(|| Problem::error(TRUST_FILE, RuleId::Trust, "missing").with_hint("run `modelreg init`"))?;
    Trust::parse(&bytes).map_err(|e| Problem::error(TRUST_FILE, RuleId::Trust, e.to_string()))
}

/// Findings about the admin signatures on `modelreg.toml` and `.modelreg/trust.toml`, judged by
/// `trust` (their own for a full check; the base commit's for a change). With `now`, keys expired at
/// that instant do not count (a change is judged at the time it is received).
pub fn admin_file_problems(snapshot: &dyn Snapshot, trust: &Trust, now: Option<Timestamp>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for file in [CONFIG_FILE, TRUST_FILE] {
        let cap = crate::record::MAX_RECORD_BYTES;
        let bytes = match snapshot.read(file, cap) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                problems.push(Problem::error(file, RuleId::Trust, "missing").with_hint("restore it from git history"));
                continue;
            }
            Err(e) => {
                problems.push(Problem::error(file, RuleId::Trust, e.to_string()));
                continue;
            }
        };
        let (dir, name) = split(file);
        let mut sig_paths = Vec::new();
        let mut armored = Vec::new();
        for entry in snapshot.list(dir).ok().flatten().unwrap_or_default() {
            if layout::parse_signature_file_name(&entry.name).is_some_and(|(signed, _)| signed == name) {
                let path = join(dir, &entry.name);
                match snapshot.read(&path, cap) {
                    Ok(Some(sig)) => {
                        armored.push(sig);
                        sig_paths.push(path);
                    }
                    Ok(None) => {}
                    Err(e) => problems.push(Problem::error(&path, RuleId::Signature, e.to_string())),
                }
            }
        }
        let mut judgement = judge_signatures(&bytes, &armored, trust, &[Role::Admin]);
        for (i, message) in judgement.problems {
            problems.push(Problem::error(&sig_paths[i], RuleId::Signature, message));
        }
        if let Some(now) = now {
            judgement.valid.retain(|key| {
                match trust.key(key.raw()).and_then(|k| k.expires.filter(|_| k.expired_at(now))) {
                    Some(expired) => {
                        let message = format!("signed by admin key {} which expired at {expired}", key.id());
                        problems.push(Problem::error(file, RuleId::Signature, message));
                        false
                    }
                    None => true,
                }
            });
        }
        let threshold = trust.admin_threshold as usize;
        if judgement.valid.len() < threshold {
            problems.push(
                Problem::error(
                    file,
                    RuleId::Trust,
                    format!("signed by {} of the {threshold} admin key(s) required", judgement.valid.len()),
                )
                .with_hint(
                    "trust and configuration change only through modelreg commands run by admins; restore it from git",
                ),
            );
        }
    }
    problems
}

/// Valid model directories under `models/`, sorted, and findings about anything else there.
pub fn models_dir(snapshot: &dyn Snapshot) -> (Vec<ModelName>, Vec<Problem>) {
    let mut names = Vec::new();
    let mut problems = Vec::new();
    let entries = match snapshot.list(MODELS_DIR) {
        Ok(entries) => entries.unwrap_or_default(),
        Err(e) => return (names, vec![Problem::error(MODELS_DIR, RuleId::Layout, e.to_string())]),
    };
    for entry in entries {
        let rel = join(MODELS_DIR, &entry.name);
        match (entry.kind, entry.name.parse::<ModelName>()) {
            (EntryKind::Dir, Ok(name)) if entry.utf8 => names.push(name),
            (EntryKind::Dir, Err(e)) => problems.push(Problem::error(rel, RuleId::Layout, e.to_string())),
            (EntryKind::Symlink | EntryKind::Submodule, _) => problems.push(
                Problem::error(rel, RuleId::Layout, "symbolic links and submodules are not allowed under models/")
                    .with_hint("replace it with a real directory of records"),
            ),
            _ => problems.push(
                Problem::error(rel, RuleId::Layout, "only model directories belong in models/")
                    .with_hint("move it out of models/"),
            ),
        }
    }
    (names, problems)
}

/// Only `records/`, a card and its fields may live in a model's directory.
pub(crate) fn model_layout_problems(snapshot: &dyn Snapshot, name: &ModelName) -> Vec<Problem> {
    let dir = join(MODELS_DIR, name.as_str());
    let mut problems = Vec::new();
    for entry in snapshot.list(&dir).ok().flatten().unwrap_or_default() {
        let allowed = match entry.name.as_str() {
            RECORDS_DIR => entry.kind == EntryKind::Dir,
            CARD_FILE | CARD_FIELDS_FILE => entry.kind == EntryKind::File,
            _ => false,
        };
        if !allowed {
            problems.push(
                Problem::error(
                    join(&dir, &entry.name),
                    RuleId::Layout,
                    "not part of the registry layout (a model directory holds records/, README.md and card.toml)",
                )
                .with_hint("move it out of models/"),
            );
        }
    }
    problems
}

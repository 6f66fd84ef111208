//! The rule engine: findings about a registry, and the full check behind `modelreg check`.
//!
//! Findings are results, not errors: [`check_registry`] returns every [`Problem`] it finds (exit 1 at
//! the CLI), and only fails outright when it cannot read the registry at all. The rules themselves are
//! the pure functions in [`rules`]; this module walks the registry and applies them.

pub mod rules;

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::progress::Progress;
use crate::record::{Digest, ModelName, Record};
use crate::repo::layout::{self, CARD_FILE, RECORDS_DIR};
use crate::repo::{Registry, RepoError};
use crate::state;
use crate::store::{ArtifactStore, ObjectState};

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

/// Verifies the registry as it stands in the working tree: trust and configuration signatures, every
/// record against its schema, chain, version order and signatures, the layout under `models/`, and
/// (optionally) every artifact present in the local store.
pub fn check_registry(
    registry: &Registry,
    options: CheckOptions,
    progress: &dyn Progress,
) -> Result<CheckReport, RepoError> {
    let mut report = CheckReport::default();
    report.problems.extend(registry.admin_signature_problems()?);

    let (names, layout_problems) = registry.scan_models_dir()?;
    report.problems.extend(layout_problems);
    report.models = names.len();

    let (root, trust) = (registry.root(), registry.trust());
    let histories: Vec<_> = names
        .par_iter()
        .map(|name| {
            let mut problems = model_layout_problems(root, name);
            let history = state::scan_model(root, name, Some(trust), &mut problems);
            (history, problems)
        })
        .collect();

    let mut artifacts: BTreeMap<Digest, (u64, String)> = BTreeMap::new();
    for (history, problems) in histories {
        report.records += history.records.len();
        report.signatures += history.records.iter().map(|r| r.signers.len()).sum::<usize>();
        report.problems.extend(problems);
        for loaded in &history.records {
            let Record::Register(register) = &loaded.record;
            for artifact in &register.artifacts {
                artifacts
                    .entry(artifact.digest)
                    .or_insert_with(|| (artifact.size, format!("{}: {}", loaded.relative_path, artifact.path)));
            }
        }
    }

    if options.verify_artifacts {
        let store = registry.store();
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
            match state {
                Ok(ObjectState::Missing) => report.artifacts_missing += 1,
                Ok(ObjectState::Intact) => report.artifacts_verified += 1,
                Ok(ObjectState::Corrupt { actual, .. }) => report.problems.push(
                    Problem::error(
                        store_relative(registry, digest),
                        RuleId::Artifact,
                        format!("stored object for {origin} is corrupted: expected {digest}, found {actual}"),
                    )
                    .with_hint("restore the object from another copy of the store, or re-register the file"),
                ),
                Err(e) => report.problems.push(Problem::error(
                    store_relative(registry, digest),
                    RuleId::Artifact,
                    e.to_string(),
                )),
            }
        }
    }
    report.problems.sort_by(|a, b| (&a.path, a.rule).cmp(&(&b.path, b.rule)));
    Ok(report)
}

fn store_relative(registry: &Registry, digest: &Digest) -> String {
    let path = registry.store().object_path(digest);
    path.strip_prefix(registry.root()).unwrap_or(&path).display().to_string()
}

/// Only `records/` and a card may live in a model's directory.
fn model_layout_problems(root: &Path, name: &ModelName) -> Vec<Problem> {
    let dir = layout::model_dir(root, name);
    let mut problems = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return problems;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let allowed = match file_name.to_str() {
            Some(RECORDS_DIR) => file_type.is_dir(),
            Some(CARD_FILE) | Some("card.toml") => file_type.is_file(),
            _ => false,
        };
        if !allowed {
            problems.push(
                Problem::error(
                    format!("models/{name}/{}", file_name.to_string_lossy()),
                    RuleId::Layout,
                    "not part of the registry layout (a model directory holds records/, README.md and card.toml)",
                )
                .with_hint("move it out of models/"),
            );
        }
    }
    problems
}

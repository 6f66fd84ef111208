//! The rule engine: every registry rule, judged on what a snapshot (working tree, commit, index)
//! holds.
//!
//! Findings are results, not errors: the checks return every [`Problem`] they find (exit 1 at the CLI),
//! and only fail outright when they cannot read the registry at all.
//!
//! - [`rules`]: the rules as pure functions (chain links, versions, roles, signatures, expiry).
//! - [`scan`]: one model read under the rules ([`scan_model`], [`load_model`]).
//! - [`lifecycle`]: stages, gates and approvals.
//! - [`admin`]: admin signatures on trust and configuration, trust history, and [`open_verified`].
//! - [`layout`]: what may live under `models/`.
//! - [`check`]: the full check behind `modelreg check`; [`check_change`], a change judged by its base.
//! - [`history`]: which configuration each record was committed under, for the full check.
//! - [`push`]: ref updates (no deleting or rewriting the registry branch), each judged as a change.
//! - [`present`]: `artifact-present`, a change's registrations against the shared store.

pub mod admin;
pub mod card;
mod change;
pub mod check;
pub mod history;
pub mod layout;
pub mod lifecycle;
pub mod present;
pub mod push;
pub mod rules;
pub mod scan;

pub use admin::{OpenError, admin_file_problems, load_trust, open_verified, trust_history_problems};
pub use change::check_change;
pub use check::{CheckOptions, CheckReport, check_registry, check_snapshot};
pub use history::ConfigHistory;
pub use layout::models_dir;
pub use scan::{Judge, Lifecycles, LoadError, MAX_CLOCK_SKEW_SECS, load_model, scan_model};

use serde::Serialize;

/// The rule a [`Problem`] is about; its name (`chain`, `append-only`…) is stable in JSON output.
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
    /// An added registration names an artifact the shared store does not hold (with its size).
    #[serde(rename = "artifact-present")]
    ArtifactPresent,
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
            RuleId::ArtifactPresent => "artifact-present",
        };
        f.write_str(name)
    }
}

/// How much a [`Problem`] matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The registry breaks a rule: `check` fails, a hook refuses.
    Error,
    /// Worth knowing, but the registry is valid (e.g. a leftover from an interrupted write).
    Warning,
}

/// One finding: which file, which rule, why, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    /// The rule broken.
    pub rule: RuleId,
    /// Whether it fails the check.
    pub severity: Severity,
    /// What is wrong, as a sentence about the file.
    pub message: String,
    /// What to do about it, when there is something to suggest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Problem {
    /// A finding that fails the check.
    pub fn error(path: impl Into<String>, rule: RuleId, message: impl Into<String>) -> Problem {
        Problem { path: path.into(), rule, severity: Severity::Error, message: message.into(), hint: None }
    }

    /// A finding worth reporting that leaves the registry valid.
    pub fn warning(path: impl Into<String>, rule: RuleId, message: impl Into<String>) -> Problem {
        Problem { severity: Severity::Warning, ..Problem::error(path, rule, message) }
    }

    /// The same finding with a suggestion of what to do.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }
}

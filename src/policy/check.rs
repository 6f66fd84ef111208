//! The full check behind `modelreg check`: every model of a snapshot scanned under the rules (in
//! parallel), the admin files, the layout, cards, and optionally every stored artifact.
//!
//! Memory stays flat at any registry size: models are scanned, judged and dropped one by one (a
//! rayon fold into a `Tally` per worker, then reduced in model order), so only the findings, the
//! counts and (when a store is verified) the artifact list outlive a model.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use rayon::prelude::*;
use serde::Serialize;

use super::admin::{admin_file_problems, trust_history_problems, uncommitted_trust_problems};
use super::layout::{model_layout_problems, models_dir};
use super::{Judge, Lifecycles, Problem, RuleId, Severity, card, scan_model};
use crate::progress::Progress;
use crate::record::{Digest, ModelName, Record};
use crate::repo::Registry;
use crate::repo::layout::{MODELS_DIR, TRUST_FILE};
use crate::repo::snapshot::Snapshot;
use crate::sign::Trust;
use crate::store::{ArtifactStore, ObjectState};

/// What `check` looked at and what it found.
#[derive(Debug, Default, Serialize)]
pub struct CheckReport {
    /// Models judged.
    pub models: usize,
    /// Records judged.
    pub records: usize,
    /// Signatures verified.
    pub signatures: usize,
    /// Stored objects re-hashed and found intact.
    pub artifacts_verified: usize,
    /// Objects records name that the store checked does not hold.
    pub artifacts_missing: usize,
    /// Every finding, sorted by path and rule.
    pub problems: Vec<Problem>,
}

impl CheckReport {
    /// Error-severity findings (the check fails when this is not zero).
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| p.severity == Severity::Error).count()
    }
}

/// How far a full check reads.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Re-hash every artifact present in the local store.
    pub verify_artifacts: bool,
}

/// Verifies the registry as it stands in the working tree (see [`check_snapshot`]).
pub fn check_registry(registry: &Registry, options: CheckOptions, progress: &dyn Progress) -> CheckReport {
    let store = registry.store();
    let store: Option<&dyn ArtifactStore> = if options.verify_artifacts { Some(&store) } else { None };
    // Every record is held to the stages and gates in force when it was committed, as the server held it.
    let (history, history_problem) = match super::ConfigHistory::of(registry) {
        Ok(history) => (Some(history), None),
        Err(e) => (None, Some(Problem::error(crate::repo::layout::CONFIG_FILE, RuleId::Gate, e.to_string()))),
    };
    let lifecycles = history.as_ref().map_or(Lifecycles::Unjudged, Lifecycles::History);
    let mut report = check_snapshot(&registry.worktree(), registry.trust(), lifecycles, store, progress);
    report.problems.extend(history_problem);
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
    let history = uncommitted_trust_problems(registry).and_then(|mut problems| {
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

/// The full check of one snapshot, judged by `trust` (the snapshot's own, for a full check): admin
/// signatures on trust and configuration, the layout under `models/`, every record's schema, chain,
/// version order and signatures, lifecycle records against `lifecycles`, and (with a store) every
/// artifact present in it.
pub fn check_snapshot(
    snapshot: &dyn Snapshot,
    trust: &Trust,
    lifecycles: Lifecycles<'_>,
    store: Option<&dyn ArtifactStore>,
    progress: &dyn Progress,
) -> CheckReport {
    let mut report = CheckReport::default();
    report.problems.extend(admin_file_problems(snapshot, trust, None));
    let (names, layout_problems) = models_dir(snapshot);
    report.problems.extend(layout_problems);
    let root = snapshot.list("").ok().flatten().unwrap_or_default();
    report.problems.extend(super::layout::case_variant_problems(root.iter().map(|e| e.name.as_str())));
    report.models = names.len();
    // Templates are compiled once for every card (overrides come from the snapshot itself).
    let templates = crate::card::Templates::for_snapshot(snapshot)
        .map_err(|e| report.problems.push(card::template_problem(&e)))
        .ok();

    // Streamed model by model: each history is judged, tallied and dropped, so memory follows the
    // largest model (and, with a store, the artifact list), not the registry.
    let tally = names
        .par_iter()
        .fold(Tally::default, |mut tally, name| {
            let mut problems = model_layout_problems(snapshot, name);
            let judge = Judge { lifecycle: lifecycles, ..Judge::all(trust) };
            let history = scan_model(snapshot, name, judge, &mut problems);
            // A card is judged against records that stand: otherwise the records' findings say it all.
            let records_stand = !problems.iter().any(|p| p.severity == Severity::Error);
            if let Some(templates) = templates.as_ref().filter(|_| records_stand) {
                problems.extend(card::card_problem(snapshot, &history, trust, templates));
            }
            tally.records += history.records.len();
            tally.signatures += history.records.iter().map(|r| r.signers.len()).sum::<usize>();
            tally.problems.append(&mut problems);
            if store.is_some() {
                for loaded in &history.records {
                    let Record::Register(register) = &loaded.record else { continue };
                    for artifact in register.artifacts.iter().chain(&register.baseline_profile) {
                        let origin = format!("{}: {}", loaded.relative_path, artifact.path);
                        let labelled_safe = (!artifact.loads_code()).then(|| origin.clone());
                        Named::add(
                            &mut tally.artifacts,
                            (artifact.digest, artifact.size),
                            Named { origin, labelled_safe },
                        );
                    }
                }
            }
            tally
        })
        .reduce(Tally::default, Tally::merge);
    report.records = tally.records;
    report.signatures = tally.signatures;
    report.problems.extend(tally.problems);
    let artifacts = tally.artifacts;
    if let Some(store) = store {
        verify_artifacts(store, &artifacts, &mut report, progress);
    }
    report.problems.sort_by(|a, b| (&a.path, a.rule).cmp(&(&b.path, b.rule)));
    report
}

/// What the full check has found so far, over some of the models (in name order).
#[derive(Default)]
struct Tally {
    records: usize,
    signatures: usize,
    problems: Vec<Problem>,
    /// Every artifact a record names, as (digest, size) (only when a store is verified), with where
    /// it was first named. Keyed by both: a record that gives a known digest another size is judged too.
    artifacts: BTreeMap<(Digest, u64), Named>,
}

/// Where an artifact was first named, and the first record that labels it a format that loads no
/// code (its bytes are then checked for one that does).
struct Named {
    origin: String,
    labelled_safe: Option<String>,
}

impl Named {
    /// Adds `named` under `key`; when a record before it named the same artifact, the first origins stay.
    fn add(artifacts: &mut BTreeMap<(Digest, u64), Named>, key: (Digest, u64), named: Named) {
        match artifacts.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(named);
            }
            Entry::Occupied(mut slot) => {
                let first = slot.get_mut();
                if first.labelled_safe.is_none() {
                    first.labelled_safe = named.labelled_safe;
                }
            }
        }
    }
}

impl Tally {
    /// `self` covers the models before `later`'s: the first record naming an artifact stays its origin.
    fn merge(mut self, mut later: Tally) -> Tally {
        self.records += later.records;
        self.signatures += later.signatures;
        self.problems.append(&mut later.problems);
        for (key, named) in later.artifacts {
            Named::add(&mut self.artifacts, key, named);
        }
        self
    }
}

fn verify_artifacts(
    store: &dyn ArtifactStore,
    artifacts: &BTreeMap<(Digest, u64), Named>,
    report: &mut CheckReport,
    progress: &dyn Progress,
) {
    let total: u64 = artifacts.keys().map(|(_, size)| size).sum();
    progress.start("verifying artifacts", total);
    let results: Vec<_> = artifacts
        .par_iter()
        .map(|((digest, size), named)| {
            let state = store.verify(digest, *size);
            // A record that calls the file a format loading no code is checked against its bytes.
            let shows = match (&state, &named.labelled_safe) {
                (Ok(ObjectState::Intact), Some(_)) => sniff(store, digest),
                _ => None,
            };
            progress.advance(*size);
            (digest, *size, named, state, shows)
        })
        .collect();
    progress.finish();
    for (digest, size, named, state, shows) in results {
        let path = format!("{}/{}", store.location(), digest.hex());
        let origin = &named.origin;
        if let (Some(format), Some(labelled)) = (shows, &named.labelled_safe) {
            report.problems.push(
                Problem::error(
                    &path,
                    RuleId::Artifact,
                    format!("{labelled} is recorded as a format that runs no code, but its bytes are {format} (opening it runs code)"),
                )
                .with_hint("do not load it; register the file again so its record says what it is"),
            );
        }
        match state {
            Ok(ObjectState::Missing) => report.artifacts_missing += 1,
            Ok(ObjectState::Intact) => report.artifacts_verified += 1,
            Ok(ObjectState::Corrupt { actual, size: found }) if actual == *digest => report.problems.push(
                Problem::error(
                    path,
                    RuleId::Artifact,
                    format!("{origin} says {size} bytes, but the object with that digest has {found}"),
                )
                .with_hint("the record's size is wrong: register the file again (records are never edited)"),
            ),
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

/// The code-loading format an object's first bytes show, if any.
fn sniff(store: &dyn ArtifactStore, digest: &Digest) -> Option<&'static str> {
    use std::io::Read;
    let mut head = Vec::with_capacity(crate::record::FORMAT_SNIFF_BYTES);
    store.open(digest).ok()?.take(crate::record::FORMAT_SNIFF_BYTES as u64).read_to_end(&mut head).ok()?;
    crate::record::format_of_bytes(&head).filter(|f| crate::record::format_loads_code(f))
}

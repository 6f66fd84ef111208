//! Judging a change: what a commit range, a push or the staging area adds, modifies or deletes, by the
//! rules and the trust in force *before* it (a new state is judged by the old root, as in TUF).
//!
//! Only what changed is read: the diff names the paths, and each touched model's records are read from
//! the new snapshot (records before the change are byte-identical there, or the diff says otherwise).
//! So a push that adds one record costs a few file reads, whatever the registry's size.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::{
    CheckReport, Problem, RuleId, admin_file_problems, card, check_snapshot, layout::model_layout_problems, load_trust,
};
use crate::card::Templates;
use crate::policy::{Judge, Lifecycles};
use crate::progress::NoProgress;
use crate::record::{MAX_RECORD_BYTES, ModelName, Record, Timestamp};
use crate::repo::config::{Config, LifecycleConfig};
use crate::repo::layout::{self, CARD_FIELDS_FILE, CARD_FILE, CONFIG_FILE, MODELS_DIR, RecordFileName, TRUST_FILE};
use crate::repo::snapshot::{EntryKind, Snapshot, split};
use crate::repo::{Change, ChangeKind};
use crate::sign::Trust;
use crate::state::{ModelState, PromotionStatus};

/// Judges `changes` (from `old` to `new`). With no `old` (a new branch, a first push), the whole of
/// `new` is checked against its own trust file.
pub fn check_change(old: Option<&dyn Snapshot>, new: &dyn Snapshot, changes: &[Change], now: Timestamp) -> CheckReport {
    let Some(old) = old else {
        let mut report = match load_trust(new) {
            Ok(trust) => check_snapshot(new, &trust, Lifecycles::Unjudged, None, &NoProgress),
            Err(problem) => CheckReport { problems: vec![problem], ..CheckReport::default() },
        };
        report.problems.extend(arriving_signature_problems(new, changes));
        report.problems.extend(committed_leftover_problems(changes));
        report.problems.sort_by(|a, b| (&a.path, a.rule).cmp(&(&b.path, b.rule)));
        report.problems.dedup();
        return report;
    };
    let mut report = CheckReport::default();
    report.problems.extend(super::layout::case_variant_problems(
        changes.iter().filter(|c| c.kind != ChangeKind::Deleted).map(|c| c.path.as_str()),
    ));
    report.problems.extend(arriving_signature_problems(new, changes));
    report.problems.extend(committed_leftover_problems(changes));
    let base_trust = match load_trust(old) {
        Ok(trust) => trust,
        // The base is not a registry yet (modelreg init is part of this change): judge `new` whole.
        Err(_) => return check_change(None, new, changes, now),
    };
    let config_of = |snapshot: &dyn Snapshot| match snapshot.read(CONFIG_FILE, MAX_RECORD_BYTES) {
        Ok(Some(bytes)) => Config::parse(&bytes).ok(),
        _ => None,
    };

    // Added paths grouped by model directory: each model is judged on its own changes only.
    let mut touched_models: BTreeMap<String, Vec<&Change>> = BTreeMap::new();
    let mut admin_files_changed = false;
    // Cards render with the templates and the trust file's owner names: a change to either may make
    // any model's card stale, not only the models the change touches.
    let mut every_card = false;
    for change in changes {
        let path = change.path.as_str();
        if path.starts_with(crate::card::TEMPLATES_DIR) || path == TRUST_FILE {
            every_card = true;
        }
        if crate::repo::protected::is_admin_path(path) {
            admin_files_changed = true;
            if change.kind == ChangeKind::Deleted && (path == CONFIG_FILE || path == TRUST_FILE) {
                report
                    .problems
                    .push(Problem::error(path, RuleId::Trust, "deleted").with_hint("restore it from git history"));
            }
            continue;
        }
        let Some(rest) = path.strip_prefix(MODELS_DIR).and_then(|r| r.strip_prefix('/')) else { continue };
        let (model_dir, inner) = rest.split_once('/').unwrap_or((rest, ""));
        // A committed card is regenerated, never dropped: deleting it would hide what the model is.
        if inner == CARD_FILE && change.kind == ChangeKind::Deleted {
            report.problems.push(
                Problem::error(path, RuleId::Card, "a committed model card was deleted")
                    .with_hint(format!("restore it with `modelreg card {model_dir}`")),
            );
            continue;
        }
        // The card is regenerated, so it may change; its model's layout is still judged.
        if is_card_file(inner) || change.kind == ChangeKind::Added {
            let added = touched_models.entry(model_dir.to_owned()).or_default();
            if change.kind == ChangeKind::Added {
                added.push(change);
            }
            continue;
        }
        match change.kind {
            ChangeKind::Added => unreachable!("handled above"),
            ChangeKind::Modified => report.problems.push(
                Problem::error(path, RuleId::AppendOnly, "a committed record or signature was modified")
                    .with_hint("records are never edited: add a new record instead (e.g. a new version)"),
            ),
            ChangeKind::Deleted => report.problems.push(
                Problem::error(path, RuleId::AppendOnly, "a committed record or signature was deleted")
                    .with_hint("nothing registered is deleted: use `modelreg archive` to retire a model or version"),
            ),
        }
    }

    // New lifecycle records are held to the configured stages and gates: the base's, or those the
    // change installs (a configuration change is itself judged by the base's admins just below, so
    // gates changed and used in one push were signed off by them).
    let config = if admin_files_changed { config_of(new) } else { config_of(old) };
    let base_lifecycle = config.as_ref().map(|c| &c.lifecycle);
    if admin_files_changed {
        // As with TUF's root rotation, a change must satisfy both the admins before it (nobody grants
        // themselves rights) and the trust file it installs (the result passes a full check, e.g. a
        // raised threshold is met).
        report.problems.extend(admin_file_problems(new, &base_trust, Some(now)));
        match load_trust(new) {
            Ok(new_trust) => report.problems.extend(admin_file_problems(new, &new_trust, Some(now))),
            Err(problem) => report.problems.push(problem),
        }
    }

    // The card rule judges the new snapshot by its own templates and trust, as a full check of it would.
    let mut cards = None;
    if !touched_models.is_empty() || every_card {
        match (load_trust(new), Templates::for_snapshot(new)) {
            (Ok(trust), Ok(templates)) => cards = Some((trust, templates)),
            (Err(problem), _) => report.problems.push(problem),
            (_, Err(e)) => report.problems.push(card::template_problem(&e)),
        }
    }
    let cards = cards.as_ref().map(|(trust, templates)| (trust, templates.as_ref()));
    if every_card && let Some((trust, templates)) = cards {
        let (names, _) = super::models_dir(new);
        let untouched: Vec<_> = names.iter().filter(|n| !touched_models.contains_key(n.as_str())).collect();
        let found: Vec<Problem> = untouched
            .par_iter()
            .filter_map(|name| {
                let mut problems = Vec::new();
                let history = super::scan_model(new, name, Judge::read(trust), &mut problems);
                let records_stand = !problems.iter().any(|p| p.severity == super::Severity::Error);
                card::card_problem(new, &history, trust, templates).filter(|_| records_stand)
            })
            .collect();
        report.problems.extend(found);
    }

    // Models are judged independently; a first push or a large merge touches thousands.
    let judged: Vec<CheckReport> = touched_models
        .par_iter()
        .map(|(model_dir, added)| {
            let mut model_report = CheckReport::default();
            let base = Base { trust: &base_trust, lifecycle: base_lifecycle, now, cards };
            judge_model_change(old, new, model_dir, added, &base, &mut model_report);
            model_report
        })
        .collect();
    for model_report in judged {
        report.models += model_report.models;
        report.records += model_report.records;
        report.signatures += model_report.signatures;
        report.problems.extend(model_report.problems);
    }
    report.problems.sort_by(|a, b| (&a.path, a.rule).cmp(&(&b.path, b.rule)));
    report.problems.dedup();
    report
}

/// A signature file arrives with the record it signs: one naming no record of its model (junk named
/// for a future record would refuse that record forever, since removing it is a deletion; a large
/// payload would ride along unread) is refused. Signatures on records that exist are verified by the
/// scan (new records) or below (co-signatures on earlier records).
fn arriving_signature_problems(new: &dyn Snapshot, changes: &[Change]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for change in changes.iter().filter(|c| c.kind == ChangeKind::Added) {
        let (dir, file_name) = split(&change.path);
        let Some((signed, _)) = layout::parse_signature_file_name(file_name) else { continue };
        let in_records = dir.strip_prefix(MODELS_DIR).and_then(|d| d.strip_prefix('/')).and_then(|d| d.split_once('/'));
        if !in_records.is_some_and(|(model, rest)| !model.is_empty() && rest == layout::RECORDS_DIR) {
            continue;
        }
        // A record that is not a regular file is the layout rule's finding, not this one's.
        let record_path = format!("{dir}/{signed}");
        let is_record = RecordFileName::parse(signed).is_some() && matches!(new.kind(&record_path), Ok(Some(_)));
        if !is_record {
            problems.push(
                Problem::error(
                    &change.path,
                    RuleId::Signature,
                    format!("a signature of `{signed}`, which is not a record of this model"),
                )
                .with_hint("a signature is committed with the record it signs: remove this file"),
            );
        }
    }
    problems
}

/// Temp files of an interrupted write are only warnings in a working tree; modelreg never commits
/// one, and a change that does would carry bytes no rule reads.
fn committed_leftover_problems(changes: &[Change]) -> Vec<Problem> {
    changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Added && c.path.starts_with(MODELS_DIR))
        .filter(|c| split(&c.path).1.starts_with(layout::TEMP_PREFIX))
        .map(|c| {
            Problem::error(&c.path, RuleId::Layout, "temp file of an interrupted write, committed")
                .with_hint("delete it and commit again: modelreg never commits its temp files")
        })
        .collect()
}

fn is_card_file(inner: &str) -> bool {
    inner == CARD_FILE || inner == CARD_FIELDS_FILE
}

/// Judges what a change adds (`added`: the paths added under this model's directory) to one model.
/// What a change is judged by: the trust and configuration of its base, at the time it is received;
/// with `cards` (the new snapshot's trust and templates), each touched model's card must be fresh.
struct Base<'a> {
    trust: &'a Trust,
    lifecycle: Option<&'a LifecycleConfig>,
    now: Timestamp,
    cards: Option<(&'a Trust, &'a Templates)>,
}

fn judge_model_change(
    old: &dyn Snapshot,
    new: &dyn Snapshot,
    model_dir: &str,
    added: &[&Change],
    base: &Base<'_>,
    report: &mut CheckReport,
) {
    let (base_trust, now) = (base.trust, base.now);
    let dir_path = format!("{MODELS_DIR}/{model_dir}");
    let name: ModelName = match model_dir.parse() {
        Ok(name) => name,
        Err(e) => {
            report.problems.push(Problem::error(dir_path, RuleId::Layout, e.to_string()));
            return;
        }
    };
    // The same layout rules as a full check: a real directory under models/, holding only records/, the
    // card and its fields (records/ itself is classified by scan_model below).
    // One lookup, not a listing of `models/`: the cost of a change follows what it touches.
    match new.kind(&dir_path).ok().flatten() {
        Some(EntryKind::Dir) => report.problems.extend(model_layout_problems(new, &name)),
        Some(_) => {
            report.problems.push(
                Problem::error(
                    dir_path,
                    RuleId::Layout,
                    "only model directories belong in models/ (no files, symbolic links or submodules)",
                )
                .with_hint("move it out of models/"),
            );
            return;
        }
        None => return,
    }

    // Where the model stood before the change: its chain tip.
    let before = super::scan_model(old, &name, Judge::read(base_trust), &mut Vec::new());
    let old_tip = before.records.last().map_or(0, |r| r.file.seq);

    // New records: the same scan as a full check, judging signatures only from the first new seq on,
    // with the base commit's trust and the time the change is judged.
    let lifecycle = base.lifecycle.map_or(Lifecycles::Unjudged, Lifecycles::One);
    let judge = Judge { trust: Some(base_trust), from_seq: old_tip + 1, now: Some(now), lifecycle };
    let mut problems = Vec::new();
    let after = super::scan_model(new, &name, judge, &mut problems);
    report.records += after.records.iter().filter(|r| r.file.seq > old_tip).count();
    report.signatures += after.records.iter().map(|r| r.signers.len()).sum::<usize>();
    let records_stand = !problems.iter().any(|p| p.severity == super::Severity::Error);
    report.problems.extend(problems.into_iter().filter(|p| p.severity == super::Severity::Error));
    // As in the full check, a card is judged only against records that stand.
    if let Some((trust, templates)) = base.cards.filter(|_| records_stand) {
        report.problems.extend(card::card_problem(new, &after, trust, templates));
    }
    let (before, after) = (ModelState::replay(before), ModelState::replay(after));

    // Signatures added to records that existed before (co-signers, approvers): each must verify, and an
    // approval only counts while its promotion can still take effect: approving a promotion that a
    // later record superseded would rewrite what happened after it.
    let records_dir = layout::records_rel(&name);
    for change in added.iter().filter(|c| c.path.starts_with(&records_dir)) {
        let (_, file_name) = split(&change.path);
        let Some((signed, _)) = layout::parse_signature_file_name(file_name) else { continue };
        let Some(record_file) = RecordFileName::parse(signed) else { continue };
        if record_file.seq > old_tip {
            continue;
        }
        let record_path = format!("{records_dir}/{signed}");
        let (Ok(Some(bytes)), Ok(Some(sig))) =
            (new.read(&record_path, MAX_RECORD_BYTES), new.read(&change.path, MAX_RECORD_BYTES))
        else {
            continue;
        };
        let Ok(record) = Record::parse(&bytes) else { continue };
        let roles = super::rules::accepted_roles(&record);
        let judgement = super::rules::judge_signatures(&bytes, &[sig], base_trust, &roles);
        for (_, message) in judgement.problems {
            report.problems.push(Problem::error(&change.path, RuleId::Signature, message));
        }
        // Judged when it arrives, like any signature: a key expired (or revoked) by now cannot sign.
        for key in &judgement.valid {
            if let Some(expired) = base_trust.key(key.raw()).and_then(|k| k.expires.filter(|_| k.expired_at(now))) {
                report.problems.push(Problem::error(
                    &change.path,
                    RuleId::Signature,
                    format!("signed by {} which expired at {expired}", key.id()),
                ));
            }
        }
        let find = |state: &ModelState| state.promotions.iter().find(|p| p.seq == record_file.seq).cloned();
        if let (Some(was), Some(now_is)) = (find(&before), find(&after))
            && was.status != PromotionStatus::Effective
            && (was.closed || now_is.closed)
        {
            report.problems.push(
                Problem::error(&change.path, RuleId::Gate, "approves a promotion that a later record superseded")
                    .with_hint("propose the promotion again with `modelreg promote`, then approve that"),
            );
        }
    }
    report.models += 1;
}

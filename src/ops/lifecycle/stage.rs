//! Stages: `promote`, `approve`, `demote`, `rollback`.

use super::{Header, LifecycleReport, PromotionInfo, Transaction, WriteOptions, append, record_with_header, report};
use crate::ops::show::select;
use crate::ops::{Error, ModelRef};
use crate::policy::lifecycle::{approvable, evaluate_gates};
use crate::policy::rules::may_sign;
use crate::record::{DemoteRecord, ModelName, PromoteRecord, Record, RecordKind, Stage, Version};
use crate::repo::Registry;
use crate::sign::{Role, SigningKey};
use crate::state::{ModelState, PromotionStatus};

/// What a promotion record proposes (the rest comes from the chain and the configuration).
struct Proposal<'a> {
    version: Version,
    stage: &'a Stage,
    message: Option<String>,
    rollback: bool,
    emergency: bool,
}

fn promote_record(header: Header, state: &ModelState, registry: &Registry, p: Proposal<'_>) -> Result<Record, Error> {
    let Proposal { version, stage, message, rollback, emergency } = p;
    let target = state.versions.get(&version).ok_or(Error::UnknownVersion { model: state.name.clone(), version })?;
    Ok(Record::Promote(Box::new(record_with_header!(PromoteRecord, RecordKind::Promote, header, {
        version,
        version_record: target.record_digest,
        stage: stage.clone(),
        message,
        replaces: state.stages.get(stage).copied(),
        rollback,
        emergency,
        gates: registry.config().lifecycle.gates(stage),
    }))))
}

/// Proposes that `reference`'s version hold `stage`. Gates are checked first (nothing is written when
/// one fails); without the approvals the stage requires, the promotion is recorded as pending.
pub fn promote(
    registry: &Registry,
    key: &SigningKey,
    reference: &ModelRef,
    stage: &Stage,
    message: Option<String>,
    options: WriteOptions,
) -> Result<LifecycleReport, Error> {
    let appended = append(
        registry,
        key,
        &reference.name,
        options,
        |header, state| {
            let version = select(state, reference)?.version;
            let proposal = Proposal { version, stage, message, rollback: false, emergency: false };
            promote_record(header, state, registry, proposal)
        },
        |record| format!("modelreg: promote {} v{} to {stage}", reference.name, subject_version(record)),
    )?;
    Ok(with_promotion(registry, &appended))
}

/// The version a record is about (every record these commands write names one).
fn subject_version(record: &Record) -> Version {
    record.subject().map(|(v, _)| v).expect("stage records name a version")
}

/// Takes `stage` back for the version that held it before its current holder. Gated like a promotion,
/// unless `emergency` (which needs an admin key and is flagged in review).
pub fn rollback(
    registry: &Registry,
    key: &SigningKey,
    name: &ModelName,
    stage: &Stage,
    message: Option<String>,
    emergency: bool,
    options: WriteOptions,
) -> Result<LifecycleReport, Error> {
    let appended = append(
        registry,
        key,
        name,
        options,
        |header, state| {
            let previous = state
                .previous_holder(stage)
                .ok_or_else(|| Error::NothingToRollBack { model: name.clone(), stage: stage.clone() })?
                .version;
            let proposal = Proposal { version: previous, stage, message, rollback: true, emergency };
            promote_record(header, state, registry, proposal)
        },
        |record| {
            let kind = if emergency { "emergency rollback" } else { "rollback" };
            format!("modelreg: {kind} of {name} {stage} to v{}", subject_version(record))
        },
    )?;
    Ok(with_promotion(registry, &appended))
}

/// The report of a promotion just appended (the last one in the state).
fn with_promotion(registry: &Registry, appended: &super::Appended) -> LifecycleReport {
    let promotion = appended.state.promotions.last().expect("a promotion was just appended");
    let (version, stage) = (promotion.record.version, &promotion.record.stage);
    let mut out = report(RecordKind::Promote, appended, Some(stage.clone()));
    {
        let record = &promotion.record;
        if !record.emergency
            && let Some(state) = appended.state.versions.get(&version)
        {
            // Judged on the state before the promotion took effect (its own stint starts at `created_at`).
            let mut before = state.clone();
            before.stints.retain(|s| s.record_path != promotion.record_path);
            out.gates = evaluate_gates(&before, &record.gates, record.created_at);
        }
        out.promotion = Some(PromotionInfo::of(promotion, registry.trust(), registry.now()));
    }
    out
}

/// Adds the signing key's approval to the pending promotion of `reference` to `stage`: one signature
/// file beside the promotion record, which is never touched.
pub fn approve(
    registry: &Registry,
    key: &SigningKey,
    reference: &ModelRef,
    stage: &Stage,
    options: WriteOptions,
) -> Result<LifecycleReport, Error> {
    let mut tx = Transaction::on_model(registry, &reference.name, false)?;
    may_sign(registry.trust(), key.public(), &Role::Approver(stage.clone()), tx.now())?;
    let version = select(tx.state(), reference)?.version;
    let name = tx.state().name.clone();
    let promotion = approvable(tx.state(), version, stage, key.public())?;
    let (record_path, record_digest) = (promotion.record_path.clone(), promotion.record_digest);
    let mut after = promotion.clone();
    after.approvers.push(key.public().clone());
    if after.approvals_missing() == 0 {
        after.status = PromotionStatus::Effective;
    }
    let info = PromotionInfo::of(&after, registry.trust(), tx.now());
    let effect = if info.status == PromotionStatus::Effective { ": now in effect" } else { "" };
    let message = format!(
        "modelreg: approve {name} v{version} to {stage} ({} of {}){effect}",
        info.approvals.len(),
        info.approvals_required
    );
    let mut out = LifecycleReport {
        model: name,
        action: "approve",
        version: Some(version),
        stage: Some(stage.clone()),
        promotion: Some(info),
        gates: Vec::new(),
        record: Some(record_path.clone()),
        record_digest: Some(record_digest),
        commit: None,
        dry_run: options.dry_run,
    };
    if options.dry_run {
        return Ok(out);
    }
    tx.cosign(key, &record_path)?;
    // The approval may change the card (the approval trail, the stage holder): it is rewritten too.
    out.commit = tx.commit(options.commit.then_some(message.as_str()))?;
    Ok(out)
}

/// Takes the version holding `stage` out of it; the stage is then empty. With `expected`, refuses
/// unless that version is the holder (so a script never demotes a version it did not mean).
pub fn demote(
    registry: &Registry,
    key: &SigningKey,
    name: &ModelName,
    expected: Option<Version>,
    stage: &Stage,
    message: Option<String>,
    options: WriteOptions,
) -> Result<LifecycleReport, Error> {
    let appended = append(
        registry,
        key,
        name,
        options,
        |header, state| {
            let holder =
                state.holder(stage).ok_or_else(|| Error::StageEmpty { model: name.clone(), stage: stage.clone() })?;
            let version = expected.unwrap_or(holder.version);
            let target = state.versions.get(&version).ok_or(Error::UnknownVersion { model: name.clone(), version })?;
            Ok(Record::Demote(Box::new(record_with_header!(DemoteRecord, RecordKind::Demote, header, {
                version,
                version_record: target.record_digest,
                stage: stage.clone(),
                message,
            }))))
        },
        |record| format!("modelreg: demote {name} v{} from {stage}", subject_version(record)),
    )?;
    Ok(report(RecordKind::Demote, &appended, Some(stage.clone())))
}

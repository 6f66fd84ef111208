//! Lifecycle operations: promote, approve, demote, rollback, archive, restore, deploy, tag.
//!
//! Each writes one record (or, for `approve`, one signature) through [`append`]: the record is built on
//! the model's verified state under the write lock, judged by the same rule function the hooks and CI
//! use (`policy::lifecycle::judge`, with the registry's configured stages and gates), and only then
//! signed, written and committed. A refused action writes nothing.

mod history;
mod stage;
mod tags;

pub use history::{HistoryEntry, HistoryReport, history};
pub use stage::{approve, demote, promote, rollback};
pub use tags::{TagChange, archive, deploy, restore, tag, undeploy};

use std::path::PathBuf;

use serde::Serialize;

use super::Error;
use crate::policy::RuleId;
use crate::policy::lifecycle::judge;
use crate::policy::rules::{may_sign, publishing_role};
use crate::policy::{Judge, load_model};
use crate::record::{Digest, KeyId, ModelName, Record, RecordKind, Stage, Timestamp, Version};
use crate::repo::Registry;
use crate::repo::layout::RecordFileName;
use crate::sign::{Role, SigningKey};
use crate::state::{LoadedRecord, ModelState, PromotionState, PromotionStatus};

/// What every lifecycle write may be asked.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// Commit the record (otherwise it is left in the working tree, like `register --no-commit`).
    pub commit: bool,
    /// Judge and report, write nothing.
    pub dry_run: bool,
}

/// The fields every record starts with, filled in from the chain and the signing key.
pub struct Header {
    pub model: ModelName,
    pub seq: u64,
    pub previous: Option<Digest>,
    pub created_at: Timestamp,
    pub author: String,
    pub signer: KeyId,
}

/// A lifecycle record struct of `kind`: the chain header from `header`, then the given fields.
macro_rules! record_with_header {
    ($ty:ident, $kind:expr, $header:expr, { $($field:ident $(: $value:expr)?),* $(,)? }) => {{
        let header: $crate::ops::lifecycle::Header = $header;
        $ty {
            schema: $kind.schema().into(),
            model: header.model,
            seq: header.seq,
            previous: header.previous,
            created_at: header.created_at,
            author: header.author,
            signer: header.signer,
            $($field $(: $value)?),*
        }
    }};
}
pub(crate) use record_with_header;

/// What a lifecycle command did.
#[derive(Debug, Serialize)]
pub struct LifecycleReport {
    pub model: ModelName,
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// For promotions and approvals: where the promotion stands after this command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promotion: Option<PromotionInfo>,
    /// For promotions: every gate of the stage, judged (all passed, or nothing was written).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<crate::policy::lifecycle::GateCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_digest: Option<Digest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub dry_run: bool,
}

/// A promotion's approvals: who signed, how many are needed, who else could.
#[derive(Debug, Clone, Serialize)]
pub struct PromotionInfo {
    pub version: Version,
    pub stage: Stage,
    pub status: PromotionStatus,
    pub proposer: Person,
    pub emergency: bool,
    pub rollback: bool,
    pub approvals_required: u32,
    pub approvals: Vec<Person>,
    pub approvals_missing: u32,
    /// Unexpired `approver:<stage>` keys that have not signed and would count.
    pub eligible_approvers: Vec<Person>,
    pub record_path: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Person {
    pub key: KeyId,
    pub owner: String,
}

impl PromotionInfo {
    pub fn of(promotion: &PromotionState, trust: &crate::sign::Trust) -> PromotionInfo {
        let person = |key: &KeyId| Person {
            key: key.clone(),
            owner: trust.keys().iter().find(|k| k.public.id() == key).map(|k| k.owner.clone()).unwrap_or_default(),
        };
        let record = &promotion.record;
        let approvals: Vec<Person> = promotion.counted_approvals().map(|k| person(k.id())).collect();
        let role = Role::Approver(record.stage.clone());
        let now = Timestamp::now();
        let eligible_approvers = trust
            .keys_with_role(&role)
            .filter(|k| !k.expired_at(now))
            .filter(|k| record.gates.allow_self_approval || k.public.id() != &record.signer)
            .filter(|k| !promotion.approvers.iter().any(|a| a.raw() == k.public.raw()))
            .map(|k| person(k.public.id()))
            .collect();
        PromotionInfo {
            version: record.version,
            stage: record.stage.clone(),
            status: promotion.status,
            proposer: person(&record.signer),
            emergency: record.emergency,
            rollback: record.rollback,
            approvals_required: if record.emergency { 0 } else { record.gates.approvals },
            approvals,
            approvals_missing: promotion.approvals_missing(),
            eligible_approvers,
            record_path: promotion.record_path.clone(),
        }
    }
}

/// A model's state, verified, with its records (for the chain tip).
fn load(registry: &Registry, name: &ModelName) -> Result<(ModelState, Option<(u64, Digest)>), Error> {
    let history = load_model(&registry.worktree(), name, Judge::all(registry.trust()))?;
    let tip = history.tip();
    Ok((ModelState::replay(history), tip))
}

/// What [`append`] wrote: the state with the new record applied, where it went, and the commit.
struct Appended {
    state: ModelState,
    /// The version the record is about (none for an archive or restore of the whole model).
    subject: Option<Version>,
    record_path: String,
    digest: Digest,
    written: Option<[PathBuf; 2]>,
    commit: Option<String>,
}

/// The shared write path: build the record on the current state under the lock, judge it, sign, write,
/// commit. `build` gets the header and the state; `message` makes the commit message.
fn append(
    registry: &Registry,
    key: &SigningKey,
    name: &ModelName,
    options: WriteOptions,
    build: impl FnOnce(Header, &ModelState) -> Result<Record, Error>,
    message: impl FnOnce(&Record) -> String,
) -> Result<Appended, Error> {
    let lock = registry.lock()?;
    let (state, tip) = load(registry, name)?;
    let (author_name, author_email) = registry.git().author()?;
    let now = Timestamp::now();
    let header = Header {
        model: name.clone(),
        seq: tip.map_or(1, |(seq, _)| seq + 1),
        previous: tip.map(|(_, digest)| digest),
        created_at: now,
        author: format!("{author_name} <{author_email}>"),
        signer: key.id().clone(),
    };
    let record = build(header, &state)?;
    may_sign(registry.trust(), key.public(), &publishing_role(&record), now)?;
    refuse_violations(&state, &record, registry)?;

    let file = RecordFileName { seq: record.seq(), kind: record.kind() };
    let record_path = format!("{}/{file}", crate::repo::layout::records_rel(name));
    let bytes = record.to_bytes();
    let digest = Digest::of_bytes(&bytes);
    // The state after: the new record applied as the rule engine will read it back.
    let approvers = match &record {
        Record::Promote(p) => approver_keys(registry, key, &p.stage),
        _ => Vec::new(),
    };
    let commit_message = message(&record);
    let mut after = state.clone();
    after.apply(LoadedRecord {
        file,
        relative_path: record_path.clone(),
        digest,
        record: record.clone(),
        signers: vec![key.public().clone()],
        approvers,
    });
    let subject = record.subject().map(|(v, _)| v);
    let mut appended = Appended { state: after, subject, record_path, digest, written: None, commit: None };
    if options.dry_run {
        return Ok(appended);
    }
    let (written_digest, written) = registry.append_record(&lock, &record, key)?;
    debug_assert_eq!(written_digest, digest);
    // The card is derived from the records: rewritten and committed with the record.
    let earlier = if options.commit { registry.uncommitted_records(name)? } else { Vec::new() };
    let message = options.commit.then_some(commit_message.as_str());
    appended.commit = crate::ops::card::record_written(registry, name, &written, &earlier, message)?;
    appended.written = Some(written);
    Ok(appended)
}

/// The signing key itself, when it holds `approver:<stage>` (its signature then is also an approval).
fn approver_keys(registry: &Registry, key: &SigningKey, stage: &Stage) -> Vec<crate::sign::PublicKey> {
    let holds = registry.trust().key(key.public().raw()).is_some_and(|k| k.has_role(&Role::Approver(stage.clone())));
    if holds { vec![key.public().clone()] } else { Vec::new() }
}

/// Turns the rule engine's verdict on a record about to be written into the command's error.
pub(crate) fn refuse_violations(state: &ModelState, record: &Record, registry: &Registry) -> Result<(), Error> {
    let violations = judge(state, record, Some(&registry.config().lifecycle));
    let (gates, others): (Vec<_>, Vec<_>) = violations.into_iter().partition(|v| v.rule == RuleId::Gate);
    let subject = match record.subject() {
        Some((version, _)) => format!("{} v{version}", state.name),
        None => state.name.to_string(),
    };
    if let Some(first) = others.into_iter().next() {
        let why = first.message.strip_prefix(&format!("{subject} ")).unwrap_or(&first.message).to_owned();
        return Err(Error::Refused { subject: format!("cannot {} {subject}", record.kind()), why, hint: first.hint });
    }
    if let (false, Record::Promote(promote)) = (gates.is_empty(), record) {
        let failures = gates
            .into_iter()
            .map(|v| {
                let prefix = format!("gate for `{}` not met: ", promote.stage);
                v.message.strip_prefix(&prefix).unwrap_or(&v.message).to_owned()
            })
            .collect();
        return Err(Error::GatesNotMet {
            model: state.name.clone(),
            version: promote.version,
            stage: promote.stage.clone(),
            failures,
        });
    }
    Ok(())
}

fn report(action: RecordKind, appended: &Appended, stage: Option<Stage>) -> LifecycleReport {
    LifecycleReport {
        model: appended.state.name.clone(),
        action: action.as_str(),
        version: appended.subject,
        stage,
        promotion: None,
        gates: Vec::new(),
        record: appended.written.as_ref().map(|w| w[1].display().to_string()).or(Some(appended.record_path.clone())),
        record_digest: Some(appended.digest),
        commit: appended.commit.clone(),
        dry_run: appended.written.is_none(),
    }
}

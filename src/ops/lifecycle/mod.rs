//! Lifecycle operations: promote, approve, demote, rollback, archive, restore, deploy, tag.
//!
//! Each writes one record (or, for `approve`, one signature) in one [`Transaction`]: the record is
//! built on the model's verified state under the write lock, judged by the same rule function the hooks
//! and CI use (`policy::lifecycle::judge`, with the registry's configured stages and gates), and only
//! then signed, written and committed. A refused action writes nothing.

mod history;
mod stage;
mod tags;

pub use history::{HistoryEntry, HistoryReport, history};
pub use stage::{approve, demote, promote, rollback};
pub use tags::{TagChange, archive, deploy, restore, tag, undeploy};

use serde::Serialize;

use super::Error;
use super::transaction::{Header, Transaction};
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

/// A lifecycle record struct of `kind`: the chain header from `header`, then the given fields.
macro_rules! record_with_header {
    ($ty:ident, $kind:expr, $header:expr, { $($field:ident $(: $value:expr)?),* $(,)? }) => {{
        let header: $crate::ops::transaction::Header = $header;
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
    /// The model acted on.
    pub model: ModelName,
    /// The record kind written (`promote`, `deploy`…), or `approve` for an approval.
    pub action: &'static str,
    /// The version acted on; `None` for an archive or restore of the whole model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    /// The stage, for promotions, approvals and demotions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// For promotions and approvals: where the promotion stands after this command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promotion: Option<PromotionInfo>,
    /// For promotions: every gate of the stage, judged (all passed, or nothing was written).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<crate::policy::lifecycle::GateCheck>,
    /// The record written (or that would be, on a dry run), relative to the repository root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Its digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_digest: Option<Digest>,
    /// The commit made, when asked to commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Judged and reported only: nothing was written.
    pub dry_run: bool,
}

/// A promotion's approvals: who signed, how many are needed, who else could.
#[derive(Debug, Clone, Serialize)]
pub struct PromotionInfo {
    /// The version proposed.
    pub version: Version,
    /// The stage proposed.
    pub stage: Stage,
    /// Effective, pending or superseded.
    pub status: PromotionStatus,
    /// Who signed the promote record.
    pub proposer: Person,
    /// An admin's emergency promotion: the gates were skipped.
    pub emergency: bool,
    /// A rollback to an earlier holder of the stage.
    pub rollback: bool,
    /// Approvals the gate asks for (0 for an emergency).
    pub approvals_required: u32,
    /// The approvals that count.
    pub approvals: Vec<Person>,
    /// How many more are needed before the promotion takes effect.
    pub approvals_missing: u32,
    /// Unexpired `approver:<stage>` keys that have not signed and would count.
    pub eligible_approvers: Vec<Person>,
    /// The promote record's path, relative to the repository root.
    pub record_path: String,
}

/// A key and its owner, as reports name people.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Person {
    /// The key's id.
    pub key: KeyId,
    /// Its owner in the trust file; empty when the key is not listed.
    pub owner: String,
}

impl PromotionInfo {
    /// The promotion as reports show it; approvers are judged eligible at `now`.
    pub fn of(promotion: &PromotionState, trust: &crate::sign::Trust, now: Timestamp) -> PromotionInfo {
        let person = |key: &KeyId| Person {
            key: key.clone(),
            owner: trust.keys().iter().find(|k| k.public.id() == key).map(|k| k.owner.clone()).unwrap_or_default(),
        };
        let record = &promotion.record;
        let approvals: Vec<Person> = promotion.counted_approvals().map(|k| person(k.id())).collect();
        let role = Role::Approver(record.stage.clone());
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

/// What [`append`] wrote: the state with the new record applied, where it went, and the commit.
struct Appended {
    state: ModelState,
    /// The version the record is about (none for an archive or restore of the whole model).
    subject: Option<Version>,
    record_path: String,
    digest: Digest,
    /// Whether anything was written (not a dry run).
    written: bool,
    commit: Option<String>,
}

/// A lifecycle command's write: one transaction on the model's chain. `build` gets the header and the
/// state; `message` makes the commit message. A dry run judges the record and writes nothing.
fn append(
    registry: &Registry,
    key: &SigningKey,
    name: &ModelName,
    options: WriteOptions,
    build: impl FnOnce(Header, &ModelState) -> Result<Record, Error>,
    message: impl FnOnce(&Record) -> String,
) -> Result<Appended, Error> {
    let mut tx = Transaction::on_model(registry, name, false)?;
    let record = build(tx.header(key)?, tx.state())?;
    let subject = record.subject().map(|(v, _)| v);
    let commit_message = message(&record);
    if options.dry_run {
        tx.judge(key, &record)?;
        let bytes = record.to_bytes();
        let file = RecordFileName { seq: record.seq(), kind: record.kind() };
        let record_path = format!("{}/{file}", crate::repo::layout::records_rel(name));
        // The state after, as a report shows it: the record applied as if written (the proposer's
        // signature counts as an approval when the key holds the stage's approver role, as in append).
        let approvers = match &record {
            Record::Promote(p) => tx.holding(key.public(), &Role::Approver(p.stage.clone())),
            _ => Vec::new(),
        };
        let mut state = tx.state().clone();
        state.apply(LoadedRecord {
            file,
            relative_path: record_path.clone(),
            digest: Digest::of_bytes(&bytes),
            record,
            signers: vec![key.public().clone()],
            approvers,
        });
        return Ok(Appended {
            state,
            subject,
            record_path,
            digest: Digest::of_bytes(&bytes),
            written: false,
            commit: None,
        });
    }
    let appended = tx.append(key, record)?;
    let state = tx.state().clone();
    let commit = tx.commit(options.commit.then_some(commit_message.as_str()))?;
    Ok(Appended { state, subject, record_path: appended.record_path, digest: appended.digest, written: true, commit })
}

fn report(action: RecordKind, appended: &Appended, stage: Option<Stage>) -> LifecycleReport {
    LifecycleReport {
        model: appended.state.name.clone(),
        action: action.as_str(),
        version: appended.subject,
        stage,
        promotion: None,
        gates: Vec::new(),
        record: Some(appended.record_path.clone()),
        record_digest: Some(appended.digest),
        commit: appended.commit.clone(),
        dry_run: !appended.written,
    }
}

//! `modelreg history NAME`: every record of a model in chain order — who, what, when, why.

use serde::Serialize;

use crate::ops::Error;
use crate::policy::{Judge, load_model};
use crate::record::{ModelName, Record, Timestamp, Version};
use crate::repo::Registry;
use crate::state::PromotionStatus;

/// What `history NAME` returns.
#[derive(Debug, Serialize)]
pub struct HistoryReport {
    /// The model.
    pub model: ModelName,
    /// Every record, in chain order.
    pub entries: Vec<HistoryEntry>,
}

/// One record of the model's history.
#[derive(Debug, Serialize)]
pub struct HistoryEntry {
    /// Its seq in the chain.
    pub seq: u64,
    /// Its kind (`register`, `promote`…), as in its file name.
    pub kind: &'static str,
    /// When it was made.
    pub created_at: Timestamp,
    /// Who made it, `Name <email>`.
    pub author: String,
    /// Owners of the keys whose signatures verify (publisher first, then approvers).
    pub signed_by: Vec<String>,
    /// The version it is about; `None` for a record about the whole model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    /// What the record did, in a few words.
    pub what: String,
    /// The record's message, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// Its path, relative to the repository root.
    pub record: String,
}

/// `history NAME`: the model's records with signatures verified, each described.
pub fn history(registry: &Registry, name: &ModelName) -> Result<HistoryReport, Error> {
    let history = load_model(&registry.worktree(), name, Judge::all(registry.trust()))?;
    let state = crate::state::ModelState::replay(history.clone());
    let owner = |key: &crate::sign::PublicKey| {
        registry.trust().key(key.raw()).map_or_else(|| key.id().to_string(), |k| k.owner.clone())
    };
    let entries = history
        .records
        .iter()
        .map(|loaded| {
            let record = &loaded.record;
            let what = match record {
                Record::Register(r) => {
                    let files = r.artifacts.len();
                    format!("registered v{} ({files} file{})", r.version, if files == 1 { "" } else { "s" })
                }
                Record::Drift(d) => {
                    let s = &d.report.summary;
                    let verdict = if s.drift { "DRIFT" } else { "no drift" };
                    format!(
                        "drift report on v{}: {verdict} ({} of {} features)",
                        d.version, s.features_drifted, s.features_compared
                    )
                }
                Record::Promote(p) => {
                    let status = state.promotions.iter().find(|s| s.seq == loaded.file.seq).map(|s| s.status);
                    let mut text = if p.rollback {
                        format!("rolled {} back to v{}", p.stage, p.version)
                    } else {
                        format!("promoted v{} to {}", p.version, p.stage)
                    };
                    match status {
                        Some(PromotionStatus::Pending) => text.push_str(" (pending approval)"),
                        Some(PromotionStatus::Superseded) => text.push_str(" (superseded, never took effect)"),
                        _ => {}
                    }
                    if p.emergency {
                        text.push_str(" [EMERGENCY]");
                    }
                    text
                }
                Record::Demote(d) => format!("demoted v{} from {}", d.version, d.stage),
                Record::Archive(a) => {
                    a.version.map_or_else(|| "archived the model".into(), |v| format!("archived v{v}"))
                }
                Record::Restore(a) => {
                    a.version.map_or_else(|| "restored the model".into(), |v| format!("restored v{v}"))
                }
                Record::Deploy(d) => format!("deployed v{} to {} ({})", d.version, d.env, d.target),
                Record::Undeploy(d) => format!("ended v{} in {} ({})", d.version, d.env, d.target),
                Record::Tag(t) => {
                    let mut parts: Vec<String> = t.set.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    parts.extend(t.unset.iter().map(|k| format!("-{k}")));
                    format!("tagged v{}: {}", t.version, parts.join(" "))
                }
            };
            HistoryEntry {
                seq: loaded.file.seq,
                kind: record.kind().as_str(),
                created_at: record.created_at(),
                author: record.author().to_owned(),
                signed_by: loaded.signers.iter().map(owner).collect(),
                version: match record {
                    Record::Register(r) => Some(r.version),
                    other => other.subject().map(|(v, _)| v),
                },
                what,
                why: record.message().map(str::to_owned),
                record: loaded.relative_path.clone(),
            }
        })
        .collect();
    Ok(HistoryReport { model: name.clone(), entries })
}

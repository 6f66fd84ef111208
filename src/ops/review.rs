//! `modelreg review`: what a pull request changes in the registry, for a PR comment.
//!
//! The verdict comes from the same rule engine as the hooks (`check_change`, judged by the base's
//! trust); the rest describes the change for a reviewer: each new version against the version before
//! it (metrics with deltas, artifacts added, removed or changed by digest, and a unified diff of the
//! manifests' human-relevant fields), and changes to trust and configuration.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use super::Error;
use crate::ops::lifecycle::PromotionInfo;
use crate::policy::{CheckReport, check_change, load_trust};
use crate::policy::{Judge, scan_model};
use crate::record::{ModelName, Record, RegisterRecord, Timestamp, Version};
use crate::repo::layout::{CONFIG_FILE, MODELS_DIR};
use crate::repo::snapshot::Snapshot;
use crate::repo::{ChangeKind, GitRepo};
use crate::sign::Trust;
use crate::state::ModelState;

/// What `review BASE HEAD` returns: the rule engine's verdict on the change and a reviewer's summary of it.
#[derive(Debug, Serialize)]
pub struct ReviewReport {
    /// The base commit id, resolved.
    pub base: String,
    /// The head commit id, resolved.
    pub head: String,
    /// The change judged by the rules, with the base's trust (what the server hook would say).
    pub check: CheckReport,
    /// Versions the change registers, by model then version.
    pub versions: Vec<NewVersion>,
    /// Keys whose roles the change alters (added, removed or changed).
    pub trust_changes: Vec<TrustChange>,
    /// Lifecycle records the change adds, and promotions whose approvals it changes.
    pub lifecycle: Vec<LifecycleChange>,
    /// Emergency promotions or rollbacks in the change (gates skipped by an admin): review these first.
    pub emergencies: usize,
    /// Unified diff of modelreg.toml, when it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_diff: Option<String>,
}

/// A version the change registers, against the version before it.
#[derive(Debug, Serialize)]
pub struct NewVersion {
    /// The model.
    pub model: ModelName,
    /// The new version.
    pub version: Version,
    /// The version it is compared with: the one registered before it; `None` for a model's first.
    pub previous_version: Option<Version>,
    /// Who registered it, `Name <email>`.
    pub author: String,
    /// The id of the key that signed the register record.
    pub signer: String,
    /// When it was registered.
    pub created_at: Timestamp,
    /// The registration's message, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Its metrics against the previous version's.
    pub metrics: Vec<MetricDelta>,
    /// Artifact paths the previous version lacks.
    pub artifacts_added: Vec<String>,
    /// Artifact paths of the previous version this one lacks.
    pub artifacts_removed: Vec<String>,
    /// Artifact paths in both whose digest differs.
    pub artifacts_changed: Vec<String>,
    /// Unified diff of the previous version's manifest summary against this one's.
    pub manifest_diff: String,
}

/// A lifecycle record added by the change (or a promotion the change approves).
#[derive(Debug, Serialize)]
pub struct LifecycleChange {
    /// The model.
    pub model: ModelName,
    /// The record's seq in the model's chain.
    pub seq: u64,
    /// The record's kind (`promote`, `deploy`…), as in its file name.
    pub kind: &'static str,
    /// The version it is about; `None` for a record about the whole model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    /// Who made it, `Name <email>`.
    pub author: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// What it does, in a few words.
    pub what: String,
    /// Its message, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For a promotion: where it stands after the change, who approved, who still can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promotion: Option<PromotionInfo>,
    /// Only new approvals, on a promotion proposed before the change.
    pub approvals_only: bool,
}

/// One metric of a new version against the version before it.
#[derive(Debug, Serialize)]
pub struct MetricDelta {
    /// The metric's name.
    pub name: String,
    /// Its value in the previous version.
    pub before: Option<f64>,
    /// Its value in the new version.
    pub after: Option<f64>,
    /// `after - before`, when both exist.
    pub delta: Option<f64>,
}

/// A key whose roles the change alters.
#[derive(Debug, Serialize)]
pub struct TrustChange {
    /// The key's id.
    pub key: String,
    /// Its owner (as the head's trust file says, else the base's).
    pub owner: String,
    /// Its roles at the base; empty when it is new.
    pub roles_before: Vec<String>,
    /// Its roles at the head; empty when it was removed.
    pub roles_after: Vec<String>,
}

/// `review BASE HEAD`: resolves both revisions in the repository at `start`, judges the change and
/// describes it. `now` is the time the change is judged at (key expiry, clock skew).
pub fn review(start: &Path, base: &str, head: &str, now: Timestamp) -> Result<ReviewReport, Error> {
    let git = GitRepo::discover_any(start)?;
    let base = git.resolve_commit(base)?;
    let head = git.resolve_commit(head)?;
    let changes = git.diff_commits(Some(&base), &head)?;
    let old = git.tree_snapshot(&base)?;
    let new = git.tree_snapshot(&head)?;
    let check = check_change(Some(&old), &new, &changes, now);

    let models: BTreeSet<ModelName> = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Added)
        .filter_map(|c| c.path.strip_prefix(&format!("{MODELS_DIR}/"))?.split('/').next()?.parse().ok())
        .collect();
    // Approvals are counted by the trust the change is judged by (the base's).
    let trust = load_trust(&old).or_else(|_| load_trust(&new)).ok();
    let judge = trust.as_ref().map_or(Judge::READ_ONLY, Judge::read);
    let mut versions = Vec::new();
    let mut lifecycle = Vec::new();
    for name in &models {
        let before_history = scan_model(&old, name, judge, &mut Vec::new());
        let old_tip = before_history.tip().map_or(0, |(seq, _)| seq);
        let before = ModelState::replay(before_history);
        let after_history = scan_model(&new, name, judge, &mut Vec::new());
        let after = ModelState::replay(after_history.clone());
        if let Some(trust) = &trust {
            lifecycle.extend(lifecycle_changes(&before, &after, &after_history, old_tip, trust, now));
        }
        let mut previous = before.latest().map(|v| &v.register);
        for (version, state) in &after.versions {
            if before.versions.contains_key(version) {
                continue;
            }
            versions.push(describe(&state.register, previous));
            previous = Some(&state.register);
        }
    }

    let trust_changes = match (load_trust(&old), load_trust(&new)) {
        (Ok(before), Ok(after)) => trust_diff(&before, &after),
        _ => Vec::new(),
    };
    let config_diff = text_diff(&old, &new, CONFIG_FILE);
    let emergencies = lifecycle.iter().filter(|c| c.promotion.as_ref().is_some_and(|p| p.emergency)).count();
    Ok(ReviewReport { base, head, check, versions, trust_changes, lifecycle, emergencies, config_diff })
}

/// The lifecycle records after `old_tip`, and earlier promotions that gained approvals.
fn lifecycle_changes(
    before: &ModelState,
    after: &ModelState,
    history: &crate::state::ModelHistory,
    old_tip: u64,
    trust: &Trust,
    now: Timestamp,
) -> Vec<LifecycleChange> {
    let promotion = |seq: u64| after.promotions.iter().find(|p| p.seq == seq);
    let mut out = Vec::new();
    for loaded in &history.records {
        let record = &loaded.record;
        let seq = loaded.file.seq;
        let approvals_before = before.promotions.iter().find(|p| p.seq == seq).map(|p| p.approvers.len());
        let approvals_after = promotion(seq).map(|p| p.approvers.len());
        let new_record = seq > old_tip;
        let new_approvals = !new_record && approvals_after > approvals_before;
        if matches!(record, Record::Register(_) | Record::Drift(_)) || !(new_record || new_approvals) {
            continue;
        }
        let what = match record {
            Record::Promote(p) if p.rollback => format!("roll {} back to v{}", p.stage, p.version),
            Record::Promote(p) => format!("promote v{} to {}", p.version, p.stage),
            Record::Demote(d) => format!("demote v{} from {}", d.version, d.stage),
            Record::Archive(a) => a.version.map_or_else(|| "archive the model".into(), |v| format!("archive v{v}")),
            Record::Restore(a) => a.version.map_or_else(|| "restore the model".into(), |v| format!("restore v{v}")),
            Record::Deploy(d) => format!("deploy v{} to {} ({})", d.version, d.env, d.target),
            Record::Undeploy(d) => format!("end v{} in {} ({})", d.version, d.env, d.target),
            Record::Tag(t) => {
                let mut parts: Vec<String> = t.set.iter().map(|(k, v)| format!("{k}={v}")).collect();
                parts.extend(t.unset.iter().map(|k| format!("-{k}")));
                format!("tag v{}: {}", t.version, parts.join(" "))
            }
            Record::Register(_) | Record::Drift(_) => unreachable!("skipped above"),
        };
        // An approval's author is whoever signed it in this change, not the proposer.
        let author = if new_approvals {
            let before_keys: Vec<[u8; 32]> = before
                .promotions
                .iter()
                .find(|p| p.seq == seq)
                .map(|p| p.approvers.iter().map(|k| *k.raw()).collect())
                .unwrap_or_default();
            let owners: Vec<String> = promotion(seq)
                .map(|p| p.approvers.iter().filter(|k| !before_keys.contains(k.raw())).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .map(|k| trust.key(k.raw()).map_or_else(|| k.id().to_string(), |t| t.owner.clone()))
                .collect();
            owners.join(", ")
        } else {
            record.author().to_owned()
        };
        out.push(LifecycleChange {
            model: after.name.clone(),
            seq,
            kind: record.kind().as_str(),
            version: record.subject().map(|(v, _)| v),
            author,
            created_at: record.created_at(),
            what,
            message: record.message().map(str::to_owned),
            promotion: promotion(seq).map(|p| PromotionInfo::of(p, trust, now)),
            approvals_only: new_approvals,
        });
    }
    out
}

fn describe(new: &RegisterRecord, previous: Option<&RegisterRecord>) -> NewVersion {
    let mut names: BTreeSet<&str> = new.metrics.keys().map(|k| k.as_str()).collect();
    if let Some(p) = previous {
        names.extend(p.metrics.keys().map(|k| k.as_str()));
    }
    let metric = |r: Option<&RegisterRecord>, name: &str| {
        r.and_then(|r| r.metrics.iter().find(|(k, _)| k.as_str() == name)).map(|(_, m)| m.get())
    };
    let metrics = names
        .into_iter()
        .map(|name| {
            let (before, after) = (metric(previous, name), metric(Some(new), name));
            let delta = before.zip(after).map(|(b, a)| a - b);
            MetricDelta { name: name.to_owned(), before, after, delta }
        })
        .collect();
    let digests = |r: Option<&RegisterRecord>| -> BTreeMap<String, String> {
        r.map(|r| r.artifacts.iter().map(|a| (a.path.to_string(), a.digest.to_string())).collect()).unwrap_or_default()
    };
    let (was, now) = (digests(previous), digests(Some(new)));
    let added = now.keys().filter(|p| !was.contains_key(*p)).cloned().collect();
    let removed = was.keys().filter(|p| !now.contains_key(*p)).cloned().collect();
    let changed = now.iter().filter(|(p, d)| was.get(*p).is_some_and(|w| w != *d)).map(|(p, _)| p.clone()).collect();
    let before_text = previous.map(manifest_summary).unwrap_or_default();
    let label =
        |r: Option<&RegisterRecord>| r.map_or_else(|| "(none)".to_owned(), |r| format!("{} v{}", r.model, r.version));
    let after_text = manifest_summary(new);
    let manifest_diff = similar::TextDiff::from_lines(&before_text, &after_text)
        .unified_diff()
        .context_radius(3)
        .header(&label(previous), &label(Some(new)))
        .to_string();
    NewVersion {
        model: new.model.clone(),
        version: new.version,
        previous_version: previous.map(|p| p.version),
        author: new.author.clone(),
        signer: new.signer.to_string(),
        created_at: new.created_at,
        message: new.message.clone(),
        metrics,
        artifacts_added: added,
        artifacts_removed: removed,
        artifacts_changed: changed,
        manifest_diff,
    }
}

/// The fields a reviewer compares between versions, one per line (chain fields and timestamps left out:
/// they always differ and say nothing about the model).
fn manifest_summary(r: &RegisterRecord) -> String {
    let mut lines = Vec::new();
    let mut push = |k: &str, v: String| lines.push(format!("{k} = {v}"));
    if let Some(d) = &r.description {
        push("description", d.clone());
    }
    if let Some(f) = &r.framework {
        push("framework", f.clone());
    }
    for (k, v) in &r.tags {
        push(&format!("tag.{k}"), v.clone());
    }
    for (k, v) in &r.metrics {
        push(&format!("metric.{k}"), v.get().to_string());
    }
    for (k, v) in &r.params {
        push(&format!("param.{k}"), v.clone());
    }
    if let Some(code) = &r.lineage.code {
        push("code", format!("{}{}", code.commit, if code.dirty { " (dirty)" } else { "" }));
    }
    for d in &r.lineage.datasets {
        push(
            &format!("dataset.{}", d.name),
            format!("{}{}", d.uri, d.digest.map(|x| format!(" {x}")).unwrap_or_default()),
        );
    }
    for p in &r.lineage.parents {
        push("parent", format!("{} v{}", p.model, p.version));
    }
    for a in &r.artifacts {
        push(&format!("artifact {}", a.path), format!("{} ({} bytes)", a.digest, a.size));
    }
    lines.join("\n") + "\n"
}

fn trust_diff(before: &Trust, after: &Trust) -> Vec<TrustChange> {
    let roles = |t: &Trust, raw: &[u8; 32]| -> Vec<String> {
        t.key(raw).map(|k| k.roles.iter().map(ToString::to_string).collect()).unwrap_or_default()
    };
    let mut raws: Vec<[u8; 32]> = before.keys().iter().map(|k| *k.public.raw()).collect();
    raws.extend(after.keys().iter().map(|k| *k.public.raw()).filter(|r| before.key(r).is_none()));
    raws.into_iter()
        .filter_map(|raw| {
            let (was, now) = (roles(before, &raw), roles(after, &raw));
            let key = after.key(&raw).or_else(|| before.key(&raw))?;
            (was != now).then(|| TrustChange {
                key: key.public.id().to_string(),
                owner: key.owner.clone(),
                roles_before: was,
                roles_after: now,
            })
        })
        .collect()
}

fn text_diff(old: &dyn Snapshot, new: &dyn Snapshot, path: &str) -> Option<String> {
    let read = |s: &dyn Snapshot| s.read(path, crate::record::MAX_RECORD_BYTES).ok().flatten().unwrap_or_default();
    let (a, b) = (read(old), read(new));
    if a == b {
        return None;
    }
    let (a, b) = (String::from_utf8_lossy(&a).into_owned(), String::from_utf8_lossy(&b).into_owned());
    Some(similar::TextDiff::from_lines(&a, &b).unified_diff().header(path, path).to_string())
}

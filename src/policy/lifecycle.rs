//! The lifecycle rules: whether a record may follow the state before it. One function, [`judge`], used
//! by every command before it writes (so a refused promotion writes nothing) and by the rule engine on
//! every record it reads (so a record forged by hand is refused by the hooks, the server and CI).
//!
//! Gates are judged by the gates the promotion record carries, at the record's `created_at`; whether
//! those are the gates `modelreg.toml` sets is judged only when the record is new (a command, or a
//! change being pushed), so tightening a gate later does not condemn past promotions.

use super::RuleId;
use crate::record::{Gates, KeyId, ModelName, Record, Stage, Timestamp, Version};
use crate::repo::config::LifecycleConfig;
use crate::sign::PublicKey;
use crate::state::{ModelState, PromotionState, VersionState};

/// A rule a record breaks.
///
/// The rule engine reports [`Violation::message`], a whole sentence; a command that refuses an action
/// says `cannot <action> <subject>: <reason>` from the typed parts, without taking the sentence apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule broken.
    pub rule: RuleId,
    /// The whole finding, as `check` reports it (e.g. "fraud v2 is archived").
    pub message: String,
    /// What the finding is about, when its sentence starts by naming it (e.g. "fraud v2").
    pub subject: Option<String>,
    /// The finding after its subject (e.g. "is archived"); for a failed gate, what the gate found;
    /// otherwise the whole message.
    pub reason: String,
    /// For a failed gate: the stage whose gate it is.
    pub gate: Option<Stage>,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Violation {
    fn new(rule: RuleId, message: impl Into<String>) -> Violation {
        let message = message.into();
        Violation { rule, reason: message.clone(), message, subject: None, gate: None, hint: None }
    }

    /// A finding whose sentence starts with what it is about (`subject`, e.g. `fraud v2`).
    fn about(rule: RuleId, subject: impl std::fmt::Display, reason: impl Into<String>) -> Violation {
        let (subject, reason) = (subject.to_string(), reason.into());
        Violation {
            rule,
            message: format!("{subject} {reason}"),
            subject: Some(subject),
            reason,
            gate: None,
            hint: None,
        }
    }

    /// A gate of `stage` that the promotion does not meet.
    fn gate_not_met(stage: &Stage, detail: String) -> Violation {
        Violation {
            rule: RuleId::Gate,
            message: format!("gate for `{stage}` not met: {detail}"),
            subject: None,
            reason: detail,
            gate: Some(stage.clone()),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Violation {
        self.hint = Some(hint.into());
        self
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Judges `record` as the next record of the model whose state is `state`. With `config`, a new record
/// is also held to the registry's configured stages and gates.
pub fn judge(state: &ModelState, record: &Record, config: Option<&LifecycleConfig>) -> Vec<Violation> {
    let mut found = Vec::new();
    // Records are dated in chain order (up to clock skew between machines): none can be backdated
    // before the record it follows to fake a soak time or slip out of a drift window.
    if let Some(last) = state.updated_at
        && record.created_at().unix_seconds() + super::MAX_CLOCK_SKEW_SECS < last.unix_seconds()
    {
        found.push(
            Violation::new(
                RuleId::Chain,
                format!("dated {}, before the record it follows ({last})", record.created_at()),
            )
            .hint("records are dated when written; check this machine's clock"),
        );
    }
    found.extend(judge_transition(state, record, config));
    found
}

fn judge_transition(state: &ModelState, record: &Record, config: Option<&LifecycleConfig>) -> Vec<Violation> {
    let Some((number, digest)) = record.subject() else {
        return match record {
            Record::Register(register) => {
                registration_refused(state).into_iter().chain(version_jump(state, register, config)).collect()
            }
            Record::Archive(_) if state.archived.is_some() => {
                vec![Violation::about(RuleId::Lifecycle, &state.name, "is already archived").hint("nothing to do")]
            }
            Record::Archive(_) => archive_model(state),
            Record::Restore(_) if state.archived.is_none() => {
                vec![Violation::about(RuleId::Lifecycle, &state.name, "is not archived").hint("nothing to do")]
            }
            _ => Vec::new(),
        };
    };
    let Some(version) = state.versions.get(&number) else {
        return vec![Violation::new(RuleId::Chain, format!("is about v{number}, which is not registered before it"))];
    };
    if version.record_digest != digest {
        return vec![Violation::new(
            RuleId::Chain,
            format!("`version_record` is {digest}, but v{number}'s record is {}", version.record_digest),
        )];
    }
    let name = &state.name;
    let archived = || {
        state.is_archived(number).then(|| {
            Violation::about(RuleId::Lifecycle, format!("{name} v{number}"), "is archived")
                .hint(format!("restore it first: `modelreg restore {name}@{number} -m WHY`"))
        })
    };
    match record {
        Record::Register(_) | Record::Drift(_) => Vec::new(),
        Record::Promote(promote) => {
            let mut found: Vec<Violation> = archived().into_iter().collect();
            let stage = &promote.stage;
            if let Some(config) = config {
                if !config.has_stage(stage) {
                    found.push(unknown_stage(stage, config));
                    return found;
                }
                if promote.gates != config.gates(stage) {
                    found.push(
                        Violation::new(
                            RuleId::Gate,
                            format!("carries gates for `{stage}` that differ from modelreg.toml's"),
                        )
                        .hint("promotions are proposed with `modelreg promote`, which copies the configured gates"),
                    );
                }
            }
            if state.stages.get(stage) == Some(&number) {
                found.push(
                    Violation::about(
                        RuleId::Lifecycle,
                        format!("{name} v{number}"),
                        format!("already holds `{stage}`"),
                    )
                    .hint("nothing to do"),
                );
            }
            let holder = state.stages.get(stage).copied();
            if promote.replaces != holder {
                let says = promote.replaces.map_or_else(|| "nothing".into(), |v| format!("v{v}"));
                let holds = holder.map_or_else(|| "nothing holds it".into(), |v| format!("v{v} holds it"));
                found.push(Violation::new(
                    RuleId::Lifecycle,
                    format!("says it replaces {says} in `{stage}`, but {holds}"),
                ));
            }
            if promote.emergency && !promote.rollback {
                found.push(
                    Violation::new(RuleId::Gate, "an emergency skips the gates only to roll a stage back")
                        .hint(format!("`modelreg rollback {name} --stage {stage} --emergency`")),
                );
            }
            if promote.rollback {
                let previous = state.previous_holder(stage).map(|v| v.version);
                if previous != Some(number) {
                    let held = previous.map_or_else(|| "no earlier version".into(), |v| format!("v{v}"));
                    found.push(Violation::new(
                        RuleId::Lifecycle,
                        format!("rolls `{stage}` back to v{number}, but the version before its holder is {held}"),
                    ));
                }
            }
            if !promote.emergency {
                for failure in gate_failures(version, &promote.gates, promote.created_at) {
                    found.push(Violation::gate_not_met(stage, failure));
                }
            }
            found
        }
        Record::Demote(demote) if state.stages.get(&demote.stage) != Some(&number) => {
            vec![
                Violation::about(
                    RuleId::Lifecycle,
                    format!("{name} v{number}"),
                    format!("does not hold `{}`", demote.stage),
                )
                .hint(format!("`modelreg show {name}` shows which version holds each stage")),
            ]
        }
        Record::Demote(demote) => match config {
            Some(config) if !config.has_stage(&demote.stage) => vec![unknown_stage(&demote.stage, config)],
            _ => Vec::new(),
        },
        Record::Archive(_) if version.archived.is_some() => {
            vec![
                Violation::about(RuleId::Lifecycle, format!("{name} v{number}"), "is already archived")
                    .hint("nothing to do; `modelreg restore` brings it back"),
            ]
        }
        Record::Archive(_) => in_service(name.as_str(), version).into_iter().collect(),
        Record::Restore(_) if version.archived.is_none() => {
            vec![
                Violation::about(RuleId::Lifecycle, format!("{name} v{number}"), "is not archived")
                    .hint("nothing to do"),
            ]
        }
        Record::Restore(_) => Vec::new(),
        Record::Deploy(deploy) => {
            let mut found: Vec<Violation> = archived().into_iter().collect();
            if version.active_deployments().any(|d| d.env == deploy.env && d.target == deploy.target) {
                found.push(
                    Violation::about(
                        RuleId::Lifecycle,
                        format!("{name} v{number}"),
                        format!("is already deployed to {} at {}", deploy.env, deploy.target),
                    )
                    .hint("nothing to do; `modelreg deploy end` records that it stopped"),
                );
            }
            found
        }
        Record::Undeploy(end) if !version.active_deployments().any(|d| d.env == end.env && d.target == end.target) => {
            vec![Violation::about(
                RuleId::Lifecycle,
                format!("{name} v{number}"),
                format!("has no active deployment in {} at {}", end.env, end.target),
            )]
        }
        Record::Undeploy(_) => Vec::new(),
        Record::Tag(tag) => tag
            .unset
            .iter()
            .filter(|key| !version.tags.contains_key(*key))
            .map(|key| {
                Violation::new(RuleId::Lifecycle, format!("unsets tag `{key}`, which {name} v{number} does not have"))
            })
            .collect(),
    }
}

/// Why an approval cannot be added to a promotion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalRefused {
    /// No promotion of that version to that stage is pending.
    #[error("{model} v{version} has no promotion to `{stage}` waiting for approval")]
    NoPendingPromotion {
        /// The model.
        model: ModelName,
        /// The version the approval was for.
        version: Version,
        /// The stage the approval was for.
        stage: Stage,
    },
    /// The key has signed the promotion already (a threshold counts distinct keys).
    #[error("{key} has already signed the promotion of {model} v{version} to `{stage}`")]
    AlreadyApproved {
        /// The model.
        model: ModelName,
        /// The version proposed.
        version: Version,
        /// The stage proposed.
        stage: Stage,
        /// The approving key, which already signed.
        key: KeyId,
    },
    /// The proposer approving their own promotion, which the stage's gates do not allow.
    #[error("you proposed the promotion of {model} v{version} to `{stage}`; the proposer's approval does not count")]
    SelfApproval {
        /// The model.
        model: ModelName,
        /// The version proposed.
        version: Version,
        /// The stage proposed.
        stage: Stage,
    },
}

/// The pending promotion of `version` to `stage` that `approver` may add an approval to: one exists,
/// the key has not signed it, and it is not the proposer's own unless the gates allow that (the rule
/// [`PromotionState::counted_approvals`] applies when the approvals are counted).
pub fn approvable<'s>(
    state: &'s ModelState,
    version: Version,
    stage: &Stage,
    approver: &PublicKey,
) -> Result<&'s PromotionState, ApprovalRefused> {
    let model = state.name.clone();
    let promotion = state
        .pending()
        .find(|p| p.record.version == version && &p.record.stage == stage)
        .ok_or_else(|| ApprovalRefused::NoPendingPromotion { model: model.clone(), version, stage: stage.clone() })?;
    if approver.id() == &promotion.record.signer && !promotion.record.gates.allow_self_approval {
        return Err(ApprovalRefused::SelfApproval { model, version, stage: stage.clone() });
    }
    if promotion.approvers.iter().any(|k| k.raw() == approver.raw()) {
        return Err(ApprovalRefused::AlreadyApproved {
            model,
            version,
            stage: stage.clone(),
            key: approver.id().clone(),
        });
    }
    Ok(promotion)
}

/// Whether the model takes new versions (an archived model does not). `register` asks before it
/// hashes and stores anything.
pub fn registration_refused(state: &ModelState) -> Option<Violation> {
    state.archived.as_ref().map(|_| {
        Violation::about(RuleId::Lifecycle, format!("the model {}", state.name), "is archived")
            .hint(format!("restore it first: `modelreg restore {} -m WHY`", state.name))
    })
}

/// Versions go up, but not by more than `lifecycle.max_version_jump` at once: a version near the top of
/// the range would leave the model no version to register after it.
fn version_jump(
    state: &ModelState,
    register: &crate::record::RegisterRecord,
    config: Option<&LifecycleConfig>,
) -> Option<Violation> {
    let cap = config?.max_version_jump;
    let latest = state.latest().map_or(0, |v| v.version.get());
    let jump = register.version.get().saturating_sub(latest);
    (jump > cap).then(|| {
        Violation::new(
            RuleId::Version,
            format!("v{} jumps {jump} past v{latest}; at most {cap} at once", register.version),
        )
        .hint("let versions go up by one (omit --version), or raise lifecycle.max_version_jump in modelreg.toml")
    })
}

fn unknown_stage(stage: &Stage, config: &LifecycleConfig) -> Violation {
    let stages: Vec<&str> = config.stages.iter().map(Stage::as_str).collect();
    Violation::new(RuleId::Lifecycle, format!("`{stage}` is not a stage of this registry"))
        .hint(format!("the stages are {} (lifecycle.stages in modelreg.toml)", stages.join(", ")))
}

/// A version that holds a stage or runs somewhere cannot be archived.
fn in_service(name: &str, version: &VersionState) -> Option<Violation> {
    let number = version.version;
    if let Some(stage) = version.stages().next() {
        return Some(
            Violation::about(RuleId::Lifecycle, format!("{name} v{number}"), format!("holds `{stage}`")).hint(format!(
                "demote it first: `modelreg demote {name} --stage {stage}` (or promote another version)"
            )),
        );
    }
    version.active_deployments().next().map(|d| {
        Violation::about(
            RuleId::Lifecycle,
            format!("{name} v{number}"),
            format!("is deployed to {} at {}", d.env, d.target),
        )
        .hint(format!("end the deployment first: `modelreg deploy end {name}@{number} --env {}`", d.env))
    })
}

fn archive_model(state: &ModelState) -> Vec<Violation> {
    state.versions.values().filter_map(|v| in_service(state.name.as_str(), v)).collect()
}

/// One gate, judged: what it asks and what was found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GateCheck {
    /// The gate as configured, e.g. `auc >= 0.9` or `soak 24h in staging`.
    pub gate: String,
    /// The gate holds.
    pub passed: bool,
    /// What was found, e.g. `auc is 0.93` (for a failure, the whole reason).
    pub detail: String,
}

/// Judges every gate of `gates` for `version` at `at` (approvals aside: a promotion without them is
/// pending, not refused). `promote` reports these; the rule engine keeps the failures.
pub fn evaluate_gates(version: &VersionState, gates: &Gates, at: Timestamp) -> Vec<GateCheck> {
    let mut checks = Vec::new();
    let mut check = |gate: String, passed: bool, detail: String| checks.push(GateCheck { gate, passed, detail });
    let number = version.version;
    let duration = |secs: u64| humantime::format_duration(std::time::Duration::from_secs(secs)).to_string();
    if let Some(from) = &gates.from {
        let held = version.stints.iter().any(|s| &s.stage == from && s.since <= at);
        match &gates.soak {
            _ if !held => check(format!("from {from}"), false, format!("v{number} has never been in `{from}`")),
            None => check(format!("from {from}"), true, format!("v{number} has been in `{from}`")),
            Some(soak) => {
                let spent = version.seconds_in(from, at);
                let passed = spent >= soak.seconds();
                let detail = if passed {
                    format!("v{number} spent {} in `{from}`", duration(spent))
                } else {
                    format!("v{number} has been in `{from}` for {}, needs {soak}", duration(spent))
                };
                check(format!("soak {soak} in {from}"), passed, detail);
            }
        }
    }
    for requirement in &gates.require {
        match requirement.check(&version.register.metrics) {
            Ok(()) => {
                let value = version.register.metrics.get(&requirement.metric).map(|m| m.get()).unwrap_or_default();
                check(requirement.to_string(), true, format!("{} is {value}", requirement.metric));
            }
            Err(why) => check(requirement.to_string(), false, why),
        }
    }
    if let Some(window) = &gates.no_drift_within {
        let since = at.unix_seconds().saturating_sub(window.seconds());
        let recent: Vec<_> = version
            .drift_reports
            .iter()
            .filter(|r| r.record.created_at.unix_seconds() >= since && r.record.created_at <= at)
            .collect();
        let gate = format!("no drift within {window}");
        match recent.iter().find(|r| r.record.report.summary.drift) {
            Some(report) => check(
                gate,
                false,
                format!("drift found at {} ({}), within {window}", report.record.created_at, report.record_path),
            ),
            None => check(gate, true, format!("{} report(s) in the window, none found drift", recent.len())),
        }
    }
    checks
}

/// The reasons `version` fails `gates` at `at` (see [`evaluate_gates`]).
pub fn gate_failures(version: &VersionState, gates: &Gates, at: Timestamp) -> Vec<String> {
    evaluate_gates(version, gates, at).into_iter().filter(|c| !c.passed).map(|c| c.detail).collect()
}

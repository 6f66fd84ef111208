//! Records about a version that are not about stages: `archive`/`restore`, `deploy`/`undeploy`, `tag`.

use std::collections::{BTreeMap, BTreeSet};

use super::{Header, LifecycleReport, WriteOptions, append, load, record_with_header, report};
use crate::ops::show::select;
use crate::ops::{Error, ModelRef};
use crate::record::{ArchiveRecord, DeploymentRecord, MetaKey, Record, RecordKind, TagRecord};
use crate::repo::Registry;
use crate::sign::SigningKey;

/// Archives (or, with `restore`, brings back) a version, or the whole model when `reference` names no
/// version. Archived versions stay readable and fetchable but cannot be promoted or deployed.
fn retire(
    registry: &Registry,
    key: &SigningKey,
    reference: &ModelRef,
    message: String,
    restore: bool,
    options: WriteOptions,
) -> Result<LifecycleReport, Error> {
    let (state, _) = load(registry, &reference.name)?;
    let version = match &reference.selector {
        None => None,
        Some(_) => Some(select(&state, reference)?),
    };
    let subject = version.map(|v| (v.version, v.record_digest));
    let kind = if restore { RecordKind::Restore } else { RecordKind::Archive };
    let name = &reference.name;
    let appended = append(
        registry,
        key,
        name,
        options,
        |header: Header, _| {
            let record = Box::new(record_with_header!(ArchiveRecord, kind, header, {
                version: subject.map(|(v, _)| v),
                version_record: subject.map(|(_, d)| d),
                message: message.clone(),
            }));
            Ok(if restore { Record::Restore(record) } else { Record::Archive(record) })
        },
        |_| {
            let what = subject.map_or_else(|| name.to_string(), |(v, _)| format!("{name} v{v}"));
            format!("modelreg: {kind} {what}\n\n{message}")
        },
    )?;
    Ok(report(kind, &appended, subject.map(|(v, _)| v), None))
}

pub fn archive(
    registry: &Registry,
    key: &SigningKey,
    reference: &ModelRef,
    message: String,
    options: WriteOptions,
) -> Result<LifecycleReport, Error> {
    retire(registry, key, reference, message, false, options)
}

pub fn restore(
    registry: &Registry,
    key: &SigningKey,
    reference: &ModelRef,
    message: String,
    options: WriteOptions,
) -> Result<LifecycleReport, Error> {
    retire(registry, key, reference, message, true, options)
}

fn deployment(
    kind: RecordKind,
    header: Header,
    state: &crate::state::ModelState,
    reference: &ModelRef,
    env: &MetaKey,
    target: &str,
    message: Option<String>,
) -> Result<Box<DeploymentRecord>, Error> {
    let version = select(state, reference)?;
    Ok(Box::new(record_with_header!(DeploymentRecord, kind, header, {
        version: version.version,
        version_record: version.record_digest,
        env: env.clone(),
        target: target.to_owned(),
        message,
    })))
}

/// Records that a version now serves in `env` at `target` (replacing whatever served there).
pub fn deploy(
    registry: &Registry,
    key: &SigningKey,
    reference: &ModelRef,
    env: &MetaKey,
    target: &str,
    message: Option<String>,
    options: WriteOptions,
) -> Result<LifecycleReport, Error> {
    let name = &reference.name;
    let appended = append(
        registry,
        key,
        name,
        options,
        |header, state| {
            Ok(Record::Deploy(deployment(RecordKind::Deploy, header, state, reference, env, target, message)?))
        },
        |record| {
            let version = record.subject().map(|(v, _)| v.to_string()).unwrap_or_default();
            format!("modelreg: deploy {name} v{version} to {env} ({target})")
        },
    )?;
    let version =
        appended.state.versions.values().find(|v| v.active_deployments().any(|d| &d.env == env && d.target == target));
    let version = version.map(|v| v.version);
    Ok(report(RecordKind::Deploy, &appended, version, None))
}

/// Records that a version stopped serving in `env` (at `target`, or at its only target there).
pub fn undeploy(
    registry: &Registry,
    key: &SigningKey,
    reference: &ModelRef,
    env: &MetaKey,
    target: Option<&str>,
    message: Option<String>,
    options: WriteOptions,
) -> Result<LifecycleReport, Error> {
    let name = &reference.name;
    let (state, _) = load(registry, name)?;
    let version = select(&state, reference)?;
    let targets: Vec<&str> = version
        .active_deployments()
        .filter(|d| &d.env == env && target.is_none_or(|t| t == d.target))
        .map(|d| d.target.as_str())
        .collect();
    let subject = format!("cannot end the deployment of {name} v{}", version.version);
    let target = match targets.as_slice() {
        [one] => one.to_string(),
        [] => {
            return Err(Error::Refused {
                subject,
                why: format!(
                    "it has no active deployment in {env}{}",
                    target.map(|t| format!(" at {t}")).unwrap_or_default()
                ),
                hint: Some(format!("`modelreg show {name}@{}` lists where it runs", version.version)),
            });
        }
        many => {
            return Err(Error::Refused {
                subject,
                why: format!("it runs in {env} at {} targets: {}", many.len(), many.join(", ")),
                hint: Some("name one with --target URI".into()),
            });
        }
    };
    let number = version.version;
    let appended = append(
        registry,
        key,
        name,
        options,
        |header, state| {
            Ok(Record::Undeploy(deployment(RecordKind::Undeploy, header, state, reference, env, &target, message)?))
        },
        |_| format!("modelreg: end deployment of {name} v{number} in {env} ({target})"),
    )?;
    Ok(report(RecordKind::Undeploy, &appended, Some(number), None))
}

/// Tags to set and remove on a version.
#[derive(Debug, Default)]
pub struct TagChange {
    pub set: BTreeMap<MetaKey, String>,
    pub unset: BTreeSet<MetaKey>,
    pub message: Option<String>,
}

/// Changes a version's tags through a tag record (the register record never changes). Setting a tag to
/// the value it has, or removing one it lacks, is refused: a record must say something.
pub fn tag(
    registry: &Registry,
    key: &SigningKey,
    reference: &ModelRef,
    mut change: TagChange,
    options: WriteOptions,
) -> Result<LifecycleReport, Error> {
    let name = &reference.name;
    let (state, _) = load(registry, name)?;
    let version = select(&state, reference)?;
    change.set.retain(|k, v| version.tags.get(k) != Some(v));
    if change.set.is_empty() && change.unset.is_empty() {
        return Err(Error::Refused {
            subject: format!("cannot tag {name} v{}", version.version),
            why: "it already has exactly these tags".into(),
            hint: Some(format!("`modelreg show {name}@{}` shows its tags", version.version)),
        });
    }
    let number = version.version;
    let appended = append(
        registry,
        key,
        name,
        options,
        |header, state| {
            let version = select(state, reference)?;
            Ok(Record::Tag(Box::new(record_with_header!(TagRecord, RecordKind::Tag, header, {
                version: version.version,
                version_record: version.record_digest,
                set: change.set.clone(),
                unset: change.unset.clone(),
                message: change.message.clone(),
            }))))
        },
        |_| {
            let mut parts: Vec<String> = change.set.iter().map(|(k, v)| format!("{k}={v}")).collect();
            parts.extend(change.unset.iter().map(|k| format!("-{k}")));
            format!("modelreg: tag {name} v{number}: {}", parts.join(" "))
        },
    )?;
    Ok(report(RecordKind::Tag, &appended, Some(number), None))
}

//! Records about a version that are not about stages: `archive`/`restore`, `deploy`/`undeploy`, `tag`.

use std::collections::{BTreeMap, BTreeSet};

use super::{Header, LifecycleReport, WriteOptions, append, record_with_header, report};
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
    let kind = if restore { RecordKind::Restore } else { RecordKind::Archive };
    let name = &reference.name;
    let appended = append(
        registry,
        key,
        name,
        options,
        |header: Header, state| {
            let version = match &reference.selector {
                None => None,
                Some(_) => Some(select(state, reference)?),
            };
            let record = Box::new(record_with_header!(ArchiveRecord, kind, header, {
                version: version.map(|v| v.version),
                version_record: version.map(|v| v.record_digest),
                message: message.clone(),
            }));
            Ok(if restore { Record::Restore(record) } else { Record::Archive(record) })
        },
        |record| {
            let what = record.subject().map_or_else(|| name.to_string(), |(v, _)| format!("{name} v{v}"));
            format!("modelreg: {kind} {what}\n\n{message}")
        },
    )?;
    Ok(report(kind, &appended, None))
}

/// Archives one version, or the whole model when `reference` names no version: refused while one holds
/// a stage or is deployed; once archived it can no longer be promoted, and its pending promotions are
/// superseded. `message` says why.
pub fn archive(
    registry: &Registry,
    key: &SigningKey,
    reference: &ModelRef,
    message: String,
    options: WriteOptions,
) -> Result<LifecycleReport, Error> {
    retire(registry, key, reference, message, false, options)
}

/// Undoes an archive of one version, or of the whole model when `reference` names no version.
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
    Ok(report(RecordKind::Deploy, &appended, None))
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
    let appended = append(
        registry,
        key,
        name,
        options,
        |header, state| {
            let target = the_deployment(state, reference, env, target)?;
            Ok(Record::Undeploy(deployment(RecordKind::Undeploy, header, state, reference, env, &target, message)?))
        },
        |record| match record {
            Record::Undeploy(d) => format!("modelreg: end deployment of {name} v{} in {env} ({})", d.version, d.target),
            _ => unreachable!("undeploy writes an undeploy record"),
        },
    )?;
    Ok(report(RecordKind::Undeploy, &appended, None))
}

/// The one target at which `reference`'s version runs in `env` (the given one, if it does).
fn the_deployment(
    state: &crate::state::ModelState,
    reference: &ModelRef,
    env: &MetaKey,
    target: Option<&str>,
) -> Result<String, Error> {
    let name = &reference.name;
    let version = select(state, reference)?;
    let targets: Vec<&str> = version
        .active_deployments()
        .filter(|d| &d.env == env && target.is_none_or(|t| t == d.target))
        .map(|d| d.target.as_str())
        .collect();
    let subject = format!("cannot end the deployment of {name} v{}", version.version);
    match targets.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(Error::Refused {
            subject,
            why: format!(
                "it has no active deployment in {env}{}",
                target.map(|t| format!(" at {t}")).unwrap_or_default()
            ),
            hint: Some(format!("`modelreg show {name}@{}` lists where it runs", version.version)),
        }),
        many => Err(Error::Refused {
            subject,
            why: format!("it runs in {env} at {} targets: {}", many.len(), many.join(", ")),
            hint: Some("name one with --target URI".into()),
        }),
    }
}

/// Tags to set and remove on a version.
#[derive(Debug, Default)]
pub struct TagChange {
    /// Tags to set, with their new values.
    pub set: BTreeMap<MetaKey, String>,
    /// Tags to remove.
    pub unset: BTreeSet<MetaKey>,
    /// Why, recorded in the tag record.
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
    let appended = append(
        registry,
        key,
        name,
        options,
        |header, state| {
            let version = select(state, reference)?;
            change.set.retain(|k, v| version.tags.get(k) != Some(v));
            if change.set.is_empty() && change.unset.is_empty() {
                return Err(Error::Refused {
                    subject: format!("cannot tag {name} v{}", version.version),
                    why: "it already has exactly these tags".into(),
                    hint: Some(format!("`modelreg show {name}@{}` shows its tags", version.version)),
                });
            }
            Ok(Record::Tag(Box::new(record_with_header!(TagRecord, RecordKind::Tag, header, {
                version: version.version,
                version_record: version.record_digest,
                set: change.set,
                unset: change.unset,
                message: change.message,
            }))))
        },
        |record| match record {
            Record::Tag(t) => {
                let mut parts: Vec<String> = t.set.iter().map(|(k, v)| format!("{k}={v}")).collect();
                parts.extend(t.unset.iter().map(|k| format!("-{k}")));
                format!("modelreg: tag {name} v{}: {}", t.version, parts.join(" "))
            }
            _ => unreachable!("tag writes a tag record"),
        },
    )?;
    Ok(report(RecordKind::Tag, &appended, None))
}

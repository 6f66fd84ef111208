//! `modelreg store status | push | pull | verify | gc | migrate`: the local cache against the shared
//! store, for the objects the registry's records name.
//!
//! Every command starts from the records in the working tree (each model's verified chain), so an
//! object is "referenced" exactly when some registration names it. `gc` deletes only objects no record
//! names and that are older than a grace period (an upload whose record is not committed yet, or sits
//! on an unmerged branch, is young); `migrate` copies every referenced object to another store and
//! reads each back in full before it reports success, so the configuration can then be switched.

use std::collections::BTreeMap;

use serde::Serialize;

use super::show::{load_state, select};
use super::{Error, ModelRef};
use crate::policy::models_dir;
use crate::progress::Progress;
use crate::record::{Digest, Timestamp};
use crate::repo::Registry;
use crate::store::{ArtifactStore, ObjectState, StoreEnv, StoreUrl, Transfer};

/// An object some record names.
#[derive(Debug, Clone, Serialize)]
pub struct Referenced {
    /// Its digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// `model@version: path` for each artifact that is this object.
    pub used_by: Vec<String>,
}

/// The objects the registry's records name (or only `only`'s version), in digest order.
pub fn referenced(registry: &Registry, only: Option<&ModelRef>) -> Result<Vec<Referenced>, Error> {
    let mut found: BTreeMap<Digest, Referenced> = BTreeMap::new();
    let mut add = |digest: Digest, size: u64, used: String| {
        found.entry(digest).or_insert_with(|| Referenced { digest, size, used_by: Vec::new() }).used_by.push(used);
    };
    let names = match only {
        Some(reference) => vec![reference.name.clone()],
        None => models_dir(&registry.worktree()).0,
    };
    for name in names {
        let state = load_state(registry, &name)?;
        let versions: Vec<_> = match only {
            Some(reference) => vec![select(&state, reference)?],
            None => state.versions.values().collect(),
        };
        for version in versions {
            let register = &version.register;
            for artifact in register.artifacts.iter().chain(&register.baseline_profile) {
                add(artifact.digest, artifact.size, format!("{name}@{}: {}", version.version, artifact.path));
            }
        }
    }
    Ok(found.into_values().collect())
}

/// Where an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Location {
    /// In this machine's cache only: `modelreg store push` uploads it.
    LocalOnly,
    /// In the shared store only: fetched on demand.
    RemoteOnly,
    /// In both.
    Both,
    /// In neither: the records name bytes nobody has.
    Missing,
}

/// One referenced object's place.
#[derive(Debug, Serialize)]
pub struct ObjectStatus {
    /// The object.
    #[serde(flatten)]
    pub object: Referenced,
    /// Where it is.
    pub location: Location,
}

/// What `store status` found.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    /// The shared store.
    pub store: String,
    /// The local cache's directory.
    pub cache: String,
    /// Every referenced object.
    pub objects: Vec<ObjectStatus>,
}

impl StatusReport {
    /// How many objects are at `location`.
    pub fn count(&self, location: Location) -> usize {
        self.objects.iter().filter(|o| o.location == location).count()
    }
}

/// Which referenced objects are cached, in the shared store (with the recorded size), both or neither.
pub fn status(registry: &Registry, env: &StoreEnv, only: Option<&ModelRef>) -> Result<StatusReport, Error> {
    let artifacts = registry.artifacts(env);
    let remote = artifacts.connect()?;
    remote.probe()?;
    let objects = referenced(registry, only)?;
    let digests: Vec<Digest> = objects.iter().map(|o| o.digest).collect();
    let sizes = remote.sizes(&digests)?;
    let cache = artifacts.cache();
    let mut statuses = Vec::new();
    for (object, size) in objects.into_iter().zip(sizes) {
        let remote = size == Some(object.size);
        let location = match (cache.contains(&object.digest)?, remote) {
            (true, true) => Location::Both,
            (true, false) => Location::LocalOnly,
            (false, true) => Location::RemoteOnly,
            (false, false) => Location::Missing,
        };
        statuses.push(ObjectStatus { object, location });
    }
    Ok(StatusReport { store: remote.url().to_string(), cache: cache.location(), objects: statuses })
}

/// What `store push` did.
#[derive(Debug, Serialize)]
pub struct PushReport {
    /// The shared store.
    pub store: String,
    /// What was uploaded.
    pub uploaded: Transfer,
    /// Objects already there.
    pub present: usize,
    /// Referenced objects in neither the cache nor the store (a finding).
    pub missing: Vec<Referenced>,
}

/// Uploads every referenced object the shared store lacks from the cache.
pub fn push(registry: &Registry, env: &StoreEnv, progress: &dyn Progress) -> Result<PushReport, Error> {
    let report = status(registry, env, None)?;
    let artifacts = registry.artifacts(env);
    let remote = artifacts.connect()?;
    let mut upload = Vec::new();
    let mut missing = Vec::new();
    let mut present = 0;
    for status in report.objects {
        match status.location {
            Location::LocalOnly => upload.push((status.object.digest, status.object.size)),
            Location::Missing => missing.push(status.object),
            Location::Both | Location::RemoteOnly => present += 1,
        }
    }
    let uploaded = artifacts.upload(&remote, &upload, progress)?;
    Ok(PushReport { store: report.store, uploaded, present, missing })
}

/// What `store pull` did.
#[derive(Debug, Serialize)]
pub struct PullReport {
    /// Objects the version names.
    pub objects: usize,
    /// What was downloaded (the rest was cached).
    pub downloaded: Transfer,
}

/// Fetches a version's objects (or every referenced object) into the cache, verified.
pub fn pull(
    registry: &Registry,
    env: &StoreEnv,
    only: Option<&ModelRef>,
    progress: &dyn Progress,
) -> Result<PullReport, Error> {
    let objects = referenced(registry, only)?;
    let wanted: Vec<_> = objects.iter().map(|o| (o.digest, o.size)).collect();
    let downloaded = registry.artifacts(env).fetch(&wanted, progress)?;
    Ok(PullReport { objects: objects.len(), downloaded })
}

/// One object `store verify` did not find intact.
#[derive(Debug, Serialize)]
pub struct BadObject {
    /// The object.
    #[serde(flatten)]
    pub object: Referenced,
    /// `missing` or `corrupt`.
    pub state: &'static str,
    /// For a corrupt object, what was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

/// What `store verify` found.
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    /// The store read.
    pub store: String,
    /// Objects read back in full and found intact.
    pub intact: usize,
    /// Objects missing or corrupt (findings), after any repair.
    pub bad: Vec<BadObject>,
    /// With `repair`: objects that were bad and were replaced from the local cache, then read back
    /// intact.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repaired: Vec<Referenced>,
}

/// Reads back every referenced object (or `only`'s) from the shared store and hashes it. Writes
/// nothing, unless `repair`: then each missing or damaged object whose copy in the local cache is
/// intact is uploaded over it (the only way to mend damage of the right size, which `store push`
/// cannot see), and read back again.
pub fn verify(
    registry: &Registry,
    env: &StoreEnv,
    only: Option<&ModelRef>,
    repair: bool,
    progress: &dyn Progress,
) -> Result<VerifyReport, Error> {
    let artifacts = registry.artifacts(env);
    let remote = artifacts.connect()?;
    let objects = referenced(registry, only)?;
    let mut report = verify_in(&remote, objects, progress)?;
    if !repair || report.bad.is_empty() {
        return Ok(report);
    }
    let cache = artifacts.cache();
    let (mendable, rest): (Vec<BadObject>, Vec<BadObject>) = report
        .bad
        .into_iter()
        .partition(|bad| matches!(cache.verify(&bad.object.digest, bad.object.size), Ok(ObjectState::Intact)));
    report.bad = rest;
    let paths: Vec<_> = mendable.iter().map(|bad| cache.object_path(&bad.object.digest)).collect();
    let files: Vec<_> =
        mendable.iter().zip(&paths).map(|(bad, path)| (path.as_path(), bad.object.digest, bad.object.size)).collect();
    progress.start("repairing", files.iter().map(|(_, _, size)| size).sum());
    let replaced = remote.replace(&files, progress);
    progress.finish();
    replaced?;
    // Trust nothing that was not read back.
    let mendable: Vec<Referenced> = mendable.into_iter().map(|bad| bad.object).collect();
    let again = verify_in(&remote, mendable.clone(), progress)?;
    report.intact += again.intact;
    let still_bad: Vec<Digest> = again.bad.iter().map(|b| b.object.digest).collect();
    report.bad.extend(again.bad);
    report.repaired = mendable.into_iter().filter(|object| !still_bad.contains(&object.digest)).collect();
    Ok(report)
}

fn verify_in(
    remote: &crate::store::RemoteStore,
    objects: Vec<Referenced>,
    progress: &dyn Progress,
) -> Result<VerifyReport, Error> {
    let wanted: Vec<_> = objects.iter().map(|o| (o.digest, o.size)).collect();
    progress.start("verifying", wanted.iter().map(|(_, s)| s).sum());
    let states = remote.verify(&wanted, progress);
    progress.finish();
    let mut report = VerifyReport { store: remote.url().to_string(), intact: 0, bad: Vec::new(), repaired: Vec::new() };
    for (object, state) in objects.into_iter().zip(states?) {
        match state {
            ObjectState::Intact => report.intact += 1,
            ObjectState::Missing => report.bad.push(BadObject { object, state: "missing", found: None }),
            ObjectState::Corrupt { actual, size } => {
                let found = Some(format!("{actual} ({size} bytes)"));
                report.bad.push(BadObject { object, state: "corrupt", found });
            }
        }
    }
    Ok(report)
}

/// Objects younger than this are never deleted by `gc`: a registration uploads before it commits,
/// and a branch not merged yet names objects the registry branch does not.
pub const GC_GRACE_SECS: i64 = 7 * 24 * 3600;

/// An object in the shared store that no record names.
#[derive(Debug, Serialize)]
pub struct Garbage {
    /// The object.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// Whether it is older than the grace period (only those are deleted).
    pub expired: bool,
}

/// What `store gc` found (and deleted).
#[derive(Debug, Serialize)]
pub struct GcReport {
    /// The shared store.
    pub store: String,
    /// Objects in the store.
    pub objects: usize,
    /// Objects some record names (never deleted).
    pub referenced: usize,
    /// Objects no record names.
    pub unreferenced: Vec<Garbage>,
    /// How many were deleted.
    pub deleted: usize,
}

/// Lists the shared store's objects no record names; with `delete`, deletes those older than
/// `grace_secs`. An object any record names is never deleted.
pub fn gc(registry: &Registry, env: &StoreEnv, delete: bool, grace_secs: i64) -> Result<GcReport, Error> {
    let remote = registry.artifacts(env).connect()?;
    let referenced: std::collections::BTreeSet<Digest> = referenced(registry, None)?.iter().map(|o| o.digest).collect();
    let listed = remote.list()?;
    let now = Timestamp::now().unix_seconds() as i64;
    let unreferenced: Vec<Garbage> = listed
        .iter()
        .filter(|(digest, _, _)| !referenced.contains(digest))
        .map(|&(digest, size, modified)| Garbage { digest, size, expired: now - modified >= grace_secs })
        .collect();
    let doomed: Vec<Digest> = unreferenced.iter().filter(|g| g.expired).map(|g| g.digest).collect();
    let deleted = if delete {
        remote.delete(&doomed)?;
        doomed.len()
    } else {
        0
    };
    Ok(GcReport {
        store: remote.url().to_string(),
        objects: listed.len(),
        referenced: listed.iter().filter(|(d, _, _)| referenced.contains(d)).count(),
        unreferenced,
        deleted,
    })
}

/// What `store migrate` did.
#[derive(Debug, Serialize)]
pub struct MigrateReport {
    /// The store copied from (`None`: the local store only).
    pub from: Option<String>,
    /// The store copied to.
    pub to: String,
    /// What was uploaded to it.
    pub uploaded: Transfer,
    /// The target read back in full.
    pub verified: VerifyReport,
}

/// Copies every referenced object to the store at `to` (through the cache: missing objects are
/// first fetched from the current store, verified) and reads each back from `to` in full. The
/// configuration is not touched: an admin switches `store.url` and signs it once this succeeds.
pub fn migrate(
    registry: &Registry,
    env: &StoreEnv,
    to: &StoreUrl,
    progress: &dyn Progress,
) -> Result<MigrateReport, Error> {
    let artifacts = registry.artifacts(env);
    let target = artifacts.connect_to(to)?;
    let objects = referenced(registry, None)?;
    let wanted: Vec<_> = objects.iter().map(|o| (o.digest, o.size)).collect();
    artifacts.fetch(&wanted, progress)?;
    let uploaded = artifacts.upload(&target, &wanted, progress)?;
    let verified = verify_in(&target, objects, progress)?;
    Ok(MigrateReport { from: artifacts.url().map(ToString::to_string), to: to.to_string(), uploaded, verified })
}

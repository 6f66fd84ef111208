//! `modelreg get`: materialise a version's artifacts, verifying every byte.
//!
//! Objects missing from the local store are first fetched from the shared store into it (verified
//! while they stream; see `store::Artifacts`); a version whose objects are all cached makes no
//! request.
//!
//! Files are copied into a staging directory beside the destination and verified there; only when every
//! file matches its digest do they move into place (one rename per file, or one for the whole directory
//! when the destination is new). A corrupted or missing object leaves the destination untouched.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::show::{load_state, select};
use super::{Error, ModelRef, io};
use crate::progress::Progress;
use crate::record::{ModelName, Version};
use crate::repo::Registry;
use crate::store::{StoreEnv, StoreError, Transfer, copy_verified};

/// What `get` fetched.
#[derive(Debug, Serialize)]
pub struct GetReport {
    /// The model.
    pub model: ModelName,
    /// The version fetched.
    pub version: Version,
    /// Where its files are now.
    pub destination: PathBuf,
    /// How many files.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// What came from the shared store (the rest was cached).
    pub downloaded: Transfer,
}

/// Writes the artifacts of the version `reference` names into `destination` (see the module docs);
/// `overwrite` replaces files already there.
pub fn get(
    registry: &Registry,
    reference: &ModelRef,
    destination: &Path,
    overwrite: bool,
    store_env: &StoreEnv,
    progress: &dyn Progress,
) -> Result<GetReport, Error> {
    let state = load_state(registry, &reference.name)?;
    let version = select(&state, reference)?;
    let artifacts = &version.register.artifacts;
    let shared = registry.artifacts(store_env);
    let store = registry.store();

    let inside_git = |p: &Path| p.components().any(|c| c.as_os_str().eq_ignore_ascii_case(".git"));
    // Through symlinks too: a link named `out` that points into `.git/hooks` is still `.git`.
    let existing = if destination.exists() { destination.to_owned() } else { nearest_existing_dir(destination) };
    let resolved = existing.canonicalize().unwrap_or(existing);
    if inside_git(destination) || inside_git(&resolved) {
        return Err(Error::InsideGitDir(destination.to_owned()));
    }
    let dest_exists = destination.exists();
    if dest_exists && !destination.is_dir() {
        return Err(Error::DestinationExists(destination.to_owned()));
    }
    if dest_exists
        && !overwrite
        && let Some(clash) = artifacts.iter().map(|a| destination.join(a.path.as_str())).find(|p| p.exists())
    {
        return Err(Error::DestinationExists(clash));
    }
    let objects: Vec<_> = artifacts.iter().map(|a| (a.digest, a.size)).collect();
    let downloaded = shared.fetch(&objects, progress).map_err(|e| match e {
        StoreError::Missing { digest, store } => {
            let path = artifacts.iter().find(|a| a.digest == digest).map(|a| a.path.to_string()).unwrap_or_default();
            Error::MissingArtifact { path, digest, store }
        }
        other => other.into(),
    })?;

    // Stage beside the destination (same filesystem, so moves are renames) but only inside a directory
    // that already exists: a failed get must not leave even the parents of -o behind.
    let anchor = nearest_existing_dir(destination);
    let staging = tempfile::Builder::new().prefix(".modelreg-get-").tempdir_in(&anchor).map_err(io(&anchor))?;

    let total = artifacts.iter().map(|a| a.size).sum();
    progress.start("fetching", total);
    artifacts.par_iter().try_for_each(|artifact| -> Result<(), Error> {
        let target = staging.path().join("new").join(artifact.path.as_str());
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        copy_verified(&store, &artifact.digest, artifact.size, artifact.path.as_str(), &target, progress)?;
        Ok(())
    })?;
    progress.finish();

    if dest_exists {
        replace_into(destination, staging.path(), artifacts.iter().map(|a| a.path.as_str()))?;
    } else {
        if let Some(parent) = destination.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::rename(staging.path().join("new"), destination).map_err(io(destination))?;
    }
    Ok(GetReport {
        model: state.name.clone(),
        version: version.version,
        destination: destination.to_owned(),
        files: artifacts.len(),
        bytes: total,
        downloaded,
    })
}

fn nearest_existing_dir(path: &Path) -> PathBuf {
    let mut candidate = path.parent();
    while let Some(dir) = candidate {
        if dir.as_os_str().is_empty() {
            break;
        }
        if dir.is_dir() {
            return dir.to_owned();
        }
        candidate = dir.parent();
    }
    PathBuf::from(".")
}

/// Moves verified files from `<staging>/new` into an existing `destination`, all or nothing: every
/// target is checked first, files being replaced are moved aside, and any failure puts them back.
fn replace_into<'a>(
    destination: &Path,
    staging: &Path,
    files: impl Iterator<Item = &'a str> + Clone,
) -> Result<(), Error> {
    for rel in files.clone() {
        let target = destination.join(rel);
        if target.is_dir() {
            return Err(Error::DestinationExists(target));
        }
        let mut parent = target.parent();
        while let Some(dir) = parent.filter(|d| d.starts_with(destination) && *d != destination) {
            if dir.exists() && !dir.is_dir() {
                return Err(Error::DestinationExists(dir.to_owned()));
            }
            parent = dir.parent();
        }
    }
    let backup = staging.join("replaced");
    let mut done: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    let result = files.enumerate().try_for_each(|(i, rel)| -> Result<(), Error> {
        let target = destination.join(rel);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let saved = if target.exists() {
            std::fs::create_dir_all(&backup).map_err(io(&backup))?;
            let saved = backup.join(i.to_string());
            std::fs::rename(&target, &saved).map_err(io(&target))?;
            Some(saved)
        } else {
            None
        };
        done.push((target.clone(), saved));
        std::fs::rename(staging.join("new").join(rel), &target).map_err(io(&target))
    });
    if result.is_err() {
        for (target, saved) in done.into_iter().rev() {
            let _ = std::fs::remove_file(&target);
            if let Some(saved) = saved {
                let _ = std::fs::rename(saved, &target);
            }
        }
    }
    result
}

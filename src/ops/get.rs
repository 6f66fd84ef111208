//! `modelreg get`: materialise a version's artifacts, verifying every byte.
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
use crate::store::{ArtifactStore, copy_verified};

#[derive(Debug, Serialize)]
pub struct GetReport {
    pub model: ModelName,
    pub version: Version,
    pub destination: PathBuf,
    pub files: usize,
    pub bytes: u64,
}

pub fn get(
    registry: &Registry,
    reference: &ModelRef,
    destination: &Path,
    overwrite: bool,
    progress: &dyn Progress,
) -> Result<GetReport, Error> {
    let state = load_state(registry, &reference.name)?;
    let version = select(&state, reference)?;
    let artifacts = &version.register.artifacts;
    let store = registry.store();

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
    for artifact in artifacts {
        if !store.contains(&artifact.digest)? {
            return Err(crate::store::StoreError::Missing { digest: artifact.digest, store: store.location() }.into());
        }
    }

    let parent = match destination.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let staging = tempfile::Builder::new().prefix(".modelreg-get-").tempdir_in(&parent).map_err(io(&parent))?;

    let total = artifacts.iter().map(|a| a.size).sum();
    progress.start("fetching", total);
    artifacts.par_iter().try_for_each(|artifact| -> Result<(), Error> {
        let target = staging.path().join(artifact.path.as_str());
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        copy_verified(&store, &artifact.digest, artifact.size, artifact.path.as_str(), &target, progress)?;
        Ok(())
    })?;
    progress.finish();

    if !dest_exists {
        let staged = staging.keep();
        std::fs::rename(&staged, destination).map_err(io(destination))?;
    } else {
        for artifact in artifacts {
            let target = destination.join(artifact.path.as_str());
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
            }
            let staged = staging.path().join(artifact.path.as_str());
            std::fs::rename(&staged, &target).map_err(io(&target))?;
        }
    }
    Ok(GetReport {
        model: state.name.clone(),
        version: version.version,
        destination: destination.to_owned(),
        files: artifacts.len(),
        bytes: total,
    })
}

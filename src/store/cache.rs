//! The local store as a read-through cache of the shared store.
//!
//! [`Artifacts::fetch`] brings objects into the cache: those already cached cost no request at all;
//! the others are downloaded into temp files inside the cache, verified while they stream, and only
//! then renamed into place, so the cache never holds a wrong or partial object. [`Artifacts::upload`]
//! sends cached objects the shared store lacks. The client is built only when a request is needed, so
//! a fully cached `get` works without credentials.

use std::collections::BTreeSet;

use super::{ArtifactStore, LocalStore, RemoteStore, StoreEnv, StoreError, StoreUrl};
use crate::progress::Progress;
use crate::record::Digest;

/// The cache and (when configured) the shared store behind it.
#[derive(Debug, Clone)]
pub struct Artifacts {
    cache: LocalStore,
    remote: Option<StoreUrl>,
    env: StoreEnv,
}

/// How many objects and bytes a transfer moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Transfer {
    /// Objects transferred.
    pub objects: usize,
    /// Their bytes.
    pub bytes: u64,
}

impl Artifacts {
    /// The cache `cache` in front of the store at `remote` (none: the cache is the only store),
    /// reached with the credentials in `env`.
    pub fn new(cache: LocalStore, remote: Option<StoreUrl>, env: StoreEnv) -> Artifacts {
        Artifacts { cache, remote, env }
    }

    /// The local store (the cache).
    pub fn cache(&self) -> &LocalStore {
        &self.cache
    }

    /// The shared store's URL, if one is configured.
    pub fn url(&self) -> Option<&StoreUrl> {
        self.remote.as_ref()
    }

    /// A client for the shared store ([`StoreError::NoRemote`] without one).
    pub fn connect(&self) -> Result<RemoteStore, StoreError> {
        let url = self.remote.as_ref().ok_or(StoreError::NoRemote)?;
        RemoteStore::connect(url, &self.env)
    }

    /// A client for another store (a migration's target), with the same credentials.
    pub fn connect_to(&self, url: &StoreUrl) -> Result<RemoteStore, StoreError> {
        RemoteStore::connect(url, &self.env)
    }

    /// Makes sure every object is in the cache, downloading the missing ones (verified). Without a
    /// shared store, a missing object is [`StoreError::Missing`].
    pub fn fetch(&self, objects: &[(Digest, u64)], progress: &dyn Progress) -> Result<Transfer, StoreError> {
        let mut seen = BTreeSet::new();
        let mut missing = Vec::new();
        for &(digest, size) in objects {
            if seen.insert(digest) && !self.cache.contains(&digest)? {
                missing.push((digest, size));
            }
        }
        if missing.is_empty() {
            return Ok(Transfer::default());
        }
        if self.remote.is_none() {
            return Err(StoreError::Missing { digest: missing[0].0, store: self.cache.location() });
        }
        let remote = self.connect()?;
        // Closed temp files (paths that remove themselves unless adopted): thousands of small objects
        // must not hold thousands of descriptors open.
        let temps = missing
            .iter()
            .map(|_| self.cache.temp_file().map(|t| t.into_temp_path()))
            .collect::<Result<Vec<_>, _>>()?;
        let requests: Vec<_> = missing.iter().zip(&temps).map(|(&(d, s), t)| (d, s, &**t)).collect();
        let total = missing.iter().map(|(_, s)| s).sum();
        progress.start("downloading", total);
        let result = remote.download(&requests, progress);
        progress.finish();
        result?;
        for (temp, (digest, _)) in temps.into_iter().zip(&missing) {
            self.cache.adopt(temp, digest)?;
        }
        Ok(Transfer { objects: missing.len(), bytes: total })
    }

    /// Uploads the cached objects `remote` lacks; an object in neither is [`StoreError::Missing`].
    pub fn upload(
        &self,
        remote: &RemoteStore,
        objects: &[(Digest, u64)],
        progress: &dyn Progress,
    ) -> Result<Transfer, StoreError> {
        let mut seen = BTreeSet::new();
        let unique: Vec<(Digest, u64)> = objects.iter().copied().filter(|(d, _)| seen.insert(*d)).collect();
        let paths: Vec<_> = unique.iter().map(|(d, _)| self.cache.object_path(d)).collect();
        let files: Vec<_> = unique.iter().zip(&paths).map(|(&(d, s), p)| (p.as_path(), d, s)).collect();
        let total = unique.iter().map(|(_, s)| s).sum();
        progress.start("uploading", total);
        let result = remote.upload(&files, progress);
        progress.finish();
        let uploaded = result.map_err(|e| match e {
            StoreError::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
                match unique.iter().zip(&paths).find(|(_, p)| **p == path) {
                    Some(((digest, _), _)) => StoreError::Missing { digest: *digest, store: self.cache.location() },
                    None => StoreError::Io { path, source },
                }
            }
            other => other,
        })?;
        let mut transfer = Transfer::default();
        for ((_, size), done) in unique.iter().zip(uploaded) {
            if done {
                transfer.objects += 1;
                transfer.bytes += size;
            }
        }
        Ok(transfer)
    }
}

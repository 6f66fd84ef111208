//! The content-addressed artifact store.
//!
//! Objects are immutable and named by the blake3 digest of their bytes. Writes are atomic (a temp file
//! in the store, then rename), so an interrupted write leaves at worst an unreferenced temp file, never
//! a wrong object under a digest; [`ArtifactStore::flush`] then makes a batch of new objects durable
//! before anything references them. Reads verify while they copy: a corrupted object is reported and
//! nothing partial reaches the reader's destination.
//!
//! [`LocalStore`] is a fan-out directory (`ab/cdef…`) inside or outside the repository. With
//! `[store] url` configured it is the read-through cache of a [`RemoteStore`] (S3, Azure Blob, GCS or
//! a shared directory, through `object_store`), and [`Artifacts`] puts the two together: objects are
//! fetched into the cache (verified) before they are read, and uploaded from it. [`StoreUrl`] is the
//! validated URL, [`StoreEnv`] the credentials the CLI reads from the environment.

mod cache;
mod local;
mod remote;
mod url;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use cache::{Artifacts, Transfer};
pub use local::LocalStore;
pub use remote::{FILES_IN_FLIGHT, MULTIPART_THRESHOLD, RemoteFailure, RemoteStore, StoreEnv};
pub use url::{Scheme, StoreUrl, UrlError};

use crate::progress::Progress;
use crate::record::Digest;

/// Buffer size for streaming copies: large enough to keep syscalls rare, small enough to stay in cache.
pub(crate) const COPY_BUFFER: usize = 1 << 20;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A local file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The object is not where it was looked for.
    #[error("object {digest} is not in the store at {store}")]
    Missing {
        /// The object.
        digest: Digest,
        /// Where it was looked for.
        store: String,
    },
    /// Bytes read back do not match their digest or size; nothing was kept.
    #[error("{name}: object is corrupted: expected {expected}, found {actual}")]
    Corrupt {
        /// The artifact or object.
        name: String,
        /// The recorded digest and size.
        expected: String,
        /// What was read.
        actual: String,
    },
    /// A source file was rewritten between hashing and storing.
    #[error("{path} changed while it was being stored")]
    SourceChanged {
        /// The file.
        path: PathBuf,
    },
    /// A request to the shared store failed.
    #[error("{store}: {failure} ({detail})")]
    Remote {
        /// The store's URL.
        store: String,
        /// What kind of failure.
        failure: RemoteFailure,
        /// The operation and what the client said, on one line.
        detail: String,
    },
    /// No credentials for the shared store in the environment.
    #[error("{store}: no credentials in the environment (needs {needed})")]
    NoCredentials {
        /// The store's URL.
        store: String,
        /// The variables that would do.
        needed: String,
    },
    /// The binary was built without the backend the URL needs.
    #[error("{store}: this modelreg was built without remote stores (the `remote-store` feature)")]
    Unsupported {
        /// The store's URL.
        store: String,
    },
    /// An operation on the shared store, in a registry that has none.
    #[error("no shared store is configured ([store] url in modelreg.toml)")]
    NoRemote,
}

pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_owned(), source }
}

/// What storing one file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The object's digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// False when an identical object was already present (nothing was copied).
    pub copied: bool,
}

/// What a full verification of one object found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectState {
    /// Not in the store.
    Missing,
    /// Present, and its bytes match.
    Intact,
    /// Present with other bytes.
    Corrupt {
        /// The digest of what was read.
        actual: Digest,
        /// How many bytes were read.
        size: u64,
    },
}

/// A content-addressed store of immutable objects on this machine (the local store and cache).
pub trait ArtifactStore: Send + Sync {
    /// Where the store is, for messages.
    fn location(&self) -> String;

    /// Whether the object is present (not verified).
    fn contains(&self, digest: &Digest) -> Result<bool, StoreError>;

    /// Stores a file whose digest and size were computed by [`hash_file`]; copies nothing if the object
    /// exists. The bytes are hashed again while copied, so a file rewritten in between is refused
    /// ([`StoreError::SourceChanged`]) instead of being stored under the wrong name.
    fn put_verified(
        &self,
        path: &Path,
        digest: &Digest,
        size: u64,
        progress: &dyn Progress,
    ) -> Result<bool, StoreError>;

    /// Makes objects durable (fsync). Writes are atomic without it, so a killed process never leaves a
    /// wrong object; this is for power loss. Callers flush every object they stored, in one batch,
    /// before writing a record that references them: the disk writes back while copies are still being
    /// made, as with git's `core.fsyncMethod=batch`.
    fn flush(&self, digests: &[Digest]) -> Result<(), StoreError>;

    /// Hashes and stores a file.
    fn put_file(&self, path: &Path, progress: &dyn Progress) -> Result<Stored, StoreError> {
        let (digest, size) = hash_file(path)?;
        let copied = self.put_verified(path, &digest, size, progress)?;
        Ok(Stored { digest, size, copied })
    }

    /// Opens an object for reading. Callers verify the bytes they read (see [`copy_verified`]).
    fn open(&self, digest: &Digest) -> Result<Box<dyn Read + Send>, StoreError>;

    /// Re-hashes a stored object: intact only when its bytes hash to `digest` and number `size` (a
    /// record's size is checked with its digest, never apart from it).
    fn verify(&self, digest: &Digest, size: u64) -> Result<ObjectState, StoreError>;
}

/// Hashes a file without copying it: memory-mapped and split across cores when large.
pub fn hash_file(path: &Path) -> Result<(Digest, u64), StoreError> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_mmap_rayon(path).map_err(io_error(path))?;
    Ok((Digest::from_hash(hasher.finalize()), hasher.count()))
}

/// Copies an object to `dest`, hashing on the way; on a digest or size mismatch returns
/// [`StoreError::Corrupt`] naming `name`, and the caller discards `dest`.
pub fn copy_verified(
    store: &dyn ArtifactStore,
    digest: &Digest,
    size: u64,
    name: &str,
    dest: &Path,
    progress: &dyn Progress,
) -> Result<(), StoreError> {
    let mut source = store.open(digest)?;
    let mut out = std::fs::File::create(dest).map_err(io_error(dest))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut copied = 0u64;
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(StoreError::Io { path: PathBuf::from(store.location()), source: e });
            }
        };
        hasher.update(&buf[..n]);
        std::io::Write::write_all(&mut out, &buf[..n]).map_err(io_error(dest))?;
        copied += n as u64;
        progress.advance(n as u64);
    }
    let actual = Digest::from_hash(hasher.finalize());
    if actual != *digest || copied != size {
        return Err(StoreError::Corrupt {
            name: name.to_owned(),
            expected: format!("{digest} ({size} bytes)"),
            actual: format!("{actual} ({copied} bytes)"),
        });
    }
    out.sync_all().map_err(io_error(dest))
}

//! The content-addressed artifact store.
//!
//! Objects are immutable and named by the blake3 digest of their bytes. Writes are atomic (a temp file
//! in the store, then rename), so an interrupted write leaves at worst an unreferenced temp file, never
//! a wrong object under a digest; [`ArtifactStore::flush`] then makes a batch of new objects durable
//! before anything references them. Reads verify while they copy: a corrupted object is reported and
//! nothing partial reaches the reader's destination.
//!
//! [`ArtifactStore`] is the seam for remote backends (S3, Azure Blob, GCS); [`LocalStore`] is the
//! default, a fan-out directory (`ab/cdef…`) inside or outside the repository.

mod local;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use local::LocalStore;

use crate::progress::Progress;
use crate::record::Digest;

/// Buffer size for streaming copies: large enough to keep syscalls rare, small enough to stay in cache.
pub(crate) const COPY_BUFFER: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("object {digest} is not in the store at {store}")]
    Missing { digest: Digest, store: String },
    #[error("{name}: object is corrupted: expected {expected}, found {actual}")]
    Corrupt { name: String, expected: String, actual: String },
    #[error("{path} changed while it was being stored")]
    SourceChanged { path: PathBuf },
}

pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_owned(), source }
}

/// What storing one file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub digest: Digest,
    pub size: u64,
    /// False when an identical object was already present (nothing was copied).
    pub copied: bool,
}

/// What a full verification of one object found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectState {
    Missing,
    Intact,
    Corrupt { actual: Digest, size: u64 },
}

pub trait ArtifactStore: Send + Sync {
    /// Where the store is, for messages.
    fn location(&self) -> String;

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

    /// Re-hashes a stored object.
    fn verify(&self, digest: &Digest) -> Result<ObjectState, StoreError>;
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

//! A store in a local directory: `<root>/<first two hex>/<remaining 62 hex>`.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{ArtifactStore, COPY_BUFFER, ObjectState, StoreError, hash_file, io_error};
use crate::progress::Progress;
use crate::record::Digest;

/// A fan-out directory of objects (see the module docs).
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// The store rooted at `root` (created when the first object is written).
    pub fn new(root: impl Into<PathBuf>) -> LocalStore {
        LocalStore { root: root.into() }
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A new temp file inside the store (same filesystem as the objects, so [`LocalStore::adopt`] is a
    /// rename); dropped without adopting, it is removed. Keep many as `TempPath`s (closed files).
    pub fn temp_file(&self) -> Result<tempfile::NamedTempFile, StoreError> {
        let temp_dir = self.temp_dir();
        std::fs::create_dir_all(&temp_dir).map_err(io_error(&temp_dir))?;
        tempfile::NamedTempFile::new_in(&temp_dir).map_err(io_error(&temp_dir))
    }

    /// Moves a temp file whose bytes were verified against `digest` into place, read-only.
    pub fn adopt(&self, temp: tempfile::TempPath, digest: &Digest) -> Result<(), StoreError> {
        let object = self.object_path(digest);
        let fan_out = object.parent().expect("object paths have a fan-out directory");
        std::fs::create_dir_all(fan_out).map_err(io_error(fan_out))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let perms = std::fs::Permissions::from_mode(0o444);
            std::fs::set_permissions(&temp, perms).map_err(io_error(&temp))?;
        }
        // A concurrent writer may have stored the same bytes first; replacing them is harmless.
        temp.persist(&object).map_err(|e| StoreError::Io { path: object.clone(), source: e.error })?;
        Ok(())
    }

    /// Where the object with `digest` is (or would be).
    pub fn object_path(&self, digest: &Digest) -> PathBuf {
        let hex = digest.hex();
        self.root.join(&hex[..2]).join(&hex[2..])
    }

    fn temp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }
}

impl ArtifactStore for LocalStore {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    fn contains(&self, digest: &Digest) -> Result<bool, StoreError> {
        let path = self.object_path(digest);
        match std::fs::metadata(&path) {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::Io { path, source: e }),
        }
    }

    fn put_verified(
        &self,
        path: &Path,
        digest: &Digest,
        size: u64,
        progress: &dyn Progress,
    ) -> Result<bool, StoreError> {
        if self.contains(digest)? {
            progress.advance(size);
            return Ok(false);
        }
        // Copy while hashing again: the object's name must describe the bytes actually stored, even if
        // the source file is rewritten between the two reads.
        let mut temp = self.temp_file()?;
        let mut source = File::open(path).map_err(io_error(path))?;
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; COPY_BUFFER];
        loop {
            let n = match source.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(StoreError::Io { path: path.into(), source: e });
                }
            };
            hasher.update(&buf[..n]);
            std::io::Write::write_all(temp.as_file_mut(), &buf[..n]).map_err(io_error(temp.path()))?;
            progress.advance(n as u64);
        }
        if Digest::from_hash(hasher.finalize()) != *digest || hasher.count() != size {
            return Err(StoreError::SourceChanged { path: path.into() });
        }
        self.adopt(temp.into_temp_path(), digest)?;
        Ok(true)
    }

    fn flush(&self, digests: &[Digest]) -> Result<(), StoreError> {
        digests.par_iter().try_for_each(|digest| {
            let path = self.object_path(digest);
            File::open(&path).and_then(|f| f.sync_all()).map_err(io_error(&path))
        })?;
        let mut dirs: Vec<PathBuf> =
            digests.iter().filter_map(|d| self.object_path(d).parent().map(Path::to_owned)).collect();
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            File::open(&dir).and_then(|f| f.sync_all()).map_err(io_error(&dir))?;
        }
        Ok(())
    }

    fn open(&self, digest: &Digest) -> Result<Box<dyn Read + Send>, StoreError> {
        let path = self.object_path(digest);
        match File::open(&path) {
            Ok(file) => Ok(Box::new(file)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(StoreError::Missing { digest: *digest, store: self.location() })
            }
            Err(e) => Err(StoreError::Io { path, source: e }),
        }
    }

    fn verify(&self, digest: &Digest, expected_size: u64) -> Result<ObjectState, StoreError> {
        if !self.contains(digest)? {
            return Ok(ObjectState::Missing);
        }
        let (actual, size) = hash_file(&self.object_path(digest))?;
        Ok(if actual == *digest && size == expected_size {
            ObjectState::Intact
        } else {
            ObjectState::Corrupt { actual, size }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    #[test]
    fn stores_once_and_detects_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("objects"));
        let src = dir.path().join("model.bin");
        std::fs::write(&src, b"weights").unwrap();
        let first = store.put_file(&src, &NoProgress).unwrap();
        assert!(first.copied);
        assert_eq!(first.digest, Digest::of_bytes(b"weights"));
        assert!(!store.put_file(&src, &NoProgress).unwrap().copied);
        assert_eq!(store.verify(&first.digest, first.size).unwrap(), ObjectState::Intact);

        let object = store.object_path(&first.digest);
        let mut perms = std::fs::metadata(&object).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&object, perms).unwrap();
        std::fs::write(&object, b"tampered").unwrap();
        assert!(matches!(store.verify(&first.digest, first.size).unwrap(), ObjectState::Corrupt { .. }));
        let dest = dir.path().join("out.bin");
        let err = super::super::copy_verified(&store, &first.digest, 7, "model.bin", &dest, &NoProgress);
        assert!(matches!(err, Err(StoreError::Corrupt { .. })));
    }
}

//! A registry: a git working tree with `modelreg.toml`, a signed trust file and `models/`.
//!
//! [`Registry::open`] refuses a registry whose trust file or configuration is not signed by enough
//! admins, so no command acts on rights that someone granted themselves with a plain edit; `check` uses
//! [`Registry::open_unverified`] and reports the same findings instead. Writes go through this module:
//! atomic (temp file, fsync, rename), under a per-clone lock, committing exactly the files written.

pub mod config;
pub mod git;
pub mod layout;
pub mod snapshot;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use config::Config;
pub use git::{Change, ChangeKind, Checkout, GitError, GitRepo, GitTree, IndexSnapshot};

use crate::record::{Digest, Record, RecordError, Timestamp};
use crate::sign::{SigningKey, Trust, TrustError};
use crate::store::LocalStore;
use layout::{CONFIG_FILE, RecordFileName, TRUST_FILE};
use snapshot::{WorkTree, relative};

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{0} is not a modelreg registry (no {CONFIG_FILE})")]
    NotInitialised(PathBuf),
    #[error("{0} is already a modelreg registry")]
    AlreadyInitialised(PathBuf),
    #[error("{path}: {source}")]
    Config { path: String, source: RecordError },
    #[error("{path}: {source}")]
    Trust { path: String, source: TrustError },
    #[error("{path}: {message}")]
    AdminSignatures { path: String, message: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0} already exists (another modelreg command wrote it concurrently?)")]
    RecordExists(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RepoError + '_ {
    move |source| RepoError::Io { path: path.to_owned(), source }
}

pub struct Registry {
    git: GitRepo,
    config: Config,
    trust: Trust,
}

impl Registry {
    /// Opens the registry containing `start`, verifying that trust and configuration carry enough
    /// admin signatures.
    pub fn open(start: &Path) -> Result<Registry, RepoError> {
        let registry = Registry::open_unverified(start)?;
        if let Some(problem) =
            crate::policy::admin_file_problems(&registry.worktree(), &registry.trust, None).into_iter().next()
        {
            return Err(RepoError::AdminSignatures { path: problem.path, message: problem.message });
        }
        Ok(registry)
    }

    /// Opens without judging signatures (for `check`, which reports them).
    pub fn open_unverified(start: &Path) -> Result<Registry, RepoError> {
        let git = GitRepo::discover(start)?;
        let root = git.workdir().to_owned();
        let config_path = root.join(CONFIG_FILE);
        if !config_path.exists() {
            return Err(RepoError::NotInitialised(root));
        }
        let config_bytes = std::fs::read(&config_path).map_err(io(&config_path))?;
        let config =
            Config::parse(&config_bytes).map_err(|source| RepoError::Config { path: CONFIG_FILE.into(), source })?;
        let trust_path = root.join(TRUST_FILE);
        let trust_bytes = std::fs::read(&trust_path).map_err(io(&trust_path))?;
        let trust =
            Trust::parse(&trust_bytes).map_err(|source| RepoError::Trust { path: TRUST_FILE.into(), source })?;
        Ok(Registry { git, config, trust })
    }

    pub fn root(&self) -> &Path {
        self.git.workdir()
    }

    pub fn git(&self) -> &GitRepo {
        &self.git
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    pub fn store(&self) -> LocalStore {
        LocalStore::new(self.config.store_path(self.root()))
    }

    /// The working tree, as the rule engine reads it.
    pub fn worktree(&self) -> WorkTree {
        WorkTree::new(self.root())
    }

    /// Takes the per-clone write lock (released when the guard drops, or the process dies).
    pub fn lock(&self) -> Result<WriteLock, RepoError> {
        WriteLock::acquire(&self.git.git_dir().join("modelreg.lock"))
    }

    /// Writes a new record and its signature; returns the record's digest and the two relative paths.
    ///
    /// The signature is written first and the record last, without replacing an existing file: an
    /// interruption leaves at worst an orphaned signature (which `check` reports as a warning), never an
    /// unsigned record.
    pub fn append_record(
        &self,
        _lock: &WriteLock,
        record: &Record,
        key: &SigningKey,
    ) -> Result<(Digest, [PathBuf; 2]), RepoError> {
        let bytes = record.to_bytes();
        let file = RecordFileName { seq: record.seq(), kind: record.kind() };
        let dir = layout::records_dir(self.root(), record.model());
        let record_path = dir.join(file.to_string());
        let sig_path = dir.join(file.signature(key.id()));
        if record_path.exists() {
            return Err(RepoError::RecordExists(relative(self.root(), &record_path)));
        }
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        write_atomic(&sig_path, key.sign(&bytes).as_bytes(), true)?;
        write_atomic(&record_path, &bytes, false).map_err(|e| match e {
            RepoError::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
                RepoError::RecordExists(relative(self.root(), &record_path))
            }
            other => other,
        })?;
        let rel = |p: &Path| p.strip_prefix(self.root()).unwrap_or(p).to_owned();
        Ok((Digest::of_bytes(&bytes), [rel(&sig_path), rel(&record_path)]))
    }

    /// Commits exactly these root-relative paths.
    pub fn commit(&self, paths: &[PathBuf], message: &str) -> Result<String, RepoError> {
        Ok(self.git.commit_paths(paths, message, Timestamp::now())?)
    }
}

/// Detached signature files of an admin-signed file (`<file>.<keyid>.sig` beside it), sorted.
pub fn admin_signature_files(signed: &Path) -> Result<Vec<PathBuf>, RepoError> {
    let dir = signed.parent().expect("signed files live in a directory");
    let name = signed.file_name().and_then(|n| n.to_str()).expect("signed file names are ASCII");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        if let Some(file_name) = entry.file_name().to_str()
            && layout::parse_signature_file_name(file_name).is_some_and(|(s, _)| s == name)
        {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

/// A file lock in the git directory serialising modelreg writes within one clone.
pub struct WriteLock {
    _file: File,
}

impl WriteLock {
    fn acquire(path: &Path) -> Result<WriteLock, RepoError> {
        let file = File::options().create(true).truncate(false).write(true).open(path).map_err(io(path))?;
        file.lock().map_err(io(path))?;
        Ok(WriteLock { _file: file })
    }
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory, fsync, rename, fsync of the
/// directory. With `overwrite = false` an existing file is an `AlreadyExists` error and is left alone.
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), RepoError> {
    let dir = path.parent().expect("written files live in a directory");
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut temp = tempfile::Builder::new().prefix(layout::TEMP_PREFIX).tempfile_in(dir).map_err(io(dir))?;
    temp.write_all(bytes).and_then(|()| temp.as_file().sync_all()).map_err(io(path))?;
    if overwrite {
        temp.persist(path).map_err(|e| RepoError::Io { path: path.to_owned(), source: e.error })?;
    } else {
        temp.persist_noclobber(path).map_err(|e| RepoError::Io { path: path.to_owned(), source: e.error })?;
    }
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

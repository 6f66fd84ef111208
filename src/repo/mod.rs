//! A registry: a git working tree with `modelreg.toml`, a signed trust file and `models/`.
//!
//! Storage only: [`Registry::open`] parses configuration and trust without judging them (the rule
//! engine in `policy` does that, and `policy::open_verified` is how commands open a registry). Writes
//! go through this module: atomic (temp file, fsync, rename), under a per-clone lock, committing exactly
//! the files written.

pub mod config;
pub mod git;
pub mod layout;
pub mod protected;
pub mod snapshot;
pub mod transport;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use config::Config;
pub use git::{Change, ChangeKind, Checkout, GitError, GitRepo, GitTree, IndexSnapshot};

use crate::record::{Digest, ModelName, Record, RecordError, Timestamp};
use crate::sign::{SigningKey, Trust, TrustError};
use crate::store::LocalStore;
use layout::{CONFIG_FILE, RecordFileName, TRUST_FILE};
use snapshot::{Snapshot, WorkTree, relative};

/// Why the registry's storage could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A git operation failed (see [`GitError`]).
    #[error(transparent)]
    Git(#[from] GitError),
    /// The git working tree (its root given) has no `modelreg.toml`: `modelreg init` has not run there.
    #[error("{0} is not a modelreg registry (no {CONFIG_FILE})")]
    NotInitialised(PathBuf),
    /// `init` was asked to create a registry where one exists (its root given).
    #[error("{0} is already a modelreg registry")]
    AlreadyInitialised(PathBuf),
    /// `modelreg.toml` is not a valid configuration.
    #[error("{path}: {source}")]
    Config {
        /// The configuration file, relative to the root.
        path: String,
        /// What is wrong with it.
        source: RecordError,
    },
    /// The trust file does not parse or breaks its own rules.
    #[error("{path}: {source}")]
    Trust {
        /// The trust file, relative to the root.
        path: String,
        /// What is wrong with it.
        source: TrustError,
    },
    /// Reading or writing a file of the working tree failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A record or signature file about to be written exists already (relative path given): another
    /// writer took that seq first. Nothing was overwritten.
    #[error("{0} already exists (another modelreg command wrote it concurrently?)")]
    RecordExists(String),
    /// The bytes about to be written do not parse back as a record: a bug caught before writing.
    #[error("the record would be invalid: {0}")]
    InvalidRecord(RecordError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RepoError + '_ {
    move |source| RepoError::Io { path: path.to_owned(), source }
}

/// An open registry: the git repository, its parsed configuration and trust, and the session's time.
pub struct Registry {
    git: GitRepo,
    config: Config,
    trust: Trust,
    now: Timestamp,
}

impl Registry {
    /// Opens the registry containing `start` as storage: configuration and trust parsed, nothing judged.
    /// Commands open it through `policy::open_verified`, which refuses a registry whose trust or
    /// configuration lacks admin signatures; `check` opens it here and reports the same findings.
    /// `now` is the time the session judges and dates at (the caller's clock; see [`Registry::now`]).
    pub fn open(start: &Path, now: Timestamp) -> Result<Registry, RepoError> {
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
        Ok(Registry { git, config, trust, now })
    }

    /// The time this session judges key expiry and dates records at: given when the registry was
    /// opened, so the library never reads a clock or an environment variable of its own.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The working tree's root directory.
    pub fn root(&self) -> &Path {
        self.git.workdir()
    }

    /// The git repository (the only way the rest of the crate reaches git).
    pub fn git(&self) -> &GitRepo {
        &self.git
    }

    /// `modelreg.toml` as parsed when the registry was opened.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The trust file as parsed when the registry was opened (not judged: see `policy::open_verified`).
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// The local store (with `[store] url`, the cache of the shared store).
    pub fn store(&self) -> LocalStore {
        LocalStore::new(self.config.store_path(self.root()))
    }

    /// The local store in front of the configured shared store, reached with `env`'s credentials.
    pub fn artifacts(&self, env: &crate::store::StoreEnv) -> crate::store::Artifacts {
        crate::store::Artifacts::new(self.store(), self.config.store.url.clone(), env.clone())
    }

    /// The working tree, as the rule engine reads it.
    pub fn worktree(&self) -> WorkTree {
        WorkTree::new(self.root())
    }

    /// Takes the per-clone write lock (released when the guard drops, or the process dies).
    pub(crate) fn lock(&self) -> Result<WriteLock, RepoError> {
        WriteLock::acquire(&self.git.git_dir().join("modelreg.lock"))
    }

    /// Writes a new record and its signature; returns the record's digest and the two relative paths.
    ///
    /// The signature is written first and the record last, without replacing an existing file: an
    /// interruption leaves at worst an orphaned signature (which `check` reports as a warning), never an
    /// unsigned record. Crate-internal, like the lock and the commit: callers write through
    /// `ops::transaction::Transaction`, which judges the record under the rules before it gets here.
    pub(crate) fn append_record(
        &self,
        _lock: &WriteLock,
        record: &Record,
        key: &SigningKey,
    ) -> Result<(Digest, [PathBuf; 2]), RepoError> {
        let bytes = record.to_bytes();
        // Never sign what our own parser would refuse (too large, a dataset named twice, a path that is
        // both a file and a directory…): such a record would make the model unreadable for good.
        Record::parse(&bytes).map_err(RepoError::InvalidRecord)?;
        let file = RecordFileName { seq: record.seq(), kind: record.kind() };
        let dir = layout::records_dir(self.root(), record.model());
        let record_path = dir.join(file.to_string());
        let sig_path = dir.join(file.signature(key.id()));
        if record_path.exists() {
            return Err(RepoError::RecordExists(relative(self.root(), &record_path)));
        }
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        // Signatures for a record file that does not exist are leftovers of an interrupted write (by
        // any key): they would sit beside this record and fail to verify.
        let prefix = format!("{file}.");
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))?.flatten() {
            if entry.file_name().to_str().is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".sig")) {
                std::fs::remove_file(entry.path()).map_err(io(&entry.path()))?;
            }
        }
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

    /// Adds `key`'s detached signature to an existing record (an approval): one new file beside it, the
    /// record untouched. Returns the signature's root-relative path.
    pub(crate) fn cosign_record(
        &self,
        _lock: &WriteLock,
        record_rel: &str,
        key: &SigningKey,
    ) -> Result<PathBuf, RepoError> {
        let record_path = self.root().join(record_rel);
        let bytes = std::fs::read(&record_path).map_err(io(&record_path))?;
        let sig_rel = PathBuf::from(layout::signature_file_name(record_rel, key.id()));
        let sig_path = self.root().join(&sig_rel);
        write_atomic(&sig_path, key.sign(&bytes).as_bytes(), false).map_err(|e| match e {
            RepoError::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
                RepoError::RecordExists(relative(self.root(), &sig_path))
            }
            other => other,
        })?;
        Ok(sig_rel)
    }

    /// Commits exactly these root-relative paths, dated `when`.
    pub(crate) fn commit(&self, paths: &[PathBuf], message: &str, when: Timestamp) -> Result<String, RepoError> {
        Ok(self.git.commit_paths(paths, message, when)?)
    }

    /// The files of a model's records directory that HEAD does not have: records written earlier with
    /// `--no-commit` (or by an interrupted command) that a new record chains onto, so they must be
    /// committed with it.
    pub(crate) fn uncommitted_records(&self, name: &ModelName) -> Result<Vec<PathBuf>, RepoError> {
        let dir = layout::records_dir(self.root(), name);
        let committed = match self.git.head()? {
            Some(head) => Some(self.git.tree_snapshot(&head)?),
            None => None,
        };
        let rel_dir = layout::records_rel(name);
        let in_head: Vec<String> = committed
            .as_ref()
            .and_then(|c| c.list(&rel_dir).ok().flatten())
            .map(|entries| entries.into_iter().map(|e| e.name).collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))?.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
            let is_chain_file = layout::RecordFileName::parse(&name).is_some()
                || layout::parse_signature_file_name(&name)
                    .is_some_and(|(s, _)| layout::RecordFileName::parse(s).is_some());
            if is_chain_file && !in_head.contains(&name) {
                out.push(PathBuf::from(format!("{rel_dir}/{name}")));
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Detached signature files of an admin-signed file (`<file>.<keyid>.sig` beside it), sorted.
pub(crate) fn admin_signature_files(signed: &Path) -> Result<Vec<PathBuf>, RepoError> {
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
pub(crate) struct WriteLock {
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
    // Registry files are public data: readable by CI and other users, not the temp file's 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(io(path))?;
    }
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

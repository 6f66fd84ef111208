//! A read-only view of the registry's files at one point: the working tree, a commit, or the index.
//!
//! The rule engine reads through this trait only, so `check` judges the same bytes whether they come
//! from disk (a full check before committing), from the git object database (hooks and CI, which must
//! never trust a working tree), or from the staging area (`pre-commit`). Paths are root-relative and
//! `/`-separated.

use std::path::{Path, PathBuf};

/// What a path is, as git's file modes tell it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file (executable or not).
    File,
    /// A directory.
    Dir,
    /// A symbolic link (never followed by the rule engine).
    Symlink,
    /// A git submodule (a commit of another repository).
    Submodule,
    /// Anything else on disk: a device, FIFO or socket.
    Other,
}

/// One name in a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file name; non-UTF-8 names are replaced lossily and flagged in `utf8`.
    pub name: String,
    /// False when the name on disk or in git is not valid UTF-8.
    pub utf8: bool,
    /// What the entry is.
    pub kind: EntryKind,
}

/// Why a snapshot could not return a file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    /// The file is bigger than the reader accepts (checked before reading it).
    #[error("file is {size} bytes, over the {cap}-byte limit")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The reader's limit.
        cap: usize,
    },
    /// The file system or object database failed.
    #[error("cannot read: {0}")]
    Io(String),
}

/// Read access to one version of the registry's files; see the module docs.
pub trait Snapshot: Sync {
    /// What this snapshot is, for messages (`working tree`, `commit 1a2b3c4d5e6f`, `index`).
    fn describe(&self) -> String;

    /// The entries of a directory, sorted by name; `None` when it does not exist.
    fn list(&self, dir: &str) -> Result<Option<Vec<Entry>>, ReadError>;

    /// A file's bytes, refusing anything over `cap` bytes without reading it; `None` when absent.
    fn read(&self, path: &str, cap: usize) -> Result<Option<Vec<u8>>, ReadError>;

    /// What one path is, `None` when absent. The same answer as finding it in [`Snapshot::list`] of
    /// its directory, which is what this default does; snapshots override it with a direct lookup, so
    /// a change check asks about one model without listing all of `models/`.
    fn kind(&self, path: &str) -> Result<Option<EntryKind>, ReadError> {
        let (dir, name) = split(path);
        Ok(self.list(dir)?.and_then(|entries| entries.into_iter().find(|e| e.name == name)).map(|e| e.kind))
    }
}

/// The files on disk under a repository root.
pub struct WorkTree {
    root: PathBuf,
}

impl WorkTree {
    /// The working tree at `root`.
    pub fn new(root: impl Into<PathBuf>) -> WorkTree {
        WorkTree { root: root.into() }
    }

    /// The path on disk of a root-relative path (`""` is the root).
    pub fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() { self.root.clone() } else { self.root.join(rel) }
    }
}

fn io(e: std::io::Error) -> ReadError {
    ReadError::Io(e.to_string())
}

impl Snapshot for WorkTree {
    fn describe(&self) -> String {
        "working tree".into()
    }

    fn list(&self, dir: &str) -> Result<Option<Vec<Entry>>, ReadError> {
        let entries = match std::fs::read_dir(self.path(dir)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io)?;
            let file_type = entry.file_type().map_err(io)?;
            let kind = if file_type.is_symlink() {
                EntryKind::Symlink
            } else if file_type.is_dir() {
                // A nested repository (submodule checkout) is as foreign here as a gitlink entry.
                if entry.path().join(".git").exists() { EntryKind::Submodule } else { EntryKind::Dir }
            } else if file_type.is_file() {
                EntryKind::File
            } else {
                EntryKind::Other
            };
            let raw = entry.file_name();
            out.push(Entry { name: raw.to_string_lossy().into_owned(), utf8: raw.to_str().is_some(), kind });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Some(out))
    }

    fn kind(&self, path: &str) -> Result<Option<EntryKind>, ReadError> {
        let full = self.path(path);
        let meta = match std::fs::symlink_metadata(&full) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        // The same classification as `list`.
        let file_type = meta.file_type();
        Ok(Some(if file_type.is_symlink() {
            EntryKind::Symlink
        } else if file_type.is_dir() {
            if full.join(".git").exists() { EntryKind::Submodule } else { EntryKind::Dir }
        } else if file_type.is_file() {
            EntryKind::File
        } else {
            EntryKind::Other
        }))
    }

    fn read(&self, path: &str, cap: usize) -> Result<Option<Vec<u8>>, ReadError> {
        use std::io::Read;
        let file = match std::fs::File::open(self.path(path)) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let size = file.metadata().map_err(io)?.len();
        if size > cap as u64 {
            return Err(ReadError::TooLarge { size, cap });
        }
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(cap as u64 + 1).read_to_end(&mut bytes).map_err(io)?;
        if bytes.len() > cap {
            return Err(ReadError::TooLarge { size: bytes.len() as u64, cap });
        }
        Ok(Some(bytes))
    }
}

/// `a/b` + `c` → `a/b/c`.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") }
}

/// The parent directory and file name of a relative path.
pub fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

/// Converts a root-relative path to the snapshot form.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

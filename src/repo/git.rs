//! The only place that speaks git (through libgit2). Everything else sees paths, ids and strings.
//!
//! Costs follow the change, not the registry, wherever git's formats allow it:
//! - [`GitRepo::commit_paths`] rebuilds only the trees on the written paths (every other subtree is
//!   kept by id) and splices only those paths' entries into `.git/index` (see `index_file`): one
//!   sequential copy of the file, with no entry decoded. That copy is the one cost that still grows
//!   with the repository (76 MB at 600,000 files): the format has no partial update short of git's
//!   split index, and git itself decodes and rewrites the whole file on every `git add`. Under
//!   `index.skipHash` (or `feature.manyFiles`) its SHA-1 is skipped too, as git does.
//! - [`GitRepo::diff_commits`] skips equal subtrees without reading them and walks the others in
//!   git's order without collecting them.
//! - [`GitTree`] resolves each directory once and reads from as many threads as rayon runs.
//!
//! Invariants: a modelreg commit leaves the index equal to the commit's tree on every path it wrote
//! (`git status` clean) and leaves anything else the user staged as it was; the commit object is
//! written before the index, and the index before the branch, which moves only if it still points at
//! the parent (see `commit_paths`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod index_file;
mod trees;

use index_file::{IndexEdit, NewEntry, Stat};
pub use trees::{MalformedTree, TreeFlaw};

use super::snapshot::{Entry, EntryKind, ReadError, Snapshot, join, split};
use crate::record::Timestamp;

/// Why a git operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// No repository contains the path.
    #[error("{0} is not inside a git repository")]
    NotARepository(PathBuf),
    /// The operation needs a working tree and the repository has none.
    #[error("{0} is a bare repository; run this in a clone with a working tree")]
    Bare(PathBuf),
    /// A revision does not resolve to a commit.
    #[error("`{rev}` does not name a commit: {message}")]
    BadRevision {
        /// The revision as given.
        rev: String,
        /// libgit2's reason.
        message: String,
    },
    /// Another git process holds (or a killed one left) the index lock.
    #[error("the index is locked: {0} exists")]
    IndexLocked(PathBuf),
    /// Anything else libgit2 or the file system reported.
    #[error("git: {0}")]
    Other(String),
}

impl From<git2::Error> for GitError {
    fn from(e: git2::Error) -> GitError {
        GitError::Other(e.message().to_owned())
    }
}

/// An open git repository: a clone with a working tree, or a bare one on a server.
pub struct GitRepo {
    repo: git2::Repository,
    workdir: Option<PathBuf>,
    /// Opened from `GIT_DIR` and friends (inside a hook): reopen the same way, so objects that git
    /// holds in quarantine during `pre-receive` stay visible.
    from_env: bool,
}

/// The state of a working tree's checkout, for lineage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// HEAD's commit id (hex).
    pub commit: String,
    /// Tracked files differ from HEAD (untracked files do not count).
    pub dirty: bool,
    /// The only remote's URL, credentials stripped; `None` with no remote or several.
    pub remote_url: Option<String>,
}

impl GitRepo {
    /// Finds the repository containing `start`, like `git rev-parse --show-toplevel`.
    pub fn discover(start: &Path) -> Result<GitRepo, GitError> {
        let repo = GitRepo::discover_any(start)?;
        if repo.workdir.is_none() {
            return Err(GitError::Bare(repo.repo.path().to_owned()));
        }
        Ok(repo)
    }

    /// Like [`GitRepo::discover`], but a bare repository is fine (server-side checks read objects only).
    /// Inside a git hook (`GIT_DIR` set) the repository comes from the environment.
    pub fn discover_any(start: &Path) -> Result<GitRepo, GitError> {
        // libgit2 re-hashes every object it reads (SHA-1 with collision detection: 20 ms for the two
        // `models/` trees a one-record push check reads at 30,000 models). git itself does not: objects
        // are verified when they arrive (index-pack, during the push the hook judges) and by `git fsck`.
        static NO_REHASH: std::sync::Once = std::sync::Once::new();
        NO_REHASH.call_once(|| git2::opts::strict_hash_verification(false));
        let (repo, from_env) = if std::env::var_os("GIT_DIR").is_some() {
            (git2::Repository::open_from_env().map_err(|_| GitError::NotARepository(start.to_owned()))?, true)
        } else {
            (git2::Repository::discover(start).map_err(|_| GitError::NotARepository(start.to_owned()))?, false)
        };
        // Canonical, so that paths computed from it compare equal to canonicalised user input.
        let workdir = repo.workdir().map(|w| w.canonicalize().unwrap_or_else(|_| w.to_owned()));
        Ok(GitRepo { repo, workdir, from_env })
    }

    /// The working tree. Only repositories from [`GitRepo::discover`] are guaranteed to have one.
    pub fn workdir(&self) -> &Path {
        self.workdir.as_deref().unwrap_or_else(|| self.repo.path())
    }

    /// The repository has no working tree (a server's).
    pub fn is_bare(&self) -> bool {
        self.workdir.is_none()
    }

    /// Is this a shallow clone (`git clone --depth N`, CI's usual checkout)? Its history stops at a
    /// boundary commit whose parents are absent.
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// The oldest commit on `start`'s first-parent line (the root, or a shallow clone's boundary).
    pub fn first_parent_oldest(&self, start: &str) -> Result<String, GitError> {
        let mut commit = self.repo.find_commit(oid(start)?)?;
        while let Ok(parent) = commit.parent(0) {
            commit = parent;
        }
        Ok(commit.id().to_string())
    }

    fn reopen(&self) -> Result<git2::Repository, GitError> {
        Ok(if self.from_env { git2::Repository::open_from_env()? } else { git2::Repository::open(self.repo.path())? })
    }

    /// The files of a commit, read from the object database.
    pub fn tree_snapshot(&self, commit: &str) -> Result<GitTree, GitError> {
        let tree = self.repo.find_commit(oid(commit)?)?.tree_id();
        // One handle per rayon worker (plus one for other threads), opened on first use: a
        // `git2::Repository` is not `Sync`, and one shared handle behind a lock serialised every read
        // of a parallel scan.
        let handles = (0..rayon::current_num_threads() + 1).map(|_| Mutex::new(None)).collect();
        Ok(GitTree {
            source: RepoSource { git_dir: self.repo.path().to_owned(), from_env: self.from_env },
            handles,
            dirs: Mutex::new(HashMap::from([(String::new(), Some(tree))])),
            subdirs: Mutex::new(HashMap::new()),
            label: format!("commit {}", &commit[..12.min(commit.len())]),
        })
    }

    /// The staged files (what `git commit` would record).
    /// With `index_file`, that index instead of the repository's (git names the one a commit is about
    /// to record in `GIT_INDEX_FILE`: `git commit -a` and `git commit PATHS` build a temporary one).
    pub fn index_snapshot(&self, index_file: Option<&Path>) -> Result<IndexSnapshot, GitError> {
        let index = self.index(index_file)?;
        let mut entries: Vec<(String, git2::Oid, u32)> =
            index.iter().map(|e| (String::from_utf8_lossy(&e.path).into_owned(), e.id, e.mode)).collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(IndexSnapshot { repo: Mutex::new(self.reopen()?), entries })
    }

    /// The repository's index, or the index file at `path`, freshly read.
    fn index(&self, path: Option<&Path>) -> Result<git2::Index, GitError> {
        match path {
            Some(path) => Ok(git2::Index::open(path)?),
            None => {
                let mut index = self.repo.index()?;
                index.read(true)?;
                Ok(index)
            }
        }
    }

    /// HEAD's commit id, or `None` on an unborn branch.
    pub fn head(&self) -> Result<Option<String>, GitError> {
        match self.repo.head() {
            Ok(head) => Ok(Some(head.peel_to_commit()?.id().to_string())),
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Is `ancestor` reachable from `descendant` (so moving a ref from one to the other is a fast-forward)?
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Result<bool, GitError> {
        let (a, d) = (oid(ancestor)?, oid(descendant)?);
        Ok(a == d || self.repo.graph_descendant_of(d, a)?)
    }

    /// Does `new`'s first-parent line lead into `old`'s history (some commit on it is `old` or one of
    /// its ancestors)? Walks only the commits `new` adds on that line.
    pub fn first_parent_line_reaches(&self, new: &str, old: &str) -> Result<bool, GitError> {
        let old = oid(old)?;
        let mut commit = self.repo.find_commit(oid(new)?)?;
        loop {
            if commit.id() == old || self.repo.graph_descendant_of(old, commit.id())? {
                return Ok(true);
            }
            match commit.parent(0) {
                Ok(parent) => commit = parent,
                Err(_) => return Ok(false),
            }
        }
    }

    /// The files that differ between two commits (`old = None`: everything in `new` is added).
    ///
    /// Subtrees with the same id are skipped without being read, so the cost follows the size of the
    /// change, not of the registry (libgit2's own tree diff reads every subtree).
    pub fn diff_commits(&self, old: Option<&str>, new: &str) -> Result<Vec<Change>, GitError> {
        let old_tree = match old {
            Some(o) => Some(self.repo.find_commit(oid(o)?)?.tree_id()),
            None => None,
        };
        let new_tree = self.repo.find_commit(oid(new)?)?.tree_id();
        let mut out = Vec::new();
        self.diff_trees(old_tree, Some(new_tree), "", &mut out)?;
        Ok(out)
    }

    fn diff_trees(
        &self,
        old: Option<git2::Oid>,
        new: Option<git2::Oid>,
        prefix: &str,
        out: &mut Vec<Change>,
    ) -> Result<(), GitError> {
        if old == new {
            return Ok(());
        }
        let (old, new) =
            (old.map(|id| self.repo.find_tree(id)).transpose()?, new.map(|id| self.repo.find_tree(id)).transpose()?);
        // Both trees list their entries in git's order, so one merge walk pairs them up without
        // collecting either side: a registry-sized `models/` costs one comparison per entry. A tree
        // out of order (hand-made, hostile) only makes pairs miss each other: every entry that differs
        // is still reported, as a deletion and an addition at worst.
        let mut before = old.iter().flat_map(|t| t.iter()).peekable();
        let mut after = new.iter().flat_map(|t| t.iter()).peekable();
        let is_tree = |mode: i32| mode as u32 & 0o170000 == 0o040000;
        let path = |e: &git2::TreeEntry<'_>| join(prefix, &String::from_utf8_lossy(e.name_bytes()));
        loop {
            let order = match (before.peek(), after.peek()) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(a), Some(b)) => git_order(a).cmp(git_order(b)),
            };
            match order {
                std::cmp::Ordering::Less => {
                    let a = before.next().expect("peeked");
                    self.leaf_changes(a.id(), a.filemode(), &path(&a), ChangeKind::Deleted, out)?;
                }
                std::cmp::Ordering::Greater => {
                    let b = after.next().expect("peeked");
                    self.leaf_changes(b.id(), b.filemode(), &path(&b), ChangeKind::Added, out)?;
                }
                // Same name and both directories or both not (git orders a directory as `name/`; a
                // file replaced by a directory, or the reverse, is a deletion and an addition above).
                std::cmp::Ordering::Equal => {
                    let (a, b) = (before.next().expect("peeked"), after.next().expect("peeked"));
                    if a.id() == b.id() && a.filemode() == b.filemode() {
                        continue;
                    }
                    if is_tree(a.filemode()) {
                        self.diff_trees(Some(a.id()), Some(b.id()), &path(&a), out)?;
                    } else {
                        out.push(Change { path: path(&a), kind: ChangeKind::Modified });
                    }
                }
            }
        }
        Ok(())
    }

    /// Every file under an added or deleted entry.
    fn leaf_changes(
        &self,
        id: git2::Oid,
        mode: i32,
        path: &str,
        kind: ChangeKind,
        out: &mut Vec<Change>,
    ) -> Result<(), GitError> {
        if mode as u32 & 0o170000 != 0o040000 {
            out.push(Change { path: path.to_owned(), kind });
            return Ok(());
        }
        let tree = self.repo.find_tree(id)?;
        for entry in tree.iter() {
            let child = join(path, &String::from_utf8_lossy(entry.name_bytes()));
            self.leaf_changes(entry.id(), entry.filemode(), &child, kind, out)?;
        }
        Ok(())
    }

    /// The files that differ between HEAD and the index.
    pub fn diff_staged(&self, index_file: Option<&Path>) -> Result<Vec<Change>, GitError> {
        let head = match self.head()? {
            Some(commit) => Some(self.repo.find_commit(oid(&commit)?)?.tree()?),
            None => None,
        };
        let index = self.index(index_file)?;
        let diff = self.repo.diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut diff_options()))?;
        Ok(changes(&diff))
    }

    /// The best common ancestor of two commits, if they share history.
    pub fn merge_base(&self, a: &str, b: &str) -> Result<Option<String>, GitError> {
        match self.repo.merge_base(oid(a)?, oid(b)?) {
            Ok(id) => Ok(Some(id.to_string())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Where a symbolic reference points (`refs/remotes/origin/HEAD` → `refs/remotes/origin/main`).
    pub fn symbolic_target(&self, name: &str) -> Option<String> {
        self.repo.find_reference(name).ok()?.symbolic_target().ok().flatten().map(str::to_owned)
    }

    /// Commits on HEAD's first-parent line (newest first) where the files named by `changed` differ
    /// from the parent's: `(commit, parent)`. Only root-tree entries are compared, so each commit costs
    /// one small tree read.
    ///
    /// The walk stops at `since` (a commit already verified), when it is on the line.
    pub fn first_parent_changes(
        &self,
        changed: impl Fn(&str) -> bool,
        since: Option<&str>,
    ) -> Result<Vec<(String, String)>, GitError> {
        let Some(head) = self.head()? else { return Ok(Vec::new()) };
        self.first_parent_changes_from(&head, changed, since)
    }

    /// [`GitRepo::first_parent_changes`] on the first-parent line of `start` instead of HEAD's.
    pub fn first_parent_changes_from(
        &self,
        start: &str,
        changed: impl Fn(&str) -> bool,
        since: Option<&str>,
    ) -> Result<Vec<(String, String)>, GitError> {
        let head = start.to_owned();
        let since = since.and_then(|s| git2::Oid::from_str(s).ok());
        let entries = |commit: &git2::Commit<'_>| -> Result<Vec<(String, git2::Oid)>, GitError> {
            let tree = commit.tree()?;
            Ok(tree
                .iter()
                .filter_map(|e| e.name().ok().filter(|n| changed(n)).map(|n| (n.to_owned(), e.id())))
                .collect())
        };
        let mut out = Vec::new();
        let mut commit = self.repo.find_commit(oid(&head)?)?;
        let mut current = entries(&commit)?;
        while Some(commit.id()) != since
            && let Ok(parent) = commit.parent(0)
        {
            let before = entries(&parent)?;
            if before != current {
                out.push((commit.id().to_string(), parent.id().to_string()));
            }
            commit = parent;
            current = before;
        }
        Ok(out)
    }

    /// Where git runs hooks from: `core.hooksPath` if set, else `<git dir>/hooks`.
    pub fn hooks_dir(&self) -> PathBuf {
        match self.config_string("core.hookspath") {
            Some(path) if Path::new(&path).is_absolute() => PathBuf::from(path),
            Some(path) => self.workdir().join(path),
            None => self.repo.path().join("hooks"),
        }
    }

    /// The commit that the default branch of a bare repository (HEAD's target) names.
    pub fn head_ref_name(&self) -> Option<String> {
        self.repo.find_reference("HEAD").ok()?.symbolic_target().ok().flatten().map(str::to_owned)
    }

    /// The `.git` directory (the repository itself, when bare).
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    /// Sets a value in the repository's own configuration (`hooks install --server`).
    pub fn set_config(&self, key: &str, value: &str) -> Result<(), GitError> {
        Ok(self.repo.config()?.open_level(git2::ConfigLevel::Local)?.set_str(key, value)?)
    }

    /// A git configuration value, `None` when unset or blank.
    pub fn config_string(&self, key: &str) -> Option<String> {
        self.repo.config().ok()?.get_string(key).ok().filter(|v| !v.trim().is_empty())
    }

    /// `Name <email>` from git's configuration.
    pub fn author(&self) -> Result<(String, String), GitError> {
        match (self.config_string("user.name"), self.config_string("user.email")) {
            (Some(name), Some(email)) => Ok((name, email)),
            _ => Err(GitError::Other(
                "user.name and user.email are not set (git config user.name …; git config user.email …)".into(),
            )),
        }
    }

    /// The commit `rev` names, as a full hex id.
    pub fn resolve_commit(&self, rev: &str) -> Result<String, GitError> {
        let object = self
            .repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| GitError::BadRevision { rev: rev.to_owned(), message: e.message().to_owned() })?;
        Ok(object.id().to_string())
    }

    /// HEAD's commit and whether tracked files differ from it; `None` before the first commit.
    pub fn checkout(&self) -> Result<Option<Checkout>, GitError> {
        let head = match self.repo.head() {
            Ok(head) => head.peel_to_commit()?.id().to_string(),
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound => {
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let mut options = git2::StatusOptions::new();
        options.include_untracked(false).include_ignored(false).exclude_submodules(true);
        let dirty = !self.repo.statuses(Some(&mut options))?.is_empty();
        Ok(Some(Checkout { commit: head, dirty, remote_url: self.remote_url() }))
    }

    /// The `origin` remote (else the only remote), with any credentials removed from the URL.
    pub fn remote_url(&self) -> Option<String> {
        let remote = self.repo.find_remote("origin").ok().or_else(|| {
            let names = self.repo.remotes().ok()?;
            let only = if names.len() == 1 {
                names.get(0).ok()??
            } else {
                return None;
            };
            self.repo.find_remote(only).ok()
        })?;
        remote.url().ok().map(strip_credentials)
    }

    /// Commits exactly `paths` (relative to the working tree; absent files are removed) on top of HEAD,
    /// leaving anything else the user has staged out of the commit and still staged.
    ///
    /// The tree is the parent's with only the subtrees on the changed paths rebuilt (see
    /// `edit_tree`), so its cost follows the depth of the paths, not the size of the registry.
    pub fn commit_paths(&self, paths: &[PathBuf], message: &str, when: Timestamp) -> Result<String, GitError> {
        let repo = &self.repo;
        let parent = match repo.head() {
            Ok(head) => Some(head.peel_to_commit()?),
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        let mut edits: Vec<IndexEdit> = Vec::with_capacity(paths.len());
        // Only regular files are spliced into the index; a symlink takes libgit2's general path.
        let mut all_regular = true;
        for path in paths {
            let full = self.workdir().join(path);
            let rel = tree_path(path)?;
            let fs_error = |e: std::io::Error| GitError::Other(format!("{}: {e}", full.display()));
            let entry = match std::fs::symlink_metadata(&full) {
                Ok(meta) => {
                    let regular = meta.file_type().is_file();
                    all_regular &= regular;
                    // A symlink is committed as git would: by what it points at.
                    let meta = if regular { meta } else { std::fs::metadata(&full).map_err(fs_error)? };
                    // From the bytes, not `blob_path`: that applies checkout filters, whose
                    // attribute lookup loads the whole index (1 s at 600,000 files). modelreg writes
                    // these files itself, LF-only, so no filter would change them.
                    let bytes = std::fs::read(&full).map_err(fs_error)?;
                    let oid = repo.blob(&bytes)?;
                    let oid =
                        oid.as_bytes().try_into().map_err(|_| GitError::Other("object id is not SHA-1".into()))?;
                    Some(NewEntry { oid, mode: blob_mode(&meta), stat: Stat::of(&meta) })
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(fs_error(e)),
            };
            edits.push(IndexEdit { path: rel, entry });
        }
        let tree_edits: Vec<(&str, TreeEdit)> = edits
            .iter()
            .map(|e| {
                (
                    e.path.as_str(),
                    e.entry.as_ref().map(|n| (git2::Oid::from_bytes(&n.oid).expect("20 bytes"), n.mode as i32)),
                )
            })
            .collect();
        let base = parent.as_ref().map(|p| p.tree()).transpose()?;
        let tree = match edit_tree(repo, base.as_ref(), &tree_edits)? {
            Some(id) => id,
            None => repo.treebuilder(None)?.write()?,
        };
        let tree = repo.find_tree(tree)?;
        let signature = repo.signature()?;
        let time = git2::Time::new(when.unix_seconds() as i64, 0);
        let signature =
            git2::Signature::new(signature.name().unwrap_or("modelreg"), signature.email().unwrap_or(""), &time)?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        // Order matters for interruptions: the commit object first (unreferenced until the end), then
        // the index (which fails cleanly on a stale index.lock), and only then the branch, moved only
        // if it still points at `parent` so a concurrent commit is not lost.
        let id = repo.commit(None, &signature, &signature, message, &tree, &parents)?;
        let branch = match repo.find_reference("HEAD")?.symbolic_target() {
            Ok(Some(name)) => name.to_owned(),
            _ => "HEAD".to_owned(),
        };
        // git's own locks (`index.lock`, `<branch>.lock`, its reflog's) are held only between the marker's creation
        // and removal. A marker found here means a modelreg commit was killed holding them; the
        // caller holds the registry's write lock, so no other modelreg can be committing, and those
        // lock files are that dead process's: removed, so a retry succeeds (git would refuse forever).
        let git_dir = repo.path();
        let marker = git_dir.join("modelreg-committing");
        if marker.exists() {
            let _ = std::fs::remove_file(git_dir.join("index.lock"));
            let _ = std::fs::remove_file(git_dir.join(format!("{branch}.lock")));
            let _ = std::fs::remove_file(git_dir.join(format!("logs/{branch}.lock")));
        }
        std::fs::write(&marker, branch.as_bytes())
            .map_err(|e| GitError::Other(format!("{}: {e}", marker.display())))?;
        let moved = self.write_index(paths, &edits, all_regular).and_then(|()| {
            let log = format!("commit: {}", message.lines().next().unwrap_or(""));
            match &parent {
                Some(parent) => repo.reference_matching(&branch, id, true, parent.id(), &log)?,
                None => repo.reference(&branch, id, false, &log)?,
            };
            Ok(())
        });
        let _ = std::fs::remove_file(&marker);
        moved?;
        Ok(id.to_string())
    }

    /// Brings the index's entries for `paths` in line with `edits`: spliced into the index file
    /// when its shape allows (see [`index_file`]), else through libgit2, which rewrites it whole.
    fn write_index(&self, paths: &[PathBuf], edits: &[IndexEdit], all_regular: bool) -> Result<(), GitError> {
        let config = self.repo.config()?;
        // `feature.manyFiles` turns `index.skipHash` on unless it is set (git >= 2.40).
        let skip_hash =
            config.get_bool("index.skipHash").or_else(|_| config.get_bool("feature.manyFiles")).unwrap_or(false);
        if all_regular && cfg!(unix) {
            let index_path = self.repo.path().join("index");
            if index_file::splice(&index_path, edits, skip_hash)? == index_file::Splice::Written {
                return Ok(());
            }
        }
        let mut index = self.repo.index()?;
        for (path, edit) in paths.iter().zip(edits) {
            match edit.entry {
                Some(_) => index.add_path(path)?,
                None => {
                    let _ = index.remove_path(path);
                }
            }
        }
        Ok(index.write()?)
    }
}

/// A blob to put at a path (id and file mode), or `None` to remove the file there.
type TreeEdit = Option<(git2::Oid, i32)>;

/// `base` with `edits` applied (paths relative to it, `/`-separated; `None` removes a file): only the
/// subtrees on an edited path are read and rewritten, every other entry is kept by id. Like a tree
/// written from an index, a directory left empty disappears (`Ok(None)` for an empty result).
fn edit_tree(
    repo: &git2::Repository,
    base: Option<&git2::Tree<'_>>,
    edits: &[(&str, TreeEdit)],
) -> Result<Option<git2::Oid>, GitError> {
    let mut builder = repo.treebuilder(base)?;
    let mut subdirs: BTreeMap<&str, Vec<(&str, TreeEdit)>> = BTreeMap::new();
    for &(path, edit) in edits {
        match path.split_once('/') {
            Some((dir, rest)) => subdirs.entry(dir).or_default().push((rest, edit)),
            None => match edit {
                Some((id, mode)) => {
                    builder.insert(path, id, mode)?;
                }
                // As `git rm --cached`: only a file is removed, never a directory of the same name.
                None => {
                    if builder.get(path)?.is_some_and(|e| e.kind() != Some(git2::ObjectType::Tree)) {
                        builder.remove(path)?;
                    }
                }
            },
        }
    }
    for (dir, inner) in subdirs {
        let existing = builder.get(dir)?.filter(|e| e.kind() == Some(git2::ObjectType::Tree)).map(|e| e.id());
        let sub_base = existing.map(|id| repo.find_tree(id)).transpose()?;
        match edit_tree(repo, sub_base.as_ref(), &inner)? {
            Some(id) => {
                builder.insert(dir, id, 0o040000)?;
            }
            None => {
                if existing.is_some() {
                    builder.remove(dir)?;
                }
            }
        }
    }
    Ok(if builder.is_empty() { None } else { Some(builder.write()?) })
}

/// A working-tree-relative path as git names it in a tree.
fn tree_path(path: &Path) -> Result<String, GitError> {
    let text = path.to_str().ok_or_else(|| GitError::Other(format!("{} is not UTF-8", path.display())))?;
    Ok(text.replace('\\', "/"))
}

/// The blob mode git records for a file: executable or not.
fn blob_mode(meta: &std::fs::Metadata) -> u32 {
    #[cfg(unix)]
    let executable = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0;
    #[cfg(not(unix))]
    let executable = false;
    if executable { 0o100755 } else { 0o100644 }
}

/// What happened to one path between two snapshots. Renames are reported as a deletion and an addition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Root-relative, `/`-separated.
    pub path: String,
    /// What happened to it.
    pub kind: ChangeKind,
}

/// How a path changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Present only on the new side.
    Added,
    /// Present on both sides with different content or mode.
    Modified,
    /// Present only on the old side.
    Deleted,
}

fn diff_options() -> git2::DiffOptions {
    let mut options = git2::DiffOptions::new();
    options.include_typechange(true).ignore_submodules(false);
    options
}

fn changes(diff: &git2::Diff<'_>) -> Vec<Change> {
    let path = |file: git2::DiffFile<'_>| file.path().map(|p| p.to_string_lossy().replace('\\', "/"));
    let mut out = Vec::new();
    for delta in diff.deltas() {
        let (old, new) = (path(delta.old_file()), path(delta.new_file()));
        match delta.status() {
            git2::Delta::Added | git2::Delta::Copied => {
                out.extend(new.map(|p| Change { path: p, kind: ChangeKind::Added }))
            }
            git2::Delta::Deleted => out.extend(old.map(|p| Change { path: p, kind: ChangeKind::Deleted })),
            git2::Delta::Renamed => {
                out.extend(old.map(|p| Change { path: p, kind: ChangeKind::Deleted }));
                out.extend(new.map(|p| Change { path: p, kind: ChangeKind::Added }));
            }
            _ => out.extend(new.or(old).map(|p| Change { path: p, kind: ChangeKind::Modified })),
        }
    }
    out
}

/// An entry's sort key in a git tree: its name, with a `/` after a directory's.
fn git_order<'a>(entry: &'a git2::TreeEntry<'_>) -> impl Iterator<Item = u8> + 'a {
    let slash = (entry.filemode() as u32 & 0o170000 == 0o040000).then_some(b'/');
    entry.name_bytes().iter().copied().chain(slash)
}

fn oid(hex: &str) -> Result<git2::Oid, GitError> {
    git2::Oid::from_str(hex).map_err(|e| GitError::BadRevision { rev: hex.to_owned(), message: e.message().to_owned() })
}

fn kind_of_mode(mode: u32) -> EntryKind {
    match mode & 0o170000 {
        0o040000 => EntryKind::Dir,
        0o120000 => EntryKind::Symlink,
        0o160000 => EntryKind::Submodule,
        0o100000 => EntryKind::File,
        _ => EntryKind::Other,
    }
}

fn read_blob(repo: &git2::Repository, id: git2::Oid, cap: usize) -> Result<Vec<u8>, ReadError> {
    let (size, _) =
        repo.odb().and_then(|odb| odb.read_header(id)).map_err(|e| ReadError::Io(e.message().to_owned()))?;
    if size > cap {
        return Err(ReadError::TooLarge { size: size as u64, cap });
    }
    let blob = repo.find_blob(id).map_err(|e| ReadError::Io(e.message().to_owned()))?;
    Ok(blob.content().to_vec())
}

/// How to open another handle on the same repository.
struct RepoSource {
    git_dir: PathBuf,
    /// Inside a hook: objects in quarantine are only visible when opened from the environment.
    from_env: bool,
}

impl RepoSource {
    fn open(&self) -> Result<git2::Repository, git2::Error> {
        if self.from_env { git2::Repository::open_from_env() } else { git2::Repository::open(&self.git_dir) }
    }
}

/// A commit's tree, read from the object database.
///
/// Reads cost per path: a directory is resolved once (by name, down from the root) and remembered,
/// a file is one lookup in its directory's tree. Safe to read from many threads at once (each rayon
/// worker reads through its own repository handle).
pub struct GitTree {
    source: RepoSource,
    /// Slot `0` for threads outside the rayon pool, `i + 1` for worker `i`.
    handles: Vec<Mutex<Option<git2::Repository>>>,
    /// Directory path → tree id (`None`: not a directory), filled as directories are resolved.
    dirs: Mutex<HashMap<String, Option<git2::Oid>>>,
    /// Directory path → its subdirectories, for each directory looked into. libgit2 does not cache
    /// large tree objects (like `models/` with thousands of entries), so each is read once here, into
    /// one compact table that answers every later lookup in it.
    subdirs: Mutex<HashMap<String, Arc<Subdirs>>>,
    label: String,
}

impl GitTree {
    /// Runs `f` with this thread's repository handle.
    fn with_repo<T>(&self, f: impl FnOnce(&git2::Repository) -> Result<T, ReadError>) -> Result<T, ReadError> {
        let slot = rayon::current_thread_index().map_or(0, |i| i + 1) % self.handles.len();
        let mut handle = self.handles[slot].lock().map_err(poisoned)?;
        if handle.is_none() {
            *handle = Some(self.source.open().map_err(git_read_error)?);
        }
        f(handle.as_ref().expect("opened just above"))
    }

    fn dir_id(&self, repo: &git2::Repository, dir: &str) -> Result<Option<git2::Oid>, ReadError> {
        if let Some(known) = self.dirs.lock().map_err(poisoned)?.get(dir) {
            return Ok(*known);
        }
        let (parent, name) = split(dir);
        let Some(parent_id) = self.dir_id(repo, parent)? else { return Ok(None) };
        let known = self.subdirs.lock().map_err(poisoned)?.get(parent).cloned();
        let subdirs = match known {
            Some(subdirs) => subdirs,
            None => {
                let tree = repo.find_tree(parent_id).map_err(git_read_error)?;
                let subdirs = Arc::new(Subdirs::of(&tree));
                self.subdirs.lock().map_err(poisoned)?.insert(parent.to_owned(), Arc::clone(&subdirs));
                subdirs
            }
        };
        let id = subdirs.get(name.as_bytes());
        self.dirs.lock().map_err(poisoned)?.insert(dir.to_owned(), id);
        Ok(id)
    }
}

/// A tree's subdirectories in git's order, names packed in one buffer: one pass over the tree builds
/// it, a binary search answers a lookup (no allocation per entry, whatever the directory's size).
struct Subdirs {
    names: Vec<u8>,
    /// End of each name in `names` (the previous entry's end is its start), and its tree id.
    entries: Vec<(usize, git2::Oid)>,
}

impl Subdirs {
    fn of(tree: &git2::Tree<'_>) -> Subdirs {
        let mut names = Vec::new();
        let mut entries = Vec::new();
        for entry in tree.iter().filter(|e| e.kind() == Some(git2::ObjectType::Tree)) {
            names.extend_from_slice(entry.name_bytes());
            entries.push((names.len(), entry.id()));
        }
        Subdirs { names, entries }
    }

    fn name(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.entries[i - 1].0 };
        &self.names[start..self.entries[i].0]
    }

    fn get(&self, name: &[u8]) -> Option<git2::Oid> {
        // Trees sort a directory as if its name ended in `/`.
        let (mut low, mut high) = (0, self.entries.len());
        while low < high {
            let mid = (low + high) / 2;
            match self.name(mid).iter().chain(b"/").cmp(name.iter().chain(b"/")) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Some(self.entries[mid].1),
            }
        }
        None
    }
}

fn git_read_error(e: git2::Error) -> ReadError {
    ReadError::Io(e.message().to_owned())
}

fn poisoned<T>(_: T) -> ReadError {
    ReadError::Io("repository lock poisoned".into())
}

impl Snapshot for GitTree {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn list(&self, dir: &str) -> Result<Option<Vec<Entry>>, ReadError> {
        self.with_repo(|repo| {
            let Some(id) = self.dir_id(repo, dir)? else { return Ok(None) };
            let tree = repo.find_tree(id).map_err(git_read_error)?;
            let mut out: Vec<Entry> = tree
                .iter()
                .map(|e| {
                    let name = String::from_utf8_lossy(e.name_bytes()).into_owned();
                    Entry { utf8: e.name().is_ok(), name, kind: kind_of_mode(e.filemode() as u32) }
                })
                .collect();
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(Some(out))
        })
    }

    fn read(&self, path: &str, cap: usize) -> Result<Option<Vec<u8>>, ReadError> {
        self.with_repo(|repo| {
            let (dir, name) = split(path);
            let Some(id) = self.dir_id(repo, dir)? else { return Ok(None) };
            let tree = repo.find_tree(id).map_err(git_read_error)?;
            match tree.get_name(name) {
                Some(entry) if entry.kind() == Some(git2::ObjectType::Blob) => {
                    read_blob(repo, entry.id(), cap).map(Some)
                }
                _ => Ok(None),
            }
        })
    }

    fn kind(&self, path: &str) -> Result<Option<EntryKind>, ReadError> {
        self.with_repo(|repo| {
            if path.is_empty() || self.dir_id(repo, path)?.is_some() {
                return Ok(Some(EntryKind::Dir));
            }
            // Not a directory: one lookup in the parent's tree (whose subdirectories are known now).
            let (dir, name) = split(path);
            let Some(id) = self.dir_id(repo, dir)? else { return Ok(None) };
            let tree = repo.find_tree(id).map_err(git_read_error)?;
            Ok(tree.get_name(name).map(|e| kind_of_mode(e.filemode() as u32)))
        })
    }
}

/// The index (staging area).
pub struct IndexSnapshot {
    repo: Mutex<git2::Repository>,
    /// (path, blob, mode), sorted by path.
    entries: Vec<(String, git2::Oid, u32)>,
}

impl Snapshot for IndexSnapshot {
    fn describe(&self) -> String {
        "index".into()
    }

    fn list(&self, dir: &str) -> Result<Option<Vec<Entry>>, ReadError> {
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let start = self.entries.partition_point(|(p, _, _)| p.as_str() < prefix.as_str());
        let mut out: Vec<Entry> = Vec::new();
        for (path, _, mode) in self.entries[start..].iter().take_while(|(p, _, _)| p.starts_with(&prefix)) {
            let rest = &path[prefix.len()..];
            let (name, kind) = match rest.split_once('/') {
                Some((dir_name, _)) => (dir_name, EntryKind::Dir),
                None => (rest, kind_of_mode(*mode)),
            };
            if out.last().is_none_or(|e| e.name != name) {
                out.push(Entry { name: name.to_owned(), utf8: true, kind });
            }
        }
        Ok(if out.is_empty() && !dir.is_empty() { None } else { Some(out) })
    }

    fn kind(&self, path: &str) -> Result<Option<EntryKind>, ReadError> {
        if let Ok(i) = self.entries.binary_search_by(|(p, _, _)| p.as_str().cmp(path)) {
            return Ok(Some(kind_of_mode(self.entries[i].2)));
        }
        // A directory is implied by the first entry under it.
        let prefix = format!("{path}/");
        let start = self.entries.partition_point(|(p, _, _)| p.as_str() < prefix.as_str());
        let is_dir = path.is_empty() || self.entries.get(start).is_some_and(|(p, _, _)| p.starts_with(&prefix));
        Ok(is_dir.then_some(EntryKind::Dir))
    }

    fn read(&self, path: &str, cap: usize) -> Result<Option<Vec<u8>>, ReadError> {
        let Ok(i) = self.entries.binary_search_by(|(p, _, _)| p.as_str().cmp(path)) else { return Ok(None) };
        let repo = self.repo.lock().map_err(|_| ReadError::Io("repository lock poisoned".into()))?;
        read_blob(&repo, self.entries[i].1, cap).map(Some)
    }
}

/// `https://user:token@host/x` → `https://host/x`; scp-style `git@host:x` is kept (no secret in it).
fn strip_credentials(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        if let Some((_, host)) = authority.rsplit_once('@') {
            return if path.is_empty() { format!("{scheme}://{host}") } else { format!("{scheme}://{host}/{path}") };
        }
    }
    url.to_owned()
}

#[cfg(test)]
mod tests {
    use super::strip_credentials;

    #[test]
    fn credentials_never_reach_records() {
        assert_eq!(strip_credentials("https://bob:s3cret@github.com/a/b.git"), "https://github.com/a/b.git");
        assert_eq!(strip_credentials("https://github.com/a/b.git"), "https://github.com/a/b.git");
        assert_eq!(strip_credentials("git@github.com:a/b.git"), "git@github.com:a/b.git");
    }
}

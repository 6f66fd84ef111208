//! The only place that speaks git (through libgit2). Everything else sees paths, ids and strings.

use std::path::{Path, PathBuf};

use crate::record::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{0} is not inside a git repository")]
    NotARepository(PathBuf),
    #[error("{0} is a bare repository; run this in a clone with a working tree")]
    Bare(PathBuf),
    #[error("`{rev}` does not name a commit: {message}")]
    BadRevision { rev: String, message: String },
    #[error("git: {0}")]
    Other(String),
}

impl From<git2::Error> for GitError {
    fn from(e: git2::Error) -> GitError {
        GitError::Other(e.message().to_owned())
    }
}

pub struct GitRepo {
    repo: git2::Repository,
    workdir: PathBuf,
}

/// The state of a working tree's checkout, for lineage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub commit: String,
    pub dirty: bool,
    pub remote_url: Option<String>,
}

impl GitRepo {
    /// Finds the repository containing `start`, like `git rev-parse --show-toplevel`.
    pub fn discover(start: &Path) -> Result<GitRepo, GitError> {
        let repo = git2::Repository::discover(start).map_err(|_| GitError::NotARepository(start.to_owned()))?;
        let workdir = repo.workdir().ok_or_else(|| GitError::Bare(repo.path().to_owned()))?;
        // Canonical, so that paths computed from it compare equal to canonicalised user input.
        let workdir = workdir.canonicalize().unwrap_or_else(|_| workdir.to_owned());
        Ok(GitRepo { repo, workdir })
    }

    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

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
    pub fn commit_paths(&self, paths: &[PathBuf], message: &str, when: Timestamp) -> Result<String, GitError> {
        let repo = &self.repo;
        let parent = match repo.head() {
            Ok(head) => Some(head.peel_to_commit()?),
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        let mut index = git2::Index::new()?;
        if let Some(parent) = &parent {
            index.read_tree(&parent.tree()?)?;
        }
        let mut real_index = repo.index()?;
        for path in paths {
            let full = self.workdir.join(path);
            if full.exists() {
                let oid = repo.blob_path(&full)?;
                index.add(&index_entry(path, oid, &full)?)?;
                real_index.add_path(path)?;
            } else {
                let _ = index.remove_path(path);
                let _ = real_index.remove_path(path);
            }
        }
        let tree = repo.find_tree(index.write_tree_to(repo)?)?;
        let signature = repo.signature()?;
        let time = git2::Time::new(when.unix_seconds() as i64, 0);
        let signature =
            git2::Signature::new(signature.name().unwrap_or("modelreg"), signature.email().unwrap_or(""), &time)?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        // Updating HEAD checks that it still points at `parent`, so a concurrent commit is not lost.
        let id = repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &parents)?;
        real_index.write()?;
        Ok(id.to_string())
    }
}

fn index_entry(path: &Path, oid: git2::Oid, full: &Path) -> Result<git2::IndexEntry, GitError> {
    let meta = std::fs::metadata(full).map_err(|e| GitError::Other(format!("{}: {e}", full.display())))?;
    let path_bytes = path.to_str().ok_or_else(|| GitError::Other(format!("{} is not UTF-8", path.display())))?;
    #[cfg(unix)]
    let executable = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0;
    #[cfg(not(unix))]
    let executable = false;
    Ok(git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: if executable { 0o100755 } else { 0o100644 },
        uid: 0,
        gid: 0,
        file_size: meta.len() as u32,
        id: oid,
        flags: (path_bytes.len().min(0xfff)) as u16,
        flags_extended: 0,
        path: path_bytes.replace('\\', "/").into_bytes(),
    })
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

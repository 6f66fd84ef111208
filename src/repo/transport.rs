//! Git transport: the one place that runs the `git` binary.
//!
//! Everything else in the library reads and writes the repository through libgit2 (`repo/git.rs`),
//! built without transports so no TLS or SSH stack is linked in. Talking to a remote — fetch, push,
//! and the working-tree moves around them — is left to the user's own `git`, with their credentials,
//! remotes and configuration; only `sync` does it, through this module.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::GitError;

/// How a push ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PushOutcome {
    /// The remote took it.
    Accepted,
    /// The remote moved meanwhile (someone pushed first): fetch and try again.
    Raced,
    /// A real refusal (a server hook declined it, no permission…), with git's words.
    Refused(String),
}

/// The `git` binary run in one working tree.
pub(crate) struct Transport {
    root: PathBuf,
}

impl Transport {
    /// Runs git in the working tree at `root`.
    pub fn new(root: &Path) -> Transport {
        Transport { root: root.to_owned() }
    }

    fn run(&self, args: &[&str]) -> Result<Output, GitError> {
        Command::new("git")
            .current_dir(&self.root)
            .args(args)
            .output()
            .map_err(|e| GitError::Other(format!("cannot run git: {e}")))
    }

    fn ok(&self, args: &[&str]) -> Result<String, GitError> {
        let out = self.run(args)?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(GitError::Other(format!("git {}: {}", args.join(" "), stderr.trim())));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// The checked-out branch's short name (an error on a detached HEAD).
    pub fn current_branch(&self) -> Result<String, GitError> {
        self.ok(&["symbolic-ref", "--short", "HEAD"])
    }

    /// Whether tracked files differ from HEAD (in the index or the working tree).
    pub fn has_uncommitted_changes(&self) -> Result<bool, GitError> {
        Ok(!self.ok(&["status", "--porcelain", "--untracked-files=no"])?.is_empty())
    }

    /// Fetches `remote`'s `branch` into the local ref `into` (forced: a remote-tracking ref).
    pub fn fetch(&self, remote: &str, branch: &str, into: &str) -> Result<(), GitError> {
        self.ok(&["fetch", "--quiet", remote, &format!("+refs/heads/{branch}:{into}")]).map(drop)
    }

    /// Fast-forwards the checked-out branch to `rev`.
    pub fn fast_forward(&self, rev: &str) -> Result<(), GitError> {
        self.ok(&["merge", "--ff-only", "--quiet", rev]).map(drop)
    }

    /// Moves the checked-out branch, index and working tree to `rev`.
    pub fn reset_hard(&self, rev: &str) -> Result<(), GitError> {
        self.ok(&["reset", "--quiet", "--hard", rev]).map(drop)
    }

    /// The best common ancestor of two commits.
    pub fn merge_base(&self, a: &str, b: &str) -> Result<String, GitError> {
        self.ok(&["merge-base", a, b])
    }

    /// HEAD's commit id.
    pub fn head(&self) -> Result<String, GitError> {
        self.ok(&["rev-parse", "HEAD"])
    }

    /// Pushes HEAD to `remote`'s `branch`; a lost race is told apart from a refusal by git's messages
    /// (git reports both with the same exit status).
    pub fn push_head(&self, remote: &str, branch: &str) -> Result<PushOutcome, GitError> {
        let out = self.run(&["push", "--quiet", remote, &format!("HEAD:refs/heads/{branch}")])?;
        if out.status.success() {
            return Ok(PushOutcome::Accepted);
        }
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        let raced = !stderr.contains("hook declined")
            && ["fetch first", "non-fast-forward", "failed to lock", "cannot lock ref", "rejected"]
                .iter()
                .any(|sign| stderr.contains(sign));
        Ok(if raced { PushOutcome::Raced } else { PushOutcome::Refused(stderr) })
    }
}

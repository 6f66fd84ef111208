//! `modelreg check` in its three forms, and the git hooks built on it.
//!
//! Every form ends in the same rule engine (`policy`): the working tree is checked whole; a commit
//! range, a push and the staging area are checked as changes, judged by the trust of their base.

use std::path::Path;

use serde::Serialize;

use super::Error;
pub use crate::policy::push::{PushReport, RefReport, RefUpdate, ZERO_ID, is_zero};
use crate::policy::push::{check_commits, judge_updates};
use crate::policy::{CheckOptions, CheckReport, check_change, check_registry};
use crate::progress::Progress;
use crate::record::{MAX_RECORD_BYTES, Timestamp};
use crate::repo::layout::CONFIG_FILE;
use crate::repo::snapshot::Snapshot;
use crate::repo::{Config, GitRepo, Registry};
use crate::store::StoreEnv;

/// Checks the working tree as it stands. With `shared` (the store's credentials), every artifact a
/// record names is also read back from the configured shared store in full (`check --artifacts`).
pub fn worktree(
    start: &Path,
    options: CheckOptions,
    shared: Option<&StoreEnv>,
    progress: &dyn Progress,
    now: Timestamp,
) -> Result<CheckReport, Error> {
    let registry = Registry::open(start, now)?;
    let mut report = check_registry(&registry, options, progress);
    if let (Some(env), Some(url)) = (shared, registry.config().store.url.as_ref()) {
        let objects: Vec<_> = super::store::referenced(&registry, None)?
            .into_iter()
            .map(|o| (o.digest, o.size, o.used_by.first().cloned().unwrap_or_default()))
            .collect();
        report.problems.extend(crate::policy::present::artifacts_intact(url, &objects, env, progress));
    }
    Ok(report)
}

/// Checks the change from `old` to `new` (revisions; `old` may be empty or all zeros for "nothing"),
/// with the shared store reached through `store_env` for `artifact-present` (`None`: not judged).
pub fn range(
    start: &Path,
    old: &str,
    new: &str,
    now: Timestamp,
    store_env: Option<&StoreEnv>,
) -> Result<CheckReport, Error> {
    let git = GitRepo::discover_any(start)?;
    let new = git.resolve_commit(new)?;
    let old = if old.is_empty() || is_zero(old) { None } else { Some(git.resolve_commit(old)?) };
    Ok(check_commits(&git, old.as_deref(), &new, now, store_env)?)
}

/// Checks what is staged against HEAD (the `pre-commit` hook). `index_file` is the index git is about
/// to commit when it is not the repository's own (`GIT_INDEX_FILE`, e.g. under `git commit -a`).
pub fn staged(start: &Path, index_file: Option<&Path>, now: Timestamp) -> Result<CheckReport, Error> {
    let git = GitRepo::discover(start)?;
    let changes = git.diff_staged(index_file)?;
    let index = git.index_snapshot(index_file)?;
    let head = git.head()?.map(|h| git.tree_snapshot(&h)).transpose()?;
    Ok(check_change(head.as_ref().map(|s| s as _), &index, &changes, now))
}

/// Parses `<old> <new> <ref>` lines (`pre-receive`).
pub fn parse_receive_lines(input: &str) -> Vec<RefUpdate> {
    input
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let (old, new, refname) = (parts.next()?, parts.next()?, parts.next()?);
            Some(RefUpdate { refname: refname.into(), old: old.into(), new: new.into() })
        })
        .collect()
}

/// Parses `<local ref> <local id> <remote ref> <remote id>` lines (`pre-push`).
pub fn parse_push_lines(input: &str) -> Vec<RefUpdate> {
    input
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let (_local_ref, new, remote_ref, old) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            Some(RefUpdate { refname: remote_ref.into(), old: old.into(), new: new.into() })
        })
        .collect()
}

/// The server side: judges every branch update of a push. The registry branch (see
/// [`protected_branch`]) may not be deleted or rewritten; every branch's new commits must keep the rules.
pub fn receive(start: &Path, updates: &[RefUpdate], now: Timestamp, store_env: &StoreEnv) -> Result<PushReport, Error> {
    let git = GitRepo::discover_any(start)?;
    let protected = protected_branch(&git).map(|p| p.refname);
    let registry_tip = protected.as_deref().and_then(|r| git.resolve_commit(r).ok());
    Ok(judge_updates(&git, updates, protected.as_deref(), registry_tip.as_deref(), now, Some(store_env))?)
}

/// The git config key naming the registry branch on a server (`hooks install --server --branch`).
pub const BRANCH_CONFIG_KEY: &str = "modelreg.branch";

/// The branch a server protects, and how it was found.
#[derive(Debug, Clone, Serialize)]
pub struct ProtectedBranch {
    /// `refs/heads/<name>`.
    pub refname: String,
    /// Where that name came from.
    pub source: BranchSource,
}

/// How the server's registry branch was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchSource {
    /// `modelreg.branch` in the repository's git config.
    GitConfig,
    /// The branch's own `modelreg.toml` names it (`branch`, written by `init`).
    Registry,
    /// The repository's `HEAD` (a registry whose configuration names no branch).
    Head,
}

/// The registry branch of a server repository: `modelreg.branch` in its git config; else the branch
/// whose own `modelreg.toml` names it (of HEAD's target, `main` and `master`, the first); else HEAD's
/// target. Never HEAD alone when the registry says otherwise: a bare repository made with `git init
/// --bare` points HEAD at `master` whatever branch the registry lives on.
pub fn protected_branch(git: &GitRepo) -> Option<ProtectedBranch> {
    let found = |refname: String, source| Some(ProtectedBranch { refname, source });
    if let Some(branch) = git.config_string(BRANCH_CONFIG_KEY) {
        let branch = branch.trim();
        let refname = if branch.starts_with("refs/") { branch.to_owned() } else { format!("refs/heads/{branch}") };
        return found(refname, BranchSource::GitConfig);
    }
    let head = git.head_ref_name();
    let names_itself = |refname: &str| {
        let tip = git.resolve_commit(refname).ok()?;
        let bytes = git.tree_snapshot(&tip).ok()?.read(CONFIG_FILE, MAX_RECORD_BYTES).ok()??;
        let branch = Config::parse(&bytes).ok()?.branch?;
        (format!("refs/heads/{branch}") == refname).then_some(())
    };
    let candidates = head.iter().cloned().chain(["refs/heads/main".to_owned(), "refs/heads/master".to_owned()]);
    for candidate in candidates {
        if names_itself(&candidate).is_some() {
            return found(candidate, BranchSource::Registry);
        }
    }
    head.and_then(|refname| found(refname, BranchSource::Head))
}

/// The client side (`pre-push`): the same rules, on what is about to be pushed to `remote`, whose
/// registry branch is the one its `HEAD` names (as recorded by `git clone`/`git remote set-head`), else
/// its `main` or `master`.
pub fn pre_push(
    start: &Path,
    remote: Option<&str>,
    updates: &[RefUpdate],
    now: Timestamp,
    store_env: &StoreEnv,
) -> Result<PushReport, Error> {
    let git = GitRepo::discover_any(start)?;
    // The remote's HEAD as `git clone` recorded it; a clone of an empty remote has none, so fall back
    // to the conventional names. (The server, which always knows, has the final word.)
    let remote_head = remote.and_then(|r| {
        git.symbolic_target(&format!("refs/remotes/{r}/HEAD")).or_else(|| {
            ["main", "master"]
                .iter()
                .map(|b| format!("refs/remotes/{r}/{b}"))
                .find(|candidate| git.resolve_commit(candidate).is_ok())
        })
    });
    let protected = remote_head.as_deref().and_then(|target| {
        let branch = target.strip_prefix(&format!("refs/remotes/{}/", remote.unwrap_or_default()))?;
        Some(format!("refs/heads/{branch}"))
    });
    let registry_tip = remote_head.as_deref().and_then(|r| git.resolve_commit(r).ok());
    Ok(judge_updates(&git, updates, protected.as_deref(), registry_tip.as_deref(), now, Some(store_env))?)
}

/// Which hooks `hooks install` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookSet {
    /// `pre-commit` and `pre-push` in a clone.
    Client,
    /// `pre-receive` in a (usually bare) server repository.
    Server,
}

const PRE_COMMIT: &str = include_str!("../../hooks/pre-commit");
const PRE_PUSH: &str = include_str!("../../hooks/pre-push");
const PRE_RECEIVE: &str = include_str!("../../hooks/pre-receive");
const MARKER: &str = "Written by `modelreg hooks install`";

/// What `hooks install` wrote.
#[derive(Debug, Serialize)]
pub struct InstalledHooks {
    /// The hooks directory written to.
    pub dir: String,
    /// The hooks written (`pre-commit`, `pre-push`, or `pre-receive`).
    pub hooks: Vec<String>,
    /// The modelreg binary the hooks run (an absolute path).
    pub binary: String,
    /// Git settings written into the repository's configuration (`key=value`).
    pub settings: Vec<String>,
    /// The registry branch the server hook protects (server hooks only).
    pub protects: Option<ProtectedBranch>,
}

/// Writes the hook scripts, with `binary` (an absolute path) as the default binary. An existing hook
/// that modelreg did not write is left alone unless `force`.
pub fn install_hooks(
    start: &Path,
    set: HookSet,
    binary: &Path,
    force: bool,
    branch: Option<&str>,
) -> Result<InstalledHooks, Error> {
    let git = GitRepo::discover_any(start)?;
    let dir = git.hooks_dir();
    std::fs::create_dir_all(&dir).map_err(super::io(&dir))?;
    let hooks: &[(&str, &str)] = match set {
        HookSet::Client => &[("pre-commit", PRE_COMMIT), ("pre-push", PRE_PUSH)],
        HookSet::Server => &[("pre-receive", PRE_RECEIVE)],
    };
    for (name, _) in hooks {
        let path = dir.join(name);
        if !force && path.exists() && !std::fs::read_to_string(&path).is_ok_and(|t| t.contains(MARKER)) {
            return Err(Error::ForeignHook(path));
        }
    }
    let binary_text = binary.to_string_lossy();
    for (name, script) in hooks {
        let path = dir.join(name);
        let text = script.replace("@MODELREG@", &binary_text);
        crate::repo::write_atomic(&path, text.as_bytes(), true)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(super::io(&path))?;
        }
    }
    let mut settings = Vec::new();
    if set == HookSet::Server {
        // git then refuses malformed objects (duplicate tree entries, bad modes…) before the hook runs.
        git.set_config("receive.fsckObjects", "true")?;
        settings.push("receive.fsckObjects=true".to_owned());
        if let Some(branch) = branch {
            git.set_config(BRANCH_CONFIG_KEY, branch)?;
            settings.push(format!("{BRANCH_CONFIG_KEY}={branch}"));
        }
    }
    let protects = (set == HookSet::Server).then(|| protected_branch(&git)).flatten();
    Ok(InstalledHooks {
        dir: dir.display().to_string(),
        hooks: hooks.iter().map(|(n, _)| n.to_string()).collect(),
        binary: binary_text.into_owned(),
        settings,
        protects,
    })
}

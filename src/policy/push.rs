//! The push rules: what a ref update may do. The registry branch is never deleted or rewritten; every
//! branch's new commits are judged as a change, from its own old tip when it moves forward, or from
//! where it leaves the registry branch when it is new or rewritten. The server's `pre-receive`, the
//! client's `pre-push` and `check --range` all come here.

use serde::Serialize;

use super::{CheckReport, Problem, RuleId, check_change};
use crate::record::Timestamp;
use crate::repo::{GitError, GitRepo};
use crate::store::StoreEnv;

/// A commit id of all zeros: git's "no commit" (a created or deleted ref).
pub const ZERO_ID: &str = "0000000000000000000000000000000000000000";

/// Is `id` git's "no commit" (all zeros, of any hash length)?
pub fn is_zero(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b == b'0')
}

/// One ref update, as `pre-receive` and `pre-push` hooks read them on stdin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefUpdate {
    /// The full ref name (`refs/heads/main`).
    pub refname: String,
    /// The commit it pointed at ([`ZERO_ID`] for a new ref).
    pub old: String,
    /// The commit it is to point at ([`ZERO_ID`] for a deletion).
    pub new: String,
}

/// What a push's ref updates were found to contain, ref by ref.
#[derive(Debug, Default, Serialize)]
pub struct PushReport {
    /// One report per ref update judged.
    pub refs: Vec<RefReport>,
}

/// The judgement of one ref update.
#[derive(Debug, Serialize)]
pub struct RefReport {
    /// The ref updated.
    pub refname: String,
    /// Its change's check.
    pub report: CheckReport,
}

impl PushReport {
    /// Error-severity findings over every ref (a push is refused when this is not zero).
    pub fn errors(&self) -> usize {
        self.refs.iter().map(|r| r.report.errors()).sum()
    }
}

/// Judges the commits from `old` to `new` as one change, by the trust and rules of `old` (with no `old`,
/// everything in `new` by its own trust), at the time `now` it is received. With `store_env`, the
/// change's registrations are also held to `artifact-present` (see [`super::present`]).
pub fn check_commits(
    git: &GitRepo,
    old: Option<&str>,
    new: &str,
    now: Timestamp,
    store_env: Option<&StoreEnv>,
) -> Result<CheckReport, GitError> {
    let changes = git.diff_commits(old, new)?;
    let new_snapshot = git.tree_snapshot(new)?;
    let old_snapshot = old.map(|o| git.tree_snapshot(o)).transpose()?;
    let old_snapshot = old_snapshot.as_ref().map(|s| s as _);
    let mut report = check_change(old_snapshot, &new_snapshot, &changes, now);
    if let Some(env) = store_env {
        report.problems.extend(super::present::artifact_present(old_snapshot, &new_snapshot, &changes, env));
    }
    report.problems.extend(tree_problems(git, old, new)?);
    if let Some(old) = old {
        report.problems.extend(super::admin::replay_problems(git, old, &new_snapshot).map_err(|e| match e {
            crate::repo::RepoError::Git(e) => e,
            other => GitError::Other(other.to_string()),
        })?);
    }
    Ok(report)
}

/// A tree git would not write (a name listed twice, entries out of order, an unknown mode) has more
/// than one meaning: the rules might judge one entry while a clone serves the other. Refused whole.
fn tree_problems(git: &GitRepo, old: Option<&str>, new: &str) -> Result<Vec<Problem>, GitError> {
    let flawed = git.malformed_trees(old, new)?;
    Ok(flawed
        .into_iter()
        .map(|tree| {
            let path = if tree.dir.is_empty() { "/".to_owned() } else { tree.dir };
            Problem::error(path, RuleId::Layout, tree.flaw.to_string())
                .with_hint("the commit was crafted by hand: rebuild it with git (`git add`, `git commit`)")
        })
        .collect())
}

/// Judges ref updates. `protected` is the registry branch, `registry_tip` where it stands now.
pub fn judge_updates(
    git: &GitRepo,
    updates: &[RefUpdate],
    protected: Option<&str>,
    registry_tip: Option<&str>,
    now: Timestamp,
    store_env: Option<&StoreEnv>,
) -> Result<PushReport, GitError> {
    let mut push = PushReport::default();
    for update in updates.iter().filter(|u| u.refname.starts_with("refs/heads/")) {
        let is_protected = protected == Some(update.refname.as_str());
        let mut report = CheckReport::default();
        if is_zero(&update.new) {
            if is_protected {
                report.problems.push(
                    Problem::error(&update.refname, RuleId::AppendOnly, "the registry branch cannot be deleted")
                        .with_hint("nothing registered is deleted: use `modelreg archive`"),
                );
            }
            push.refs.push(RefReport { refname: update.refname.clone(), report });
            continue;
        }
        // The old tip may be unknown here (a client that has not fetched): judge as if it were absent.
        let old = (!is_zero(&update.old) && git.resolve_commit(&update.old).is_ok()).then_some(update.old.as_str());
        let fast_forward = match old {
            Some(old) => git.is_ancestor(old, &update.new)?,
            None => true,
        };
        if is_protected && !fast_forward {
            report.problems.push(
                Problem::error(&update.refname, RuleId::AppendOnly, "force-push would rewrite the registry's history")
                    .with_hint("fetch, rebase your records onto the remote (`modelreg sync`), and push again"),
            );
        }
        // Trust history, configuration history and cards follow the first-parent line: a merge whose
        // first parent is a history of its own (an orphan root with its own trust) would move that
        // line off the registry's, though its tree changes nothing.
        if is_protected
            && fast_forward
            && let Some(old) = old
            && !git.first_parent_line_reaches(&update.new, old)?
        {
            report.problems.push(
                Problem::error(
                    &update.refname,
                    RuleId::AppendOnly,
                    "the new tip's first-parent line does not lead into the registry's history (a merge whose first parent is foreign)",
                )
                .with_hint("merge the other way round (the registry branch as the first parent), or rebase onto it"),
            );
        }
        // When the registry branch is unknown (a clone of an empty remote has no origin/HEAD), every
        // branch is judged strictly, from its own old tip.
        let strict = is_protected || fast_forward || protected.is_none();
        let base = match (old, strict) {
            // The registry branch, or a branch moving forward: judged from its own old tip.
            (Some(old), true) => Some(old.to_owned()),
            // A new or rewritten feature branch: judged as the change it proposes to the registry,
            // from where it leaves the registry branch. A branch sharing no history with it (an
            // orphan, perhaps with a trust root of its own) is judged from the registry's tip: never
            // by its own trust.
            _ => match registry_tip {
                Some(tip) => Some(git.merge_base(tip, &update.new)?.unwrap_or_else(|| tip.to_owned())),
                None => None,
            },
        };
        let change = check_commits(git, base.as_deref(), &update.new, now, store_env)?;
        report.problems.extend(change.problems);
        report.records = change.records;
        report.signatures = change.signatures;
        report.models = change.models;
        push.refs.push(RefReport { refname: update.refname.clone(), report });
    }
    Ok(push)
}

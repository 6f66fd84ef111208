//! Admin-signed files: `modelreg.toml` and `.modelreg/trust.toml` must carry signatures from enough
//! admins, judged by the trust before a change; [`open_verified`] refuses to act on a registry whose
//! working tree or history fails that rule.

use super::rules::{judge_signatures, take_expired};
use super::{Problem, RuleId, Severity};
use crate::record::{Digest, Timestamp};
use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::repo::layout::{self, CONFIG_FILE, TRUST_FILE};
use crate::repo::protected::{GITATTRIBUTES, PROTECTED_FILE, Protected, protected_files};
use crate::repo::snapshot::{Snapshot, join, split};
use crate::repo::{GitRepo, Registry, RepoError, write_atomic};
use crate::sign::{Role, Trust};

/// Reads and validates the trust file of a snapshot.
pub fn load_trust(snapshot: &dyn Snapshot) -> Result<Trust, Problem> {
    let bytes = snapshot
        .read(TRUST_FILE, crate::record::MAX_RECORD_BYTES)
        .map_err(|e| Problem::error(TRUST_FILE, RuleId::Trust, e.to_string()))?
        .ok_or_else(|| Problem::error(TRUST_FILE, RuleId::Trust, "missing").with_hint("run `modelreg init`"))?;
    Trust::parse(&bytes).map_err(|e| Problem::error(TRUST_FILE, RuleId::Trust, e.to_string()))
}

/// Findings about the admin-signed files, judged by `trust` (their own for a full check; the base
/// commit's for a change): `modelreg.toml`, `.modelreg/trust.toml` and `.modelreg/protected.toml` must
/// carry enough admin signatures, and the manifest must list every protected file (`.gitattributes`,
/// the templates) with its digest. With `now`, keys expired at that instant do not count (a change is
/// judged at the time it is received).
pub fn admin_file_problems(snapshot: &dyn Snapshot, trust: &Trust, now: Option<Timestamp>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for file in [CONFIG_FILE, TRUST_FILE] {
        let cap = crate::record::MAX_RECORD_BYTES;
        let bytes = match snapshot.read(file, cap) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                problems.push(Problem::error(file, RuleId::Trust, "missing").with_hint("restore it from git history"));
                continue;
            }
            Err(e) => {
                problems.push(Problem::error(file, RuleId::Trust, e.to_string()));
                continue;
            }
        };
        // A configuration that does not parse is refused, never read as absent: every command would
        // stop on it, and a change that installs it would have its promotions judged by no gates.
        if file == CONFIG_FILE
            && let Err(e) = crate::repo::Config::parse(&bytes)
        {
            problems.push(Problem::error(file, RuleId::Trust, format!("does not parse: {e}")).with_hint(
                "restore the last good configuration from git history, edit it, then `modelreg config sign`",
            ));
        }
        problems.extend(signature_problems(snapshot, file, &bytes, trust, now));
    }
    problems.extend(protected_file_problems(snapshot, trust, now));
    problems
}

/// The admin signatures over one signed file's `bytes`: each must verify, and enough distinct admins
/// (not expired at `now`) must have signed.
fn signature_problems(
    snapshot: &dyn Snapshot,
    file: &str,
    bytes: &[u8],
    trust: &Trust,
    now: Option<Timestamp>,
) -> Vec<Problem> {
    let cap = crate::record::MAX_RECORD_BYTES;
    let mut problems = Vec::new();
    let (dir, name) = split(file);
    let mut sig_paths = Vec::new();
    let mut armored = Vec::new();
    for entry in snapshot.list(dir).ok().flatten().unwrap_or_default() {
        if layout::parse_signature_file_name(&entry.name).is_some_and(|(signed, _)| signed == name) {
            let path = join(dir, &entry.name);
            match snapshot.read(&path, cap) {
                Ok(Some(sig)) => {
                    armored.push(sig);
                    sig_paths.push(path);
                }
                Ok(None) => {}
                Err(e) => problems.push(Problem::error(&path, RuleId::Signature, e.to_string())),
            }
        }
    }
    let mut judgement = judge_signatures(bytes, &armored, trust, &[Role::Admin]);
    for (i, message) in judgement.problems {
        problems.push(Problem::error(&sig_paths[i], RuleId::Signature, message));
    }
    if let Some(now) = now {
        for (key, expired) in take_expired(&mut judgement.valid, trust, now) {
            let message = format!("signed by admin key {} which expired at {expired}", key.id());
            problems.push(Problem::error(file, RuleId::Signature, message));
        }
    }
    let threshold = trust.admin_threshold as usize;
    if judgement.valid.len() < threshold {
        problems.push(
            Problem::error(
                file,
                RuleId::Trust,
                format!("signed by {} of the {threshold} admin key(s) required", judgement.valid.len()),
            )
            .with_hint(
                "trust and configuration change only through modelreg commands run by admins; restore it from git",
            ),
        );
    }
    problems
}

/// The protected-files rule: every file that changes what clones read or check out (see
/// [`crate::repo::protected`]) is listed with its digest in an admin-signed manifest. Without a
/// manifest, only a registry with no protected file passes.
fn protected_file_problems(snapshot: &dyn Snapshot, trust: &Trust, now: Option<Timestamp>) -> Vec<Problem> {
    const SIGN_HINT: &str = "an admin reviews the change, then runs `modelreg config sign --files`";
    let mut problems = Vec::new();
    let present = match protected_files(snapshot) {
        Ok(present) => present,
        Err(e) => return vec![Problem::error(PROTECTED_FILE, RuleId::Trust, e.to_string())],
    };
    for (path, why) in &present.refused {
        problems.push(Problem::error(path, RuleId::Trust, why.clone()).with_hint("replace it with a regular file"));
    }
    let listed = match snapshot.read(PROTECTED_FILE, crate::record::MAX_RECORD_BYTES) {
        Ok(Some(bytes)) => {
            problems.extend(signature_problems(snapshot, PROTECTED_FILE, &bytes, trust, now));
            match Protected::parse(&bytes) {
                Ok(manifest) => manifest.files,
                Err(e) => {
                    problems.push(
                        Problem::error(PROTECTED_FILE, RuleId::Trust, format!("does not parse: {e}")).with_hint(
                            "restore it from git history, or have an admin run `modelreg config sign --files`",
                        ),
                    );
                    return problems;
                }
            }
        }
        Ok(None) => Default::default(),
        Err(e) => {
            problems.push(Problem::error(PROTECTED_FILE, RuleId::Trust, e.to_string()));
            return problems;
        }
    };
    for (path, digest) in &present.files {
        let message = match listed.get(path) {
            Some(signed) if signed == digest => continue,
            Some(_) => "changed since admins signed .modelreg/protected.toml (it changes what every clone sees)",
            None => "not covered by .modelreg/protected.toml (it changes what every clone sees, so admins sign it)",
        };
        problems.push(Problem::error(path, RuleId::Trust, message).with_hint(SIGN_HINT));
    }
    for path in listed.keys().filter(|p| !present.files.contains_key(*p)) {
        if present.refused.iter().any(|(refused, _)| refused == path) {
            continue;
        }
        problems.push(
            Problem::error(
                path,
                RuleId::Trust,
                "listed in .modelreg/protected.toml but absent (deleted without admins)",
            )
            .with_hint(SIGN_HINT),
        );
    }
    problems
}

/// Every committed change to trust or configuration on HEAD's first-parent line, judged by the admins
/// before it (and by the trust it installs), as the hooks judge a push. Catches a self-granted admin
/// committed with `--no-verify` into a repository without a server hook. Changes are rare, and finding
/// them compares one root-tree entry per commit.
///
/// A push is judged as one change, so a change that two admins sign in two commits (the first below
/// the threshold, the second completing it) is accepted by the server; history is judged the same
/// way: a commit that fails is pending, and the next change to trust or configuration is judged from
/// the last state that stood. Only a change still pending at the end is a finding.
/// With `since`, only commits after that (already verified) commit are judged.
pub fn trust_history_problems(git: &GitRepo, since: Option<&str>) -> Result<Vec<Problem>, RepoError> {
    let mut changes = git.first_parent_changes(is_admin_root_entry, since)?;
    // A replay is judged against every state that stood before: with new changes to judge, the whole
    // line is walked (changes to these files are rare; the walk reads one root tree per commit).
    if since.is_some() && !changes.is_empty() {
        changes = git.first_parent_changes(is_admin_root_entry, None)?;
    }
    changes.reverse();
    // The trust of the last state that stood, while a change is pending; with the pending findings.
    let mut pending: Option<(Trust, Vec<Problem>)> = None;
    let mut states = SignedStates::default();
    for (commit, parent) in changes {
        let new = git.tree_snapshot(&commit)?;
        if states.standing.is_empty() {
            states.stand(&git.tree_snapshot(&parent)?);
        }
        let before = match pending.take() {
            Some((trust, _)) => trust,
            // The commit that creates the registry has no admins before it.
            None => match load_trust(&git.tree_snapshot(&parent)?) {
                Ok(trust) => trust,
                Err(_) => {
                    states.stand(&new);
                    continue;
                }
            },
        };
        let mut found = admin_file_problems(&new, &before, None);
        if let Ok(after) = load_trust(&new) {
            found.extend(admin_file_problems(&new, &after, None));
        }
        found.extend(states.replays(&new));
        let mut found: Vec<Problem> = found.into_iter().filter(|p| p.severity == Severity::Error).collect();
        if found.is_empty() {
            states.stand(&new);
            continue;
        }
        for problem in &mut found {
            problem.message = format!("in commit {}: {}", &commit[..12], problem.message);
            problem.hint =
                Some("trust changes need the signatures of the admins before them; revert that commit".into());
        }
        pending = Some((before, found));
    }
    let mut problems = pending.map(|(_, found)| found).unwrap_or_default();
    problems.dedup();
    Ok(problems)
}

/// Did the configuration `snapshot` holds stand, judged by `trust_before` (the trust of the commit
/// before it): does it parse, with enough admin signatures? With no trust before, it is the registry's
/// first configuration, which stands by definition (the full check judges it by its own trust).
pub(crate) fn config_stands(snapshot: &dyn Snapshot, trust_before: Option<&Trust>) -> bool {
    let Some(trust) = trust_before else { return true };
    let Ok(Some(bytes)) = snapshot.read(CONFIG_FILE, crate::record::MAX_RECORD_BYTES) else { return false };
    crate::repo::Config::parse(&bytes).is_ok()
        && signature_problems(snapshot, CONFIG_FILE, &bytes, trust, None).iter().all(|p| p.severity != Severity::Error)
}

/// A root entry holding admin-signed or protected files: the entries whose changes the trust history
/// and the replay rule look at.
fn is_admin_root_entry(name: &str) -> bool {
    name == ".modelreg" || name == GITATTRIBUTES || name.starts_with(CONFIG_FILE)
}

/// The files admins sign, whose earlier states a change may not bring back.
const SIGNED_FILES: [&str; 3] = [CONFIG_FILE, TRUST_FILE, PROTECTED_FILE];

/// The states (digests) of the admin-signed files: the ones standing now, and the ones that stood
/// once and were replaced. An old state's signatures still verify over its bytes, so without this
/// anyone could bring back a configuration without gates, or the trust file before a revocation.
#[derive(Default)]
struct SignedStates {
    standing: HashMap<&'static str, Option<Digest>>,
    retired: HashSet<(&'static str, Digest)>,
}

impl SignedStates {
    fn digest(snapshot: &dyn Snapshot, file: &str) -> Option<Digest> {
        snapshot.read(file, crate::record::MAX_RECORD_BYTES).ok().flatten().map(|b| Digest::of_bytes(&b))
    }

    /// `snapshot`'s states stand; those they replace are retired.
    fn stand(&mut self, snapshot: &dyn Snapshot) {
        for file in SIGNED_FILES {
            let now = Self::digest(snapshot, file);
            if let Some(Some(before)) = self.standing.insert(file, now)
                && now != Some(before)
            {
                self.retired.insert((file, before));
            }
        }
    }

    /// Findings for each file of `snapshot` that changed back to a retired state.
    fn replays(&self, snapshot: &dyn Snapshot) -> Vec<Problem> {
        let mut problems = Vec::new();
        for file in SIGNED_FILES {
            let Some(now) = Self::digest(snapshot, file) else { continue };
            if self.standing.get(file) != Some(&Some(now)) && self.retired.contains(&(file, now)) {
                problems.push(
                    Problem::error(
                        file,
                        RuleId::Trust,
                        "returns to bytes it had before and that were replaced since (a replay of an older signed state)",
                    )
                    .with_hint("to go back to an earlier version, edit the file (a comment will do) and have admins sign it again"),
                );
            }
        }
        problems
    }
}

/// A change (from the commit `base` to `new`) may not return an admin-signed file to a state it had
/// before on `base`'s first-parent line and that was replaced since. Costs nothing unless the change
/// touches those files; then one root-tree read per commit of the line.
pub fn replay_problems(git: &GitRepo, base: &str, new: &dyn Snapshot) -> Result<Vec<Problem>, RepoError> {
    let old = git.tree_snapshot(base)?;
    let changed = SIGNED_FILES.iter().any(|file| SignedStates::digest(&old, file) != SignedStates::digest(new, file));
    if !changed {
        return Ok(Vec::new());
    }
    let mut states = SignedStates::default();
    // Every earlier state on the line counts as replaced (the server's base always stood).
    for (_, parent) in git.first_parent_changes_from(base, is_admin_root_entry, None)? {
        states.stand(&git.tree_snapshot(&parent)?);
    }
    for file in SIGNED_FILES {
        if let Some(earlier) = states.standing.get(file).copied().flatten() {
            states.retired.insert((file, earlier));
        }
    }
    states.stand(&old);
    Ok(states.replays(new))
}

/// Why a registry could not be opened for a command.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The repository itself could not be opened (not a registry, unreadable configuration or trust…).
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Trust or configuration (in the working tree or in committed history) lacks admin signatures.
    #[error("{}: {}", .0.path, .0.message)]
    Untrusted(Box<Problem>),
}

/// Opens the registry containing `start`, verifying that trust and configuration carry enough admin
/// signatures.
///
/// When the working tree's trust or configuration differs from HEAD's, it must also carry enough
/// signatures from HEAD's admins: a hand edit that grants a key admin and is signed by that key alone
/// is refused here, as the hooks refuse it at push. Committed trust changes are judged once each: only
/// commits after the last verified HEAD (a marker in the git directory; losing it only costs time).
pub fn open_verified(start: &Path, now: Timestamp) -> Result<Registry, OpenError> {
    let registry = Registry::open(start, now)?;
    let mut problems = admin_file_problems(&registry.worktree(), registry.trust(), None);
    problems.extend(uncommitted_trust_problems(&registry)?);
    let verified_marker = registry.git().git_dir().join("modelreg").join("trusted-head");
    let verified = std::fs::read_to_string(&verified_marker).ok();
    problems.extend(trust_history_problems(registry.git(), verified.as_deref().map(str::trim))?);
    if let Some(problem) = problems.into_iter().next() {
        return Err(OpenError::Untrusted(Box::new(problem)));
    }
    if let Some(head) = registry.git().head().map_err(RepoError::from)?
        && verified.as_deref().map(str::trim) != Some(head.as_str())
    {
        let _ = write_atomic(&verified_marker, head.as_bytes(), true);
    }
    Ok(registry)
}

/// When trust or configuration in the working tree differ from HEAD's, findings about their signatures
/// judged by HEAD's admins (the rule the hooks apply when the change is pushed).
pub fn uncommitted_trust_problems(registry: &Registry) -> Result<Vec<Problem>, RepoError> {
    let worktree = registry.worktree();
    if let Some(head) = registry.git().head()?
        && let Ok(committed) = registry.git().tree_snapshot(&head)
        && let Ok(committed_trust) = load_trust(&committed)
        && admin_files_differ(&worktree, &committed)
    {
        return Ok(admin_file_problems(&worktree, &committed_trust, Some(registry.now())));
    }
    Ok(Vec::new())
}

/// Do trust, configuration, the manifest (or their signatures) or a protected file differ between two
/// snapshots?
fn admin_files_differ(a: &dyn Snapshot, b: &dyn Snapshot) -> bool {
    let cap = crate::record::MAX_RECORD_BYTES;
    let files = |s: &dyn Snapshot| -> Vec<(String, Option<Vec<u8>>)> {
        let mut out = Vec::new();
        for (dir, name) in [("", CONFIG_FILE), (".modelreg", "trust.toml"), (".modelreg", "protected.toml")] {
            for entry in s.list(dir).ok().flatten().unwrap_or_default() {
                let ours = entry.name == name
                    || layout::parse_signature_file_name(&entry.name).is_some_and(|(signed, _)| signed == name);
                if ours {
                    let path = join(dir, &entry.name);
                    let bytes = s.read(&path, cap).ok().flatten();
                    out.push((path, bytes));
                }
            }
        }
        out
    };
    files(a) != files(b) || protected_files(a).ok() != protected_files(b).ok()
}

//! `modelreg sync`: publish local registrations when others pushed first.
//!
//! Two people registering versions of one model at once both write `seq` N and version V; the second
//! push is refused as non-fast-forward. Sync fetches, replays each local unpushed record on top of the
//! remote's chain (next seq, `previous` = the remote tip, version bumped past the remote's latest when
//! it collides), re-signs it with the caller's key, commits, and pushes, retrying if it lost the race
//! again. Only commits that add records (and their signatures) are replayed; anything else is left to
//! `git rebase`, so sync never silently drops work.

use std::path::Path;

use serde::Serialize;

use super::Error;
use super::transaction::Transaction;
use crate::policy::rules::{VersionNotIncreasing, next_version};
use crate::policy::{Judge, load_model};
use crate::record::{MAX_RECORD_BYTES, ModelName, Record, Timestamp, Version};
use crate::repo::layout::{self, MODELS_DIR, RecordFileName};
use crate::repo::snapshot::Snapshot;
use crate::repo::transport::{PushOutcome, Transport};
use crate::repo::{ChangeKind, GitError, Registry};
use crate::sign::SigningKey;
use crate::state::ModelState;

/// How many fetch-replay-push rounds before giving up (each lost round means someone else landed).
const MAX_ROUNDS: usize = 20;

/// One local record put on top of the remote's chain.
#[derive(Debug, Serialize)]
pub struct Replayed {
    /// The model.
    pub model: ModelName,
    /// The version it had locally.
    pub local_version: Version,
    /// The version it has now (bumped past the remote's latest when they collided).
    pub version: Version,
    /// Its new seq in the chain.
    pub seq: u64,
}

/// What `sync` returns.
#[derive(Debug, Serialize)]
pub struct SyncReport {
    /// The remote synced with.
    pub remote: String,
    /// The branch, the same name locally and on the remote.
    pub branch: String,
    /// Local records replayed (planned, on a dry run); empty when the local branch only needed a fast-forward.
    pub replayed: Vec<Replayed>,
    /// How many fetch-replay-push rounds it took.
    pub rounds: usize,
    /// The commit pushed; `None` when nothing was pushed (nothing local, or a dry run).
    pub pushed: Option<String>,
    /// Approvals (signatures on records the remote already had) carried over unchanged.
    pub approvals_carried: usize,
    /// Approvals of local promotions that had to be re-signed in their new place: ask for them again.
    pub approvals_dropped: usize,
}

/// One local record to replay: its model, original bytes and parsed form.
struct Pending {
    record: Record,
}

/// What local commits add: new records to replay, and signatures added to records the remote has too
/// (approvals), carried over byte for byte since the records they sign never change.
struct Local {
    records: Vec<Pending>,
    cosignatures: Vec<(String, Vec<u8>)>,
    /// Co-signatures on local new records, lost when those are re-signed in their new place.
    dropped_approvals: usize,
}

/// `sync REMOTE`: fetches, replays local unpushed records on the remote's chain re-signed with `key`, and
/// pushes, for up to `MAX_ROUNDS` rounds. Refuses a working tree with uncommitted changes.
pub fn sync(start: &Path, key: &SigningKey, remote: &str, dry_run: bool, now: Timestamp) -> Result<SyncReport, Error> {
    let registry = crate::policy::open_verified(start, now)?;
    let root = registry.root().to_owned();
    let git = Transport::new(&root);
    let branch = git.current_branch()?;
    if git.has_uncommitted_changes()? {
        return Err(
            GitError::Other("the working tree has uncommitted changes; commit or stash them first".into()).into()
        );
    }
    let upstream = format!("refs/remotes/{remote}/{branch}");
    let mut report = SyncReport {
        remote: remote.into(),
        branch: branch.clone(),
        replayed: Vec::new(),
        rounds: 0,
        pushed: None,
        approvals_carried: 0,
        approvals_dropped: 0,
    };

    for round in 1..=MAX_ROUNDS {
        report.rounds = round;
        git.fetch(remote, &branch, &upstream)?;
        let head = registry.git().head()?.ok_or_else(|| GitError::Other("nothing committed yet".into()))?;
        let base = registry.git().resolve_commit(&upstream)?;
        if registry.git().is_ancestor(&head, &base)? {
            // Nothing local to publish: fast-forward to the remote.
            git.fast_forward(&upstream)?;
            return Ok(report);
        }
        let local = local_records(&registry, &base, &head)?;
        (report.approvals_carried, report.approvals_dropped) = (local.cosignatures.len(), local.dropped_approvals);
        if dry_run {
            report.replayed = plan(&registry, &base, &local.records)?;
            return Ok(report);
        }
        if !registry.git().is_ancestor(&base, &head)? {
            // Diverged: put the local records on top of the remote. Should the result break a rule
            // (an approval of a promotion the remote superseded, say), the local commits come back.
            git.reset_hard(&base)?;
            let replayed = crate::policy::open_verified(&root, now).map_err(Error::from).and_then(|reopened| {
                let replayed = replay(&reopened, key, &local.records)?;
                carry_cosignatures(&reopened, &local.cosignatures)?;
                // The artifacts are the ones already judged (and uploaded) for the local records; the
                // server's hook judges their presence on push.
                let check = super::check::range(&root, &base, "HEAD", now, None)?;
                match check.problems.iter().find(|p| p.severity == crate::policy::Severity::Error) {
                    Some(problem) => Err(Error::Refused {
                        subject: "cannot publish the local records on the remote's".into(),
                        why: format!("{}: {}", problem.path, problem.message),
                        hint: Some("your commits are back as they were; pull and redo that step by hand".into()),
                    }),
                    None => Ok(replayed),
                }
            });
            match replayed {
                Ok(replayed) => report.replayed = replayed,
                Err(e) => {
                    git.reset_hard(&head)?;
                    return Err(e);
                }
            }
        }
        match git.push_head(remote, &branch)? {
            PushOutcome::Accepted => {
                report.pushed = Some(git.head()?);
                return Ok(report);
            }
            // Lost the race again (or the remote moved): go round.
            PushOutcome::Raced => {}
            PushOutcome::Refused(why) => return Err(GitError::Other(format!("push refused: {why}")).into()),
        }
    }
    Err(GitError::Other(format!("gave up after {MAX_ROUNDS} rounds: the remote keeps moving")).into())
}

/// The records that `head` adds over `base`, in commit order per model; refuses any other change.
fn local_records(registry: &Registry, base: &str, head: &str) -> Result<Local, Error> {
    let git = registry.git();
    let merge_base = Transport::new(registry.root()).merge_base(base, head)?;
    let changes = git.diff_commits(Some(&merge_base), head)?;
    let tree = git.tree_snapshot(head)?;
    let shared = git.tree_snapshot(&merge_base)?;
    let mut records: Vec<(ModelName, RecordFileName, Record)> = Vec::new();
    let mut cosignatures = Vec::new();
    let mut signatures_on_new: Vec<(String, crate::record::KeyId)> = Vec::new();
    for change in &changes {
        let (dir, file_name) = crate::repo::snapshot::split(&change.path);
        let in_records = change.kind == ChangeKind::Added
            && dir.starts_with(&format!("{MODELS_DIR}/"))
            && dir.ends_with(&format!("/{}", layout::RECORDS_DIR));
        let Some(file) = in_records.then(|| RecordFileName::parse(file_name)).flatten() else {
            if let Some((signed, key)) = layout::parse_signature_file_name(file_name).filter(|_| in_records) {
                let signed_path = format!("{dir}/{signed}");
                if matches!(shared.read(&signed_path, MAX_RECORD_BYTES), Ok(Some(_))) {
                    // An approval of a record both sides have: carried over unchanged.
                    let bytes = tree.read(&change.path, MAX_RECORD_BYTES).ok().flatten().unwrap_or_default();
                    cosignatures.push((change.path.clone(), bytes));
                } else {
                    // A signature on a local record: re-made when the record is replayed.
                    signatures_on_new.push((signed_path, key));
                }
                continue;
            }
            if is_generated_card(&change.path) {
                continue; // cards are rendered again with each replayed record
            }
            return Err(GitError::Other(format!(
                "local commits change {} besides adding records; rebase them with git instead",
                change.path
            ))
            .into());
        };
        let bytes = tree
            .read(&change.path, MAX_RECORD_BYTES)
            .map_err(|e| GitError::Other(format!("{}: {e}", change.path)))?
            .ok_or_else(|| GitError::Other(format!("{} vanished", change.path)))?;
        let record = Record::parse(&bytes).map_err(|e| GitError::Other(format!("{}: {e}", change.path)))?;
        records.push((record.model().clone(), file, record));
    }
    records.sort_by(|a, b| (&a.0, a.1.seq).cmp(&(&b.0, b.1.seq)));
    let dropped_approvals = signatures_on_new
        .iter()
        .filter(|(path, key)| {
            records.iter().any(|(model, file, record)| {
                *path == format!("{}/{file}", layout::records_rel(model)) && record.signer() != key
            })
        })
        .count();
    Ok(Local {
        records: records.into_iter().map(|(_, _, record)| Pending { record }).collect(),
        cosignatures,
        dropped_approvals,
    })
}

/// Writes the carried approvals beside their records (which the remote has, byte for byte) and commits.
fn carry_cosignatures(registry: &Registry, cosignatures: &[(String, Vec<u8>)]) -> Result<(), Error> {
    if cosignatures.is_empty() {
        return Ok(());
    }
    let mut tx = Transaction::begin(registry)?;
    let mut models = std::collections::BTreeSet::new();
    for (path, bytes) in cosignatures {
        let rel = std::path::Path::new(path);
        if std::fs::read(registry.root().join(rel)).ok().as_deref() != Some(bytes.as_slice()) {
            tx.write_file(rel, bytes)?;
        } else {
            tx.include(rel);
        }
        if let Some(model) = path.strip_prefix(&format!("{MODELS_DIR}/")).and_then(|rest| rest.split('/').next()) {
            models.insert(model.parse::<ModelName>()?);
        }
    }
    // Approvals change what the cards show.
    let templates = crate::card::Templates::for_snapshot(&registry.worktree())?;
    for model in &models {
        let card = super::card::render(registry, model, &templates)?;
        tx.write_file(&super::card::card_path(model), card.as_bytes())?;
    }
    tx.commit(Some(&format!("modelreg: {} approval(s) carried over by sync", cosignatures.len())))?;
    Ok(())
}

/// `models/<name>/README.md`: rendered from the records, never replayed as it is.
fn is_generated_card(path: &str) -> bool {
    let (dir, file) = crate::repo::snapshot::split(path);
    file == layout::CARD_FILE && dir.strip_prefix(MODELS_DIR).is_some_and(|d| d.matches('/').count() == 1)
}

/// What replaying would do, without writing (for --dry-run): the registrations, renumbered.
fn plan(registry: &Registry, base: &str, pending: &[Pending]) -> Result<Vec<Replayed>, Error> {
    let snapshot = registry.git().tree_snapshot(base)?;
    let mut out = Vec::new();
    let mut tips: std::collections::BTreeMap<ModelName, (u64, Option<Version>)> = Default::default();
    for p in pending {
        let entry = tips.entry(p.record.model().clone()).or_insert_with(|| {
            match load_model(&snapshot, p.record.model(), Judge::READ_ONLY) {
                Ok(h) => (h.tip().map_or(0, |t| t.0), ModelState::replay(h).latest().map(|v| v.version)),
                Err(_) => (0, None),
            }
        });
        entry.0 += 1;
        if let Record::Register(r) = &p.record {
            let version = renumber(entry.1, r.version)?;
            entry.1 = Some(version);
            out.push(Replayed { model: r.model.clone(), local_version: r.version, version, seq: entry.0 });
        }
    }
    Ok(out)
}

/// A local version keeps its number when it is still above the remote's latest; else it goes next.
fn renumber(latest: Option<Version>, local: Version) -> Result<Version, VersionNotIncreasing> {
    next_version(latest, Some(local)).or_else(|_| next_version(latest, None))
}

/// Writes each pending record again on top of the current chain: registrations renumbered past the
/// remote's versions, and records about a replayed version (drift reports) pointed at its new record.
fn replay(registry: &Registry, key: &SigningKey, pending: &[Pending]) -> Result<Vec<Replayed>, Error> {
    let mut out = Vec::new();
    let mut moved: std::collections::BTreeMap<(ModelName, Version), (Version, crate::record::Digest)> =
        Default::default();
    for p in pending {
        let model = p.record.model().clone();
        // One transaction per record: each replayed record is its own commit, as it was locally.
        let mut tx = Transaction::on_model(registry, &model, true)?;
        let header = tx.header(key)?;
        let latest = tx.state().latest().map(|v| v.version);
        let mut record = p.record.clone();
        let created_at = tx.now().max(p.record.created_at());
        record.rechain(header.seq, header.previous, key.id().clone(), created_at);
        let (message, replayed) = match &mut record {
            Record::Register(r) => {
                let local_version = r.version;
                r.version = renumber(latest, local_version)?;
                let message = format!("modelreg: register {} v{}", r.model, r.version);
                (message, Some(Replayed { model: model.clone(), local_version, version: r.version, seq: header.seq }))
            }
            other => {
                if let Some((local_version, _)) = other.subject()
                    && let Some((version, digest)) = moved.get(&(model.clone(), local_version))
                {
                    other.retarget(*version, *digest);
                }
                let about = other.subject().map(|(v, _)| format!(" v{v}")).unwrap_or_default();
                (format!("modelreg: {} {model}{about} (replayed)", other.kind()), None)
            }
        };
        // A lifecycle record may no longer fit the remote's state (both sides promoted to the same
        // stage, say): refuse rather than write a record the rule engine would reject, and say why in
        // sync's own words.
        if let Some(violation) =
            crate::policy::lifecycle::judge(tx.state(), &record, Some(&registry.config().lifecycle)).into_iter().next()
        {
            return Err(Error::Refused {
                subject: format!("replaying a {} record of {model}", p.record.kind()),
                why: violation.message,
                hint: Some(
                    "the remote changed the model's lifecycle meanwhile: pull, then run the command again".into(),
                ),
            });
        }
        // Re-signed by whoever syncs: they need the role each record needs (judged by `append`).
        let appended = tx.append(key, record)?;
        tx.commit(Some(&message))?;
        if let (Some(replayed), Record::Register(original)) = (replayed, &p.record) {
            moved.insert((model, original.version), (replayed.version, appended.digest));
            out.push(replayed);
        }
    }
    Ok(out)
}

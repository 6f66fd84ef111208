//! `modelreg register`: hash and store artifacts, then write, sign and commit a registration record.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::transaction::{Header, Preview, Transaction};
use super::{Error, ModelRef, collect};
use crate::policy::rules::{may_sign, next_version, required_role};
use crate::policy::{Judge, load_model};
use crate::progress::Progress;
use crate::record::{
    Artifact, CodeRef, DatasetRef, Digest, Lineage, MetaKey, Metric, ModelName, ParentRef, Record, RecordKind,
    RegisterRecord, Version,
};
use crate::record::{FORMAT_SNIFF_BYTES, derive_format};
use crate::repo::{GitRepo, Registry, RepoError};
use crate::sign::SigningKey;
use crate::state::ModelState;
use crate::store::{ArtifactStore, StoreEnv, StoreError, hash_file};

/// Where the training code's commit comes from.
#[derive(Debug, Clone)]
pub enum CodeSource {
    /// The git checkout containing this directory, if any (commit, dirty flag, remote).
    Checkout(PathBuf),
    /// A revision resolved in the checkout containing this directory (or a full commit id as given).
    Revision {
        /// The directory whose checkout resolves `rev`.
        cwd: PathBuf,
        /// A revision (`HEAD~1`, a tag, a commit id).
        rev: String,
    },
    /// No code lineage (`--no-code`).
    None,
}

/// What `register` is asked: the model, its files, and what the record says about them.
#[derive(Debug)]
pub struct RegisterRequest {
    /// The model registered to (created by its first version).
    pub name: ModelName,
    /// Files and directories that make up the version (a directory contributes every file under it).
    pub paths: Vec<PathBuf>,
    /// The version number; `None`: one past the latest.
    pub version: Option<Version>,
    /// Why this version exists (the commit message's body and the record's `message`).
    pub message: Option<String>,
    /// What the model is, for its card.
    pub description: Option<String>,
    /// The training framework (`pytorch`, `sklearn`…).
    pub framework: Option<String>,
    /// Free-form tags.
    pub tags: BTreeMap<MetaKey, String>,
    /// Evaluation metrics (finite numbers), as gates read them.
    pub metrics: BTreeMap<MetaKey, Metric>,
    /// Training parameters.
    pub params: BTreeMap<MetaKey, String>,
    /// The datasets it was trained or evaluated on.
    pub datasets: Vec<DatasetRef>,
    /// Where the training code's commit comes from.
    pub code: CodeSource,
    /// Models it derives from, pinned to their register records.
    pub parents: Vec<ModelRef>,
    /// Register even when the files are byte-identical to an existing version.
    pub allow_same: bool,
    /// A drift profile of the training data to store with the version.
    pub baseline_profile: Option<PathBuf>,
    /// Commit the record (and card) it writes.
    pub commit: bool,
    /// Judge and report without storing, writing or committing anything.
    pub dry_run: bool,
    /// Keep the objects in the local store only (no upload to the shared store); `modelreg store
    /// push` uploads them later, before the records are pushed.
    pub offline: bool,
}

/// What `register` did (or, with `dry_run`, would do).
#[derive(Debug, Serialize)]
pub struct RegisterReport {
    /// The model registered to.
    pub model: ModelName,
    /// The new version.
    pub version: Version,
    /// The record's position in the model's chain.
    pub seq: u64,
    /// The record's path, relative to the root (none for a dry run).
    pub record: Option<String>,
    /// The record's digest (none for a dry run).
    pub record_digest: Option<Digest>,
    /// Artifact files in the version.
    pub files: usize,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Bytes newly copied into the store (the rest were already there).
    pub bytes_stored: u64,
    /// The shared store's URL, when one is configured.
    pub store: Option<String>,
    /// Bytes uploaded to the shared store (the rest were already there).
    pub bytes_uploaded: u64,
    /// The objects were kept local (`--offline`): they still need `modelreg store push`.
    pub offline: bool,
    /// The commit made, when asked to commit.
    pub commit: Option<String>,
    /// Nothing was written.
    pub dry_run: bool,
    /// The id of the key that signed.
    pub signer: String,
}

/// `register`: hashes the files (and sniffs their formats), stores them and uploads what the shared
/// store lacks, then under the lock judges and appends a signed register record (and the card), and
/// commits. A request the rules refuse writes nothing.
pub fn register(
    registry: &Registry,
    key: &SigningKey,
    request: RegisterRequest,
    store_env: &StoreEnv,
    progress: &dyn Progress,
) -> Result<RegisterReport, Error> {
    let now = registry.now();
    may_sign(registry.trust(), key.public(), &required_role(RecordKind::Register), now)?;
    let inputs = collect::collect(&request.paths)?;
    let lineage = Lineage {
        code: code_ref(&request.code)?,
        datasets: request.datasets.clone(),
        parents: request.parents.iter().map(|p| parent_ref(registry, p)).collect::<Result<_, _>>()?,
    };
    // A first look without the lock: a bad version or an archived model is refused before anything
    // is hashed. The slow part (hashing, storing, uploading) holds no lock, so other commands in this
    // clone are not blocked for minutes; the transaction below judges everything again.
    let preview = Preview::on_model(registry, &request.name, true)?;
    allowed(preview.state(), &request)?;

    let total: u64 = inputs.iter().map(|f| f.size).sum();
    progress.start("hashing", total);
    // Each file's format comes from its first bytes as well as its name: a pickle is recorded as one
    // (so `show` flags it) whatever it is called.
    let hashed: Vec<(Digest, u64, Option<&'static str>)> = inputs
        .par_iter()
        .map(|input| {
            let (digest, size) = hash_file(&input.source)?;
            let head = read_head(&input.source)?;
            progress.advance(size);
            Ok((digest, size, derive_format(input.artifact.as_str(), &head)))
        })
        .collect::<Result<_, StoreError>>()?;
    progress.finish();
    let artifacts: Vec<Artifact> = inputs
        .iter()
        .zip(&hashed)
        .map(|(input, &(digest, size, format))| Artifact {
            path: input.artifact.clone(),
            digest,
            size,
            format: format.map(str::to_owned),
        })
        .collect();
    let total: u64 = artifacts.iter().map(|a| a.size).sum();
    same_as_latest(preview.state(), &request, &artifacts)?;

    // The baseline profile is validated now and stored with the artifacts.
    let baseline_profile = match &request.baseline_profile {
        Some(path) => {
            crate::drift::Profile::read(path)?;
            let (digest, size) = hash_file(path)?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let path_name = name.parse().map_err(|source| Error::ArtifactName { path: path.clone(), source })?;
            Some((path.clone(), Artifact { path: path_name, digest, size, format: Some("modelreg-profile".into()) }))
        }
        None => None,
    };
    let profile = baseline_profile.as_ref().map(|(_, a)| a.clone());
    let build = |header| build_record(header, &request, lineage.clone(), artifacts.clone(), profile.clone());
    let mut report = RegisterReport {
        model: request.name.clone(),
        version: next_version(preview.state().latest().map(|v| v.version), request.version)?,
        seq: 0,
        record: None,
        record_digest: None,
        files: artifacts.len(),
        bytes: total,
        bytes_stored: 0,
        store: registry.config().store.url.as_ref().map(ToString::to_string),
        bytes_uploaded: 0,
        offline: request.offline,
        commit: None,
        dry_run: request.dry_run,
        signer: key.id().to_string(),
    };
    // The record as it would be now: one our parser would refuse (too large, a dataset named twice,
    // a path that is both a file and a directory) or the rules would refuse is refused before
    // anything is stored. A dry run stops here.
    let header = preview.header(key)?;
    report.seq = header.seq;
    let record = build((header, report.version));
    Record::parse(&record.to_bytes()).map_err(RepoError::InvalidRecord)?;
    preview.judge(key, &record)?;
    if request.dry_run {
        return Ok(report);
    }
    drop(preview);

    // Objects are immutable and content-addressed: an interruption from here on leaves at worst
    // unreferenced objects, never a record.
    let store = registry.artifacts(store_env);
    let cache = store.cache();
    progress.start("storing", total);
    let copied: Vec<bool> = inputs
        .par_iter()
        .zip(&artifacts)
        .map(|(input, a)| cache.put_verified(&input.source, &a.digest, a.size, progress))
        .collect::<Result<_, StoreError>>()?;
    if let Some((source, profile)) = &baseline_profile
        && cache.put_verified(source, &profile.digest, profile.size, progress)?
    {
        cache.flush(&[profile.digest])?;
    }
    let new: Vec<Digest> = artifacts.iter().zip(&copied).filter(|(_, c)| **c).map(|(a, _)| a.digest).collect();
    cache.flush(&new)?;
    progress.finish();
    report.bytes_stored = artifacts.iter().zip(&copied).filter(|(_, c)| **c).map(|(a, _)| a.size).sum();

    // The shared store gets every object before any record names it (unless the user chose to
    // register offline and `store push` later).
    if store.url().is_some() && !request.offline {
        let objects: Vec<(Digest, u64)> = artifacts.iter().chain(profile.iter()).map(|a| (a.digest, a.size)).collect();
        let remote = store.connect()?;
        report.bytes_uploaded = store.upload(&remote, &objects, progress)?.bytes;
    }

    // Now the lock: the chain is read again and the registration judged again, since another
    // command may have written while the files were stored.
    let mut tx = Transaction::on_model(registry, &request.name, true)?;
    allowed(tx.state(), &request)?;
    same_as_latest(tx.state(), &request, &artifacts)?;
    let version = next_version(tx.state().latest().map(|v| v.version), request.version)?;
    let header = tx.header(key)?;
    report.seq = header.seq;
    report.version = version;
    let record = build((header, version));
    Record::parse(&record.to_bytes()).map_err(RepoError::InvalidRecord)?;
    let appended = tx.append(key, record)?;
    report.record = Some(appended.record_path);
    report.record_digest = Some(appended.digest);
    let mut message = format!("modelreg: register {} v{version}", request.name);
    if let Some(why) = &request.message {
        message.push_str("\n\n");
        message.push_str(why);
    }
    // The card is rewritten and committed with the record (with the model's earlier uncommitted
    // records, which this one chains onto), so it is never stale.
    report.commit = tx.commit(request.commit.then_some(message.as_str()))?;
    Ok(report)
}

/// The version can be registered, and the model takes registrations.
fn allowed(state: &ModelState, request: &RegisterRequest) -> Result<(), Error> {
    next_version(state.latest().map(|v| v.version), request.version)?;
    if let Some(refused) = crate::policy::lifecycle::registration_refused(state) {
        let subject = format!("cannot register {}", request.name);
        return Err(Error::Refused { subject, why: refused.message, hint: refused.hint });
    }
    Ok(())
}

fn same_as_latest(state: &ModelState, request: &RegisterRequest, artifacts: &[Artifact]) -> Result<(), Error> {
    if let Some(latest) = state.latest().filter(|_| !request.allow_same)
        && same_artifacts(&latest.register.artifacts, artifacts)
    {
        return Err(Error::SameArtifacts { model: request.name.clone(), version: latest.version });
    }
    Ok(())
}

fn build_record(
    (header, version): (Header, Version),
    request: &RegisterRequest,
    lineage: Lineage,
    artifacts: Vec<Artifact>,
    baseline_profile: Option<Artifact>,
) -> Record {
    Record::Register(Box::new(RegisterRecord {
        schema: RecordKind::Register.schema().into(),
        model: header.model,
        seq: header.seq,
        previous: header.previous,
        created_at: header.created_at,
        author: header.author,
        signer: header.signer,
        version,
        message: request.message.clone(),
        description: request.description.clone(),
        framework: request.framework.clone(),
        tags: request.tags.clone(),
        metrics: request.metrics.clone(),
        params: request.params.clone(),
        lineage,
        artifacts,
        baseline_profile,
    }))
}

fn same_artifacts(a: &[Artifact], b: &[Artifact]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.path == y.path && x.digest == y.digest)
}

fn code_ref(source: &CodeSource) -> Result<Option<CodeRef>, Error> {
    match source {
        CodeSource::None => Ok(None),
        CodeSource::Checkout(cwd) => {
            let Ok(git) = GitRepo::discover(cwd) else {
                return Ok(None);
            };
            Ok(git.checkout()?.map(|c| CodeRef { repo: c.remote_url, commit: c.commit, dirty: c.dirty }))
        }
        CodeSource::Revision { cwd, rev } => match GitRepo::discover(cwd) {
            Ok(git) => {
                let commit = git.resolve_commit(rev)?;
                let dirty = git.checkout()?.is_some_and(|c| c.dirty && c.commit == commit);
                Ok(Some(CodeRef { repo: git.remote_url(), commit, dirty }))
            }
            // Outside a checkout, only a full commit id can be recorded as it is.
            Err(_) if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(Some(CodeRef { repo: None, commit: rev.to_ascii_lowercase(), dirty: false }))
            }
            Err(e) => Err(e.into()),
        },
    }
}

fn parent_ref(registry: &Registry, parent: &ModelRef) -> Result<ParentRef, Error> {
    let history = load_model(&registry.worktree(), &parent.name, Judge::all(registry.trust()))?;
    let state = ModelState::replay(history);
    let version = super::show::select(&state, parent)?;
    Ok(ParentRef { model: parent.name.clone(), version: version.version, record: version.record_digest })
}

/// A file's first [`FORMAT_SNIFF_BYTES`] bytes (fewer for a smaller file).
fn read_head(path: &Path) -> Result<Vec<u8>, StoreError> {
    use std::io::Read;
    let mut head = Vec::with_capacity(FORMAT_SNIFF_BYTES);
    std::fs::File::open(path)
        .and_then(|file| file.take(FORMAT_SNIFF_BYTES as u64).read_to_end(&mut head))
        .map_err(crate::store::io_error(path))?;
    Ok(head)
}

//! `modelreg register`: hash and store artifacts, then write, sign and commit a registration record.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use super::transaction::Transaction;
use super::{Error, ModelRef, collect};
use crate::policy::rules::{may_sign, next_version, required_role};
use crate::policy::{Judge, load_model};
use crate::progress::Progress;
use crate::record::artifact_format;
use crate::record::{
    Artifact, CodeRef, DatasetRef, Digest, Lineage, MetaKey, Metric, ModelName, ParentRef, Record, RecordKind,
    RegisterRecord, Version,
};
use crate::repo::{GitRepo, Registry, RepoError};
use crate::sign::SigningKey;
use crate::state::ModelState;
use crate::store::{ArtifactStore, StoreError, hash_file};

/// Where the training code's commit comes from.
#[derive(Debug, Clone)]
pub enum CodeSource {
    /// The git checkout containing this directory, if any (commit, dirty flag, remote).
    Checkout(PathBuf),
    /// A revision resolved in the checkout containing this directory (or a full commit id as given).
    Revision {
        cwd: PathBuf,
        rev: String,
    },
    None,
}

#[derive(Debug)]
pub struct RegisterRequest {
    pub name: ModelName,
    pub paths: Vec<PathBuf>,
    pub version: Option<Version>,
    pub message: Option<String>,
    pub description: Option<String>,
    pub framework: Option<String>,
    pub tags: BTreeMap<MetaKey, String>,
    pub metrics: BTreeMap<MetaKey, Metric>,
    pub params: BTreeMap<MetaKey, String>,
    pub datasets: Vec<DatasetRef>,
    pub code: CodeSource,
    pub parents: Vec<ModelRef>,
    pub allow_same: bool,
    /// A drift profile of the training data to store with the version.
    pub baseline_profile: Option<PathBuf>,
    pub commit: bool,
    pub dry_run: bool,
}

#[derive(Debug, Serialize)]
pub struct RegisterReport {
    pub model: ModelName,
    pub version: Version,
    pub seq: u64,
    pub record: Option<String>,
    pub record_digest: Option<Digest>,
    pub files: usize,
    pub bytes: u64,
    /// Bytes newly copied into the store (the rest were already there).
    pub bytes_stored: u64,
    pub commit: Option<String>,
    pub dry_run: bool,
    pub signer: String,
}

pub fn register(
    registry: &Registry,
    key: &SigningKey,
    request: RegisterRequest,
    progress: &dyn Progress,
) -> Result<RegisterReport, Error> {
    let now = registry.now();
    may_sign(registry.trust(), key.public(), &required_role(RecordKind::Register), now)?;
    let inputs = collect::collect(&request.paths)?;
    let lineage = Lineage {
        code: code_ref(&request.code)?,
        datasets: request.datasets,
        parents: request.parents.iter().map(|p| parent_ref(registry, p)).collect::<Result<_, _>>()?,
    };
    // One transaction from here: the model is read and verified once, under the lock, before the slow
    // part, so a bad version or an archived model is refused before anything is hashed, and no other
    // command in this clone can move the chain while the files are stored.
    let mut tx = Transaction::on_model(registry, &request.name, true)?;
    let latest = tx.state().latest().map(|v| v.version);
    let version = next_version(latest, request.version)?;
    if let Some(refused) = crate::policy::lifecycle::registration_refused(tx.state()) {
        let subject = format!("cannot register {}", request.name);
        return Err(Error::Refused { subject, why: refused.message, hint: refused.hint });
    }

    let total: u64 = inputs.iter().map(|f| f.size).sum();
    progress.start("hashing", total);
    let hashed: Vec<(Digest, u64)> = inputs
        .par_iter()
        .map(|input| {
            let hashed = hash_file(&input.source)?;
            progress.advance(hashed.1);
            Ok(hashed)
        })
        .collect::<Result<_, StoreError>>()?;
    progress.finish();
    let artifacts: Vec<Artifact> = inputs
        .iter()
        .zip(&hashed)
        .map(|(input, &(digest, size))| Artifact {
            path: input.artifact.clone(),
            digest,
            size,
            format: artifact_format(input.artifact.as_str()).map(str::to_owned),
        })
        .collect();
    let total: u64 = artifacts.iter().map(|a| a.size).sum();
    if let Some(latest) = tx.state().latest().filter(|_| !request.allow_same)
        && same_artifacts(&latest.register.artifacts, &artifacts)
    {
        return Err(Error::SameArtifacts { model: request.name, version: latest.version });
    }

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
    let files = artifacts.len();
    let header = tx.header(key)?;
    let seq = header.seq;
    let record = Record::Register(Box::new(RegisterRecord {
        schema: RecordKind::Register.schema().into(),
        model: header.model,
        seq,
        previous: header.previous,
        created_at: header.created_at,
        author: header.author,
        signer: header.signer,
        version,
        message: request.message.clone(),
        description: request.description,
        framework: request.framework,
        tags: request.tags,
        metrics: request.metrics,
        params: request.params,
        lineage,
        artifacts,
        baseline_profile: baseline_profile.as_ref().map(|(_, a)| a.clone()),
    }));
    // The record our parser would refuse (too large, a dataset named twice, a path that is both a
    // file and a directory) is refused before anything is stored.
    Record::parse(&record.to_bytes()).map_err(RepoError::InvalidRecord)?;
    tx.judge(key, &record)?;
    let mut report = RegisterReport {
        model: request.name.clone(),
        version,
        seq,
        record: None,
        record_digest: None,
        files,
        bytes: total,
        bytes_stored: 0,
        commit: None,
        dry_run: request.dry_run,
        signer: key.id().to_string(),
    };
    if request.dry_run {
        return Ok(report);
    }

    // Objects are immutable and content-addressed: an interruption from here on leaves at worst
    // unreferenced objects.
    let Record::Register(register) = &record else { unreachable!("built above") };
    let store = registry.store();
    progress.start("storing", total);
    let copied: Vec<bool> = inputs
        .par_iter()
        .zip(&register.artifacts)
        .map(|(input, a)| store.put_verified(&input.source, &a.digest, a.size, progress))
        .collect::<Result<_, StoreError>>()?;
    if let Some((source, profile)) = &baseline_profile
        && store.put_verified(source, &profile.digest, profile.size, progress)?
    {
        store.flush(&[profile.digest])?;
    }
    let new: Vec<Digest> = register.artifacts.iter().zip(&copied).filter(|(_, c)| **c).map(|(a, _)| a.digest).collect();
    store.flush(&new)?;
    progress.finish();
    report.bytes_stored = register.artifacts.iter().zip(&copied).filter(|(_, c)| **c).map(|(a, _)| a.size).sum();

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

//! `modelreg drift`, `modelreg profile`: run the drift library against a registered version and keep
//! the result as a signed record beside it.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::lifecycle::record_with_header;
use super::show::{load_state, select};
use super::transaction::Transaction;
use super::{Error, ModelRef};
use crate::drift::{self, DriftConfig, DriftReport, Input, Profile, ReadOptions};
use crate::policy::rules::{may_sign, required_role};
use crate::record::{Digest, DriftRecord, ModelName, Record, RecordKind, Timestamp, Version};
use crate::repo::Registry;
use crate::sign::SigningKey;
use crate::store::ArtifactStore;

/// A drift input on the command line: a profile (`.toml`, from `modelreg profile`) or a dataset.
pub fn input(path: &Path) -> Result<Input, Error> {
    if path.extension().is_some_and(|e| e == "toml") {
        Ok(Input::Profile(Profile::read(path)?))
    } else {
        Ok(Input::Data(path.to_owned()))
    }
}

/// One drift run: which version, against what data, and whether to record the verdict.
#[derive(Debug)]
pub struct DriftRequest {
    /// The version compared (`NAME@VERSION`, `NAME@STAGE`, or the latest).
    pub reference: ModelRef,
    /// `None`: the baseline profile stored with the version (`register --baseline-profile`).
    pub baseline: Option<PathBuf>,
    /// The data to compare with the baseline: a CSV or Parquet file, or a stored profile.
    pub target: PathBuf,
    /// How the data files are read (threads, block size, row limits).
    pub read: ReadOptions,
    /// Metrics, thresholds and per-feature overrides.
    pub config: DriftConfig,
    /// Start of the period the target data covers, recorded with the verdict.
    pub window_start: Option<Timestamp>,
    /// End of that period.
    pub window_end: Option<Timestamp>,
    /// Write a signed drift record (and commit it unless `commit` is false).
    pub record: bool,
    /// Commit the drift record (with the refreshed card) once written.
    pub commit: bool,
    /// Credentials and endpoints for the shared store, which a stored baseline profile is fetched
    /// from when this clone's cache lacks it.
    pub store_env: crate::store::StoreEnv,
}

/// What a drift run compared, found and wrote.
#[derive(Debug, Serialize)]
pub struct DriftOutcome {
    /// The model compared.
    pub model: ModelName,
    /// The version whose baseline was used.
    pub version: Version,
    /// The drift record's path, when one was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The drift record's content digest, when one was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_digest: Option<Digest>,
    /// The commit that holds the record, when committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Why the report gives no verdict (too few rows), when it gives none; then no record is written,
    /// and the report's `drift = false` means nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inconclusive: Option<String>,
    /// Per-feature metrics, thresholds and the verdict.
    pub report: DriftReport,
}

/// Compares `request.target` with the version's baseline and, when asked, appends a signed drift
/// record to the model's chain (signed by `key`, which must hold the drift role).
pub fn run(registry: &Registry, key: Option<&SigningKey>, request: DriftRequest) -> Result<DriftOutcome, Error> {
    let now = registry.now();
    if let Some(key) = key.filter(|_| request.record) {
        may_sign(registry.trust(), key.public(), &required_role(RecordKind::Drift), now)?;
    }
    let state = load_state(registry, &request.reference.name)?;
    let version = select(&state, &request.reference)?;
    let baseline = match &request.baseline {
        Some(path) => input(path)?,
        None => Input::Profile(stored_profile(registry, version, &request.store_env)?),
    };
    let target = input(&request.target)?;
    let report = drift::compare(&baseline, &target, &request.read, &request.config)?;
    // "No drift in 0 of 0 features" is no verdict: it would satisfy a `no_drift_within` gate.
    if report.summary.features_compared == 0 {
        let why = "no baseline feature is in the target with the same kind".to_owned();
        return Err(Error::Inconclusive { model: state.name.clone(), version: version.version, why });
    }
    // Nor is a verdict on a handful of rows, where one row would move it: never recorded; a report
    // asked for without a record says it is inconclusive.
    let min_rows = request.config.min_rows;
    let too_few = [("baseline", report.baseline.rows), ("target", report.target.rows)]
        .into_iter()
        .find(|(_, rows)| *rows < min_rows)
        .map(|(side, rows)| {
            format!("the {side} has {rows} rows, fewer than the {min_rows} a verdict needs (drift.min_rows)")
        });
    if let Some(why) = too_few.clone().filter(|_| request.record) {
        return Err(Error::Inconclusive { model: state.name.clone(), version: version.version, why });
    }
    let mut outcome = DriftOutcome {
        model: state.name.clone(),
        version: version.version,
        record: None,
        record_digest: None,
        commit: None,
        inconclusive: too_few,
        report,
    };
    let Some(key) = key.filter(|_| request.record) else { return Ok(outcome) };

    let mut tx = Transaction::on_model(registry, &state.name, false)?;
    // The chain is read again under the lock (another command may have written while the data was
    // read); the rule engine checks that `version_record` still names the version judged.
    let header = tx.header(key)?;
    let record = Record::Drift(Box::new(record_with_header!(DriftRecord, RecordKind::Drift, header, {
        version: version.version,
        version_record: version.record_digest,
        window_start: request.window_start,
        window_end: request.window_end,
        report: outcome.report.clone(),
    })));
    let appended = tx.append(key, record)?;
    outcome.record = Some(appended.record_path);
    outcome.record_digest = Some(appended.digest);
    let verdict = if outcome.report.summary.drift { "drift found" } else { "no drift" };
    let message = format!("modelreg: drift report for {} v{}: {verdict}", state.name, version.version);
    // The card shows the latest drift verdicts: it is rewritten (and committed) with the record.
    outcome.commit = tx.commit(request.commit.then_some(message.as_str()))?;
    Ok(outcome)
}

/// The baseline profile registered with a version, read from the store and verified.
/// On a clone whose cache lacks it, it is fetched (and verified) from the shared store first.
fn stored_profile(
    registry: &Registry,
    version: &crate::state::VersionState,
    store_env: &crate::store::StoreEnv,
) -> Result<Profile, Error> {
    let artifact = version
        .register
        .baseline_profile
        .as_ref()
        .ok_or_else(|| Error::NoBaseline { model: version.register.model.clone(), version: version.version })?;
    registry.artifacts(store_env).fetch(&[(artifact.digest, artifact.size)], &crate::progress::NoProgress).map_err(
        |e| match e {
            crate::store::StoreError::Missing { digest, store } => {
                Error::MissingArtifact { path: artifact.path.to_string(), digest, store }
            }
            other => other.into(),
        },
    )?;
    let store = registry.store();
    let mut bytes = Vec::new();
    store
        .open(&artifact.digest)?
        .take(drift::MAX_PROFILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(super::io(store.location()))?;
    let actual = Digest::of_bytes(&bytes);
    if actual != artifact.digest {
        return Err(crate::store::StoreError::Corrupt {
            name: artifact.path.to_string(),
            expected: artifact.digest.to_string(),
            actual: actual.to_string(),
        }
        .into());
    }
    let text = String::from_utf8(bytes).map_err(|_| drift::DriftError::ProfileFormat {
        file: PathBuf::from(artifact.path.as_str()),
        message: "not UTF-8".into(),
    })?;
    Ok(Profile::from_toml(&text, Path::new(artifact.path.as_str()))?)
}

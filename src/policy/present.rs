//! The `artifact-present` rule: a change may add a registration only while every artifact it names
//! is in the configured shared store with the recorded size.
//!
//! Judged by the base's configuration (the store the registry used before the change; a first push
//! uses its own). Only HEAD requests, in parallel, after one probe of the store: no bytes are
//! downloaded, so a push of a 10 GB model costs a few requests. A registry without `[store] url` has
//! nothing to check. A checker that cannot reach the store or has no credentials reports that as a
//! finding: the rule never passes silently.

use std::collections::BTreeMap;

use super::{Problem, RuleId};
use crate::record::{Digest, MAX_RECORD_BYTES, Record, RecordKind};
use crate::repo::config::Config;
use crate::repo::layout::{CONFIG_FILE, MODELS_DIR, RecordFileName};
use crate::repo::snapshot::{Snapshot, split};
use crate::repo::{Change, ChangeKind};
use crate::store::{ObjectState, RemoteStore, StoreEnv, StoreError, StoreUrl};

/// Judges the registrations `changes` add to `new` against the shared store that `old`'s (else
/// `new`'s) configuration names, reached with `env`'s credentials.
pub fn artifact_present(
    old: Option<&dyn Snapshot>,
    new: &dyn Snapshot,
    changes: &[Change],
    env: &StoreEnv,
) -> Vec<Problem> {
    let config_of = |snapshot: &dyn Snapshot| match snapshot.read(CONFIG_FILE, MAX_RECORD_BYTES) {
        Ok(Some(bytes)) => Config::parse(&bytes).ok(),
        _ => None,
    };
    let config = old.and_then(config_of).or_else(|| config_of(new));
    let Some(url) = config.and_then(|c| c.store.url) else { return Vec::new() };

    // Every artifact the added registrations name, with the first record naming it.
    let mut wanted: BTreeMap<Digest, (u64, String, String)> = BTreeMap::new();
    for change in changes.iter().filter(|c| c.kind == ChangeKind::Added && c.path.starts_with(MODELS_DIR)) {
        let (_, file_name) = split(&change.path);
        if RecordFileName::parse(file_name).is_none_or(|f| f.kind != RecordKind::Register) {
            continue;
        }
        // A record that does not parse is the schema rule's finding.
        let Ok(Some(bytes)) = new.read(&change.path, MAX_RECORD_BYTES) else { continue };
        let Ok(Record::Register(register)) = Record::parse(&bytes) else { continue };
        for artifact in register.artifacts.iter().chain(&register.baseline_profile) {
            wanted
                .entry(artifact.digest)
                .or_insert_with(|| (artifact.size, change.path.clone(), artifact.path.to_string()));
        }
    }
    if wanted.is_empty() {
        return Vec::new();
    }
    let digests: Vec<Digest> = wanted.keys().copied().collect();
    let sizes = RemoteStore::connect(&url, env).and_then(|remote| remote.sizes(&digests));
    let sizes = match sizes {
        Ok(sizes) => sizes,
        Err(e) => return vec![unchecked(&url, &e)],
    };
    let mut problems = Vec::new();
    for ((digest, (size, record, path)), found) in wanted.iter().zip(sizes) {
        let message = match found {
            Some(found) if found == *size => continue,
            Some(found) => format!("artifact {path} ({digest}) is in {url} with {found} bytes; the record says {size}"),
            None => format!("artifact {path} ({digest}, {size} bytes) is not in the shared store {url}"),
        };
        problems.push(
            Problem::error(record, RuleId::ArtifactPresent, message)
                .with_hint("upload the artifacts with `modelreg store push`, then push again"),
        );
    }
    problems
}

/// The finding when the store could not be asked: never a silent pass.
fn unchecked(url: &StoreUrl, error: &StoreError) -> Problem {
    let hint = match error {
        StoreError::NoCredentials { .. } => {
            "give this checker read access to the store (AWS_*, AZURE_STORAGE_* or GOOGLE_* in its environment), or run `modelreg check --range` with credentials in CI (see README, Shared artifact stores)"
        }
        _ => "check the store's URL and that it is reachable from here, then push again",
    };
    Problem::error(CONFIG_FILE, RuleId::ArtifactPresent, format!("cannot confirm the artifacts are in {url}: {error}"))
        .with_hint(hint)
}

/// The full check with `--artifacts`: every object the records name (`objects`: digest, size and
/// where it is named) read back from the shared store at `url` in full and hashed. Missing objects
/// are `artifact-present` findings, damaged ones `artifact` findings.
pub fn artifacts_intact(
    url: &StoreUrl,
    objects: &[(Digest, u64, String)],
    env: &StoreEnv,
    progress: &dyn crate::progress::Progress,
) -> Vec<Problem> {
    let wanted: Vec<(Digest, u64)> = objects.iter().map(|(d, s, _)| (*d, *s)).collect();
    let total = wanted.iter().map(|(_, s)| s).sum();
    progress.start("verifying the shared store", total);
    let states = RemoteStore::connect(url, env).and_then(|remote| remote.verify(&wanted, progress));
    progress.finish();
    let states = match states {
        Ok(states) => states,
        Err(e) => return vec![unchecked(url, &e)],
    };
    let mut problems = Vec::new();
    for ((digest, size, origin), state) in objects.iter().zip(states) {
        let path = format!("{url}/{}", digest.hex());
        match state {
            ObjectState::Intact => {}
            ObjectState::Missing => problems.push(
                Problem::error(path, RuleId::ArtifactPresent, format!("{origin} ({size} bytes) is not in the shared store"))
                    .with_hint("upload it with `modelreg store push` from a clone that has it"),
            ),
            ObjectState::Corrupt { actual, size: read } => problems.push(
                Problem::error(
                    path,
                    RuleId::Artifact,
                    format!("the shared store's copy of {origin} is corrupted: expected {digest}, found {actual} ({read} bytes)"),
                )
                .with_hint("delete the damaged object, then `modelreg store push` from a clone whose cache holds it"),
            ),
        }
    }
    problems
}

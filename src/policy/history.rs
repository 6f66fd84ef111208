//! Which configuration was in force when each record was committed, so a full check judges every
//! record by the stages and gates the server judged it by (a promotion that skipped its gates is a
//! finding in CI's `check` too, not only in the change check).
//!
//! The configuration changes rarely: HEAD's first-parent line is cut at each commit that changes
//! `modelreg.toml`, and only the records added before the last cut need a tree diff to place them.
//! A registry whose configuration never changed since `init` costs no diff at all.

use std::collections::HashMap;

use crate::record::{MAX_RECORD_BYTES, ModelName};
use crate::repo::config::{Config, LifecycleConfig};
use crate::repo::layout::{CONFIG_FILE, MODELS_DIR, RECORDS_DIR, RecordFileName};
use crate::repo::snapshot::Snapshot;
use crate::repo::{ChangeKind, Registry, RepoError};

/// The configurations in force along HEAD's first-parent line, and which records each one judged.
#[derive(Debug)]
pub struct ConfigHistory {
    /// Lifecycle configurations in the order they came into force; `None` where the configuration did
    /// not parse (its own finding) or did not exist yet.
    configs: Vec<Option<LifecycleConfig>>,
    /// Per model, in seq order: (the last seq added while `configs[i]` was in force, i). A record
    /// past every bound was added under the last configuration.
    bounds: HashMap<ModelName, Vec<(u64, usize)>>,
}

impl ConfigHistory {
    /// One configuration for every record.
    pub fn single(config: Option<LifecycleConfig>) -> ConfigHistory {
        ConfigHistory { configs: vec![config], bounds: HashMap::new() }
    }

    /// Reads the history of `registry`'s configuration: each committed change on HEAD's first-parent
    /// line, and the working tree's configuration for records not committed yet.
    pub fn of(registry: &Registry) -> Result<ConfigHistory, RepoError> {
        let git = registry.git();
        let worktree = Some(registry.config().lifecycle.clone());
        let Some(head) = git.head()? else { return Ok(ConfigHistory::single(worktree)) };
        let lifecycle_at = |commit: &str| -> Result<Option<LifecycleConfig>, RepoError> {
            let bytes = git.tree_snapshot(commit)?.read(CONFIG_FILE, MAX_RECORD_BYTES).ok().flatten();
            Ok(bytes.and_then(|b| Config::parse(&b).ok()).map(|c| c.lifecycle))
        };
        // Signature files count too: a change two admins sign in two commits stands at the second.
        let mut changes = git.first_parent_changes(|name| name.starts_with(CONFIG_FILE), None)?;
        changes.reverse();
        // Only a configuration that stood (parsed, signed by the admins before it) was in force: an
        // unsigned edit committed past the hooks and restored later never lifted a gate.
        let mut standing = Vec::with_capacity(changes.len());
        for (commit, parent) in changes {
            let trust_before = crate::policy::load_trust(&git.tree_snapshot(&parent)?).ok();
            if super::admin::config_stands(&git.tree_snapshot(&commit)?, trust_before.as_ref()) {
                standing.push((commit, parent));
            }
        }
        let changes = standing;
        // `cuts[j]`: the last commit judged by `configs[j]`; every record added after it is judged by a
        // later configuration.
        let mut configs = Vec::with_capacity(changes.len() + 3);
        let mut cuts = Vec::with_capacity(changes.len() + 2);
        if git.is_shallow() {
            // A shallow clone cannot tell under which configuration the records before its boundary
            // were committed: they are not held to one (they were judged when they arrived), and the
            // boundary's configuration is in force from there on.
            let boundary = git.first_parent_oldest(&head)?;
            configs.push(None);
            configs.push(lifecycle_at(&boundary)?);
            cuts.push(boundary);
        } else {
            match changes.first() {
                Some((_, parent)) => configs.push(lifecycle_at(parent)?),
                None => configs.push(lifecycle_at(&head)?),
            }
        }
        for (commit, parent) in &changes {
            let config = lifecycle_at(commit)?;
            // A change of signatures only (or back and forth) puts nothing new in force.
            if configs.last() == Some(&config) {
                continue;
            }
            cuts.push(parent.clone());
            configs.push(config);
        }
        // An uncommitted (admin-signed) configuration judges the uncommitted records.
        if configs.last() != Some(&worktree) {
            cuts.push(head);
            configs.push(worktree);
        }
        let mut bounds: HashMap<ModelName, Vec<(u64, usize)>> = HashMap::new();
        let mut from: Option<String> = None;
        for (i, cut) in cuts.iter().enumerate() {
            for change in git.diff_commits(from.as_deref(), cut)? {
                if change.kind != ChangeKind::Added {
                    continue;
                }
                let Some((model, seq)) = record_of(&change.path) else { continue };
                let model_bounds = bounds.entry(model).or_default();
                match model_bounds.last_mut() {
                    Some((last, at)) if *at == i => *last = (*last).max(seq),
                    _ => model_bounds.push((seq, i)),
                }
            }
            from = Some(cut.clone());
        }
        Ok(ConfigHistory { configs, bounds })
    }

    /// The lifecycle configuration record `seq` of `model` was judged by when it was committed.
    pub fn for_record(&self, model: &ModelName, seq: u64) -> Option<&LifecycleConfig> {
        let at = self
            .bounds
            .get(model)
            .and_then(|bounds| bounds.iter().find(|(last, _)| seq <= *last))
            .map_or(self.configs.len() - 1, |(_, i)| *i);
        self.configs[at].as_ref()
    }
}

/// `models/<name>/records/<seq>-<kind>.toml` → (name, seq).
fn record_of(path: &str) -> Option<(ModelName, u64)> {
    let rest = path.strip_prefix(MODELS_DIR)?.strip_prefix('/')?;
    let (model, rest) = rest.split_once('/')?;
    let file = rest.strip_prefix(RECORDS_DIR)?.strip_prefix('/')?;
    Some((model.parse().ok()?, RecordFileName::parse(file)?.seq))
}

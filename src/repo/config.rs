//! `modelreg.toml`: the registry's configuration, signed by admins like the trust file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::record::{Gates, RecordError, Stage, from_toml};

/// The schema of `modelreg.toml`.
pub const CONFIG_SCHEMA: &str = "modelreg/config/v1";
/// Where `init` puts the local artifact store (git-ignored).
pub const DEFAULT_STORE_PATH: &str = ".modelreg/objects";

/// `modelreg.toml`: the registry branch, the stores, drift defaults and the lifecycle, signed by admins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Always [`CONFIG_SCHEMA`].
    pub schema: String,
    /// The registry branch (`main`): the one the server keeps from deletion and rewrites. `init`
    /// writes the branch it ran on; absent in registries made before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The local artifact store and the shared one.
    pub store: StoreConfig,
    /// Drift defaults: metrics, thresholds, per-feature overrides (see docs/FORMAT.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<crate::drift::DriftConfig>,
    /// Stages and the gates a promotion into each must pass.
    #[serde(default, skip_serializing_if = "LifecycleConfig::is_default")]
    pub lifecycle: LifecycleConfig,
}

/// `[lifecycle]`: the stages a version can hold, in order, and per stage the gates of a promotion into it.
///
/// ```toml
/// [lifecycle]
/// stages = ["development", "staging", "production"]
///
/// [lifecycle.gates.production]
/// from = "staging"
/// soak = "24h"
/// require = ["auc >= 0.90", "latency_p99_ms <= 50"]
/// no_drift_within = "7d"
/// approvals = 2
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleConfig {
    /// The stages, in promotion order.
    #[serde(default = "default_stages")]
    pub stages: Vec<Stage>,
    /// Per stage, the gates of a promotion into it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub gates: BTreeMap<Stage, Gates>,
    /// How far one registration may move a model's version number past its latest (the first
    /// version: past 0). Guards the range: `u64::MAX - 1` would leave no version after it.
    #[serde(default = "default_max_version_jump")]
    pub max_version_jump: u64,
}

/// [`LifecycleConfig::max_version_jump`] when the configuration does not set it.
pub const DEFAULT_MAX_VERSION_JUMP: u64 = 1000;

fn default_max_version_jump() -> u64 {
    DEFAULT_MAX_VERSION_JUMP
}

fn default_stages() -> Vec<Stage> {
    ["development", "staging", "production"].iter().map(|s| s.parse().expect("valid stage names")).collect()
}

impl Default for LifecycleConfig {
    fn default() -> LifecycleConfig {
        LifecycleConfig { stages: default_stages(), gates: BTreeMap::new(), max_version_jump: DEFAULT_MAX_VERSION_JUMP }
    }
}

impl LifecycleConfig {
    fn is_default(&self) -> bool {
        *self == LifecycleConfig::default()
    }

    /// Is `stage` one of the configured stages?
    pub fn has_stage(&self, stage: &Stage) -> bool {
        self.stages.contains(stage)
    }

    /// The gates of a promotion into `stage` (none configured: no gates).
    pub fn gates(&self, stage: &Stage) -> Gates {
        self.gates.get(stage).cloned().unwrap_or_default()
    }

    fn validate(&self) -> Result<(), String> {
        if self.max_version_jump == 0 {
            return Err("lifecycle.max_version_jump must be at least 1".into());
        }
        if self.stages.is_empty() {
            return Err("lifecycle.stages lists no stage".into());
        }
        for (i, stage) in self.stages.iter().enumerate() {
            if self.stages[..i].contains(stage) {
                return Err(format!("lifecycle.stages lists `{stage}` twice"));
            }
        }
        for (stage, gates) in &self.gates {
            if !self.has_stage(stage) {
                return Err(format!("lifecycle.gates.{stage}: `{stage}` is not in lifecycle.stages"));
            }
            if let Some(from) = &gates.from
                && (!self.has_stage(from) || from == stage)
            {
                return Err(format!(
                    "lifecycle.gates.{stage}.from: `{from}` must be another stage in lifecycle.stages"
                ));
            }
            if gates.soak.is_some() && gates.from.is_none() {
                return Err(format!("lifecycle.gates.{stage}.soak: a soak time needs `from` (the stage to soak in)"));
            }
        }
        Ok(())
    }
}

/// A short branch name git accepts (`main`, `team/registry`): printable ASCII, none of git's special
/// characters, no `..`, `//` or leading `-`, no component starting with `.` or ending in `.lock`.
pub fn is_branch_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('-')
        && !name.contains("..")
        && !name.contains("@{")
        && name.bytes().all(|b| b.is_ascii_graphic() && !b" ~^:?*[\\".contains(&b))
        && name.split('/').all(|c| !c.is_empty() && !c.starts_with('.') && !c.ends_with(".lock"))
        && !name.ends_with('.')
}

/// `[store]`: the local store (the cache, with a shared store) and the optional shared store.
///
/// ```toml
/// [store]
/// path = ".modelreg/objects"
/// url = "s3://ml-models/registry"   # or az://container/prefix, gs://bucket/prefix, file:///mnt/models
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// A directory, relative to the repository root or absolute.
    pub path: String,
    /// The shared store every clone uploads to and fetches from; credentials come from the
    /// environment, never from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<crate::store::StoreUrl>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            schema: CONFIG_SCHEMA.into(),
            branch: None,
            store: StoreConfig { path: DEFAULT_STORE_PATH.into(), url: None },
            drift: None,
            lifecycle: LifecycleConfig::default(),
        }
    }
}

impl Config {
    /// Parses `modelreg.toml` strictly (unknown fields refused) and validates it: the schema, a
    /// non-empty `store.path` that is not a URL, a branch name, the lifecycle's stages and gates.
    pub fn parse(bytes: &[u8]) -> Result<Config, RecordError> {
        if bytes.len() > crate::record::MAX_RECORD_BYTES {
            return Err(RecordError::TooLarge { size: bytes.len() });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| RecordError::NotUtf8)?;
        let config: Config = from_toml(text)?;
        if config.schema != CONFIG_SCHEMA {
            return Err(RecordError::UnknownSchema(config.schema));
        }
        if config.store.path.trim().is_empty() {
            return Err(RecordError::Invalid("store.path is empty".into()));
        }
        // A URL here would otherwise become a local directory named `s3:` (a shared store silently
        // kept on one machine).
        if config.store.path.contains("://") {
            return Err(RecordError::Invalid(format!(
                "store.path `{}` is a URL; store.path is this clone's local directory, a shared store goes in store.url",
                config.store.path
            )));
        }
        if let Some(branch) = &config.branch
            && !is_branch_name(branch)
        {
            return Err(RecordError::Invalid(format!("branch: `{branch}` is not a branch name")));
        }
        config.lifecycle.validate().map_err(RecordError::Invalid)?;
        Ok(config)
    }

    /// The file's bytes, as `init` writes them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = toml::to_string(self).expect("config serialises");
        format!(
            "{body}\n# Artifacts are stored by blake3 digest under store.path (relative to the repository root or absolute).\n"
        )
        .into_bytes()
    }

    /// The local store's directory for a registry rooted at `root`.
    pub fn store_path(&self, root: &Path) -> PathBuf {
        root.join(&self.store.path)
    }
}

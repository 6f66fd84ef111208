//! `modelreg.toml`: the registry's configuration, signed by admins like the trust file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::record::{RecordError, from_toml};

pub const CONFIG_SCHEMA: &str = "modelreg/config/v1";
pub const DEFAULT_STORE_PATH: &str = ".modelreg/objects";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub schema: String,
    pub store: StoreConfig,
    /// Drift defaults: metrics, thresholds, per-feature overrides (see docs/FORMAT.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<crate::drift::DriftConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// A directory, relative to the repository root or absolute.
    pub path: String,
}

impl Default for Config {
    fn default() -> Config {
        Config { schema: CONFIG_SCHEMA.into(), store: StoreConfig { path: DEFAULT_STORE_PATH.into() }, drift: None }
    }
}

impl Config {
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
        Ok(config)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let body = toml::to_string(self).expect("config serialises");
        format!(
            "{body}\n# Artifacts are stored by blake3 digest under store.path (relative to the repository root or absolute).\n"
        )
        .into_bytes()
    }

    pub fn store_path(&self, root: &Path) -> PathBuf {
        root.join(&self.store.path)
    }
}

//! `modelreg/register/v1`: one version of a model — its artifacts, metrics, parameters and lineage.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{ArtifactPath, Digest, KeyId, MetaKey, ModelName, Timestamp, Version};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRecord {
    pub schema: String,
    pub model: ModelName,
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Digest>,
    pub created_at: Timestamp,
    /// The git author who ran the command, `Name <email>`.
    pub author: String,
    /// The key that published the record (a hint for humans: trust is decided by the signature).
    pub signer: KeyId,
    pub version: Version,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<MetaKey, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<MetaKey, Metric>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<MetaKey, String>,
    #[serde(default, skip_serializing_if = "Lineage::is_empty")]
    pub lineage: Lineage,
    pub artifacts: Vec<Artifact>,
    /// A drift profile of the training data (`modelreg profile`), stored with the version so later
    /// drift runs only need production data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_profile: Option<Artifact>,
}

/// A metric value: a finite number (NaN and infinities cannot be compared by gates or queries).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Metric(f64);

impl Metric {
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Metric {
    type Error = String;
    fn try_from(value: f64) -> Result<Self, String> {
        if value.is_finite() { Ok(Metric(value)) } else { Err(format!("metric value {value} is not a finite number")) }
    }
}

impl From<Metric> for f64 {
    fn from(m: Metric) -> f64 {
        m.0
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lineage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<DatasetRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<ParentRef>,
}

impl Lineage {
    pub fn is_empty(&self) -> bool {
        self.code.is_none() && self.datasets.is_empty() && self.parents.is_empty()
    }
}

/// The training code: a commit of some git repository, and whether its working tree had changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    pub commit: String,
    pub dirty: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetRef {
    pub name: MetaKey,
    pub uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
}

/// A model version this one derives from (fine-tuned from, distilled from…), pinned by record digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentRef {
    pub model: ModelName,
    pub version: Version,
    pub record: Digest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    pub path: ArtifactPath,
    pub digest: Digest,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

impl Artifact {
    /// Formats whose loaders execute code from the file (pickle and what is built on it). A signature
    /// says who published a model, not that it is safe to load; this lets `show` and gates say so.
    pub fn loads_code(&self) -> bool {
        matches!(self.format.as_deref(), Some("pickle" | "pytorch" | "joblib"))
    }
}

/// The serialisation format implied by a file name, for artifacts.
pub fn format_of(path: &str) -> Option<&'static str> {
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "safetensors" => "safetensors",
        "onnx" => "onnx",
        "pkl" | "pickle" => "pickle",
        "joblib" => "joblib",
        "pt" | "pth" | "ckpt" => "pytorch",
        "h5" | "hdf5" | "keras" => "keras",
        "pb" | "tflite" => "tensorflow",
        "gguf" => "gguf",
        "json" => "json",
        "ubj" | "xgb" => "xgboost",
        "txt" => "text",
        _ => return None,
    })
}

impl RegisterRecord {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.artifacts.is_empty() {
            return Err("a registration has at least one artifact".into());
        }
        let mut paths = BTreeSet::new();
        for artifact in &self.artifacts {
            if !paths.insert(artifact.path.as_str()) {
                return Err(format!("artifact path `{}` appears twice", artifact.path));
            }
        }
        // A directory and a file of the same name cannot both be materialised.
        for path in &paths {
            let mut prefix = String::new();
            for part in path.split('/').collect::<Vec<_>>().split_last().map(|(_, dirs)| dirs).unwrap_or(&[]) {
                prefix.push_str(part);
                if paths.contains(prefix.as_str()) {
                    return Err(format!("artifact `{prefix}` is both a file and a directory"));
                }
                prefix.push('/');
            }
        }
        let mut dataset_names = BTreeSet::new();
        for dataset in &self.lineage.datasets {
            if !dataset_names.insert(&dataset.name) {
                return Err(format!("dataset `{}` appears twice", dataset.name));
            }
        }
        Ok(())
    }
}

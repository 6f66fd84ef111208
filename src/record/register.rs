//! `modelreg/register/v1`: one version of a model — its artifacts, metrics, parameters and lineage.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{ArtifactPath, Digest, KeyId, MetaKey, ModelName, Timestamp, Version};

/// `modelreg/register/v1`: a version of a model, with its metrics, lineage and artifacts. Never edited:
/// lifecycle records change what holds for the version, this record stays as written.
///
/// The chain header (`schema` … `signer`) is repeated in every record struct rather than flattened:
/// serde cannot flatten a shared header into a struct that denies unknown fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRecord {
    /// `modelreg/register/v1`, the record's first line.
    pub schema: String,
    /// The model; equal to the directory the record lives in.
    pub model: ModelName,
    /// Position in the model's chain: 1, 2, 3… without gaps.
    pub seq: u64,
    /// Digest of the model's record `seq - 1`; absent exactly when `seq = 1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Digest>,
    /// When the record was written (informational: expiry is judged at signing and push time).
    pub created_at: Timestamp,
    /// The git author who ran the command, `Name <email>`.
    pub author: String,
    /// The key that published the record (a hint for humans: trust is decided by the signature).
    pub signer: KeyId,
    /// The version registered; greater than every earlier version of the model.
    pub version: Version,
    /// Why this version exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the model does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The training framework, e.g. `sklearn`, `pytorch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    /// Tags as registered (tag records change the current tags, never this table).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<MetaKey, String>,
    /// Metrics as recorded at registration; finite numbers only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<MetaKey, Metric>,
    /// Training parameters, as given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<MetaKey, String>,
    /// Where the version comes from: code, datasets, parent versions.
    #[serde(default, skip_serializing_if = "Lineage::is_empty")]
    pub lineage: Lineage,
    /// The files of the version (at least one), each by path, digest and size; paths are unique.
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
    /// The value (always finite).
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

/// What a version was made from. Every part is optional; an empty lineage is left out of the record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lineage {
    /// The training code's commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeRef>,
    /// The datasets trained or evaluated on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<DatasetRef>,
    /// The model versions this one derives from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<ParentRef>,
}

impl Lineage {
    /// Whether the lineage names nothing (then it is not written).
    pub fn is_empty(&self) -> bool {
        self.code.is_none() && self.datasets.is_empty() && self.parents.is_empty()
    }
}

/// The training code: a commit of some git repository, and whether its working tree had changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRef {
    /// The repository URL, with any credentials stripped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The commit, 40 hex characters.
    pub commit: String,
    /// Whether tracked files differed from the commit when the version was registered.
    pub dirty: bool,
}

/// A dataset the version was trained or evaluated on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetRef {
    /// The dataset's role in this version (`train`, `eval`…).
    pub name: MetaKey,
    /// Where the dataset lives (a path or URI, as given).
    pub uri: String,
    /// Digest of the dataset's bytes, computed for local files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
}

/// A model version this one derives from (fine-tuned from, distilled from…), pinned by record digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentRef {
    /// The parent model.
    pub model: ModelName,
    /// The parent version.
    pub version: Version,
    /// Digest of the parent version's register record.
    pub record: Digest,
}

/// A file of a version, stored in the artifact store under its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    /// Path inside the version (unique within it; where `get` writes the file).
    pub path: ArtifactPath,
    /// Digest of the file's bytes.
    pub digest: Digest,
    /// Size in bytes (checked with the digest when the file is fetched).
    pub size: u64,
    /// The format derived from the file extension (`safetensors`, `onnx`, `pickle`…), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

impl Artifact {
    /// Whether opening the file with its format's usual loader executes code from it (pickle and what
    /// is built on it). Judged from the label *and* the file name, so a `model.pkl` labelled
    /// `safetensors` still counts. A signature says who published a model, not that it is safe to
    /// load; this lets `show`, cards and gates say so. The bytes are judged by [`format_of_bytes`].
    pub fn loads_code(&self) -> bool {
        self.format.as_deref().is_some_and(format_loads_code)
            || format_of(self.path.as_str()).is_some_and(format_loads_code)
    }
}

/// Formats whose usual loader executes code from the file.
pub fn format_loads_code(format: &str) -> bool {
    matches!(format, "pickle" | "pytorch" | "joblib")
}

/// How many leading bytes [`format_of_bytes`] looks at.
pub const FORMAT_SNIFF_BYTES: usize = 512;

/// The format a file's first bytes show, when they show one: a pickle stream (protocol 2 and later
/// start `0x80 <protocol>`), a PyTorch zip archive (its first member is `…/data.pkl` or `…/version`
/// beside one), safetensors (an 8-byte little-endian header length, then `{`), GGUF, HDF5 (Keras).
pub fn format_of_bytes(head: &[u8]) -> Option<&'static str> {
    match head {
        [0x80, 2..=5, ..] => Some("pickle"),
        [b'P', b'K', 3, 4, rest @ ..] if torch_zip(rest) => Some("pytorch"),
        [b'G', b'G', b'U', b'F', ..] => Some("gguf"),
        [0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n', ..] => Some("keras"),
        [a, b, c, d, e, f, g, h, b'{', ..] => {
            let len = u64::from_le_bytes([*a, *b, *c, *d, *e, *f, *g, *h]);
            (2..100 << 20).contains(&len).then_some("safetensors")
        }
        _ => None,
    }
}

/// A zip archive whose first member (the local header after `PK\x03\x04`) is PyTorch's: a name ending
/// in `data.pkl`, `.data/version` or `/version` under one top directory (torch.save's layout).
fn torch_zip(after_magic: &[u8]) -> bool {
    // Local file header: 26 more bytes, the name's length at offset 22 (from after the magic).
    let Some(len) = after_magic.get(22..24).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize) else { return false };
    let Some(name) = after_magic.get(26..26 + len) else { return false };
    name.ends_with(b"data.pkl") || name.ends_with(b"/version") || name.ends_with(b".data/version")
}

/// The format to record for a file: what its bytes show when that loads code (a pickle named
/// `.safetensors` is recorded as a pickle), else what its name says, else what its bytes show.
pub fn derive_format(path: &str, head: &[u8]) -> Option<&'static str> {
    let by_bytes = format_of_bytes(head);
    match (by_bytes, format_of(path)) {
        (Some(bytes), _) if format_loads_code(bytes) => Some(bytes),
        (_, Some(name)) => Some(name),
        (bytes, None) => bytes,
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

/// A full git commit id: SHA-1 (40) or SHA-256 (64) lowercase hex digits.
pub fn is_commit_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl RegisterRecord {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.artifacts.is_empty() {
            return Err("a registration has at least one artifact".into());
        }
        let mut paths = BTreeSet::new();
        let mut folded = std::collections::BTreeMap::new();
        for artifact in &self.artifacts {
            if !paths.insert(artifact.path.as_str()) {
                return Err(format!("artifact path `{}` appears twice", artifact.path));
            }
            // A case-insensitive file system (macOS, Windows) would keep one of the two.
            if let Some(other) = folded.insert(artifact.path.as_str().to_ascii_lowercase(), artifact.path.as_str()) {
                return Err(format!("artifact paths `{other}` and `{}` differ only in case", artifact.path));
            }
        }
        // A label that hides a code-loading format behind a safe one (`model.pkl` as `safetensors`) is
        // a lie about what opening the file does; a more cautious label than the name's is fine.
        for artifact in &self.artifacts {
            if let (Some(label), Some(by_name)) = (artifact.format.as_deref(), format_of(artifact.path.as_str()))
                && label != by_name
                && !format_loads_code(label)
            {
                return Err(format!(
                    "artifact `{}` is labelled format `{}`, but its name says `{by_name}`",
                    artifact.path,
                    label.escape_debug()
                ));
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
        // A commit id, never a branch or tag name: those move, and lineage must pin what was trained.
        if let Some(code) = &self.lineage.code
            && !is_commit_id(&code.commit)
        {
            return Err(format!(
                "lineage.code.commit `{}` is not a commit id (40 or 64 lowercase hex digits)",
                code.commit.escape_debug()
            ));
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

//! Operations: what each command does, as library functions that return reports and never print.

pub mod card;
pub mod check;
mod collect;
pub mod config;
pub mod diff;
pub mod drift;
pub mod get;
pub mod init;
pub mod key;
pub mod lifecycle;
pub mod lineage;
pub mod register;
pub mod review;
pub mod search;
pub mod show;
pub mod store;
pub mod sync;
pub mod transaction;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::policy::rules::{SignerViolation, VersionNotIncreasing};
use crate::policy::{LoadError, OpenError, Problem};
use crate::record::{ModelName, NameError, Version};
use crate::repo::{GitError, RepoError};
use crate::sign::SignError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Trust or configuration lacks admin signatures (in the working tree or committed history).
    #[error("{}: {}", .0.path, .0.message)]
    Untrusted(Box<Problem>),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Signer(#[from] SignerViolation),
    #[error(transparent)]
    Version(#[from] VersionNotIncreasing),
    #[error("{0} does not exist")]
    PathNotFound(PathBuf),
    #[error("{path} is a symbolic link to {target}, outside {root}")]
    SymlinkEscapes { path: PathBuf, target: PathBuf, root: PathBuf },
    #[error("{path}: {source}")]
    ArtifactName { path: PathBuf, source: NameError },
    #[error("two inputs would both be stored as `{0}`")]
    DuplicateArtifact(String),
    #[error("{0} is not a regular file or directory (a device, FIFO or socket)")]
    NotRegularFile(PathBuf),
    #[error("{0} contains no files")]
    NoFiles(PathBuf),
    #[error("the artifacts are byte-identical to {model} v{version}")]
    SameArtifacts { model: ModelName, version: Version },
    #[error("{model} has no version {version}")]
    UnknownVersion { model: ModelName, version: Version },
    #[error("{0} has no versions")]
    NoVersions(ModelName),
    #[error("{0} already exists")]
    DestinationExists(PathBuf),
    #[error("{path}: object {digest} is not in the store at {store}")]
    MissingArtifact { path: String, digest: crate::record::Digest, store: String },
    #[error(transparent)]
    Drift(#[from] crate::drift::DriftError),
    #[error(transparent)]
    Card(#[from] crate::card::CardError),
    #[error("{model} v{version} has no baseline profile stored, and no --baseline was given")]
    NoBaseline { model: ModelName, version: Version },
    #[error("{0} exists and was not written by modelreg")]
    ForeignHook(PathBuf),
    #[error("revoking {0} would leave fewer unexpired admin keys than the admin threshold")]
    LastAdmin(crate::record::KeyId),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A lifecycle rule refuses the action (the rule engine's words).
    #[error("{subject}: {why}")]
    Refused { subject: String, why: String, hint: Option<String> },
    #[error("cannot promote {model} v{version} to `{stage}`: {}", .failures.join("; "))]
    GatesNotMet { model: ModelName, version: Version, stage: crate::record::Stage, failures: Vec<String> },
    #[error("{model} has no version in `{stage}`")]
    StageEmpty { model: ModelName, stage: crate::record::Stage },
    #[error(transparent)]
    Approval(#[from] crate::policy::lifecycle::ApprovalRefused),
    #[error("{model} has no earlier version in `{stage}` to roll back to")]
    NothingToRollBack { model: ModelName, stage: crate::record::Stage },
}

impl From<OpenError> for Error {
    fn from(e: OpenError) -> Error {
        match e {
            OpenError::Repo(e) => Error::Repo(e),
            OpenError::Untrusted(problem) => Error::Untrusted(problem),
        }
    }
}

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}

/// Which version a reference means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Latest,
    Exact(Version),
    /// The version holding this stage now.
    Stage(crate::record::Stage),
}

/// `NAME`, `NAME@VERSION`, `NAME@latest` or `NAME@STAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
    pub name: ModelName,
    /// `None` when the reference names the model alone.
    pub selector: Option<Selector>,
}

impl FromStr for ModelRef {
    type Err = NameError;
    fn from_str(text: &str) -> Result<ModelRef, NameError> {
        let (name, selector) = match text.split_once('@') {
            None => (text, None),
            Some((name, "latest")) => (name, Some(Selector::Latest)),
            Some((name, version))
                if version.strip_prefix('v').unwrap_or(version).bytes().all(|b| b.is_ascii_digit()) =>
            {
                (name, Some(Selector::Exact(version.parse()?)))
            }
            Some((name, stage)) => (name, Some(Selector::Stage(stage.parse()?))),
        };
        Ok(ModelRef { name: name.parse()?, selector })
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.selector {
            None => write!(f, "{}", self.name),
            Some(Selector::Latest) => write!(f, "{}@latest", self.name),
            Some(Selector::Exact(v)) => write!(f, "{}@{v}", self.name),
            Some(Selector::Stage(stage)) => write!(f, "{}@{stage}", self.name),
        }
    }
}

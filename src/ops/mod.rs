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

/// Why an operation did nothing. Messages name the cause in the registry's terms; what to do about it
/// (flags, commands) is the caller's to say, as the CLI's hints do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Opening, reading or writing the registry's files failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// A git operation (reading objects, committing) failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// A key could not be loaded, or a signature made or checked.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// The artifact store could not store or return an object.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A model's records could not be loaded (unreadable, unsigned or out of chain).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Trust or configuration lacks admin signatures (in the working tree or committed history).
    #[error("{}: {}", .0.path, .0.message)]
    Untrusted(Box<Problem>),
    /// A model, stage, tag or artifact name is not valid.
    #[error(transparent)]
    Name(#[from] NameError),
    /// The signing key may not sign this kind of record (role, expiry, revocation).
    #[error(transparent)]
    Signer(#[from] SignerViolation),
    /// A new version number is not above the model's latest.
    #[error(transparent)]
    Version(#[from] VersionNotIncreasing),
    /// An input path given to the operation does not exist.
    #[error("{0} does not exist")]
    PathNotFound(PathBuf),
    /// An artifact input is a symbolic link that points outside the directory being registered.
    #[error("{path} is a symbolic link to {target}, outside {root}")]
    SymlinkEscapes {
        /// The link, as found under `root`.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
        /// The directory being registered.
        root: PathBuf,
    },
    /// A file's path inside an artifact directory is not a valid artifact name.
    #[error("{path}: {source}")]
    ArtifactName {
        /// The file on disk.
        path: PathBuf,
        /// Why its relative path is refused.
        source: NameError,
    },
    /// Two inputs map to the same artifact path in the record.
    #[error("two inputs would both be stored as `{0}`")]
    DuplicateArtifact(String),
    /// An input is a device, FIFO or socket.
    #[error("{0} is not a regular file or directory (a device, FIFO or socket)")]
    NotRegularFile(PathBuf),
    /// An artifact directory holds no files.
    #[error("{0} contains no files")]
    NoFiles(PathBuf),
    /// A new version would repeat the artifacts of an existing one exactly.
    #[error("the artifacts are byte-identical to {model} v{version}")]
    SameArtifacts {
        /// The model registered to.
        model: ModelName,
        /// The existing version with the same artifacts.
        version: Version,
    },
    /// A reference names a version the model does not have.
    #[error("{model} has no version {version}")]
    UnknownVersion {
        /// The model referred to.
        model: ModelName,
        /// The missing version.
        version: Version,
    },
    /// The model exists but has no registered version yet.
    #[error("{0} has no versions")]
    NoVersions(ModelName),
    /// An output directory is inside a `.git` directory, where files run as hooks or change git's
    /// configuration: never written, whatever a record says.
    #[error("{0} is inside a .git directory")]
    InsideGitDir(PathBuf),
    /// An output path exists and the operation does not overwrite.
    #[error("{0} already exists")]
    DestinationExists(PathBuf),
    /// An artifact a record names is absent from the store.
    #[error("{path}: object {digest} is not in the store at {store}")]
    MissingArtifact {
        /// The artifact's path in the record.
        path: String,
        /// Its content digest.
        digest: crate::record::Digest,
        /// The store looked in, for messages.
        store: String,
    },
    /// Reading data or computing drift failed.
    #[error(transparent)]
    Drift(#[from] crate::drift::DriftError),
    /// A model card could not be rendered or its fields read.
    #[error(transparent)]
    Card(#[from] crate::card::CardError),
    /// Drift needs a baseline: none is stored with the version and none was passed in.
    #[error("{model} v{version} has no baseline profile stored, and no baseline was given")]
    NoBaseline {
        /// The model compared.
        model: ModelName,
        /// The version without a stored baseline profile.
        version: Version,
    },
    /// A drift run that cannot give a verdict (no comparable feature): nothing recorded.
    #[error("no drift verdict for {model} v{version}: {why}")]
    Inconclusive {
        /// The model compared.
        model: ModelName,
        /// The version whose baseline was used.
        version: Version,
        /// Why the comparison decides nothing.
        why: String,
    },
    /// A git hook file exists that modelreg did not write (it is never overwritten).
    #[error("{0} exists and was not written by modelreg")]
    ForeignHook(PathBuf),
    /// Revoking this key would leave the registry unable to reach its admin threshold.
    #[error("revoking {0} would leave fewer unexpired admin keys than the admin threshold")]
    LastAdmin(crate::record::KeyId),
    /// An admin-signed file holds bytes it had before and that were replaced since: signing them
    /// again gives the very signature an attacker could replay, so the change rules refuse them.
    #[error("{0} holds bytes it had before and that were replaced since; they cannot be signed again")]
    Replayed(&'static str),
    /// A file outside the registry's own could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A lifecycle rule refuses the action (the rule engine's words).
    #[error("{subject}: {why}")]
    Refused {
        /// What the rule judged (e.g. `churn v3`).
        subject: String,
        /// The rule's reason.
        why: String,
        /// The rule's own advice, when it has one (e.g. which role may approve).
        hint: Option<String>,
    },
    /// A promotion's gates (metrics, drift, approvals) are not met.
    #[error("cannot promote {model} v{version} to `{stage}`: {}", .failures.join("; "))]
    GatesNotMet {
        /// The model promoted.
        model: ModelName,
        /// The version promoted.
        version: Version,
        /// The stage it was to enter.
        stage: crate::record::Stage,
        /// One line per unmet gate.
        failures: Vec<String>,
    },
    /// A stage reference or demotion names a stage no version holds.
    #[error("{model} has no version in `{stage}`")]
    StageEmpty {
        /// The model referred to.
        model: ModelName,
        /// The empty stage.
        stage: crate::record::Stage,
    },
    /// An approval is refused (self-approval, missing role, nothing pending).
    #[error(transparent)]
    Approval(#[from] crate::policy::lifecycle::ApprovalRefused),
    /// A rollback has no earlier holder of the stage to return to.
    #[error("{model} has no earlier version in `{stage}` to roll back to")]
    NothingToRollBack {
        /// The model rolled back.
        model: ModelName,
        /// The stage with a single holder in its history.
        stage: crate::record::Stage,
    },
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
    /// The highest version number.
    Latest,
    /// That version number.
    Exact(Version),
    /// The version holding this stage now.
    Stage(crate::record::Stage),
}

/// `NAME`, `NAME@VERSION`, `NAME@latest` or `NAME@STAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
    /// The model.
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

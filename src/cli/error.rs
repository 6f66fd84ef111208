//! Library errors become one line of cause, one line of hint, and an exit code.

use modelreg::ops::Error;
use modelreg::policy::LoadError;
use modelreg::policy::lifecycle::ApprovalRefused;
use modelreg::policy::rules::VersionNotIncreasing;
use modelreg::repo::{GitError, RepoError};
use modelreg::sign::SignError;
use modelreg::store::{RemoteFailure, StoreError};

/// Exit codes: 0 ok, 1 a finding (rule violated), 2 the command could not do what was asked.
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub hint: Option<String>,
}

impl CliError {
    pub fn new(message: impl Into<String>, hint: impl Into<Option<String>>) -> CliError {
        CliError { message: message.into(), hint: hint.into() }
    }
}

impl From<RepoError> for CliError {
    fn from(e: RepoError) -> CliError {
        Error::from(e).into()
    }
}

impl From<SignError> for CliError {
    fn from(e: SignError) -> CliError {
        Error::from(e).into()
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> CliError {
        let hint = hint(&e);
        CliError { message: e.to_string(), hint }
    }
}

fn hint(e: &Error) -> Option<String> {
    let text = match e {
        Error::Repo(RepoError::Git(g)) | Error::Git(g) => return git_hint(g),
        Error::Repo(RepoError::NotInitialised(_)) => "run `modelreg init` in the repository first",
        Error::Repo(RepoError::AlreadyInitialised(_)) => "nothing to do; `modelreg check` verifies the registry",
        Error::Repo(RepoError::Config { .. }) => {
            "fix modelreg.toml at the place named above, then sign it as an admin with `modelreg config sign` (or `git checkout -- modelreg.toml` to drop the edit)"
        }
        Error::Untrusted(problem) if problem.path.starts_with("modelreg.toml") => {
            "an admin signs an edited modelreg.toml with `modelreg config sign`; otherwise restore it with `git checkout -- modelreg.toml`"
        }
        Error::Untrusted(problem) if modelreg::repo::protected::is_protected(&problem.path) => {
            return Some(format!(
                "an admin reviews the change and signs it with `modelreg config sign --files`; otherwise restore it with `git checkout -- {}`",
                problem.path
            ));
        }
        Error::Repo(RepoError::Trust { .. }) | Error::Untrusted(_) => {
            "trust and configuration change only through modelreg commands; restore them with `git checkout -- modelreg.toml .modelreg/`"
        }
        Error::Repo(RepoError::InvalidRecord(_)) => {
            "nothing was written; shorten or de-duplicate the values named above and run it again"
        }
        Error::Repo(RepoError::RecordExists(_)) => "run the command again: it builds on the newest record",
        Error::Repo(RepoError::Io { .. }) | Error::Io { .. } => {
            "check that the path exists and is readable and writable"
        }
        Error::Sign(SignError::NoKey { .. }) => {
            "create a key with `modelreg key generate`, or pass --key PATH (or set MODELREG_KEY)"
        }
        Error::Sign(SignError::Encrypted { .. }) => {
            "export MODELREG_KEY_PASSPHRASE, or use an unencrypted key kept for modelreg"
        }
        Error::Sign(SignError::Exists(_)) => "choose another --path; modelreg never overwrites a key",
        Error::Sign(SignError::NotEd25519 { .. } | SignError::PublicKey(_)) => {
            "generate one with `modelreg key generate` or `ssh-keygen -t ed25519`"
        }
        Error::Sign(SignError::WrongPassphrase { .. }) => "check MODELREG_KEY_PASSPHRASE, or pass another --key",
        Error::Sign(SignError::KeyRead { .. }) => {
            "check the path given by --key, MODELREG_KEY or git's user.signingKey (`modelreg key generate` makes one)"
        }
        Error::Sign(SignError::KeyFormat { .. }) => {
            "pass an OpenSSH private key, e.g. one made by `modelreg key generate` or `ssh-keygen -t ed25519`"
        }
        Error::Sign(SignError::Write { .. }) => "check that the directory exists and is writable",
        Error::Signer(_) => "an admin grants roles with `modelreg key add PUBKEY --owner EMAIL --role ROLE`",
        Error::Version(VersionNotIncreasing::NotGreater { latest, .. }) => match latest.next() {
            Some(next) => return Some(format!("omit --version to register v{next}")),
            None => "no version can follow the latest one; register under a new model name",
        },
        Error::Version(VersionNotIncreasing::Exhausted { .. }) => {
            "no version can follow the latest one; register under a new model name"
        }
        Error::Name(_) | Error::ArtifactName { .. } => {
            "model names look like `fraud-detector` or `resnet50.v2`; artifact paths are plain relative ASCII paths"
        }
        Error::PathNotFound(_) => "check the path; PATH may be files or directories",
        Error::SymlinkEscapes { .. } => "copy the file into the model directory instead of linking outside it",
        Error::DuplicateArtifact(_) => "pass files with distinct names, or one directory containing them",
        Error::NotRegularFile(_) => "copy the data into a file first; a model is a set of regular files",
        Error::NoFiles(_) => "a model is a set of files; point at a directory that contains them",
        Error::SameArtifacts { .. } => "pass --allow-same to register identical files as a new version",
        Error::UnknownVersion { model, .. } => {
            return Some(format!("`modelreg show {model}` lists its versions"));
        }
        Error::NoVersions(_) | Error::Load(LoadError::UnknownModel(_)) => "`modelreg list` shows registered models",
        Error::Load(LoadError::Invalid(_)) => {
            "`modelreg check` lists every problem; records are never edited by hand (restore with `git checkout`)"
        }
        Error::Card(modelreg::card::CardError::Template { .. }) => {
            "fix the template named above (.modelreg/templates/ overrides the shipped one)"
        }
        Error::Card(_) => "fix the file named above; card.toml's fields are in docs/FORMAT.md",
        Error::Drift(_) => "nothing was recorded; fix the input named above (see `modelreg drift --help`)",
        Error::Inconclusive { .. } => {
            "nothing was recorded; compare data with the baseline's columns (same names and kinds) and at least drift.min_rows rows a side (default 30)"
        }
        Error::NoBaseline { .. } => {
            "pass --baseline DATA|PROFILE, or register the version with --baseline-profile (from `modelreg profile`)"
        }
        Error::Refused { hint, .. } => return hint.clone(),
        Error::GatesNotMet { model, stage, .. } => {
            return Some(format!(
                "the gates are [lifecycle.gates.{stage}] in modelreg.toml; `modelreg show {model}` shows where each version stands"
            ));
        }
        Error::StageEmpty { model, .. } => {
            return Some(format!("`modelreg show {model}` shows which version holds each stage"));
        }
        Error::Approval(ApprovalRefused::NoPendingPromotion { model, version, stage }) => {
            return Some(format!("propose it first: `modelreg promote {model}@{version} --to {stage}`"));
        }
        Error::Approval(ApprovalRefused::AlreadyApproved { .. }) => {
            "another approver with the `approver:<stage>` role must sign"
        }
        Error::Approval(ApprovalRefused::SelfApproval { .. }) => {
            "another approver must sign (or an admin sets allow_self_approval = true in the stage's gates)"
        }
        Error::NothingToRollBack { .. } => "promote a version explicitly with `modelreg promote NAME@V --to STAGE`",
        Error::ForeignHook(_) => "pass --force to replace it, or call `modelreg hook <name>` from your own hook script",
        Error::LastAdmin(_) => "add another admin key first (`modelreg key add PUBKEY --owner EMAIL --role admin`)",
        Error::Replayed(_) => "edit the file so its bytes are new (a comment will do), then sign it",
        Error::DestinationExists(_) => "choose another -o directory, or pass --force to replace those files",
        Error::InsideGitDir(_) => "choose an -o directory outside .git (files there run as git hooks)",
        Error::Store(StoreError::Missing { .. }) | Error::MissingArtifact { .. } => {
            "the object is in neither this machine's store nor the shared store: run `modelreg store push` in the clone that registered it (or set [store] url in modelreg.toml)"
        }
        Error::Store(StoreError::Remote { failure, .. }) => match failure {
            RemoteFailure::Unreachable => {
                "check the endpoint (AWS_ENDPOINT_URL, AZURITE_BLOB_STORAGE_URL) and the network; `register --offline` keeps the files local until `modelreg store push`"
            }
            RemoteFailure::Unauthenticated => {
                "check the credentials in the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AZURE_STORAGE_ACCOUNT_KEY, GOOGLE_APPLICATION_CREDENTIALS)"
            }
            RemoteFailure::PermissionDenied => {
                "check the credentials in the environment (AWS_SECRET_ACCESS_KEY, AZURE_STORAGE_ACCOUNT_KEY, ...) and that they may read and write the store's prefix"
            }
            RemoteFailure::NoContainer => {
                "create the bucket or container first, or fix [store] url in modelreg.toml (an admin signs the change)"
            }
            RemoteFailure::Other => {
                "nothing was written; run it again, or check the store's URL and the server's status"
            }
        },
        Error::Store(StoreError::NoCredentials { .. }) => {
            "export the store's credentials (see README, Shared artifact stores), or register with --offline and `modelreg store push` later"
        }
        Error::Store(StoreError::Unsupported { .. }) => "install a modelreg built with the default features",
        Error::Store(StoreError::NoRemote) => {
            "set `url` under [store] in modelreg.toml (s3://, az://, gs:// or file://) and sign it with `modelreg config sign`"
        }
        Error::Store(StoreError::Corrupt { .. }) => {
            "the store copy is damaged; nothing was written. `modelreg check` lists every damaged object"
        }
        Error::Store(StoreError::SourceChanged { .. }) => "wait until the file is fully written, then register again",
        Error::Store(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::StorageFull => {
            "the disk is full: free space (or point store.path elsewhere) and run it again; no partial file was kept"
        }
        Error::Store(StoreError::Io { .. }) => "check that the file and the store directory are readable and writable",
    };
    Some(text.to_owned())
}

fn git_hint(e: &GitError) -> Option<String> {
    let text = match e {
        GitError::NotARepository(_) => "run it inside a git repository (`git init`), or pass -C DIR",
        GitError::Bare(_) => "clone the repository and run modelreg in the clone",
        GitError::BadRevision { .. } => "pass a commit, branch or tag that exists (e.g. HEAD)",
        GitError::Other(message) if message.contains("user.name") => {
            "set them: git config user.name \"Your Name\"; git config user.email you@example.com"
        }
        GitError::IndexLocked(_) => {
            "another git command is running, or one was killed: if none is running, delete .git/index.lock"
        }
        GitError::Other(message) if message.contains("index is locked") => {
            "another git command is running, or one was killed: if none is running, delete .git/index.lock"
        }
        GitError::Other(_) => "run `git status` to see the repository's state",
    };
    Some(text.to_owned())
}

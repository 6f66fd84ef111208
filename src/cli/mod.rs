//! The command line: clap definitions and dispatch. Each command lives in its own file as an `Args`
//! struct plus a `run` function that calls one library operation and formats its report.

mod check;
mod diff;
mod drift;
pub mod error;
mod get;
mod hooks;
mod init;
mod key;
mod list;
pub mod output;
mod profile;
mod register;
mod review;
mod search;
mod show;
mod sync;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use error::CliError;
use modelreg::repo::{GitRepo, Registry};
use modelreg::sign::{KeySources, SigningKey};
use output::Ui;

#[derive(Debug, Parser)]
#[command(name = "modelreg", version, about = "A GitOps-native ML model registry", max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// The registry repository (default: the git repository containing the current directory)
    #[arg(short = 'C', long = "registry", global = true, value_name = "DIR", env = "MODELREG_REGISTRY")]
    pub registry: Option<PathBuf>,
    /// Signing key: an OpenSSH ed25519 private key [default: $MODELREG_KEY, git's user.signingKey,
    /// ~/.ssh/id_ed25519]
    #[arg(long, global = true, value_name = "PATH")]
    pub key: Option<PathBuf>,
    /// Print only data and errors (no status lines or progress)
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make the current git repository a registry (config, trust root, store)
    Init(init::InitArgs),
    /// Generate signing keys and manage who may do what
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Register a new version of a model from files and directories
    Register(Box<register::RegisterArgs>),
    /// Show a model and its versions, or one version in detail
    Show(show::ShowArgs),
    /// List every model
    List(list::ListArgs),
    /// Find model versions by a query over names, tags, metrics, params, stages and dates
    Search(search::SearchArgs),
    /// Compare two versions side by side: metrics (with deltas), params, tags, lineage, artifacts
    Diff(diff::DiffArgs),
    /// Fetch a version's artifacts into a directory, verifying every digest
    Get(get::GetArgs),
    /// Verify the registry, or a change to it: schemas, hash chains, signatures, roles, stored artifacts
    Check(check::CheckArgs),
    /// Compare production data with a version's baseline; record the signed report beside the version
    Drift(Box<drift::DriftArgs>),
    /// Summarise a dataset into a mergeable profile, or merge shard profiles
    Profile(profile::ProfileArgs),
    /// Publish local registrations: fetch, replay them on the remote's records (renumbered, re-signed), push
    Sync(sync::SyncArgs),
    /// Summarise what a change (a pull request) does to the registry, for a review comment
    Review(review::ReviewArgs),
    /// Install the git hooks that run `check` on commit, push and receive
    #[command(subcommand)]
    Hooks(hooks::HooksCommand),
    /// Run a git hook (called by the scripts `hooks install` writes)
    #[command(hide = true)]
    Hook {
        #[arg(value_enum)]
        name: hooks::HookName,
        /// What git passes to the hook (for pre-push: the remote's name and URL); the refs come on stdin
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        git_args: Vec<String>,
    },
}

/// Runs a parsed command; returns the exit code for findings (0 or 1), or an error (exit 2).
pub fn run(cli: Cli) -> Result<u8, CliError> {
    let ui = Ui::new(cli.global.quiet);
    let ctx = Context { global: cli.global, ui };
    match cli.command {
        Command::Init(args) => init::run(&ctx, args),
        Command::Key(command) => key::run(&ctx, command),
        Command::Register(args) => register::run(&ctx, *args),
        Command::Show(args) => show::run(&ctx, args),
        Command::List(args) => list::run(&ctx, args),
        Command::Search(args) => search::run(&ctx, args),
        Command::Diff(args) => diff::run(&ctx, args),
        Command::Get(args) => get::run(&ctx, args),
        Command::Check(args) => check::run(&ctx, args),
        Command::Sync(args) => sync::run(&ctx, args),
        Command::Drift(args) => drift::run(&ctx, *args),
        Command::Profile(args) => profile::run(&ctx, args),
        Command::Review(args) => review::run(&ctx, args),
        Command::Hooks(command) => hooks::install(&ctx, command),
        Command::Hook { name, git_args } => hooks::run(&ctx, name, &git_args),
    }
}

pub struct Context {
    pub global: GlobalArgs,
    pub ui: Ui,
}

impl Context {
    /// Where the registry is looked for.
    pub fn start_dir(&self) -> Result<PathBuf, CliError> {
        match &self.global.registry {
            Some(dir) => Ok(dir.clone()),
            None => std::env::current_dir().map_err(|e| CliError::new(format!("current directory: {e}"), None)),
        }
    }

    pub fn open_registry(&self) -> Result<Registry, CliError> {
        Ok(Registry::open(&self.start_dir()?)?)
    }

    /// The signing key, resolved in the documented order; `git` supplies `user.signingKey`.
    pub fn signing_key(&self, git: Option<&GitRepo>) -> Result<SigningKey, CliError> {
        let sources = KeySources {
            explicit: self.global.key.clone(),
            git_signing_key: git.and_then(|g| g.config_string("user.signingkey")),
            home: std::env::var_os("HOME").map(PathBuf::from),
        };
        Ok(sources.resolve()?)
    }
}

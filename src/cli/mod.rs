//! The command line: clap definitions and dispatch. Each command lives in its own file as an `Args`
//! struct plus a `run` function that calls one library operation and formats its report.

mod approve;
mod archive;
mod card;
mod check;
mod config;
pub mod context;
mod demote;
mod deploy;
mod diff;
mod drift;
pub mod error;
mod get;
mod history;
mod hooks;
mod impact;
mod init;
mod key;
mod lifecycle;
mod lineage;
mod list;
pub mod output;
mod profile;
mod promote;
mod register;
mod review;
mod search;
mod show;
mod store;
mod sync;
mod tag;

use clap::{Parser, Subcommand};

pub use context::{Context, GlobalArgs};
use error::CliError;
use output::Ui;

#[derive(Debug, Parser)]
#[command(name = "modelreg", version, about = "A GitOps-native ML model registry", max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
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
    /// The shared artifact store ([store] url): status, push, pull, verify, gc, migrate
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Sign modelreg.toml (or the trust file) as an admin after editing it
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Propose a version for a stage; gates are checked, approvals may be needed
    Promote(promote::PromoteArgs),
    /// Approve a pending promotion (adds your signature to its record)
    Approve(approve::ApproveArgs),
    /// Take the version holding a stage out of it
    Demote(demote::DemoteArgs),
    /// Give a stage back to the version that held it before
    Rollback(demote::RollbackArgs),
    /// Retire a version (or a whole model): it stays readable, but cannot be promoted or deployed
    Archive(archive::ArchiveArgs),
    /// Bring an archived version (or model) back
    Restore(archive::ArchiveArgs),
    /// Record where versions run
    #[command(subcommand)]
    Deploy(deploy::DeployCommand),
    /// Set tags on a version (through a record; the version itself never changes)
    Tag(tag::TagArgs),
    /// Remove tags from a version
    Untag(tag::UntagArgs),
    /// Every record of a model: who did what, when, and why
    History(history::HistoryArgs),
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
    /// Render model cards (models/NAME/README.md), or check that they are fresh
    Card(card::CardArgs),
    /// The lineage graph of a version: datasets, code, parent and derived models
    Lineage(lineage::LineageArgs),
    /// Every version trained on a dataset, and which of them hold a stage
    Impact(impact::ImpactArgs),
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
        Command::Store(command) => store::run(&ctx, command),
        Command::Check(args) => check::run(&ctx, args),
        Command::Config(command) => config::run(&ctx, command),
        Command::Promote(args) => promote::run(&ctx, args),
        Command::Approve(args) => approve::run(&ctx, args),
        Command::Demote(args) => demote::demote(&ctx, args),
        Command::Rollback(args) => demote::rollback(&ctx, args),
        Command::Archive(args) => archive::run(&ctx, args, false),
        Command::Restore(args) => archive::run(&ctx, args, true),
        Command::Deploy(command) => deploy::run(&ctx, command),
        Command::Tag(args) => tag::tag(&ctx, args),
        Command::Untag(args) => tag::untag(&ctx, args),
        Command::History(args) => history::run(&ctx, args),
        Command::Sync(args) => sync::run(&ctx, args),
        Command::Drift(args) => drift::run(&ctx, *args),
        Command::Profile(args) => profile::run(&ctx, args),
        Command::Review(args) => review::run(&ctx, args),
        Command::Card(args) => card::run(&ctx, args),
        Command::Lineage(args) => lineage::run(&ctx, args),
        Command::Impact(args) => impact::run(&ctx, args),
        Command::Hooks(command) => hooks::install(&ctx, command),
        Command::Hook { name, git_args } => hooks::run(&ctx, name, &git_args),
    }
}

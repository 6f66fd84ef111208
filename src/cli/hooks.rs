//! `modelreg hooks install` and the `modelreg hook <name>` entry points the installed scripts call.

use std::io::Read;
use std::path::PathBuf;

use clap::Subcommand;
use modelreg::ops::check::{self, BranchSource, HookSet, PushReport};

use super::check::render_problems;
use super::context::Context;
use super::error::{CliError, EXIT_FINDINGS};

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// Write the git hooks: pre-commit and pre-push in a clone, or pre-receive with --server
    Install(InstallArgs),
}

#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Install the server-side pre-receive hook (run inside the bare repository, or use --git-dir)
    #[arg(long)]
    server: bool,
    /// The repository to install into [default: the one containing the current directory]
    #[arg(long, value_name = "DIR")]
    git_dir: Option<PathBuf>,
    /// Replace hooks that modelreg did not write
    #[arg(long)]
    force: bool,
    /// The registry branch the server protects from deletion and rewrites (with --server) [default:
    /// the branch the registry's modelreg.toml names, else the repository's HEAD]
    #[arg(long, value_name = "NAME", requires = "server", value_parser = branch_name)]
    branch: Option<String>,
}

fn branch_name(name: &str) -> Result<String, String> {
    if modelreg::repo::config::is_branch_name(name) {
        Ok(name.to_owned())
    } else {
        Err(format!("`{name}` is not a branch name"))
    }
}

/// The hooks git runs; each reads what git gives it and runs the rule engine.
#[allow(clippy::enum_variant_names)] // named after the git hooks
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum HookName {
    PreCommit,
    PrePush,
    PreReceive,
}

pub fn install(ctx: &Context, command: HooksCommand) -> Result<u8, CliError> {
    let HooksCommand::Install(args) = command;
    let start = match args.git_dir {
        Some(dir) => dir,
        None => ctx.start_dir()?,
    };
    let binary = std::env::current_exe().map_err(|e| CliError::new(format!("cannot locate modelreg: {e}"), None))?;
    let set = if args.server { HookSet::Server } else { HookSet::Client };
    let installed = check::install_hooks(&start, set, &binary, args.force, args.branch.as_deref())?;
    for hook in &installed.hooks {
        ctx.ui.status(format!("installed {}/{hook}", installed.dir));
    }
    ctx.ui.status(format!("hooks run {} (set MODELREG_BIN to use another binary)", installed.binary));
    for setting in &installed.settings {
        ctx.ui.status(format!("set {setting} in the repository's git config"));
    }
    if set == HookSet::Server {
        let why = |source| match source {
            BranchSource::GitConfig => "modelreg.branch in the repository's git config",
            BranchSource::Registry => "the branch its modelreg.toml names",
            BranchSource::Head => "the repository's HEAD; set another with --branch",
        };
        match &installed.protects {
            Some(p) => ctx.ui.status(format!("protects {} from deletion and rewrites ({})", p.refname, why(p.source))),
            None => ctx.ui.status("protects no branch yet: set the registry branch with --branch"),
        }
    }
    Ok(0)
}

/// Runs a hook; `git_args` are what git passed it (for pre-push: the remote's name and URL).
pub fn run(ctx: &Context, hook: HookName, git_args: &[String]) -> Result<u8, CliError> {
    let start = ctx.start_dir()?;
    let report = match hook {
        HookName::PreCommit => {
            let report = check::staged(&start, staged_index(&start).as_deref(), ctx.now())?;
            eprint!("{}", render_problems(&report));
            if report.errors() > 0 {
                eprintln!("modelreg: commit refused ({})", super::check::summary(&report));
                return Ok(EXIT_FINDINGS);
            }
            return Ok(0);
        }
        HookName::PrePush => check::pre_push(
            &start,
            git_args.first().map(String::as_str),
            &check::parse_push_lines(&stdin()?),
            ctx.now(),
            &ctx.store_env(),
        )?,
        HookName::PreReceive => {
            check::receive(&start, &check::parse_receive_lines(&stdin()?), ctx.now(), &ctx.store_env())?
        }
    };
    Ok(print_push(&report))
}

/// The index git is about to commit: `GIT_INDEX_FILE` when git names one (`git commit -a` and
/// `git commit PATHS` judge a temporary index, not `.git/index`), relative to the hook's directory.
pub(super) fn staged_index(start: &std::path::Path) -> Option<PathBuf> {
    std::env::var_os("GIT_INDEX_FILE").filter(|p| !p.is_empty()).map(|p| start.join(p))
}

fn stdin() -> Result<String, CliError> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).map_err(|e| CliError::new(format!("reading stdin: {e}"), None))?;
    Ok(input)
}

/// Hook output goes to stderr: git relays it to the pusher (`remote: …`).
fn print_push(push: &PushReport) -> u8 {
    for r in &push.refs {
        eprint!("{}", render_problems(&r.report));
    }
    if push.errors() > 0 {
        eprintln!("modelreg: push refused: {} problem(s); the remote is unchanged", push.errors());
        EXIT_FINDINGS
    } else {
        0
    }
}

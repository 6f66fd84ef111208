//! `modelreg init`

use modelreg::ops::init::{InitOptions, init};
use modelreg::repo::GitRepo;

use super::context::Context;
use super::error::CliError;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Owner recorded for the first admin key [default: git's user.email]
    #[arg(long, value_name = "EMAIL")]
    owner: Option<String>,
    /// Write the files but do not commit them
    #[arg(long)]
    no_commit: bool,
}

pub fn run(ctx: &Context, args: InitArgs) -> Result<u8, CliError> {
    let start = ctx.start_dir()?;
    let git = GitRepo::discover(&start).map_err(modelreg::ops::Error::from)?;
    let key = ctx.signing_key(Some(&git))?;
    let report = init(&start, &key, InitOptions { owner: args.owner, commit: !args.no_commit }, ctx.now())?;
    let ui = &ctx.ui;
    ui.status(format!("initialised registry in {}", report.root.display()));
    ui.status(format!("  admin key  {} ({}), from {}", report.admin_key, report.owner, key.origin()));
    ui.status(format!("  store      {}", report.store));
    match &report.commit {
        Some(commit) => ui.status(format!("  committed  {}", &commit[..12])),
        None => ui.status(format!("  not committed: {}", report.files.join(" "))),
    }
    Ok(0)
}

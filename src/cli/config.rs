//! `modelreg config sign`

use modelreg::ops::config::{AdminFile, sign};

use super::context::Context;
use super::error::CliError;

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Sign modelreg.toml as an admin after editing it (or co-sign another admin's change); --trust and
    /// --files sign trust and the protected files instead
    Sign(SignArgs),
}

#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// Sign .modelreg/trust.toml instead (co-signing a trust change when admin_threshold > 1)
    #[arg(long, conflicts_with = "files")]
    trust: bool,
    /// Write and sign .modelreg/protected.toml instead: the digests of .gitattributes and the files
    /// under .modelreg/ (card templates), after reviewing a change to them
    #[arg(long)]
    files: bool,
    /// Sign but do not commit
    #[arg(long)]
    no_commit: bool,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, command: ConfigCommand) -> Result<u8, CliError> {
    let ConfigCommand::Sign(args) = command;
    let start = ctx.start_dir()?;
    let git = modelreg::repo::GitRepo::discover(&start).ok();
    let key = ctx.signing_key(git.as_ref())?;
    let file = match (args.trust, args.files) {
        (true, _) => AdminFile::Trust,
        (_, true) => AdminFile::Protected,
        _ => AdminFile::Config,
    };
    let report = sign(&start, &key, file, !args.no_commit, ctx.now())?;
    if args.json {
        ctx.ui.json(&report);
        return Ok(0);
    }
    let ui = &ctx.ui;
    ui.status(format!(
        "signed {} with {} ({} of {} admin signatures)",
        report.file, report.signed_by, report.signatures, report.threshold
    ));
    for stale in &report.removed {
        ui.status(format!("  removed stale signature {stale}"));
    }
    match &report.commit {
        Some(commit) => ui.status(format!("  committed  {}", &commit[..12])),
        None if report.signatures < report.threshold as usize => ui.status(format!(
            "  not committed: {} more admin signature(s) needed; other admins run `modelreg config sign{}`",
            report.threshold as usize - report.signatures,
            match file {
                AdminFile::Trust => " --trust",
                AdminFile::Protected => " --files",
                AdminFile::Config => "",
            }
        )),
        None => ui.status("  not committed (--no-commit)"),
    }
    Ok(0)
}

//! `modelreg sync`

use modelreg::ops::sync::sync;

use super::context::Context;
use super::error::CliError;

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The remote to fetch from and push to
    #[arg(long, default_value = "origin")]
    remote: String,
    /// Show how local records would be renumbered; change nothing
    #[arg(long)]
    dry_run: bool,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: SyncArgs) -> Result<u8, CliError> {
    let start = ctx.start_dir()?;
    let git = modelreg::repo::GitRepo::discover(&start).map_err(modelreg::ops::Error::from)?;
    let key = ctx.signing_key(Some(&git))?;
    let report = sync(&start, &key, &args.remote, args.dry_run, ctx.now())?;
    if args.json {
        ctx.ui.json(&report);
        return Ok(0);
    }
    let verb = if args.dry_run { "would replay" } else { "replayed" };
    for r in &report.replayed {
        let renumbered =
            if r.version == r.local_version { String::new() } else { format!(" (was v{})", r.local_version) };
        ctx.ui.status(format!("{verb} {} v{}{renumbered} as seq {}", r.model, r.version, r.seq));
    }
    if report.approvals_carried > 0 {
        ctx.ui.status(format!("carried {} approval(s) over unchanged", report.approvals_carried));
    }
    if report.approvals_dropped > 0 {
        ctx.ui.status(format!(
            "warning: {} approval(s) of replayed promotions were dropped (the records moved and were re-signed); ask the approvers to run `modelreg approve` again",
            report.approvals_dropped
        ));
    }
    match &report.pushed {
        Some(commit) => ctx.ui.status(format!(
            "pushed {} to {}/{} after {} round(s)",
            &commit[..12],
            report.remote,
            report.branch,
            report.rounds
        )),
        None if !args.dry_run => ctx.ui.status(format!("up to date with {}/{}", report.remote, report.branch)),
        None => {}
    }
    Ok(0)
}
